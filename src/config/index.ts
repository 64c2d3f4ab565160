/**
 * The impure configuration layer: environment, OS user, password file and
 * TLS files around the pure DSN resolver (`src/dsn`).
 */

export { loadConfig, defaultHostFor, type LoadedConfig, type LoadOptions } from './load';
export { PgpassPermissionError, SslKeyPermissionError } from './errors';
export { applyPgpass, defaultPassfile } from './pgpass-file';
export { loadTlsMaterial, type TlsMaterial, type TlsFileOptions } from './tls-files';
export { nodeFiles, type FileAccess, type FileStat } from './files';
