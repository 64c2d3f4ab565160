/**
 * The DSN layer (pure): connection strings (URI and `key=value`), PG*
 * environment variables, libpq defaults, password files, and safe logging.
 * File and environment access live in `src/config`; here they come in as
 * arguments.
 */

export * from './params';
export { KEYWORDS, ENV_VARS, SECRET_KEYWORDS, isKeyword, type Keyword } from './keywords';
export { parseDsn } from './parse';
export { parseReplication, type ReplicationMode } from './replication';
export { parseUri, isUri, URI_PREFIXES } from './parse-uri';
export { parseKeyValue } from './parse-keyvalue';
export { resolveConfig, fromEnv, type Env, type ResolveOptions } from './resolve';
export { DEFAULT_SOCKET_DIR, isUnixHost, unixSocketPath, buildHosts, passwordFor } from './hosts';
export { parsePgpass, lookupPgpass, pgpassHostFor, type PgpassEntry, type PgpassTarget } from './pgpass';
export { redactDsn, describeTarget, describeHost, MASK } from './redact';
