/**
 * Captures golden byte vectors from a real PostgreSQL server into
 * test/protocol/vectors.ts.
 *
 * Usage: node -r ./scripts/register-ts.js scripts/capture-vectors.ts
 *
 * It starts a throwaway cluster (PG binaries from PG_BINDIR or the newest
 * /usr/lib/postgresql/<n>/bin; run as the postgres OS user when root), with
 * pg_hba rules giving one user each of md5, scram-sha-256 and password
 * (cleartext) authentication, then runs scripted sessions over raw TCP
 * sockets, recording for each step the exact bytes sent and received and the
 * messages our decoder read from them (reviewed by hand before committing,
 * and checked against pg-protocol's parser in the tests). Finally it stops
 * the server and removes its directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { nodeAuthCrypto } from '../src/connection/node-crypto';
import { md5Password } from '../src/protocol/auth/md5';
import { ScramClient } from '../src/protocol/auth/scram';
import { BackendDecoder } from '../src/protocol/decode';
import { encodeFrontend, SSL_REQUEST } from '../src/protocol/encode';
import type { BackendMessage, FrontendMessage } from '../src/protocol/messages';
import { concatBytes, toHex } from '../src/util/bytes';

interface Step { name: string; sent: FrontendMessage[]; sentHex: string; receivedHex: string; messages: BackendMessage[] }
interface Session { name: string; user: string; password?: string; clientNonce?: string; steps: Step[] }

const OUT = path.join(__dirname, '..', 'test', 'protocol', 'vectors.ts');
const SCRAM_NONCE = 'tspostgres-capture-nonce-0123456789';

function pgBin(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(`${root}/${v}/bin/initdb`));
  versions.sort((a, b) => Number(b) - Number(a));
  return `${root}/${versions[0]}/bin`;
}

function asPostgres(): string[] {
  if (process.getuid?.() !== 0) return [];
  const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':');
  return [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<{ port: number; dir: string; child: ChildProcess; bin: string }> {
  const bin = pgBin();
  const dir = fs.mkdtempSync('/tmp/tspg-capture.');
  const who = asPostgres();
  if (who.length > 0) execFileSync('chown', ['postgres:postgres', dir]);
  execFileSync('setpriv', [...who, `${bin}/initdb`, '-D', `${dir}/data`, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'ignore' });
  fs.writeFileSync(`${dir}/data/pg_hba.conf`, [
    'host all md5user 127.0.0.1/32 md5',
    'host all scramuser 127.0.0.1/32 scram-sha-256',
    'host all pwuser 127.0.0.1/32 password',
    'host all all 127.0.0.1/32 trust',
    'local all all trust',
  ].join('\n') + '\n');
  const port = await freePort();
  const child = spawn('setpriv', ['--pdeathsig', 'SIGINT', ...who, `${bin}/postgres`, '-D', `${dir}/data`, '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'TimeZone=UTC'], { stdio: 'ignore' });
  for (let i = 0; i < 400; i++) {
    try {
      execFileSync(`${bin}/pg_isready`, ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']);
      return { port, dir, child, bin };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('server did not start');
}

/** A raw socket that sends frontend messages and collects backend bytes until a predicate holds. */
class Wire {
  private chunks: Uint8Array[] = [];
  private decoder = new BackendDecoder();
  private messages: BackendMessage[] = [];
  private waiter: (() => void) | null = null;
  constructor(private readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(new Uint8Array(b));
      this.waiter?.();
    });
  }

  static open(port: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Wire(s)));
      s.on('error', reject);
    });
  }

  async rawStep(bytes: Uint8Array, n: number): Promise<Uint8Array> {
    this.chunks = [];
    this.socket.write(bytes);
    while (concatBytes(this.chunks).length < n) await new Promise<void>((r) => (this.waiter = r));
    return concatBytes(this.chunks);
  }

  async step(name: string, sent: FrontendMessage[], done: (ms: BackendMessage[]) => boolean): Promise<Step> {
    if (process.env.DEBUG) console.error(`step: ${name}`);
    this.chunks = [];
    this.messages = [];
    const sentBytes = concatBytes(sent.map(encodeFrontend));
    this.socket.write(sentBytes);
    let fed = 0;
    const feedNew = () => {
      for (; fed < this.chunks.length; fed++) this.decoder.feed(this.chunks[fed]);
      for (let m = this.decoder.next(); m !== null; m = this.decoder.next()) this.messages.push(snapshot(m));
    };
    while (!done(this.messages)) {
      await new Promise<void>((r) => (this.waiter = r));
      feedNew();
    }
    await new Promise((r) => setTimeout(r, 30)); // let stray async messages (notifications) land in this step
    feedNew();
    return { name, sent, sentHex: toHex(sentBytes), receivedHex: toHex(concatBytes(this.chunks)), messages: this.messages };
  }

  close(): void {
    this.socket.end();
  }
}

