/**
 * The shapes of connection parameters: raw keyword values as parsed from a
 * connection string ({@link DsnParams}), and the validated, typed result
 * every connection uses ({@link ConnectParams}).
 */

import type { ProtocolVersion } from '../protocol/versions';
import type { Keyword } from './keywords';
import type { ReplicationMode } from './replication';

/** Raw keyword values from a connection string, as libpq stores them (strings, unvalidated). */
export type DsnParams = Partial<Record<Keyword, string>>;

/** libpq's `sslmode` values, from weakest to strongest. */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** libpq's `target_session_attrs` values. */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

/** libpq's `channel_binding` values. */
export type ChannelBinding = 'disable' | 'prefer' | 'require';

/**
 * One server to try. `kind` is 'unix' when `host` is a directory (starts with
 * '/'); then `socketPath` is `${host}/.s.PGSQL.${port}`. `hostaddr` is a
 * numeric address to connect to instead of resolving `host` (which still
 * serves for TLS name checks and pgpass). `password` is set by pgpass
 * lookups per host, when no password was given.
 */
export interface HostSpec {
  host: string;
  port: number;
  kind: 'tcp' | 'unix';
  hostaddr?: string;
  socketPath?: string;
  password?: string;
}

/** Validated connection parameters. Times are in milliseconds. */
export interface ConnectParams {
  /** Servers to try, in order (or shuffled when `loadBalanceHosts`). Never empty. */
  hosts: HostSpec[];
  user: string;
  password?: string;
  database: string;
  applicationName?: string;
  fallbackApplicationName?: string;
  /** Command-line options sent to the server at startup (`-c name=value ...`). */
  options?: string;
  clientEncoding?: string;
  /** Per-host connect timeout; undefined waits forever. libpq raises values under 2 s to 2 s. */
  connectTimeoutMs?: number;
  sslmode: SslMode;
  /** A CA file path, or 'system' for the system's trust store. */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  sslpassword?: string;
  sslcrl?: string;
  sslcrldir?: string;
  sslcertmode?: 'disable' | 'allow' | 'require';
  /** Send the host name in TLS SNI (libpq default true). */
  sslsni: boolean;
  sslnegotiation: 'postgres' | 'direct';
  sslMinProtocolVersion?: string;
  sslMaxProtocolVersion?: string;
  /** The oldest frontend/backend protocol version to accept (libpq 18 `min_protocol_version`; default '3.0'). */
  minProtocolVersion: ProtocolVersion;
  /**
   * The protocol version to ask for (libpq 18 `max_protocol_version`);
   * default '3.2' (`latest`), where libpq 18's default is '3.0'. A server
   * that speaks only 3.0 negotiates down to it.
   */
  maxProtocolVersion: ProtocolVersion;
  targetSessionAttrs: TargetSessionAttrs;
  /** The password file to consult when no password is given. */
  passfile?: string;
  channelBinding: ChannelBinding;
  /** Try hosts in random order (libpq `load_balance_hosts=random`). */
  loadBalanceHosts: boolean;
  /** TCP keepalive on (libpq default) or off. */
  keepalives: boolean;
  keepalivesIdleMs?: number;
  keepalivesIntervalMs?: number;
  keepalivesCount?: number;
  tcpUserTimeoutMs?: number;
  /** Comma list of accepted authentication methods (libpq `require_auth`). */
  requireAuth?: string;
  /** libpq `replication`: 'database' (logical walsender), 'true' (physical), 'false'; sent in the StartupMessage. */
  replication?: ReplicationMode;
  requirepeer?: string;
  gssencmode?: string;
  krbsrvname?: string;
}

/**
 * libpq keywords that have no {@link ConnectParams} field of the same name
 * (`dbname`, `connect_timeout`, `application_name`, ...): accepted in the
 * object form with the values a connection string would hold.
 */
export type KeywordOnly = Exclude<Keyword, keyof ConnectParams | 'host' | 'hostaddr' | 'port'>;

/**
 * The object form of connection parameters, for {@link resolveConfig},
 * `loadConfig` and `connect()`. Explicit keys beat the connection string,
 * which beats PG* environment variables. Accepted keys, and nothing else
 * (any other key is a ConfigurationError naming it; keys set to undefined
 * are ignored):
 * - every {@link ConnectParams} field except `hosts` (`user`, `database`,
 *   `connectTimeoutMs`, ...), with its JavaScript type; `sslsni` and
 *   `keepalives` also take libpq's `'0'`/`'1'` (or 0/1);
 * - every libpq keyword without such a field (`KeywordOnly`), as a
 *   string or a number, read by libpq's rules; one parameter may not be
 *   given in both spellings (`database` and `dbname`);
 * - `dsn` or `connectionString` (node-postgres' name): a connection string
 *   the other keys are laid over;
 * - `host`, `hostaddr` (strings) and `port` (number or string), each also as
 *   an array: libpq's comma lists (`host: ['a', 'b'], port: [5432, 5433]`);
 * - `hosts`: an explicit server list replacing every other host;
 * - `ssl` (node-postgres' spelling): `false` is sslmode=disable; `true`, `{}`
 *   or `{ rejectUnauthorized: true }` is sslmode=verify-full with
 *   sslrootcert=system; `{ rejectUnauthorized: false }` is sslmode=require.
 *   Not together with `sslmode` or `sslrootcert`; TLS material (`ca`,
 *   `cert`, `key`) is refused: give file paths in sslrootcert/sslcert/sslkey.
 */
export interface ConnectInput
  extends Partial<Omit<ConnectParams, 'hosts' | 'sslsni' | 'keepalives' | 'minProtocolVersion' | 'maxProtocolVersion'>>,
    Partial<Record<KeywordOnly, string | number>> {
  dsn?: string;
  /** node-postgres' name for {@link ConnectInput.dsn}. */
  connectionString?: string;
  host?: string | readonly string[];
  hostaddr?: string | readonly string[];
  port?: number | string | ReadonlyArray<number | string>;
  hosts?: Array<{ host: string; port?: number | string; hostaddr?: string }>;
  /** Send the host name in TLS SNI; a boolean or libpq's 0/1. */
  sslsni?: boolean | '0' | '1' | 0 | 1;
  /** TCP keepalive; a boolean or libpq's integer (0 = off). */
  keepalives?: boolean | string | number;
  /** The oldest protocol version to accept: '3.0' (default), '3.2', or 'latest' (3.2). */
  minProtocolVersion?: ProtocolVersion | 'latest';
  /** The protocol version to ask for: '3.0', '3.2', or 'latest' (3.2, the default). */
  maxProtocolVersion?: ProtocolVersion | 'latest';
  /** node-postgres' TLS switch, mapped to sslmode (see above). */
  ssl?: boolean | { rejectUnauthorized?: boolean };
}
