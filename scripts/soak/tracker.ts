/**
 * Deferreds with a deadline: every call the harness makes on the driver (or
 * that a role makes, through {@link trackCalls}) is entered with the
 * deadline the configuration promises for it (the detector's operation
 * deadline, plus the pool's acquire timeout for pool calls) plus a generous
 * slack. One still pending past that is a violation: something the driver
 * promised to end did not end. Each is reported once.
 */
import type { Connection, Deferred } from '../../src/index';

interface Entry {
  readonly label: string;
  readonly since: number;
  readonly deadlineMs: number;
  reported: boolean;
}

/** The set of Deferreds in flight; see the file comment. */
export class DeferredTracker {
  private readonly pending = new Set<Entry>();
  /** How many were tracked. */
  tracked = 0;

  /** Enters `d` (fires `d` through unchanged). */
  track<T>(d: Deferred<T>, label: string, deadlineMs: number): Deferred<T> {
    if (d.called) {
      this.tracked++;
      return d;
    }
    const entry: Entry = { label, since: Date.now(), deadlineMs, reported: false };
    this.pending.add(entry);
    this.tracked++;
    return d.addFinally(() => this.pending.delete(entry));
  }

  /** How many are still pending. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Descriptions of the ones pending past their deadline not reported before. */
  overdue(now = Date.now()): string[] {
    const out: string[] = [];
    for (const e of this.pending) {
      if (e.reported || now - e.since <= e.deadlineMs) continue;
      e.reported = true;
      out.push(`${e.label} pending for ${now - e.since} ms (deadline ${e.deadlineMs} ms)`);
    }
    return out;
  }

  /** Descriptions of every one still pending (at the end, after everything was closed). */
  stillPending(now = Date.now()): string[] {
    return [...this.pending].map((e) => `${e.label} still pending ${now - e.since} ms after it was called, after close`);
  }
}

/**
 * Routes `conn`'s run* methods through `tracker` (the role's own calls, the
 * heartbeat's probes and listen()'s LISTENs included), each with
 * `deadlineMs`. Instrumentation of one instance; the class is untouched.
 */
export function trackCalls(conn: Connection, tracker: DeferredTracker, deadlineMs: number): void {
  const runQuery = conn.runQuery.bind(conn);
  const runOperation = conn.runOperation.bind(conn);
  const runInteractionWith = conn.runInteractionWith.bind(conn);
  conn.runQuery = ((...a: Parameters<typeof runQuery>) => tracker.track(runQuery(...a), 'runQuery', deadlineMs)) as typeof conn.runQuery;
  conn.runOperation = (...a) => tracker.track(runOperation(...a), `runOperation ${String(a[0]).slice(0, 40)}`, deadlineMs);
  conn.runInteractionWith = ((...a: Parameters<typeof runInteractionWith>) =>
    tracker.track(runInteractionWith(...a), 'runInteraction', deadlineMs)) as typeof conn.runInteractionWith;
}
