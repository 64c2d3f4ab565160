/**
 * Replication commands: from a typed statement to the text a walsender reads.
 *
 * A replication connection (StartupMessage `replication=database` for
 * logical, `replication=true` for physical) accepts the replication
 * commands as simple Queries. Their grammar is the walsender's own
 * (`repl_gram.y`), not SQL: identifiers may be double-quoted, option values
 * are single-quoted strings in which a quote is doubled (no backslash
 * escapes), LSNs are written `XXXXXXXX/XXXXXXXX`. Every name and value here
 * is quoted, so no input can change the command; a NUL anywhere is refused.
 *
 * Syntax by server major: PostgreSQL 15 took the parenthesized option list
 * for CREATE_REPLICATION_SLOT (`(SNAPSHOT 'nothing', TWO_PHASE true)`) and
 * added READ_REPLICATION_SLOT; 14 and older read the old keywords
 * (`NOEXPORT_SNAPSHOT`, `RESERVE_WAL`). {@link replicationSql} picks the form
 * for the major it is given and refuses a command the server lacks with an
 * `InterfaceError` (`ERR_UNSUPPORTED_BY_SERVER`) naming the version.
 */
import { InterfaceError } from '../errors/base';
import { formatLsn } from '../protocol/lsn';

/** What a logical slot's creation does with its snapshot (PostgreSQL's words). */
export type SnapshotAction = 'export' | 'use' | 'nothing';

/** IDENTIFY_SYSTEM: the system id, timeline, current WAL flush LSN and database. */
export interface IdentifySystemStatement {
  kind: 'IDENTIFY_SYSTEM';
}

/** CREATE_REPLICATION_SLOT, logical (with `plugin`) or physical. */
export interface CreateSlotStatement {
  kind: 'CREATE_REPLICATION_SLOT';
  slot: string;
  /** Dropped when the session ends. */
  temporary?: boolean;
  /** Logical: the output plugin (`pgoutput`, `test_decoding`, ...). Absent: a physical slot. */
  plugin?: string;
  /** Logical only: export the snapshot (the server's default), use it in this transaction, or nothing. */
  snapshot?: SnapshotAction;
  /** Logical only (PostgreSQL 14+): decode prepared transactions at PREPARE. */
  twoPhase?: boolean;
  /** Physical only: reserve WAL now rather than at the first connect. */
  reserveWal?: boolean;
}

/** DROP_REPLICATION_SLOT [WAIT]. */
export interface DropSlotStatement {
  kind: 'DROP_REPLICATION_SLOT';
  slot: string;
  /** Wait for an active slot to become inactive instead of failing. */
  wait?: boolean;
}

/** READ_REPLICATION_SLOT (PostgreSQL 15+; physical slots). */
export interface ReadSlotStatement {
  kind: 'READ_REPLICATION_SLOT';
  slot: string;
}

/** TIMELINE_HISTORY: the history file of a timeline. */
export interface TimelineHistoryStatement {
  kind: 'TIMELINE_HISTORY';
  timeline: number;
}

/** START_REPLICATION: logical (slot + plugin options) or physical (optional slot and timeline). */
export interface StartReplicationStatement {
  kind: 'START_REPLICATION';
  /** 'logical' needs `slot` and a `replication=database` connection. */
  mode: 'logical' | 'physical';
  slot?: string;
  startLsn: bigint;
  /** Physical only. */
  timeline?: number;
  /** Logical only: the output plugin's options; a null value sends the name alone. */
  options?: Readonly<Record<string, string | null>>;
}

/** Every replication statement. */
export type ReplicationStatement =
  | IdentifySystemStatement
  | CreateSlotStatement
  | DropSlotStatement
  | ReadSlotStatement
  | TimelineHistoryStatement
  | StartReplicationStatement;

/**
 * The command text of `statement` for a server of major version
 * `serverMajor` (undefined: unknown, the newest syntax). Throws
 * `InterfaceError`: `ERR_INVALID_ARGUMENT` for a malformed statement (an
 * empty name, a NUL, a bad timeline, options on a physical command),
 * `ERR_UNSUPPORTED_BY_SERVER` for a command the server's version lacks.
 */
export function replicationSql(statement: ReplicationStatement, serverMajor: number | undefined): string {
  switch (statement.kind) {
    case 'IDENTIFY_SYSTEM':
      return 'IDENTIFY_SYSTEM';
    case 'CREATE_REPLICATION_SLOT':
      return createSlot(statement, serverMajor);
    case 'DROP_REPLICATION_SLOT':
      return `DROP_REPLICATION_SLOT ${ident(statement.slot)}${statement.wait === true ? ' WAIT' : ''}`;
    case 'READ_REPLICATION_SLOT':
      if (serverMajor !== undefined && serverMajor < 15) throw unsupported('READ_REPLICATION_SLOT', 15, serverMajor);
      return `READ_REPLICATION_SLOT ${ident(statement.slot)}`;
    case 'TIMELINE_HISTORY':
      return `TIMELINE_HISTORY ${timeline(statement.timeline)}`;
    case 'START_REPLICATION':
      return startReplication(statement);
    default:
      throw invalid(`unknown replication statement ${JSON.stringify((statement as { kind?: unknown }).kind)}`);
  }
}

