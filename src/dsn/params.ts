/**
 * The shapes of connection parameters: raw keyword values as parsed from a
 * connection string ({@link DsnParams}), and the validated, typed result
 * every connection uses ({@link ConnectParams}).
 */

import type { Keyword } from './keywords';

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
  replication?: string;
  requirepeer?: string;
  gssencmode?: string;
  krbsrvname?: string;
}

/**
 * Explicit parameters for {@link resolveConfig}: any {@link ConnectParams}
 * field, plus a connection string (`dsn`) and the libpq-style `host`,
 * `hostaddr` (comma lists allowed) and `port`. Explicit fields beat the
 * connection string, which beats PG* environment variables.
 */
export interface ConnectInput extends Partial<Omit<ConnectParams, 'hosts'>> {
  dsn?: string;
  host?: string;
  hostaddr?: string;
  port?: number | string;
  hosts?: Array<{ host: string; port?: number; hostaddr?: string }>;
}
