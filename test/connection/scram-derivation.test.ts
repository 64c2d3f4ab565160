/**
 * A hostile server cannot freeze the process (issue 16), over real sockets:
 * a tiny TCP server that speaks just enough SCRAM asks for 5,000,000
 * iterations; while node:crypto derives the key on its thread pool the
 * event loop keeps turning and the connect timeout fails the connect, and
 * the late key is never sent. The connect timeout is the Node reactor's
 * real timer, but the test arms it when the derivation starts (a reactor
 * that holds that one call), so how long the startup takes on a loaded
 * machine does not count against it. Then the real server: the scram-sha-256 role
 * still logs in (with and without channel binding), its key derived
 * asynchronously, and a maximum below the server's iteration count refuses
 * it with ERR_SCRAM_ITERATIONS.
 */
import * as net from 'node:net';
import type { DelayedCall, Reactor } from '../../reactor/interfaces';
import { captureUnhandledFailures } from '../../src/defer';
import { Connection, defaultReactor } from '../../src/index';
import { adminQuery, describeLocal, localServer, testServer } from '../support/server';
import { ScramServerScript, spyCrypto, tickCounter } from './scram-server';

/** Waits on the event loop until `done()`. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

/**
 * The default (Node) reactor, except that the call of `timeoutMs` (the
 * connect timeout) is held until the test calls `armTimeout()`; from then
 * on it is the reactor's own timer.
 */
function reactorHoldingTimeout(timeoutMs: number): { reactor: Reactor; armTimeout(): void } {
  const real = defaultReactor();
  let arm = (): void => undefined;
  const reactor: Reactor = {
    now: () => real.now(),
    callSoon: (fn) => real.callSoon(fn),
    connect: (endpoint, handler, options) => real.connect(endpoint, handler, options),
    callLater: (delayMs, fn) => {
      if (delayMs !== timeoutMs) return real.callLater(delayMs, fn);
      let call: DelayedCall | null = null;
      let cancelled = false;
      arm = () => {
        if (!cancelled && call === null) call = real.callLater(delayMs, fn);
      };
      return {
        get time() {
          return call?.time ?? Infinity;
        },
        active: () => !cancelled && (call === null || call.active()),
        cancel: () => {
          cancelled = true;
          call?.cancel();
        },
        reset: () => {
          throw new Error('not used by the connector');
        },
        delay: () => {
          throw new Error('not used by the connector');
        },
      };
    },
  };
  return { reactor, armTimeout: () => arm() };
}

describe('a server asking for 5,000,000 SCRAM iterations, over TCP', () => {
  const scripts: ScramServerScript[] = [];
  const closed: boolean[] = [];
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    server = net.createServer((socket) => {
      const script = new ScramServerScript({ password: 'pencil', iterations: 5_000_000 });
      const i = scripts.push(script) - 1;
      closed[i] = false;
      socket.on('data', (bytes) => {
        const reply = script.receive(bytes);
        if (reply.length > 0) socket.write(reply);
      });
      socket.on('close', () => (closed[i] = true));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('keeps the event loop turning, fails the connect on connect_timeout while the key is derived, and never sends the late key', async () => {
    const ticks = tickCounter();
    const failures = captureUnhandledFailures();
    try {
      const spy = spyCrypto(ticks);
      const { reactor, armTimeout } = reactorHoldingTimeout(200);
      const conn = new Connection({ env: {}, reactor, crypto: spy.crypto, connectTimeoutMs: 200, maxScramIterations: 5_000_000 });
      let derivationRunningAtFailure: boolean | null = null;
      let settled = false;
      const connecting = conn.connect({ host: '127.0.0.1', port, user: 'alice', password: 'pencil', database: 'app', sslmode: 'disable' }).then(
        () => {
          settled = true;
          return null;
        },
        (e: Error) => {
          settled = true;
          derivationRunningAtFailure = spy.derivations.length === 1 && spy.derivations[0].ticksAtEnd === null;
          return e;
        },
      );
      await until(() => spy.derivations.length > 0 || settled); // on the event loop: with a derivation that blocks it, only once it is over
      armTimeout(); // 200 ms on the reactor's clock, from the start of the derivation
      const err = await connecting;
      expect(err).toMatchObject({ code: 'ERR_CONNECT_TIMEOUT' });
      expect(spy.derivations).toEqual([expect.objectContaining({ mode: 'async', iterations: 5_000_000 })]);
      expect(derivationRunningAtFailure).toBe(true); // the timeout fired while PBKDF2 ran

      await until(() => spy.derivations[0].ticksAtEnd !== null);
      const d = spy.derivations[0];
      expect(d.ticksAtEnd! - d.ticksAtStart).toBeGreaterThan(0); // turns of the loop during the derivation: 0 if it ran on the loop
      await until(() => closed[0]);
      expect(scripts).toHaveLength(1);
      expect(scripts[0].receivedOf('SASLInitialResponse')).toHaveLength(1);
      expect(scripts[0].receivedOf('SASLResponse')).toEqual([]); // the key came after the session ended: dropped
      expect(conn.state).toBe('closed');
    } finally {
      ticks.stop();
      expect(failures.restore()).toEqual([]);
    }
  }, 120_000);
});

describeLocal('SCRAM against the real server, the key derived off the event loop', () => {
  const scramUrl = (sslmode: string): string => {
    const u = new URL(testServer().superuserUrl);
    u.username = encodeURIComponent(localServer().users.scram.user);
    u.password = encodeURIComponent(localServer().users.scram.password);
    u.pathname = '/postgres';
    u.search = `?sslmode=${sslmode}`;
    return u.toString();
  };

  /** The iteration count of the scram role's stored verifier (SCRAM-SHA-256$<iterations>:...). */
  async function serverIterations(): Promise<number> {
    const rows = await adminQuery<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [localServer().users.scram.user]);
    return Number(/^SCRAM-SHA-256\$(\d+):/.exec(rows[0].rolpassword)![1]);
  }

  it.each([
    ['without TLS (SCRAM-SHA-256)', 'disable'],
    ['over TLS with channel binding (SCRAM-SHA-256-PLUS)', 'require'],
  ])('logs the scram role in %s, deriving its key once, asynchronously', async (_name, sslmode) => {
    const ticks = tickCounter();
    try {
      const spy = spyCrypto(ticks);
      const conn = new Connection({ env: {}, crypto: spy.crypto });
      await conn.connect(scramUrl(sslmode));
      expect(await conn.runQuery('SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toEqual([
        { u: localServer().users.scram.user, ssl: sslmode === 'require' },
      ]);
      expect(spy.derivations).toEqual([expect.objectContaining({ mode: 'async', iterations: await serverIterations() })]);
      conn.close();
    } finally {
      ticks.stop();
    }
  });

  it('refuses the real server with ERR_SCRAM_ITERATIONS when maxScramIterations is below its count', async () => {
    const iterations = await serverIterations();
    const ticks = tickCounter();
    try {
      const spy = spyCrypto(ticks);
      const conn = new Connection({ env: {}, crypto: spy.crypto, maxScramIterations: iterations - 1 });
      const err = await conn.connect(scramUrl('disable')).then(() => null, (e: Error) => e);
      expect(err).toMatchObject({ errors: [expect.objectContaining({ code: 'ERR_SCRAM_ITERATIONS' })] });
      expect(spy.derivations).toEqual([]);
      expect(conn.state).toBe('closed');
    } finally {
      ticks.stop();
    }
  });
});
