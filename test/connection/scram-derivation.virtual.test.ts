/**
 * SCRAM's salted password is derived off the event loop (issue 16: a hostile
 * server cannot freeze the process). A Connection on a VirtualReactor meets
 * a scripted SCRAM server; the key is derived for real (node:crypto's
 * thread pool) while the test watches the real event loop turn and moves
 * the virtual clock: the connect timeout ends the attempt while the
 * derivation still runs, and the late key is dropped. A count over
 * `maxScramIterations` is refused before anything is computed.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { captureUnhandledFailures } from '../../src/defer';
import { Connection, type AuthCrypto } from '../../src/index';
import { outcome, settle } from '../support/fake-backend';
import { ScramServerScript, spyCrypto, tickCounter } from './scram-server';

const ENDPOINT = { kind: 'tcp' as const, host: 'scram.test', port: 5432 };
const DSN = { host: 'scram.test', port: 5432, user: 'alice', password: 'pencil', database: 'app', sslmode: 'disable' as const };

/** A VirtualReactor with the scripted server listening; each connection's script is kept. */
function world(iterations: number) {
  const reactor = new VirtualReactor();
  const servers: Array<{ script: ScramServerScript; closed: boolean }> = [];
  reactor.listen(ENDPOINT, () => {
    const server = { script: new ScramServerScript({ password: 'pencil', iterations }), closed: false };
    servers.push(server);
    let transport: { write(b: Uint8Array): void } | null = null;
    return {
      connectionMade: (t) => {
        transport = t;
      },
      dataReceived: (bytes) => {
        const reply = server.script.receive(bytes);
        if (reply.length > 0) transport!.write(reply);
      },
      connectionLost: () => {
        server.closed = true;
      },
    };
  });
  return { reactor, servers };
}