/** Copies byte views (they are only valid until the next feed). */
function snapshot(m: BackendMessage): BackendMessage {
  return JSON.parse(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? { $hex: toHex(v) } : v)), (_k, v) =>
    v && typeof v === 'object' && '$hex' in v ? Uint8Array.from(Buffer.from(v.$hex, 'hex')) : v);
}

const untilReady = (ms: BackendMessage[]) => ms.some((m) => m.type === 'ReadyForQuery');
const until = (type: string) => (ms: BackendMessage[]) => ms.some((m) => m.type === type);

function startup(user: string): FrontendMessage {
  return { type: 'StartupMessage', parameters: { user, database: 'postgres', client_encoding: 'UTF8', application_name: 'tspostgres-capture' } };
}

async function trustSession(port: number): Promise<Session> {
  const w = await Wire.open(port);
  const steps: Step[] = [];
  steps.push(await w.step('startup (trust)', [startup('postgres')], untilReady));
  steps.push(await w.step('simple query', [{ type: 'Query', sql: "SELECT 1 AS one, 'héllo wörld'::text AS greeting, NULL::int4 AS nothing" }], untilReady));
  steps.push(await w.step('multi-statement simple query', [{ type: 'Query', sql: 'SELECT 1; SELECT 2 AS two' }], untilReady));
  steps.push(await w.step('empty query', [{ type: 'Query', sql: '' }], untilReady));
  steps.push(await w.step('extended query, mixed types', [
    { type: 'Parse', name: '', sql: "SELECT $1::int4 AS i, $2::text AS t, $3::bytea AS b, 12345678901234::int8 AS big, 3.14159::numeric AS n, true AS flag, '2024-02-29'::date AS d, '2024-02-29 12:34:56.789+00'::timestamptz AS ts, NULL::text AS z, ARRAY[1,2,3]::int4[] AS arr, '{\"k\": [1, null]}'::jsonb AS j", paramTypes: [] },
    { type: 'Bind', portal: '', statement: '', paramFormats: [0, 0, 1], params: ['42', 'ünïcödé ✓', Uint8Array.of(0, 1, 2, 0xff)], resultFormats: [] },
    { type: 'Describe', target: 'P', name: '' },
    { type: 'Execute', portal: '', maxRows: 0 },
    { type: 'Sync' },
  ], untilReady));
  steps.push(await w.step('named statement: describe, binary results, close', [
    { type: 'Parse', name: 'st1', sql: 'SELECT $1::int4 + 1 AS plus, $2::text AS echo', paramTypes: [23, 0] },
    { type: 'Describe', target: 'S', name: 'st1' },
    { type: 'Bind', portal: 'p1', statement: 'st1', paramFormats: [1, 0], params: [Uint8Array.of(0, 0, 0, 41), 'x'], resultFormats: [1] },
    { type: 'Execute', portal: 'p1', maxRows: 0 },
    { type: 'Close', target: 'P', name: 'p1' },
    { type: 'Close', target: 'S', name: 'st1' },
    { type: 'Sync' },
  ], untilReady));
  steps.push(await w.step('portal suspended', [
    { type: 'Parse', name: '', sql: 'SELECT g FROM generate_series(1, 3) g', paramTypes: [] },
    { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
    { type: 'Execute', portal: '', maxRows: 2 },
    { type: 'Execute', portal: '', maxRows: 0 },
    { type: 'Sync' },
  ], untilReady));
  steps.push(await w.step('no data (statement without result)', [
    { type: 'Parse', name: '', sql: 'SET application_name = \'tspostgres-capture-2\'', paramTypes: [] },
    { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
    { type: 'Describe', target: 'P', name: '' },
    { type: 'Execute', portal: '', maxRows: 0 },
    { type: 'Sync' },
  ], untilReady));
  steps.push(await w.step('flush', [
    { type: 'Parse', name: 'fl', sql: 'SELECT 1', paramTypes: [] },
    { type: 'Flush' },
  ], until('ParseComplete')));
  steps.push(await w.step('sync after flush', [{ type: 'Sync' }], untilReady));
  steps.push(await w.step('error (division by zero)', [{ type: 'Query', sql: 'SELECT 1/0' }], untilReady));
  steps.push(await w.step('error in extended query', [
    { type: 'Parse', name: '', sql: 'SELECT * FROM no_such_table', paramTypes: [] },
    { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
    { type: 'Execute', portal: '', maxRows: 0 },
    { type: 'Sync' },
  ], untilReady));
  steps.push(await w.step('transaction status', [{ type: 'Query', sql: 'BEGIN; SELECT 1/0' }], untilReady));
  steps.push(await w.step('rollback', [{ type: 'Query', sql: 'ROLLBACK' }], untilReady));
  steps.push(await w.step('notify to itself', [{ type: 'Query', sql: "LISTEN chan; NOTIFY chan, 'payload ✓'" }], (ms) => untilReady(ms) && until('NotificationResponse')(ms)));
  steps.push(await w.step('notice', [{ type: 'Query', sql: "DO $$ BEGIN RAISE NOTICE 'x'; END $$" }], untilReady));
  steps.push(await w.step('copy to stdout', [{ type: 'Query', sql: "COPY (SELECT g, 'r' || g FROM generate_series(1, 3) g) TO STDOUT" }], untilReady));
  steps.push(await w.step('create table for copy', [{ type: 'Query', sql: 'CREATE TEMP TABLE t (a int4, b text)' }], untilReady));
  steps.push(await w.step('copy from stdin: CopyInResponse', [{ type: 'Query', sql: 'COPY t FROM STDIN' }], until('CopyInResponse')));
  steps.push(await w.step('copy from stdin: data and done', [
    { type: 'CopyData', data: new TextEncoder().encode('1\tone\n2\ttwo\n') },
    { type: 'CopyDone' },
  ], untilReady));
  steps.push(await w.step('copy from stdin (binary): CopyInResponse', [{ type: 'Query', sql: 'COPY t FROM STDIN (FORMAT binary)' }], until('CopyInResponse')));
  steps.push(await w.step('copy fail', [{ type: 'CopyFail', message: 'client gave up' }], untilReady));
  steps.push(await w.step('terminate', [{ type: 'Terminate' }], () => true));
  w.close();
  return { name: 'trust', user: 'postgres', steps };
}

async function md5Session(port: number): Promise<Session> {
  const w = await Wire.open(port);
  const first = await w.step('startup (md5)', [startup('md5user')], until('AuthenticationMD5Password'));
  const req = first.messages[0] as Extract<BackendMessage, { type: 'AuthenticationMD5Password' }>;
  const password = md5Password('md5user', 'md5-secret', req.salt, nodeAuthCrypto);
  const second = await w.step('md5 password', [{ type: 'PasswordMessage', password }], untilReady);
  w.close();
  return { name: 'md5', user: 'md5user', password: 'md5-secret', steps: [first, second] };
}

async function scramSession(port: number, password: string, name: string): Promise<Session> {
  const w = await Wire.open(port);
  const scram = new ScramClient({ password, crypto: nodeAuthCrypto, nonce: SCRAM_NONCE });
  const first = await w.step('startup (scram)', [startup('scramuser')], until('AuthenticationSASL'));
  const mechs = (first.messages[0] as Extract<BackendMessage, { type: 'AuthenticationSASL' }>).mechanisms;
  scram.chooseMechanism(mechs, 'prefer');
  const init = scram.initialResponse();
  const second = await w.step('SASLInitialResponse', [{ type: 'SASLInitialResponse', mechanism: init.mechanism, data: init.data }],
    (ms) => until('AuthenticationSASLContinue')(ms) || until('ErrorResponse')(ms));
  const cont = second.messages[0] as Extract<BackendMessage, { type: 'AuthenticationSASLContinue' }>;
  const third = await w.step('SASLResponse', [{ type: 'SASLResponse', data: scram.handleContinue(cont.data) }],
    (ms) => untilReady(ms) || until('ErrorResponse')(ms));
  w.close();
  return { name, user: 'scramuser', password, clientNonce: SCRAM_NONCE, steps: [first, second, third] };
}

async function cleartextSession(port: number): Promise<Session> {
  const w = await Wire.open(port);
  const first = await w.step('startup (password)', [startup('pwuser')], until('AuthenticationCleartextPassword'));
  const second = await w.step('cleartext password', [{ type: 'PasswordMessage', password: 'clear-secret' }], untilReady);
  w.close();
  return { name: 'cleartext', user: 'pwuser', password: 'clear-secret', steps: [first, second] };
}

async function negotiateSession(port: number): Promise<Session> {
  const w = await Wire.open(port);
  const msg: FrontendMessage = { type: 'StartupMessage', protocolVersion: 196609, parameters: { user: 'postgres', database: 'postgres', '_pq_.unknown_option': 'on' } };
  const first = await w.step('startup with protocol 3.1 and an unknown _pq_ option', [msg], (ms) => untilReady(ms) || until('ErrorResponse')(ms));
  w.close();
  return { name: 'negotiate', user: 'postgres', steps: [first] };
}

async function sslRefused(port: number): Promise<string> {
  const w = await Wire.open(port);
  const answer = await w.rawStep(SSL_REQUEST, 1);
  w.close();
  return toHex(answer);
}

// ------------------------------------------------------------------ output

function literal(v: unknown, indent: string): string {
  if (v instanceof Uint8Array) return `h('${toHex(v)}')`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + literal(x, inner)).join(',\n')},\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, x]) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k)}: ${literal(x, inner)}`).join(', ')} }`;
}

