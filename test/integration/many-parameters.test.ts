/**
 * Statements with more than 32,767 parameters (issue 10, item 15).
 *
 * The protocol's parameter counts are 16-bit and PostgreSQL allows 65,535
 * parameters (libpq and pg accept them); a count read as signed made
 * ParameterDescription with 32,768 or more fail with "negative parameter
 * count" and killed the connection. More than 65,535 cannot be encoded: the
 * codec refuses the Bind with `InterfaceError` `ERR_TOO_MANY_PARAMETERS`
 * before anything is sent, and the connection goes on.
 */
import * as net from 'node:net';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { ProtocolMachine } from '../../src/core/machine';
import type { Command } from '../../src/core/commands';
import type { MachineEvent } from '../../src/core/events';
import { Connection, InterfaceError } from '../../src/index';
import { describeServer, testServer } from '../support/server';

/** `SELECT array_length(ARRAY[$1::int, ..., $n::int], 1) AS n, $1::int + $n::int AS ends`, and its parameters 1..n. */
function manyParams(n: number): { sql: string; params: number[] } {
  const placeholders = Array.from({ length: n }, (_, i) => `$${i + 1}::int`);
  return {
    sql: `SELECT array_length(ARRAY[${placeholders.join(',')}], 1) AS n, $1::int + $${n}::int AS ends`,
    params: Array.from({ length: n }, (_, i) => i + 1),
  };
}

describeServer('statements with many parameters', () => {
  let conn: Connection;
  beforeEach(async () => {
    conn = new Connection();
    await conn.connect(testServer().url);
  });
  afterEach(() => conn.close());

  it.each([32_768, 40_000, 65_535])('runs a statement with %i parameters', async (n) => {
    const { sql, params } = manyParams(n);
    expect(await conn.runQuery(sql, params)).toEqual([{ n, ends: 1 + n }]);
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, 60_000);

  it('refuses 65,536 parameters with a clear InterfaceError, and the connection goes on', async () => {
    const { sql, params } = manyParams(65_536);
    let error: unknown;
    try {
      await conn.runQuery(sql, params);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InterfaceError);
    // the connection refuses it before sending anything, with the code the codec uses too
    expect((error as InterfaceError).code).toBe('ERR_TOO_MANY_PARAMETERS');
    expect((error as Error).message).toMatch(/65536.*65535/);
    expect(await conn.runQuery('SELECT $1::int AS n', [7])).toEqual([{ n: 7 }]);
    expect(await conn.runQuery(manyParams(3).sql, [1, 2, 3])).toEqual([{ n: 3, ends: 4 }]);
  }, 60_000);
});

/**
 * A ProtocolMachine on a plain socket to the test server: `send` queues a
 * command and writes what it produced, `next` waits for the next event.
 */
async function machineSession(): Promise<{ m: ProtocolMachine; send(c: Command): void; next(): Promise<MachineEvent>; close(): void }> {
  const url = new URL(testServer().url);
  const m = new ProtocolMachine({
    user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) || undefined, crypto: nodeAuthCrypto,
    startupParameters: { database: url.pathname.slice(1) || 'postgres' },
  });
  const socket = net.connect(Number(url.port), url.hostname);
  const queue: MachineEvent[] = [];
  let wake: (() => void) | null = null;
  const pump = (): void => {
    for (let e = m.nextEvent(); e !== null; e = m.nextEvent()) queue.push(e);
    const out = m.dataToSend();
    if (out !== null) socket.write(out);
    wake?.();
  };
  socket.on('data', (b) => { m.receiveData(b); pump(); });
  socket.on('end', () => { m.receiveEof(); pump(); });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  m.start();
  pump();
  return {
    m,
    send: (c) => { m.send(c); pump(); },
    next: async () => {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
    close: () => socket.destroy(),
  };
}

/** The types of the events up to the next ReadyForQuery (or Failed). */
async function untilReady(next: () => Promise<MachineEvent>): Promise<MachineEvent[]> {
  const seen: MachineEvent[] = [];
  let e: MachineEvent;
  do { e = await next(); seen.push(e); } while (e.type !== 'ReadyForQuery' && e.type !== 'Failed');
  return seen;
}

describeServer('65,536 parameters at the machine, against the real server', () => {
  it('decodes the ParameterDescription PostgreSQL sends (count written modulo 65,536), refuses the Bind, and the session goes on', async () => {
    const { m, send, next, close } = await machineSession();
    try {
      for (let e = await next(); e.type !== 'StartupComplete'; e = await next()) expect(e.type).not.toBe('Failed');
      send({ type: 'batch', messages: [
        { type: 'Parse', name: 'big', sql: manyParams(65_536).sql, paramTypes: [] },
        { type: 'Describe', target: 'S', name: 'big' },
        { type: 'Sync' },
      ] });
      const described = await untilReady(next);
      expect(described.map((x) => x.type)).toEqual(['ParseComplete', 'ParameterDescription', 'RowDescription', 'ReadyForQuery']);
      const pd = described[1] as Extract<MachineEvent, { type: 'ParameterDescription' }>;
      expect(pd.typeOids.length).toBe(65_536);
      expect(pd.typeOids.every((oid) => oid === 23)).toBe(true);

      const params = new Array<string>(65_536).fill('1');
      expect(() => send({ type: 'batch', messages: [
        { type: 'Bind', portal: '', statement: 'big', paramFormats: [], params, resultFormats: [] },
        { type: 'Execute', portal: '', maxRows: 0 },
        { type: 'Sync' },
      ] })).toThrow(expect.objectContaining({ name: 'InterfaceError', code: 'ERR_TOO_MANY_PARAMETERS' }));
      expect(m.dataToSend()).toBeNull();
      expect(m.state).toBe('ready');

      send({ type: 'simpleQuery', sql: 'SELECT 42' });
      const after = await untilReady(next);
      expect(after.map((x) => (x.type === 'DataRow' ? `DataRow ${Buffer.from(x.fields[0]!).toString()}` : x.type)))
        .toEqual(['RowDescription', 'DataRow 42', 'CommandComplete', 'ReadyForQuery']);
    } finally {
      close();
    }
  }, 60_000);
});
