/**
 * The sans-IO machine driven by hand: a complete PostgreSQL client loop in
 * about sixty lines, on the default (Node) reactor and a ProtocolMachine.
 *
 * Theory of operation. The machine never touches a socket. After every input
 * (connected, bytes, end of stream, TLS done) the loop drains `nextEvent()`
 * and then obeys `poll()`: 'write' sends `dataToSend()`, 'starttls' upgrades
 * the transport and calls `tlsEstablished()`, 'read'/'ok' wait. Once the
 * session is up it sends one simple Query, collects the rows as text, sends
 * Terminate and resolves when the server has closed (a `Failed` event with a
 * null error is the clean end).
 *
 * Run: DATABASE_URL=postgres://user:pw@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/sans-io.ts
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { ProtocolMachine, type AuthOptions, type MachineOptions, type MachineEvent } from '../src/core/index';
import { defaultReactor } from '../src/index';

type Reactor = ReturnType<typeof defaultReactor>;
type Endpoint = Parameters<Reactor['connect']>[0];
type TransportHandler = Parameters<Reactor['connect']>[1];
type Transport = Parameters<TransportHandler['connectionMade']>[0];
type TlsOptions = Parameters<Transport['startTls']>[0];

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** The machine's crypto comes in as an argument: here, node:crypto. */
export const crypto: AuthOptions['crypto'] = {
  md5: (data) => u8(createHash('md5').update(data).digest()),
  sha256: (data) => u8(createHash('sha256').update(data).digest()),
  hmacSha256: (key, data) => u8(createHmac('sha256', key).update(data).digest()),
  pbkdf2Sha256: (password, salt, iterations) => u8(pbkdf2Sync(password, salt, iterations, 32, 'sha256')),
  randomBytes: (n) => u8(randomBytes(n)),
  hash: (algorithm, data) => u8(createHash(algorithm).update(data).digest()),
};

/** tls-server-end-point (RFC 5929): the certificate's hash, SHA-256 for MD5/SHA-1/SHA-256 signatures. */
function channelBinding(der: Uint8Array | undefined, signatureHash = 'sha256'): Uint8Array | undefined {
  if (der === undefined) return undefined;
  const h = signatureHash.toLowerCase().replace('-', '');
  return u8(createHash(h === 'sha384' || h === 'sha512' ? h : 'sha256').update(der).digest());
}

/** Where and how to connect: the machine's options, plus TLS settings when `machine.tls` asks for TLS. */
export interface SansIoTarget {
  endpoint: Endpoint;
  machine: MachineOptions;
  tls?: TlsOptions;
}

/** What one run saw. */
export interface SansIoResult {
  columns: string[];
  rows: Array<Array<string | null>>;
  tls: boolean;
  parameters: ReadonlyMap<string, string>;
}

/** Connects, runs `sql` with the simple protocol, terminates; resolves with the text rows. */
export function simpleQuery(reactor: Reactor, target: SansIoTarget, sql: string): Promise<SansIoResult> {
  return new Promise((resolve, reject) => {
    const machine = new ProtocolMachine(target.machine);
    const result: SansIoResult = { columns: [], rows: [], tls: false, parameters: machine.parameters };
    let transport: Transport | null = null;
    let serverError: Error | null = null;
    const decoder = new TextDecoder();

    const onEvent = (e: MachineEvent): void => {
      if (e.type === 'StartupComplete') machine.send({ type: 'simpleQuery', sql });
      else if (e.type === 'RowDescription') result.columns = e.fields.map((f) => f.name);
      else if (e.type === 'DataRow') result.rows.push(e.fields.map((f) => (f === null ? null : decoder.decode(f))));
      else if (e.type === 'ErrorResponse') serverError = new Error(e.fields.M);
      else if (e.type === 'ReadyForQuery') machine.send({ type: 'terminate' });
      else if (e.type === 'Failed') {
        result.tls = machine.tls;
        const error = e.error ?? serverError;
        if (error) reject(error);
        else resolve(result);
      }
    };

    const pump = (): void => {
      for (let e = machine.nextEvent(); e !== null; e = machine.nextEvent()) onEvent(e);
      const next = machine.poll();
      if (next === 'write') {
        transport!.write(machine.dataToSend()!);
        pump(); // writing may not be all: a Terminate leaves the machine waiting for EOF
      } else if (next === 'starttls') {
        transport!.startTls(target.tls ?? {}).then((info) => {
          machine.tlsEstablished(channelBinding(info.peerCertificateDer, info.peerCertificateHash));
          pump();
        }, reject);
      }
    };

    const handler: TransportHandler = {
      connectionMade(t) { transport = t; machine.start(); pump(); },
      dataReceived(bytes) { machine.receiveData(bytes); pump(); },
      connectionLost(reason) {
        if (transport === null) return reject(reason ?? new Error('connection failed'));
        machine.receiveEof();
        pump();
      },
    };
    reactor.connect(target.endpoint, handler);
  });
}

/** Reads DATABASE_URL (a postgres:// URL over TCP, no TLS) into a target. */
function targetFromUrl(url: string): SansIoTarget {
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || 'postgres';
  return {
    endpoint: { kind: 'tcp', host: u.hostname || '127.0.0.1', port: Number(u.port || 5432) },
    machine: {
      user, password: decodeURIComponent(u.password) || undefined, crypto, tls: 'disable',
      startupParameters: { database: decodeURIComponent(u.pathname.slice(1)) || user, client_encoding: 'UTF8' },
    },
  };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
  const r = await simpleQuery(defaultReactor(), targetFromUrl(url), "SELECT current_user AS who, 6 * 7 AS answer, NULL AS nothing");
  console.log(`sans-io: server_version ${r.parameters.get('server_version')}, tls ${r.tls}`);
  console.log(`sans-io: columns ${r.columns.join(', ')}; row ${JSON.stringify(r.rows[0])}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`sans-io failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