/** The major version in a `server_version` parameter ('16.4 (Debian 16.4-1)', '18beta1', '9.6.24' -> 9), or undefined. */
export function serverMajorOf(serverVersion: string | undefined): number | undefined {
  const m = serverVersion === undefined ? null : /^(\d+)/.exec(serverVersion);
  return m === null ? undefined : Number(m[1]);
}

function createSlot(s: CreateSlotStatement, major: number | undefined): string {
  const head = `CREATE_REPLICATION_SLOT ${ident(s.slot)}${s.temporary === true ? ' TEMPORARY' : ''}`;
  if (s.plugin === undefined) {
    if (s.snapshot !== undefined || s.twoPhase !== undefined) throw invalid('snapshot and twoPhase apply to logical slots only (give a plugin)');
    if (s.reserveWal !== true) return `${head} PHYSICAL`;
    return major !== undefined && major < 15 ? `${head} PHYSICAL RESERVE_WAL` : `${head} PHYSICAL (RESERVE_WAL)`;
  }
  if (s.reserveWal !== undefined) throw invalid('reserveWal applies to physical slots only');
  const plugin = `${head} LOGICAL ${ident(s.plugin)}`;
  if (major !== undefined && major < 15) return plugin + oldLogicalOptions(s, major);
  const options: string[] = [];
  if (s.snapshot !== undefined) options.push(`SNAPSHOT ${literal(snapshot(s.snapshot))}`);
  if (s.twoPhase === true) options.push('TWO_PHASE');
  return options.length === 0 ? plugin : `${plugin} (${options.join(', ')})`;
}

/** PostgreSQL 14 and older: one keyword (EXPORT_SNAPSHOT, NOEXPORT_SNAPSHOT, USE_SNAPSHOT, TWO_PHASE on 14). */
function oldLogicalOptions(s: CreateSlotStatement, major: number): string {
  const words: string[] = [];
  if (s.snapshot !== undefined) words.push({ export: 'EXPORT_SNAPSHOT', use: 'USE_SNAPSHOT', nothing: 'NOEXPORT_SNAPSHOT' }[snapshot(s.snapshot)]);
  if (s.twoPhase === true) {
    if (major < 14) throw unsupported('TWO_PHASE', 14, major);
    words.push('TWO_PHASE');
  }
  return words.map((w) => ` ${w}`).join('');
}

function startReplication(s: StartReplicationStatement): string {
  const slot = s.slot === undefined ? '' : ` SLOT ${ident(s.slot)}`;
  const lsn = formatLsn(s.startLsn);
  if (s.mode === 'logical') {
    if (s.slot === undefined) throw invalid('logical replication needs a slot');
    if (s.timeline !== undefined) throw invalid('a timeline applies to physical replication only');
    const entries = Object.entries(s.options ?? {});
    const options = entries.map(([k, v]) => (v === null || v === undefined ? ident(k) : `${ident(k)} ${literal(String(v))}`));
    return `START_REPLICATION${slot} LOGICAL ${lsn}${options.length === 0 ? '' : ` (${options.join(', ')})`}`;
  }
  if (s.mode !== 'physical') throw invalid(`START_REPLICATION mode must be 'logical' or 'physical'`);
  if (s.options !== undefined && Object.keys(s.options).length > 0) throw invalid('plugin options apply to logical replication only');
  return `START_REPLICATION${slot} PHYSICAL ${lsn}${s.timeline === undefined ? '' : ` TIMELINE ${timeline(s.timeline)}`}`;
}

function snapshot(value: string): SnapshotAction {
  if (value === 'export' || value === 'use' || value === 'nothing') return value;
  throw invalid(`snapshot must be 'export', 'use' or 'nothing'`);
}

function timeline(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw invalid(`a timeline is an integer from 1 to 2^32-1, not ${String(n)}`);
  return String(n);
}

/** A double-quoted identifier (a quote doubled). */
function ident(name: string): string {
  if (typeof name !== 'string' || name === '') throw invalid('a slot, plugin or option name must be a non-empty string');
  noNul(name);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted string (a quote doubled; the walsender's scanner has no backslash escapes). */
function literal(value: string): string {
  noNul(value);
  return `'${value.replace(/'/g, "''")}'`;
}

function noNul(s: string): void {
  if (s.includes('\0')) throw invalid('a replication command cannot contain a NUL character');
}

function invalid(message: string): InterfaceError {
  return new InterfaceError(message, { code: 'ERR_INVALID_ARGUMENT' });
}

function unsupported(what: string, since: number, major: number): InterfaceError {
  return new InterfaceError(`${what} needs PostgreSQL ${since} or later; the server is PostgreSQL ${major}`, { code: 'ERR_UNSUPPORTED_BY_SERVER' });
}
