/**
 * The libpq connection keywords and the PG* environment variables behind them.
 *
 * A connection string may use exactly these keywords (libpq 17's list, and
 * libpq 18's `min_protocol_version` and `max_protocol_version`); any other
 * is refused. Where libpq reads a keyword's default from an
 * environment variable, {@link ENV_VARS} names it.
 */

/** Every keyword libpq accepts in a connection string, in libpq's order. */
export const KEYWORDS = [
  'host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'passfile', 'require_auth',
  'channel_binding', 'connect_timeout', 'client_encoding', 'options', 'application_name',
  'fallback_application_name', 'keepalives', 'keepalives_idle', 'keepalives_interval',
  'keepalives_count', 'tcp_user_timeout', 'replication', 'sslmode', 'sslnegotiation',
  'sslcompression', 'sslcert', 'sslkey', 'sslpassword', 'sslcertmode', 'sslrootcert', 'sslcrl',
  'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version',
  'min_protocol_version', 'max_protocol_version',
  'gssencmode', 'krbsrvname', 'gsslib', 'gssdelegation', 'service', 'target_session_attrs',
  'load_balance_hosts',
] as const;

/** A libpq connection keyword. */
export type Keyword = (typeof KEYWORDS)[number];

/** Keywords whose values are secrets: never shown in messages or logs. */
export const SECRET_KEYWORDS: ReadonlySet<string> = new Set(['password', 'sslpassword']);

const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

/** True when `word` is a libpq connection keyword. */
export function isKeyword(word: string): word is Keyword {
  return KEYWORD_SET.has(word);
}

/** The environment variable libpq reads as the default of each keyword that has one. */
export const ENV_VARS: Readonly<Partial<Record<Keyword, string>>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  require_auth: 'PGREQUIREAUTH',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  service: 'PGSERVICE',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};
