/**
 * A scripted walsender on the FakeServer (virtual network): answers
 * IDENTIFY_SYSTEM and START_REPLICATION (CopyBothResponse, then copy-both
 * driven by the test), records every standby status update with the
 * reactor time it arrived, and ends copy-both when the client sends
 * CopyDone. Each backend of the server is one walsender session.
 */
import type { VirtualReactor } from '../../reactor/virtual/virtual';
import { decodeReplicationFrontend, type HotStandbyFeedback, type StandbyStatusUpdate } from '../../src/protocol/replication';
import type { RawFields } from '../../src/protocol/messages';
import { FakeServer, type FakeBackend } from '../../src/testing';

/** One walsender session. */
export interface Walsender {
  backend: FakeBackend;
  /** The START_REPLICATION text received, if any. */
  started: string | null;
  streaming: boolean;
  statuses: Array<StandbyStatusUpdate & { at: number }>;
  /** Hot standby feedback received. */
  feedback: HotStandbyFeedback[];
  /** Set by `endTimeline`: the next timeline, answered after the client's CopyDone. */
  nextTimeline: [string, string] | null;
}

/** A fake server of walsenders. `refuseStart` answers the next START_REPLICATION with an error instead. */
export class FakeWalsenders {
  readonly server: FakeServer;
  readonly sessions: Walsender[] = [];
  refuseStart: RawFields[] = [];

  constructor(readonly reactor: VirtualReactor) {
    this.server = new FakeServer(reactor, { onConnection: (b) => this.attach(b) });
  }

  /** The newest session. */
  get current(): Walsender {
    return this.sessions[this.sessions.length - 1];
  }

  /** Sends an XLogData with `text` at `lsn` on the current session. */
  xlog(lsn: bigint, text: string, walEnd = lsn): void {
    this.current.backend.send({ type: 'XLogData', dataStart: lsn, walEnd, sendTime: 1n, data: new TextEncoder().encode(text) });
  }

  /** Sends a primary keepalive on the current session. */
  keepalive(walEnd: bigint, replyRequested: boolean): void {
    this.current.backend.send({ type: 'PrimaryKeepalive', walEnd, sendTime: 1n, replyRequested });
  }

  /** One test_decoding transaction: BEGIN at `lsn`, the rows, COMMIT at `lsn + rows + 1`. */
  transaction(lsn: bigint, ...rows: string[]): bigint {
    this.xlog(lsn, 'BEGIN');
    rows.forEach((r, i) => this.xlog(lsn + BigInt(i + 1), `table public.t: INSERT: ${r}`));
    const commit = lsn + BigInt(rows.length + 1);
    this.xlog(commit, 'COMMIT');
    return commit;
  }

  /** Ends the current physical stream at the end of its timeline: CopyDone now, the next timeline after the client's CopyDone. */
  endTimeline(next: number, startLsn: string): void {
    this.current.nextTimeline = [String(next), startLsn];
    this.current.backend.send({ type: 'CopyDone' });
  }

  private attach(backend: FakeBackend): void {
    const w: Walsender = { backend, started: null, streaming: false, statuses: [], feedback: [], nextTimeline: null };
    this.sessions.push(w);
    backend.onMessage('Query', (m, be) => {
      if (m.sql === 'IDENTIFY_SYSTEM') {
        return be.replyToSimpleQuery({ fields: ['systemid', 'timeline', 'xlogpos', 'dbname'], rows: [['7000000000000000001', '1', '0/1000', 'test']], tag: 'IDENTIFY_SYSTEM' });
      }
      if (m.sql.startsWith('START_REPLICATION')) {
        const refusal = this.refuseStart.shift();
        if (refusal !== undefined) return be.replyToSimpleQuery({ error: refusal });
        w.started = m.sql;
        w.streaming = true;
        return be.send({ type: 'CopyBothResponse', format: 0, columnFormats: [] });
      }
      be.serveMessage(m);
    });
    backend.onMessage('CopyData', (m) => {
      const msg = decodeReplicationFrontend(m.data);
      if (msg.type === 'StandbyStatusUpdate') w.statuses.push({ ...msg, at: this.reactor.now() });
      else w.feedback.push(msg);
    });
    backend.onMessage('CopyDone', (_m, be) => {
      w.streaming = false;
      if (w.nextTimeline !== null) {
        const enc = new TextEncoder();
        return be.send(
          { type: 'RowDescription', fields: [
            { name: 'next_tli', tableOid: 0, columnAttr: 0, typeOid: 20, typeSize: 8, typeModifier: -1, format: 0 },
            { name: 'next_tli_startpos', tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 },
          ] },
          { type: 'DataRow', fields: w.nextTimeline.map((v) => enc.encode(v)) },
          { type: 'CommandComplete', tag: 'SELECT' },
          { type: 'CommandComplete', tag: 'START_STREAMING' },
          { type: 'ReadyForQuery', status: 'I' },
        );
      }
      be.send({ type: 'CopyDone' }, { type: 'CommandComplete', tag: 'COPY 0' }, { type: 'CommandComplete', tag: 'START_STREAMING' }, { type: 'ReadyForQuery', status: 'I' });
    });
  }
}
