/**
 * Target session attributes: does a freshly opened session fit what the
 * caller asked for? (libpq's `target_session_attrs`.)
 *
 * Theory of operation. The connector opens a session on a host, then asks
 * {@link checkSession} before handing it over. The answer comes from what the
 * server already said when it can: PostgreSQL 14 and later report
 * `in_hot_standby` and `default_transaction_read_only` as ParameterStatus at
 * startup. When a needed one was not reported (an older server, or a pooler
 * that does not pass it on) one query asks, as libpq does: `SHOW
 * transaction_read_only` for `read-write`/`read-only`, `SELECT
 * pg_catalog.pg_is_in_recovery()` for `primary`/`standby`/`prefer-standby`.
 * The verdict is `null` (the session fits) or the reason it does not, in
 * libpq's words ("session is read-only", "server is in hot standby mode",
 * ...). `prefer-standby` is judged as `standby` here; the connector's second
 * pass over the hosts accepts any server (`any`).
 *
 * | attrs          | fits when                          |
 * |----------------|------------------------------------|
 * | any            | always                             |
 * | read-write     | not in hot standby and default_transaction_read_only off |
 * | read-only      | in hot standby or default_transaction_read_only on |
 * | primary        | not in hot standby                 |
 * | standby        | in hot standby                     |
 * | prefer-standby | in hot standby (first pass)        |
 */
import { Deferred, succeed } from '../defer';
import type { TargetSessionAttrs } from '../dsn/params';
import { databaseErrorFrom } from '../errors/sqlstate.generated';
import { ProtocolViolation } from '../errors/base';
import type { BackendMessage } from '../protocol/messages';
import type { OpHandler, Session } from './session';

/** What is known of a server's role; `undefined` when not known. */
export interface ServerRole {
  readonly inHotStandby?: boolean;
  readonly readOnly?: boolean;
}

/** A question to put to the server when the ParameterStatus did not tell. */
export type RoleQuery = 'SHOW transaction_read_only' | 'SELECT pg_catalog.pg_is_in_recovery()';

/** The verdict on a role: the session fits (`null`), does not (a reason), or a query must tell first. */
export type Verdict = null | { refused: string } | { ask: RoleQuery };

/** The role as the server reported it at startup (ParameterStatus). */
export function reportedRole(parameters: ReadonlyMap<string, string>): ServerRole {
  const hotStandby = onOff(parameters.get('in_hot_standby'));
  const defaultReadOnly = onOff(parameters.get('default_transaction_read_only'));
  const readOnly = hotStandby === undefined || defaultReadOnly === undefined ? undefined : hotStandby || defaultReadOnly;
  return { inHotStandby: hotStandby, readOnly };
}

/** Judges `role` against `attrs` (pure); see the table in the file comment. */
export function judge(attrs: TargetSessionAttrs, role: ServerRole): Verdict {
  switch (attrs) {
    case 'any':
      return null;
    case 'read-write':
    case 'read-only':
      if (role.readOnly === undefined) return { ask: 'SHOW transaction_read_only' };
      return role.readOnly === (attrs === 'read-only') ? null : { refused: role.readOnly ? 'session is read-only' : 'session is not read-only' };
    case 'primary':
    case 'standby':
    case 'prefer-standby':
      if (role.inHotStandby === undefined) return { ask: 'SELECT pg_catalog.pg_is_in_recovery()' };
      return role.inHotStandby === (attrs !== 'primary') ? null : { refused: role.inHotStandby ? 'server is in hot standby mode' : 'server is not in hot standby mode' };
  }
}

/** The role a query's one-value answer means. */
export function answeredRole(query: RoleQuery, value: string): ServerRole {
  const yes = value === 'on' || value === 't' || value === 'true';
  return query === 'SHOW transaction_read_only' ? { readOnly: yes } : { inHotStandby: yes };
}

/**
 * Checks an open session against `attrs`: fires with `null` when it fits,
 * else with the reason it does not. Fails when the role query fails (the
 * session is then of no use): with the server's error, or a ProtocolViolation
 * when the query answered no row.
 */
export function checkSession(session: Session, attrs: TargetSessionAttrs): Deferred<string | null> {
  const verdict = judge(attrs, reportedRole(session.machine.parameters));
  if (verdict === null) return succeed(null);
  if ('refused' in verdict) return succeed(verdict.refused);
  const query = verdict.ask;
  return askOne(session, query).addCallback((value) => {
    const second = judge(attrs, answeredRole(query, value));
    return second !== null && 'refused' in second ? second.refused : null;
  });
}

/** Runs one simple query that answers one text value; fires with it. */
function askOne(session: Session, sql: string): Deferred<string> {
  const result = new Deferred<string>();
  let value: string | undefined;
  let error: Error | undefined;
  const empty = (): Error => new ProtocolViolation(`${sql} returned no row`);
  const handler: OpHandler = {
    message: (msg: BackendMessage) => {
      if (msg.type === 'DataRow' && value === undefined) value = new TextDecoder().decode(msg.fields[0] ?? new Uint8Array(0));
      else if (msg.type === 'ErrorResponse') error = databaseErrorFrom(msg.fields, { query: sql });
    },
    ready: () => (error === undefined && value !== undefined ? result.callback(value) : result.errback(error ?? empty())),
    abort: (e) => result.errback(e),
  };
  session.send({ type: 'simpleQuery', sql }, handler);
  return result;
}

function onOff(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'on';
}