function render(sessions: Session[], ssl: string, version: string): string {
  const body = sessions.map((s) => {
    const steps = s.steps.map((st) => `    {
      name: ${JSON.stringify(st.name)},
      sent: ${literal(st.sent, '      ')},
      sentHex: ${wrapHex(st.sentHex)},
      receivedHex: ${wrapHex(st.receivedHex)},
      messages: ${literal(st.messages, '      ')},
    }`).join(',\n');
    const extra = [s.password ? `password: ${JSON.stringify(s.password)}, ` : '', s.clientNonce ? `clientNonce: ${JSON.stringify(s.clientNonce)}, ` : ''].join('');
    return `  {\n    name: ${JSON.stringify(s.name)}, user: ${JSON.stringify(s.user)}, ${extra}steps: [\n${steps},\n    ],\n  }`;
  }).join(',\n');
  return `/**
 * Golden byte vectors CAPTURED FROM A REAL SERVER (${version}) by
 * scripts/capture-vectors.ts. Do not edit by hand; re-run the script.
 *
 * Each session is a real connection; each step records the exact bytes the
 * client sent, the exact bytes the server answered, and the messages they
 * decode to (reviewed by hand, and cross-checked against pg-protocol's
 * parser in decode-oracle.test.ts).
 */
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { fromHex as h } from '../../src/util/bytes';

/** One request/response exchange. */
export interface VectorStep {
  name: string;
  sent: FrontendMessage[];
  sentHex: string;
  receivedHex: string;
  messages: BackendMessage[];
}

/** One captured connection. */
export interface VectorSession {
  name: string;
  user: string;
  password?: string;
  clientNonce?: string;
  steps: VectorStep[];
}

/** The server's one-byte answer to SSLRequest when TLS is off ('N'). */
export const SSL_REFUSED_HEX = ${JSON.stringify(ssl)};

export const SESSIONS: VectorSession[] = [
${body},
];
`;
}