/** Waits on the real event loop (no virtual time passes) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

describe('SCRAM key derivation off the event loop (Connection on a VirtualReactor)', () => {
  let ticks: ReturnType<typeof tickCounter>;
  let failures: ReturnType<typeof captureUnhandledFailures>;
  beforeEach(() => {
    ticks = tickCounter();
    failures = captureUnhandledFailures();
  });
  afterEach(() => {
    ticks.stop();
    expect(failures.restore()).toEqual([]);
  });

  it('derives the key asynchronously while the event loop turns, and completes the startup with it', async () => {
    const { reactor, servers } = world(100_000);
    const spy = spyCrypto(ticks);
    const conn = new Connection({ env: {}, reactor, crypto: spy.crypto });
    const connecting = conn.connect(DSN);
    await settle(reactor, () => spy.derivations.length > 0);
    await until(() => spy.derivations[0].ticksAtEnd !== null);
    expect(await outcome(reactor, connecting)).toBe(conn);
    expect(conn.state).toBe('ready');
    expect(spy.derivations).toEqual([expect.objectContaining({ mode: 'async', iterations: 100_000 })]);
    const d = spy.derivations[0];
    expect(d.ticksAtEnd! - d.ticksAtStart).toBeGreaterThan(0); // the loop turned while PBKDF2 ran (0 when it runs on the loop)
    expect(servers[0].script.receivedOf('SASLResponse')).toHaveLength(1);
    conn.close();
    await settle(reactor);
  });

  it('fails the connect on the connect timeout while the derivation runs, and drops the late key', async () => {
    const { reactor, servers } = world(1_000_000);
    const spy = spyCrypto(ticks);
    const conn = new Connection({ env: {}, reactor, crypto: spy.crypto, connectTimeoutMs: 5_000 });
    const connecting = conn.connect(DSN);
    await settle(reactor, () => spy.derivations.length > 0);
    expect(spy.derivations).toEqual([expect.objectContaining({ mode: 'async', iterations: 1_000_000, ticksAtEnd: null })]);
    reactor.advance(5_000); // the connect timeout, on the reactor's clock, while PBKDF2 runs
    const err = await outcome(reactor, connecting);
    expect(spy.derivations[0].ticksAtEnd).toBeNull(); // the connect failed before the key was ready
    expect(err).toMatchObject({ code: 'ERR_CONNECT_TIMEOUT' });
    expect(conn.state).toBe('closed');
    expect(servers[0].closed).toBe(true);

    await until(() => spy.derivations[0].ticksAtEnd !== null);
    await settle(reactor);
    expect(servers[0].script.receivedOf('SASLResponse')).toEqual([]); // the late key went nowhere
    expect(servers).toHaveLength(1);
  });

  it.each([
    ['1,000,001 (one over the default maximum)', 1_000_001, undefined],
    ['2,147,483,647 (the most PostgreSQL allows)', 2_147_483_647, undefined],
    ['9,999,999,999 (ten digits, once accepted)', 9_999_999_999, undefined],
    ['4,097 (one over a maximum of 4,096)', 4_097, 4_096],
  ])('refuses %s SCRAM iterations with ERR_SCRAM_ITERATIONS, computing nothing', async (_name, iterations, max) => {
    const { reactor, servers } = world(iterations);
    const spy = spyCrypto(ticks);
    const conn = new Connection({ env: {}, reactor, crypto: spy.crypto, maxScramIterations: max });
    const err = await outcome(reactor, conn.connect(DSN));
    expect(err).toMatchObject({ errors: [expect.objectContaining({ code: 'ERR_SCRAM_ITERATIONS' })] });
    expect((err as unknown as { errors: Error[] }).errors[0].message).toContain(`${iterations} SCRAM iterations`);
    expect(spy.derivations).toEqual([]);
    expect(servers[0].script.receivedOf('SASLResponse')).toEqual([]);
  });

  it('accepts a count equal to the maximum', async () => {
    const { reactor } = world(4_096);
    const spy = spyCrypto(ticks);
    const conn = new Connection({ env: {}, reactor, crypto: spy.crypto, maxScramIterations: 4_096 });
    const connecting = conn.connect(DSN);
    await settle(reactor, () => spy.derivations.length > 0);
    await until(() => spy.derivations[0].ticksAtEnd !== null);
    expect(await outcome(reactor, connecting)).toBe(conn);
    conn.close();
    await settle(reactor);
  });

  it('derives with the synchronous PBKDF2 of a crypto that has no asynchronous one', async () => {
    const { reactor } = world(4_096);
    const { pbkdf2Sha256Async: _none, ...syncOnly } = nodeAuthCrypto;
    const spy = spyCrypto(ticks, syncOnly);
    const conn = new Connection({ env: {}, reactor, crypto: spy.crypto });
    expect(await outcome(reactor, conn.connect(DSN))).toBe(conn);
    expect(spy.derivations).toEqual([expect.objectContaining({ mode: 'sync', iterations: 4_096 })]);
    conn.close();
    await settle(reactor);
  });

  it('fails the connect with the error of a derivation that fails', async () => {
    const { reactor, servers } = world(4_096);
    const broken: AuthCrypto = { ...nodeAuthCrypto, pbkdf2Sha256Async: () => Promise.reject(new Error('no thread pool today')) };
    const conn = new Connection({ env: {}, reactor, crypto: broken });
    const err = await outcome(reactor, conn.connect(DSN));
    expect(err).toMatchObject({ code: 'ERR_CONNECTION_FAILED', errors: [expect.objectContaining({ message: 'no thread pool today' })] });
    expect(servers[0].closed).toBe(true);
  });

  it('fails the connect with ERR_INVALID_ARGUMENT when the crypto derives a key that is not 32 bytes', async () => {
    const { reactor, servers } = world(4_096);
    const short: AuthCrypto = { ...nodeAuthCrypto, pbkdf2Sha256Async: () => Promise.resolve(new Uint8Array(16)) };
    const err = await outcome(reactor, new Connection({ env: {}, reactor, crypto: short }).connect(DSN));
    expect(err).toMatchObject({ errors: [expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' })] });
    expect(servers[0].script.receivedOf('SASLResponse')).toEqual([]);
    expect(servers[0].closed).toBe(true);
  });

  it('refuses a maxScramIterations that is not an integer from 1 to 2,147,483,647 (ERR_INVALID_ARGUMENT)', async () => {
    for (const max of [0, 1.5, 2_147_483_648]) {
      const { reactor } = world(4_096);
      const err = await outcome(reactor, new Connection({ env: {}, reactor, maxScramIterations: max }).connect(DSN));
      expect(err).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });
});
