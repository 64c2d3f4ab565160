/**
 * `tspostgres-ws-proxy`: its arguments (util.parseArgs), `--help`, where
 * the token comes from, and that nothing it prints repeats a secret or the
 * allowlist: not the start line, not a usage error, not a refusal.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main, parseCliArgs, parseHostPort, TOKEN_ENV, USAGE, type CliCommand } from '../../../reactor/websocket/proxy-cli';
import type { WsProxyOptions } from '../../../reactor/websocket/proxy';
import { relayProtocols } from '../../../reactor/websocket/protocol';
import { runUntilReal } from '../real-time';
import { openRaw, settled, startCountingServer } from './relay-fixtures';

const ROOT = resolve(__dirname, '../../..');
const TOKEN = 'cli-token-0123456789abcdef';

function options(command: CliCommand): WsProxyOptions {
  if (command.help) throw new Error('expected options, got help');
  return command.options;
}

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('did not throw');
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tspg-relay-cli-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tspostgres-ws-proxy arguments', () => {
  it('parses --listen and repeated --allow, in both spaced and = forms', () => {
    const o = options(parseCliArgs(['--listen', '0.0.0.0:9000', '--allow', 'db:5432', '--allow=[::1]:6432'], {}));
    expect(o).toMatchObject({ host: '0.0.0.0', port: 9000, allow: [{ host: 'db', port: 5432 }, { host: '::1', port: 6432 }] });
  });

  it('listens on 127.0.0.1:8080 by default, with no origin, no token, no TLS', () => {
    const o = options(parseCliArgs(['--allow', 'db:5432'], {}));
    expect(o).toMatchObject({ host: '127.0.0.1', port: 8080, origins: [], token: undefined, tls: undefined, allowNoOrigin: undefined });
  });

  it('parses origins, host names, the Origin-less policy and the limits', () => {
    const o = options(parseCliArgs([
      '--allow', 'db:5432', '--origin', 'https://a.example', '--origin=https://b.example', '--host-name', 'relay.example',
      '--refuse-no-origin', '--max-connections', '10', '--max-connections-per-address', '2', '--handshake-timeout', '500',
      '--idle-timeout', '60000', '--connect-timeout', '3000', '--max-message-bytes', '65536',
    ], {}));
    expect(o).toMatchObject({
      origins: ['https://a.example', 'https://b.example'], hosts: ['relay.example'], allowNoOrigin: false,
      maxConnections: 10, maxConnectionsPerAddress: 2, handshakeTimeoutMs: 500, idleTimeoutMs: 60000,
      connectTimeoutMs: 3000, maxMessageBytes: 65536,
    });
    expect(options(parseCliArgs(['--allow', 'db:5432', '--allow-no-origin'], {})).allowNoOrigin).toBe(true);
  });

  it('--help is a flag: it asks for help, needs no value and no --allow', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ help: true });
    expect(parseCliArgs(['--allow', 'db:5432', '--help'], {})).toEqual({ help: true });
  });

  it('refuses to start without an allowlist: the relay is never open', () => {
    expect(thrown(() => parseCliArgs(['--listen', '0.0.0.0:9000'], {}))).toMatchObject({ code: 'ERR_RELAY_USAGE', message: expect.stringMatching(/--allow/) });
  });

  it('reads the token from --token-file, else from the environment', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    expect(options(parseCliArgs(['--allow', 'db:5432', '--token-file', file], { [TOKEN_ENV]: 'other' })).token).toBe(TOKEN);
    expect(options(parseCliArgs(['--allow', 'db:5432'], { [TOKEN_ENV]: TOKEN })).token).toBe(TOKEN);
  });

  it('reads --tls-cert and --tls-key, which go together', () => {
    const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
    writeFileSync(cert, 'CERT');
    writeFileSync(key, 'KEY');
    expect(options(parseCliArgs(['--allow', 'db:5432', '--tls-cert', cert, '--tls-key', key], {})).tls).toEqual({ cert: 'CERT', key: 'KEY' });
    expect(thrown(() => parseCliArgs(['--allow', 'db:5432', '--tls-cert', cert], {})).code).toBe('ERR_RELAY_USAGE');
  });

  it('rejects malformed values and unknown options, never repeating a value', () => {
    const cases: Array<[string[], RegExp, string]> = [
      [['--allow', 'secret-db.internal'], /--allow: expected host:port/, 'secret-db'],
      [['--allow', 'secret-db.internal:70000'], /--allow: expected host:port/, 'secret-db'],
      [['--allow', 'db:5432', '--listen', 'secret-listen'], /--listen/, 'secret-listen'],
      [['--allow', 'db:5432', '--token=s3cret-value'], /unknown option --token\b/, 's3cret-value'],
      [['--allow', 'db:5432', 's3cret-value'], /unexpected argument/, 's3cret-value'],
      [['--allow', 'db:5432', '--max-connections', 's3cret-value'], /--max-connections: expected a whole number/, 's3cret-value'],
      [['--allow', 'db:5432', '--token-file', join(dir, 's3cret-value')], /--token-file: cannot read the file \(ENOENT\)/, 's3cret-value'],
      [['--allow'], /--allow.*missing/, '--allow <value>'],
      [['--allow', 'db:5432', '--help=s3cret-value'], /--help/, 's3cret-value'],
    ];
    for (const [args, pattern, secret] of cases) {
      const error = thrown(() => parseCliArgs(args, {}));
      expect(error).toMatchObject({ code: 'ERR_RELAY_USAGE' });
      expect(error.message).toMatch(pattern);
      expect(error.message).not.toContain(secret);
    }
    expect(thrown(() => parseHostPort('db')).message).not.toContain('db');
  });
});

describe('tspostgres-ws-proxy running', () => {
  it('prints counts, not targets or the token, and logs refusals as JSON lines without secrets', async () => {
    const target = await startCountingServer();
    const file = join(dir, 'token2');
    writeFileSync(file, TOKEN);
    const out: string[] = [], err: string[] = [];
    let proxy: Awaited<ReturnType<typeof main>>;
    try {
      proxy = await main(['--listen', '127.0.0.1:0', '--allow', `127.0.0.1:${target.port}`, '--token-file', file, '--origin', 'https://app.example'],
        { out: (t) => out.push(t), err: (t) => err.push(t) }, {});
      expect(out.join('')).toMatch(/^tspostgres-ws-proxy listening on ws:\/\/127\.0\.0\.1:\d+: 1 allowed target\(s\), 1 allowed origin\(s\), token required\n$/);
      const url = `ws://127.0.0.1:${proxy!.port}/?host=127.0.0.1&port=${target.port}`;
      const refused = await settled(openRaw(url, { protocols: relayProtocols('wrong-token-0123456789') }));
      expect(refused.status()).toBe(401);
      const admitted = await settled(openRaw(url, { protocols: relayProtocols(TOKEN) }));
      expect(admitted.opened()).toBe(true);
      await runUntilReal(() => err.length === 1);
      expect(JSON.parse(err[0])).toEqual({
        event: 'refused', code: 'ERR_RELAY_UNAUTHORIZED', status: 401, message: expect.any(String), remoteAddress: '127.0.0.1',
      });
      const printed = out.join('') + err.join('');
      for (const secret of [TOKEN, 'wrong-token', String(target.port), 'app.example']) expect(printed).not.toContain(secret);
    } finally {
      await proxy?.close();
      await target.close();
    }
  });

  it('main prints the usage for --help and starts nothing', async () => {
    const out: string[] = [];
    expect(await main(['--help'], { out: (t) => out.push(t), err: () => {} }, {})).toBeUndefined();
    expect(out.join('')).toBe(USAGE);
  });

  it('the bin answers --help with the usage and exit code 0', async () => {
    const child = spawn(process.execPath, ['-r', './scripts/register-ts.js', 'reactor/websocket/proxy-cli.ts', '--help'], { cwd: ROOT });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(USAGE);
  });

  it('the bin reports a usage error on stderr with exit code 2, without the value', async () => {
    const child = spawn(process.execPath, ['-r', './scripts/register-ts.js', 'reactor/websocket/proxy-cli.ts', '--allow', 'secret-db.internal'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code).toBe(2);
    expect(stderr).toBe('tspostgres-ws-proxy: --allow: expected host:port\n');
  });
});
