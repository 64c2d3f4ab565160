/**
 * Running one replication command (not START_REPLICATION) on a held session.
 *
 * The command goes out as the machine's `replication` command (a simple
 * Query built for the server's version); its answer is at most one result
 * set of text columns, a CommandComplete, and ReadyForQuery. The handler
 * records them inside the read handler; the Deferred fires from
 * `reactor.callSoon`, never inside it. A server error fails the Deferred
 * with the DatabaseError after ReadyForQuery; a lost session with the
 * session's error. The lease is released either way.
 */
import type { ReactorTime } from '../../reactor/interfaces';
import type { ReplicationStatement } from '../core/replication';
import { Deferred } from '../defer';
import { databaseErrorFrom } from '../errors/sqlstate.generated';
import type { Lease } from '../connection/lease';
import type { OpHandler } from '../connection/session';
import type { BackendMessage } from '../protocol/messages';
import { utf8Decode } from '../util/bytes';

/** The text result of a replication command: column names and rows. */
export interface CommandResult {
  columns: string[];
  rows: Array<Array<string | null>>;
  tag: string | null;
}

/** Sends `statement` on `lease` and fires with its result (see the file comment). */
export function runOnLease(lease: Lease, reactor: ReactorTime, statement: ReplicationStatement): Deferred<CommandResult> {
  const d = new Deferred<CommandResult>();
  const result: CommandResult = { columns: [], rows: [], tag: null };
  let error: Error | null = null;
  const settle = (e: Error | null): void => {
    reactor.callSoon(() => {
      lease.release();
      if (e !== null) d.errback(e);
      else d.callback(result);
    });
  };
  const handler: OpHandler = {
    message: (msg: BackendMessage) => {
      switch (msg.type) {
        case 'RowDescription':
          result.columns = msg.fields.map((f) => f.name);
          return;
        case 'DataRow':
          result.rows.push(textRow(msg.fields));
          return;
        case 'CommandComplete':
          result.tag = msg.tag;
          return;
        case 'ErrorResponse':
          error ??= databaseErrorFrom(msg.fields);
          return;
        default:
          return;
      }
    },
    ready: () => settle(error),
    abort: (e) => settle(error ?? e),
  };
  try {
    lease.send({ type: 'replication', statement }, handler);
  } catch (e) {
    lease.release();
    d.errback(e as Error);
  }
  return d;
}

/** A DataRow of a replication command's answer: its text columns (NULL as null). */
export function textRow(fields: ReadonlyArray<Uint8Array | null>): Array<string | null> {
  return fields.map((f) => (f === null ? null : utf8Decode(f)));
}

/** The value of column `name` in the first row, or null. */
export function cell(result: CommandResult, name: string): string | null {
  const i = result.columns.indexOf(name);
  return i < 0 || result.rows.length === 0 ? null : result.rows[0][i];
}
