/**
 * Protocol 3.2 against real servers, each a throwaway cluster of this file:
 * PostgreSQL 18 negotiates 3.2 (a 32-byte cancel key, and cancelling a
 * running statement works with it), and 3.0 when max_protocol_version says
 * so; an older server (15, else the newest installed major below 18) lowers
 * the session to 3.0 with NegotiateProtocolVersion, and min_protocol_version=3.2
 * is refused there with ERR_PROTOCOL_VERSION_UNSUPPORTED.
 */
import * as net from 'node:net';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { CancelledError, Connection } from '../../src/index';
import { ProtocolMachine } from '../../src/core/machine';
import type { FailedEvent } from '../../src/core/events';
import type { ProtocolVersion } from '../../src/protocol/versions';
import { availableMajors, majorBinDir, startCluster, type Cluster } from '../../scripts/pg-cluster';

/** initdb and a start may take a minute on a loaded machine: limits for a cluster that never comes up, not a bound on speed. */
const CLUSTER_MS = 240_000;
const READY = { readyTimeoutMs: 120_000 };

/** The older server: 15 (the system's) when installed, else the newest pinned major below 18. */
function olderMajor(): number {
  const below = availableMajors().filter((m) => m < 18);
  if (below.includes(15)) return 15;
  if (below.length === 0) throw new Error('no PostgreSQL server binaries below 18 (npm ci installs pg-server-14, -16 and -17)');
  return below[below.length - 1];
}

async function cluster(major: number): Promise<Cluster> {
  const binDir = majorBinDir(major);
  if (binDir === null) throw new Error(`no PostgreSQL ${major} server binaries (npm ci installs pg-server-18)`);
  return startCluster({ binDir, ...READY });
}

async function connected(url: string): Promise<Connection> {
  const conn = new Connection();
  await conn.connect(url);
  return conn;
}

/** What a bare machine learns from a real server's startup answer, over plain TCP (the superuser is trusted). */
interface StartupSeen {
  version: ProtocolVersion;
  keyLength: number | undefined;
  failed: FailedEvent['error'] | undefined;
}

/** Drives a ProtocolMachine by hand to StartupComplete (or Failed), then terminates. */
function startup(c: Cluster, versions: { min?: ProtocolVersion; max?: ProtocolVersion }): Promise<StartupSeen> {
  const m = new ProtocolMachine({
    user: c.users.superuser.user, crypto: nodeAuthCrypto, startupParameters: { database: 'postgres' },
    minProtocolVersion: versions.min, maxProtocolVersion: versions.max,
  });
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: c.host, port: c.port });
    const flush = (): void => {
      const out = m.dataToSend();
      if (out !== null) socket.write(out);
    };
    const seen = (failed: FailedEvent['error'] | undefined): StartupSeen => ({ version: m.protocolVersion, keyLength: m.backendKey?.secretKey.length, failed });
    socket.on('connect', () => { m.start(); flush(); });
    socket.on('error', reject);
    socket.on('data', (bytes) => {
      m.receiveData(bytes);
      for (let e = m.nextEvent(); e !== null; e = m.nextEvent()) {
        if (e.type === 'Failed') { socket.destroy(); resolve(seen(e.error)); return; }
        if (e.type === 'StartupComplete') { m.send({ type: 'terminate' }); flush(); socket.end(); resolve(seen(undefined)); return; }
      }
      flush();
    });
  });
}

/** Runs pg_sleep on `conn`, waits until the server runs it (seen from `watcher`), cancels it; the error. */
async function cancelSleep(conn: Connection, watcher: Connection): Promise<CancelledError> {
  const d = conn.runQuery('SELECT pg_sleep(60)');
  for (;;) {
    const rows = await watcher.runQuery<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep%'", [conn.processId],
    );
    if (rows[0].n > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  d.cancel();
  return d.then(() => { throw new Error('the statement was not cancelled'); }, (e: unknown) => e as CancelledError);
}

describe('PostgreSQL 18', () => {
  let pg18: Cluster;
  beforeAll(async () => { pg18 = await cluster(18); }, CLUSTER_MS);
  afterAll(async () => { await pg18?.destroy(); }, CLUSTER_MS);

  it('gives the machine protocol 3.2 and a 32-byte cancel key when it asks for 3.2', async () => {
    expect(await startup(pg18, { max: '3.2' })).toEqual({ version: '3.2', keyLength: 32, failed: undefined });
  }, CLUSTER_MS);

  it('gives it 3.0 and a 4-byte key when it asks for 3.0', async () => {
    expect(await startup(pg18, { max: '3.0' })).toEqual({ version: '3.0', keyLength: 4, failed: undefined });
  }, CLUSTER_MS);

  it('negotiates 3.2 by default: queries work, and a running pg_sleep is cancelled with the long key', async () => {
    const conn = await connected(pg18.url());
    const watcher = await connected(pg18.url());
    try {
      expect(conn.protocolVersion).toBe('3.2');
      expect(await conn.runQuery('SELECT $1::int + 1 AS n', [41])).toEqual([{ n: 42 }]);
      const err = await cancelSleep(conn, watcher);
      expect(err).toBeInstanceOf(CancelledError);
      expect(err.serverCancelled).toBe(true);
      expect((err.cause as { code?: string }).code).toBe('57014');
      expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      conn.close();
      watcher.close();
    }
  }, CLUSTER_MS);

  it('gets 3.0 with max_protocol_version=3.0, and cancels with the 4-byte key', async () => {
    const conn = await connected(`${pg18.url()}?max_protocol_version=3.0`);
    const watcher = await connected(pg18.url());
    try {
      expect(conn.protocolVersion).toBe('3.0');
      expect((await cancelSleep(conn, watcher)).serverCancelled).toBe(true);
    } finally {
      conn.close();
      watcher.close();
    }
  }, CLUSTER_MS);
});

describe('an older server (15)', () => {
  let old: Cluster;
  beforeAll(async () => { old = await cluster(olderMajor()); }, CLUSTER_MS);
  afterAll(async () => { await old?.destroy(); }, CLUSTER_MS);

  it('lowers the machine asking for 3.2 to 3.0 with NegotiateProtocolVersion, with a 4-byte key', async () => {
    expect(await startup(old, { max: '3.2' })).toEqual({ version: '3.0', keyLength: 4, failed: undefined });
  }, CLUSTER_MS);

  it('falls back to 3.0 for the Connection, which works and cancels', async () => {
    const conn = await connected(old.url());
    const watcher = await connected(old.url());
    try {
      expect(conn.protocolVersion).toBe('3.0');
      expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect((await cancelSleep(conn, watcher)).serverCancelled).toBe(true);
    } finally {
      conn.close();
      watcher.close();
    }
  }, CLUSTER_MS);

  it('refuses min_protocol_version=3.2 with ERR_PROTOCOL_VERSION_UNSUPPORTED naming both versions', async () => {
    const seen = await startup(old, { min: '3.2', max: '3.2' });
    expect(seen.failed).toMatchObject({ code: 'ERR_PROTOCOL_VERSION_UNSUPPORTED', message: 'the server speaks protocol 3.0 at most, but min_protocol_version is 3.2' });
    const conn = new Connection();
    // one host: the connector reports ConnectionFailed whose only error is the machine's
    const err = await conn.connect(`${old.url()}?min_protocol_version=3.2`).then(() => null, (e: unknown) => e as { errors?: unknown[] });
    expect(err?.errors).toEqual([expect.objectContaining({ code: 'ERR_PROTOCOL_VERSION_UNSUPPORTED', serverVersion: '3.0', minVersion: '3.2' })]);
    conn.close();
  }, CLUSTER_MS);
});
