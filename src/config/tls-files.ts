/**
 * Reading the TLS files a configuration names, so the connection layer gets
 * PEM text and never touches the file system.
 *
 * Theory of operation (libpq's rules): nothing is read when sslmode is
 * 'disable' or every host is a unix socket. The root certificate is
 * `sslrootcert`, else ~/.postgresql/root.crt; 'system' means the system's
 * trust store; a missing root file is an error for verify-ca/verify-full
 * and ignored otherwise. The client certificate is `sslcert`, else
 * ~/.postgresql/postgresql.crt, and skipped when missing; with a
 * certificate, its key (`sslkey`, else ~/.postgresql/postgresql.key) must
 * exist and must not be readable by group or world (0640 allowed when owned
 * by root). When the certificate file holds a PEM certificate, the pair is
 * then loaded, as libpq does when TLS starts: a certificate that does not
 * parse, a key that is not a key, an encrypted key without the right
 * `sslpassword`, or a key that does not match the certificate fails here
 * with libpq's message ("could not load private key file ..."), naming the
 * file, never quoting its content or the password. An encrypted key is
 * decrypted here and handed on in memory only. A certificate file without a
 * PEM certificate is left to the TLS layer, which refuses it when TLS starts
 * (TlsError). `sslcertmode=disable` sends no certificate (none is read).
 * Revocation lists come from `sslcrl` (one file, required) and `sslcrldir`
 * (every file in the folder holding a PEM CRL).
 */

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import * as path from 'node:path';

import { configError } from '../dsn/errors';
import type { ConnectParams } from '../dsn/params';
import { SslKeyPermissionError } from './errors';
import { type FileAccess, mayExistSync, statIfExists } from './files';

/** TLS material read from files: PEM text, ready for the reactor's TlsOptions. */
export interface TlsMaterial {
  /** Trusted CA certificates (PEM); undefined with `useSystemCa`. */
  ca?: string;
  /** Trust the system's CA store (sslrootcert=system). */
  useSystemCa?: boolean;
  /** Client certificate (PEM). */
  cert?: string;
  /** Client private key (PEM, decrypted with `sslpassword` when it was encrypted). */
  key?: string;
  /** Certificate revocation lists (PEM), from `sslcrl` and the files of `sslcrldir`. */
  crl?: string[];
}

/** Options of {@link loadTlsMaterial}. */
export interface TlsFileOptions {
  home: string;
  checkPermissions: boolean;
  /** The current process's user id, for the key-permission rule. */
  uid?: number;
}

/** Whether TLS may be used (then its files are read): not with `sslmode=disable`, nor when every host is a unix socket. */
export function mayUseTls(params: ConnectParams): boolean {
  return params.sslmode !== 'disable' && !params.hosts.every((h) => h.kind === 'unix');
}

/**
 * @internal The result of {@link loadTlsMaterial} when it would read no file: undefined
 * when TLS will not be used, `{}` when TLS may be used but a synchronous stat
 * of the Node file access finds neither the root certificate nor the client
 * certificate (and no CRL is named, no verification asked for). Null when
 * files may have to be read (or the stat cannot tell): then use `loadTlsMaterial`.
 */
export function tlsMaterialWithoutFiles(params: ConnectParams, files: FileAccess, home: string): TlsMaterial | undefined | null {
  if (!mayUseTls(params)) return undefined;
  if (params.sslrootcert === 'system' || params.sslmode === 'verify-ca' || params.sslmode === 'verify-full') return null;
  if (params.sslcrl !== undefined || params.sslcrldir !== undefined) return null;
  const dir = path.join(home, '.postgresql');
  if (mayExistSync(files, rootCertPath(params, dir))) return null;
  if (params.sslcertmode !== 'disable' && mayExistSync(files, clientCertPath(params, dir))) return null;
  return {};
}

/** Reads the TLS files `params` needs; undefined when TLS will not be used. */
export async function loadTlsMaterial(params: ConnectParams, files: FileAccess, options: TlsFileOptions): Promise<TlsMaterial | undefined> {
  if (!mayUseTls(params)) return undefined;
  const dir = path.join(options.home, '.postgresql');
  const out: TlsMaterial = { ...(await loadRoot(params, files, dir)) };
  if (params.sslcertmode !== 'disable') Object.assign(out, await loadClientPair(params, files, options, dir));
  const crl = await loadCrls(params, files);
  if (crl.length > 0) out.crl = crl;
  return out;
}

/** The root certificate file: `sslrootcert`, else root.crt in `dir` (~/.postgresql). */
function rootCertPath(params: ConnectParams, dir: string): string {
  return params.sslrootcert ?? path.join(dir, 'root.crt');
}

/** The client certificate file: `sslcert`, else postgresql.crt in `dir` (~/.postgresql). */
function clientCertPath(params: ConnectParams, dir: string): string {
  return params.sslcert ?? path.join(dir, 'postgresql.crt');
}