function wrapHex(hex: string): string {
  if (hex.length <= 96) return `'${hex}'`;
  const parts: string[] = [];
  for (let i = 0; i < hex.length; i += 96) parts.push(`'${hex.slice(i, i + 96)}'`);
  return parts.join(' +\n        ');
}

async function main(): Promise<void> {
  const server = await startServer();
  try {
    const psql = (sql: string) => execFileSync(`${server.bin}/psql`, ['-X', '-q', '-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', '-c', sql]);
    psql("SET password_encryption = 'md5'; CREATE ROLE md5user LOGIN PASSWORD 'md5-secret'");
    psql("SET password_encryption = 'scram-sha-256'; CREATE ROLE scramuser LOGIN PASSWORD 'pencil ✓'; CREATE ROLE pwuser LOGIN PASSWORD 'clear-secret'");
    const version = execFileSync(`${server.bin}/postgres`, ['--version'], { encoding: 'utf8' }).trim();
    const sessions = [
      await trustSession(server.port),
      await md5Session(server.port),
      await scramSession(server.port, 'pencil ✓', 'scram'),
      await scramSession(server.port, 'wrong password', 'scram-wrong-password'),
      await cleartextSession(server.port),
      await negotiateSession(server.port),
    ];
    const ssl = await sslRefused(server.port);
    fs.writeFileSync(OUT, render(sessions, ssl, version));
    console.log(`wrote ${OUT}`);
  } finally {
    server.child.kill('SIGINT');
    await new Promise((r) => server.child.once('exit', r));
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
