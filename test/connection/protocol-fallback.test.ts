/**
 * The clean fallback to protocol 3.0 (connector + machine): a pooler that
 * predates minor-version negotiation refuses a 3.2 startup packet outright
 * (PgBouncer 1.18 answers FATAL 08P01 "bad packet header"; others just
 * close), and the connection retries once on a new link asking for 3.0,
 * unless min_protocol_version=3.2 forbids it. Scripted poolers on virtual
 * time, and Debian's PgBouncer in front of the run's server.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Connection } from '../../src/index';
import type { FakeBackend } from '../../src/testing';
import { FakeServer, outcome } from '../support/fake-backend';
import { describePgBouncer, startTestPgBouncer } from '../support/pgbouncer';
import { createTestDatabase, type TestDatabase } from '../support/server';
import type { PgBouncer } from '../../scripts/pgbouncer';

const V3_0 = 196608;

/** How a scripted pooler treats a startup packet asking for more than 3.0. */
type Refusal = 'error' | 'close';

/** A FakeServer whose backends refuse any startup packet but 3.0's, as an old pooler does, and accept 3.0's. */
function oldPooler(reactor: VirtualReactor, refusal: Refusal, refuseEverything = false): FakeServer {
  return new FakeServer(reactor, {
    onConnection: (backend: FakeBackend) => {
      backend.onMessage('StartupMessage', (m, b) => {
        if (m.protocolVersion === V3_0 && !refuseEverything) return b.acceptStartup();
        if (refusal === 'close') return b.close();
        b.kill({ C: '08P01', M: "bad packet header: '0000002900030002'" });
      });
    },
  });
}

const askedFor = (server: FakeServer): Array<number | undefined> => server.connections.map((b) => b.receivedOf('StartupMessage')[0]?.protocolVersion);

describe.each<Refusal>(['error', 'close'])('a pooler that refuses 3.2 outright (%s)', (refusal) => {
  it('gets one retry asking for 3.0, which connects and works', async () => {
    const reactor = new VirtualReactor();
    const server = oldPooler(reactor, refusal);
    server.script.answer('SELECT 1 AS one', { fields: ['one'], rows: [['1']] });
    const conn = new Connection({ env: {}, reactor });
    await outcome(reactor, conn.connect(server.dsn));
    expect(conn.state).toBe('ready');
    expect(askedFor(server)).toEqual([196610, V3_0]);
    expect(conn.protocolVersion).toBe('3.0');
    expect(await outcome(reactor, conn.runQuery('SELECT 1 AS one'))).toEqual([{ one: '1' }]);
    conn.close();
  });

  it('is not retried when min_protocol_version=3.2', async () => {
    const reactor = new VirtualReactor();
    const server = oldPooler(reactor, refusal);
    const conn = new Connection({ env: {}, reactor });
    const err = await outcome(reactor, conn.connect({ ...server.dsn, min_protocol_version: '3.2' }));
    expect(err).toBeInstanceOf(Error);
    expect(askedFor(server)).toEqual([196610]);
    conn.close();
  });

  it('is retried once only: a pooler that refuses 3.0 too fails the connect after two tries', async () => {
    const reactor = new VirtualReactor();
    const server = oldPooler(reactor, refusal, true);
    const conn = new Connection({ env: {}, reactor });
    const err = await outcome(reactor, conn.connect(server.dsn));
    expect(err).toBeInstanceOf(Error);
    expect(askedFor(server)).toEqual([196610, V3_0]);
    conn.close();
  });
});

describe('a server that negotiates', () => {
  it('is not asked twice', async () => {
    const reactor = new VirtualReactor();
    const server = new FakeServer(reactor, { protocolVersion: '3.0' });
    const conn = new Connection({ env: {}, reactor });
    await outcome(reactor, conn.connect(server.dsn));
    expect(askedFor(server)).toEqual([196610]);
    expect(conn.protocolVersion).toBe('3.0');
    conn.close();
  });
});

describePgBouncer('PgBouncer 1.18, which answers a 3.2 startup packet with FATAL 08P01', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  beforeAll(async () => {
    db = await createTestDatabase('protocol_fallback');
    bouncer = await startTestPgBouncer();
  });
  afterAll(async () => {
    await bouncer?.destroy();
    await db?.drop();
  });

  it('is connected to with the retry asking for 3.0, and queries run through it', async () => {
    const conn = new Connection({ prepare: false });
    await conn.connect(bouncer.url(db.name));
    try {
      expect(conn.protocolVersion).toBe('3.0');
      expect(await conn.runQuery('SELECT $1::int + 1 AS n', [41])).toEqual([{ n: 42 }]);
    } finally {
      conn.close();
    }
  });

  it('refuses the connection when min_protocol_version=3.2 (no retry)', async () => {
    const conn = new Connection({ prepare: false });
    const err = await conn.connect(`${bouncer.url(db.name)}?min_protocol_version=3.2`).then(() => null, (e: unknown) => e as Error);
    conn.close();
    expect(err).toMatchObject({ code: '08P01' });
  });
});