/** The client certificate and key, when a certificate file exists (`sslcertmode=disable` skips this). */
async function loadClientPair(params: ConnectParams, files: FileAccess, options: TlsFileOptions, dir: string): Promise<TlsMaterial> {
  const certPath = clientCertPath(params, dir);
  const cert = await readIfExists(files, certPath, 'client certificate');
  if (cert === undefined) return {};
  const keyPath = params.sslkey ?? path.join(dir, 'postgresql.key');
  const key = await loadKey(keyPath, files, options);
  return { cert, key: checkClientPair(certPath, cert, keyPath, key, params.sslpassword) };
}

/** The revocation lists of `sslcrl` (one file) and `sslcrldir` (every CRL file in the folder). */
async function loadCrls(params: ConnectParams, files: FileAccess): Promise<string[]> {
  const out: string[] = [];
  if (params.sslcrl !== undefined) out.push(await readRequired(files, params.sslcrl, 'certificate revocation list'));
  const dir = params.sslcrldir;
  if (dir === undefined) return out;
  if (files.readDir === undefined) throw configError(`could not list the certificate revocation list folder "${dir}"`);
  let names: string[];
  try {
    names = await files.readDir(dir);
  } catch (cause) {
    throw configError(`could not list the certificate revocation list folder "${dir}"`, cause);
  }
  for (const name of names.sort()) {
    const text = await readIfExists(files, path.join(dir, name), 'certificate revocation list');
    if (text !== undefined && text.includes('-----BEGIN X509 CRL-----')) out.push(text);
  }
  return out;
}

async function loadRoot(params: ConnectParams, files: FileAccess, dir: string): Promise<TlsMaterial> {
  if (params.sslrootcert === 'system') return { useSystemCa: true };
  const file = rootCertPath(params, dir);
  const ca = await readIfExists(files, file, 'root certificate');
  if (ca !== undefined) return { ca };
  if (params.sslmode === 'verify-ca' || params.sslmode === 'verify-full') {
    throw configError(
      `root certificate file "${file}" does not exist; either provide the file, use the system's trusted roots ` +
        `with sslrootcert=system, or change sslmode to disable server certificate verification`,
    );
  }
  return {};
}

async function loadKey(file: string, files: FileAccess, options: TlsFileOptions): Promise<string> {
  const st = await statIfExists(files, file);
  if (st === undefined) throw configError(`certificate present, but not private key file "${file}"`);
  const allowed = st.uid === 0 && options.uid !== 0 ? 0o037 : 0o077;
  if (options.checkPermissions && (st.mode & allowed) !== 0) throw new SslKeyPermissionError(file, st.mode);
  return readRequired(files, file, 'private key');
}

/**
 * What libpq checks when it loads the client certificate and key, with its
 * messages, for a certificate file that holds a PEM certificate. Only the
 * files' names and OpenSSL's reason are reported, never their content.
 */
function checkClientPair(certFile: string, cert: string, keyFile: string, key: string, passphrase: string | undefined): string {
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4,ENCRYPTED/.test(key);
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) return encrypted ? decryptKey(keyFile, key, passphrase).pem : key; // no PEM certificate: node:tls refuses it when TLS starts
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw configError(`could not load certificate file "${certFile}": ${reasonOf(cause)}`, cause);
  }
  const { object, pem } = encrypted ? decryptKey(keyFile, key, passphrase) : { object: parseKey(keyFile, key), pem: key };
  if (!x509.checkPrivateKey(object)) throw configError(`certificate does not match private key file "${keyFile}"`);
  return pem;
}

function parseKey(keyFile: string, key: string): KeyObject {
  try {
    return createPrivateKey(key);
  } catch (cause) {
    throw configError(`could not load private key file "${keyFile}": ${reasonOf(cause)}`, cause);
  }
}

/**
 * An encrypted key opened with `sslpassword` (libpq's use of it), kept in
 * memory only as an unencrypted PKCS#8 PEM for the TLS layer. A missing or
 * wrong password fails naming the file, never the password.
 */
function decryptKey(keyFile: string, key: string, passphrase: string | undefined): { object: KeyObject; pem: string } {
  if (passphrase === undefined) throw configError(`could not load private key file "${keyFile}": the key is encrypted and no sslpassword was given`);
  try {
    const object = createPrivateKey({ key, format: 'pem', passphrase });
    return { object, pem: object.export({ type: 'pkcs8', format: 'pem' }).toString() };
  } catch (cause) {
    throw configError(`could not load private key file "${keyFile}": it could not be decrypted with the given sslpassword`, cause);
  }
}

/** OpenSSL's reason for refusing a file (node:crypto errors may come from another realm: no instanceof). */
function reasonOf(cause: unknown): string {
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'not a valid PEM file';
}

async function readIfExists(files: FileAccess, file: string, what: string): Promise<string | undefined> {
  return (await statIfExists(files, file)) === undefined ? undefined : readRequired(files, file, what);
}

async function readRequired(files: FileAccess, file: string, what: string): Promise<string> {
  try {
    return await files.readFile(file);
  } catch (cause) {
    throw configError(`could not read ${what} file "${file}"`, cause);
  }
}
