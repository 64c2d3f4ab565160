/**
 * From validated connection parameters to what one session needs: the
 * endpoint to dial, the machine's startup and authentication options, and the
 * TLS settings implied by `sslmode` (libpq semantics).
 */
import type { TlsMaterial } from '../config/tls-files';
import type { Endpoint, TlsInfo, TlsOptions } from '../../reactor/interfaces';
import type { MachineOptions } from '../core/machine';
import type { ConnectParams, HostSpec } from '../dsn/params';
import { DEFAULT_TLS_MIN, tlsVersion } from '../dsn/security';
import type { AuthCrypto } from '../protocol/auth/crypto';
import type { ProtocolVersion } from '../protocol/versions';
import { tlsServerEndPointHash } from '../protocol/auth/scram';
import type { SessionTls } from './session';

/**
 * Startup parameters every session sends: the codecs rely on them. Only
 * parameters a pooler passes on by default (PgBouncer accepts
 * client_encoding, DateStyle, TimeZone, standard_conforming_strings and
 * application_name, and refuses the connection for any other it is not told
 * to ignore). IntervalStyle and extra_float_digits are left to the server:
 * the interval parser reads every IntervalStyle, and floats are exact at
 * the server's default extra_float_digits (1: shortest exact, PostgreSQL 12+).
 */
export const SESSION_DEFAULTS: Readonly<Record<string, string>> = {
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
};

/** The endpoint of one host. */
export function endpointOf(h: HostSpec): Endpoint {
  if (h.kind === 'unix') return { kind: 'unix', path: h.socketPath ?? `${h.host}/.s.PGSQL.${h.port}` };
  return { kind: 'tcp', host: h.hostaddr ?? h.host, port: h.port };
}

/** What {@link machineOptions} takes besides the configuration. */
export interface MachineExtras {
  allowCleartextPassword?: boolean;
  /**
   * The protocol version to ask for instead of `max_protocol_version`: the
   * `protocolFallback` of a machine whose server refused the newer version
   * (one retry on a new connection; see `src/core/negotiation.ts`).
   */
  maxProtocolVersion?: ProtocolVersion;
  /** The most SCRAM iterations accepted (the Connection option). */
  maxScramIterations?: number;
}

/** Options for the machine of one session to `host`. */
export function machineOptions(p: ConnectParams, host: HostSpec, crypto: AuthCrypto, extra: MachineExtras): MachineOptions {
  const startupParameters: Record<string, string> = { database: p.database, ...SESSION_DEFAULTS };
  const appName = p.applicationName ?? p.fallbackApplicationName;
  if (appName !== undefined) startupParameters.application_name = appName;
  if (p.options !== undefined) startupParameters.options = p.options;
  if (p.replication !== undefined) startupParameters.replication = p.replication;
  return {
    user: p.user,
    password: host.password ?? p.password,
    crypto,
    startupParameters,
    tls: host.kind === 'unix' ? 'disable' : tlsNegotiation(p.sslmode),
    channelBinding: p.channelBinding,
    allowCleartextPassword: extra.allowCleartextPassword,
    requireAuth: p.requireAuth,
    minProtocolVersion: p.minProtocolVersion,
    maxProtocolVersion: extra.maxProtocolVersion ?? p.maxProtocolVersion,
    maxScramIterations: extra.maxScramIterations,
    keyDerivation: 'driver', // the Session derives SCRAM's key off the event loop
  };
}

function tlsNegotiation(mode: ConnectParams['sslmode']): MachineOptions['tls'] {
  if (mode === 'disable' || mode === 'allow') return 'disable';
  return mode === 'prefer' ? 'prefer' : 'require';
}

/** TLS settings for `sslmode` (libpq: require with a root cert behaves as verify-ca). */
export function sessionTls(p: ConnectParams, host: HostSpec, files: TlsMaterial, crypto: AuthCrypto): SessionTls {
  const verify = p.sslmode === 'verify-full' || p.sslmode === 'verify-ca' || (p.sslmode === 'require' && files.ca !== undefined);
  const options: TlsOptions = {
    rejectUnauthorized: verify,
    servername: p.sslsni && !isIp(host.host) ? host.host : undefined,
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    crl: files.crl,
    minVersion: tlsVersion('ssl_min_protocol_version', p.sslMinProtocolVersion ?? DEFAULT_TLS_MIN),
    maxVersion: p.sslMaxProtocolVersion === undefined ? undefined : tlsVersion('ssl_max_protocol_version', p.sslMaxProtocolVersion),
  };
  if (verify && p.sslmode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return { options, channelBinding: bindsChannel(p, host) ? (info: TlsInfo) => bindingData(info, crypto) : () => undefined };
}

/**
 * Whether SCRAM channel binding can use the server certificate's hash on a
 * session to `host`: only SCRAM uses it (the authenticator's SASL start),
 * SCRAM needs a password, and `channel_binding=disable` never binds. When
 * it cannot, the certificate is never read (reading it costs 120-300 us per
 * TLS connect: see `tlsInfoOf` in reactor/node/transport.ts). With no
 * password a server asking for SCRAM fails the connect with
 * ERR_PASSWORD_REQUIRED as before, and `channel_binding=require` still
 * refuses a session authenticated without binding.
 */
function bindsChannel(p: ConnectParams, host: HostSpec): boolean {
  return p.channelBinding !== 'disable' && (host.password ?? p.password) !== undefined;
}

function bindingData(info: TlsInfo, crypto: AuthCrypto): Uint8Array | undefined {
  if (info.peerCertificateDer === undefined) return undefined;
  return tlsServerEndPointHash(info.peerCertificateDer, info.peerCertificateHash ?? 'sha256', crypto);
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
