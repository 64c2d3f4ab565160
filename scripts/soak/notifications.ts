/**
 * Exactly-once delivery of notifications, judged from the sender's side.
 *
 * Theory of operation. The sender (the harness, on its own connection)
 * numbers every NOTIFY. Each one is *trusted* when it is sent while the
 * listener is connected and no disruptive fault is in force: it must then
 * reach every subscriber exactly once, after exactly the gaps that were owed
 * when it was sent (so a gap comes between the last notification before an
 * outage and the first one after it). One sent during an outage may be
 * lost, never doubled. A trusted one that is still missing when a death
 * happened after it was sent is excused (the session it was on died; that
 * death is counted and announced). Every subscriber's stream, gaps aside,
 * must be strictly increasing: in order, no duplicates.
 */
import { NotificationGap, type Notification } from '../../src/index';

/** One NOTIFY the sender sent. */
interface Sent {
  readonly n: number;
  readonly trusted: boolean;
  /** Gaps owed to a subscriber when it was sent. */
  readonly gapsOwed: number;
  readonly at: number;
  excused: boolean;
}

/** What one subscriber received: a notification's number, or 'gap'. */
export type Token = number | 'gap';

/** Counts of a {@link NotificationLedger} judgement. */
export interface DeliveryCounts {
  trusted: number;
  trustedDelivered: number;
  excused: number;
  untrusted: number;
  untrustedDelivered: number;
  duplicates: number;
  gaps: number;
  gapsOwed: number;
}

/** The sender's numbering and each subscriber's stream; see the file comment. */
export class NotificationLedger {
  private readonly sent: Sent[] = [];
  private next = 1;
  /** One stream per subscriber. */
  readonly streams: Token[][];

  /** @param subscribers how many subscribers listen */
  constructor(subscribers: number) {
    this.streams = Array.from({ length: subscribers }, () => []);
  }

  /** The number of the next NOTIFY, recorded as sent with its trust and the gaps owed now. */
  numberNext(trusted: boolean, gapsOwed: number): number {
    const n = this.next++;
    this.sent.push({ n, trusted, gapsOwed, at: Date.now(), excused: false });
    return n;
  }

  /** Forgets a number whose NOTIFY could not be sent (the server was down). */
  notSent(n: number): void {
    const i = this.sent.findIndex((s) => s.n === n);
    if (i >= 0) this.sent.splice(i, 1);
  }

  /** Subscriber `i` received `x`. */
  received(i: number, x: Notification | NotificationGap): void {
    this.streams[i].push(x instanceof NotificationGap ? 'gap' : Number(x.payload));
  }

  /** Trusted, not excused, and not yet with every subscriber. */
  pending(): number[] {
    const have = this.streams.map((s) => new Set(s));
    return this.sent.filter((s) => s.trusted && !s.excused && have.some((h) => !h.has(s.n))).map((s) => s.n);
  }

  /** Excuses the pending ones sent before a death at `deathAt`. */
  excuseBefore(deathAt: number): void {
    const pending = new Set(this.pending());
    for (const s of this.sent) if (pending.has(s.n) && s.at <= deathAt) s.excused = true;
  }

  /** Judges every stream; `gapsOwed` is what the listener's outages owe each subscriber by now. */
  judge(gapsOwed: number): { counts: DeliveryCounts; violations: string[] } {
    const violations: string[] = [];
    const counts: DeliveryCounts = { trusted: 0, trustedDelivered: 0, excused: 0, untrusted: 0, untrustedDelivered: 0, duplicates: 0, gaps: 0, gapsOwed };
    this.streams.forEach((stream, i) => violations.push(...this.judgeStream(stream, i, counts, gapsOwed)));
    const all = this.streams.length;
    counts.trusted = this.sent.filter((s) => s.trusted).length * all;
    counts.excused = this.sent.filter((s) => s.excused).length * all;
    counts.untrusted = this.sent.filter((s) => !s.trusted).length * all;
    counts.gapsOwed = gapsOwed * all;
    return { counts, violations };
  }

  private judgeStream(stream: Token[], i: number, counts: DeliveryCounts, gapsOwed: number): string[] {
    const out: string[] = [];
    const seen = new Map<number, number>();
    let gaps = 0;
    let last = 0;
    for (const t of stream) {
      if (t === 'gap') {
        gaps++;
        continue;
      }
      if (t <= last) out.push(`subscriber ${i}: notification ${t} after ${last} (out of order or twice)`);
      last = Math.max(last, t);
      seen.set(t, gaps);
    }
    counts.gaps += gaps;
    if (gaps !== gapsOwed) out.push(`subscriber ${i}: ${gaps} gaps for ${gapsOwed} outages`);
    counts.duplicates += stream.length - gaps - seen.size;
    for (const s of this.sent) {
      const gapsBefore = seen.get(s.n);
      if (gapsBefore === undefined) {
        if (s.trusted && !s.excused) out.push(`subscriber ${i}: notification ${s.n}, sent while connected, never arrived`);
        continue;
      }
      if (s.trusted) counts.trustedDelivered++;
      else counts.untrustedDelivered++;
      if (s.trusted && !s.excused && gapsBefore !== s.gapsOwed) out.push(`subscriber ${i}: notification ${s.n} arrived after ${gapsBefore} gaps, ${s.gapsOwed} were owed`);
    }
    return out;
  }
}
