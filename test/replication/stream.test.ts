/**
 * Streams against the real server: a test_decoding stream (rows inserted
 * elsewhere arrive as text, in order; the slot's confirmed_flush_lsn
 * follows only what was acknowledged), stop() ending copy-both mode with
 * the connection free again, messages$ and consumeStream, and a physical
 * stream from the current position receiving XLogData. LSNs are compared
 * as text (formatLsn) or as booleans: a failed expectation holding a
 * bigint cannot be sent from a jest worker ("Do not know how to serialize
 * a BigInt") and would hide which check failed.
 */
import { firstValueFrom } from 'rxjs';
import { filter, take, toArray } from 'rxjs/operators';
import { Connection, formatLsn, parseLsn, ReplicationConnection, type ReplicationMessage } from '../../src/index';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';

const PREFIX = `tsp_stream_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('replication streams', () => {
  let db: TestDatabase;
  let sql: Connection;
  /** Every replication connection a test opened: a test that fails half-way leaves its own open, and its slot active, so afterAll closes them all. */
  const opened: ReplicationConnection[] = [];
  const replication = (): ReplicationConnection => {
    const repl = new ReplicationConnection();
    opened.push(repl);
    return repl;
  };

  beforeAll(async () => {
    db = await createTestDatabase('repl_stream');
    sql = new Connection();
    await sql.connect(db.url());
    await sql.runOperation('CREATE TABLE t (id int PRIMARY KEY, v text)');
  });

  afterAll(async () => {
    sql?.close();
    for (const repl of opened) repl.close();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const left = await adminQuery(`SELECT slot_name, active FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%'`);
      if (left.length === 0) break;
      await adminQuery(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%' AND NOT active`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await db?.drop();
  });

  const confirmed = async (name: string): Promise<bigint> => {
    const [row] = await adminQuery<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [name]);
    return parseLsn(row.lsn);
  };

  it('streams test_decoding as text; confirmed_flush_lsn advances only to what was acknowledged', async () => {
    const name = `${PREFIX}_td`;
    const repl = replication();
    await repl.connect(db.url());
    const created = await repl.createReplicationSlot(name, { plugin: 'test_decoding', snapshot: 'nothing' });
    const start = await confirmed(name);
    await sql.runInteraction(async (c) => {
      await c.execute('INSERT INTO t VALUES (1, $1)', ['one']);
      await c.execute('INSERT INTO t VALUES (2, $1)', ['two']);
    });
    await sql.runOperation(`INSERT INTO t VALUES (3, 'three')`);

    const stream = repl.startReplication({ slot: name, options: { 'include-xids': '0' }, statusIntervalMs: 60_000 });
    const got: ReplicationMessage[] = [];
    stream.onMessage((m) => void got.push(m));
    await until(() => got.filter((m) => m.text.startsWith('COMMIT')).length === 2, 20_000, 'two commits');
    expect(got.map((m) => m.text)).toEqual([
      'BEGIN',
      `table public.t: INSERT: id[integer]:1 v[text]:'one'`,
      `table public.t: INSERT: id[integer]:2 v[text]:'two'`,
      'COMMIT',
      'BEGIN',
      `table public.t: INSERT: id[integer]:3 v[text]:'three'`,
      'COMMIT',
    ]);
    expect(typeof got[0].payload).toBe('string');
    for (const m of got) expect(m.dataStart >= created.consistentPoint).toBe(true);
    expect(stream.state).toBe('streaming');

    // nothing acknowledged: no transaction is confirmed, even when the server is asked for a reply.
    // The slot may move from its creation point only to the position of a keepalive heard while
    // the stream was idle, before the first XLogData (as pg_recvlogical does; a keepalive comes
    // first when the walsender is slow to decode, as on a busy machine), and never to a commit.
    const firstCommit = got[3];
    const confirmedBecomes = async (lsn: bigint, what: string): Promise<void> => {
      let seen = await confirmed(name);
      const deadline = Date.now() + 10_000;
      while (seen !== lsn && Date.now() < deadline) seen = await confirmed(name);
      expect(`${what}: ${formatLsn(seen)}`).toBe(`${what}: ${formatLsn(lsn)}`);
    };
    const idle = stream.stats.ackedLsn > start ? stream.stats.ackedLsn : start;
    expect(idle < firstCommit.dataStart).toBe(true);
    stream.sendFeedback({ reply: true });
    await until(() => stream.stats.statusUpdates >= 1, 10_000, 'a status update');
    await confirmedBecomes(idle, 'nothing acknowledged');

    // acknowledge the middle of the first transaction: not a transaction end, so nothing more is confirmed
    got[1].ack();
    stream.sendFeedback({ force: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(formatLsn(stream.stats.ackedLsn > start ? stream.stats.ackedLsn : start)).toBe(formatLsn(idle));
    expect(formatLsn(await confirmed(name))).toBe(formatLsn(idle));

    // acknowledge the first COMMIT: confirmed_flush_lsn becomes exactly its position, not the second's
    firstCommit.ack();
    expect(formatLsn(stream.stats.ackedLsn)).toBe(formatLsn(firstCommit.dataStart));
    stream.sendFeedback({ force: true });
    await until(() => stream.stats.flushedLsn === firstCommit.dataStart, 5_000, 'the flush sent');
    await confirmedBecomes(firstCommit.dataStart, 'the first commit acknowledged');
    expect(firstCommit.dataStart < got[6].dataStart).toBe(true);

    // stop: copy-both ends, the connection takes commands again, and the slot is where we acknowledged
    await stream.stop();
    expect(stream.state).toBe('stopped');
    expect((await repl.identifySystem()).dbName).toBe(db.name);
    expect(formatLsn(await confirmed(name))).toBe(formatLsn(firstCommit.dataStart));

    // starting again from the slot: the unacknowledged second transaction comes again, the first does not
    const again = repl.startReplication({ slot: name, options: { 'include-xids': '0' } });
    const texts = await firstValueFrom(again.messages$.pipe(take(3), toArray()));
    expect(texts.map((m) => m.text)).toEqual(['BEGIN', `table public.t: INSERT: id[integer]:3 v[text]:'three'`, 'COMMIT']);
    await again.stop();
    await repl.dropReplicationSlot(name);
    repl.close();
  });

  it('consumeStream waits for the consumer\'s Promise before the next message, and ends when the stream stops', async () => {
    const name = `${PREFIX}_consume`;
    const repl = replication();
    await repl.connect(db.url());
    await repl.createReplicationSlot(name, { plugin: 'test_decoding', snapshot: 'nothing' });
    await sql.runOperation(`INSERT INTO t SELECT g, 'c' FROM generate_series(100, 119) g`);
    const stream = repl.startReplication({ slot: name });
    let running = 0;
    let overlap = false;
    const seen: string[] = [];
    const done = stream.consumeStream(async (m) => {
      running++;
      if (running > 1) overlap = true;
      await new Promise((r) => setTimeout(r, 2));
      seen.push(m.text);
      m.ack();
      running--;
      if (m.text.startsWith('COMMIT')) void stream.stop();
    });
    await done;
    expect(overlap).toBe(false);
    expect(seen).toHaveLength(22);
    expect(seen[21]).toMatch(/^COMMIT/);
    expect(stream.state).toBe('stopped');
    await repl.dropReplicationSlot(name);
    repl.close();
  });

  it('a consumer that throws stops the stream and fails consumeStream with its error', async () => {
    const name = `${PREFIX}_throw`;
    const repl = replication();
    await repl.connect(db.url());
    await repl.createReplicationSlot(name, { plugin: 'test_decoding', snapshot: 'nothing' });
    await sql.runOperation(`INSERT INTO t VALUES (200, 'x')`);
    const stream = repl.startReplication({ slot: name });
    await expect(stream.consumeStream(() => {
      throw new Error('consumer broke');
    })).rejects.toThrow('consumer broke');
    await until(() => stream.state === 'stopped', 10_000, 'stopped');
    await repl.dropReplicationSlot(name);
    repl.close();
  });

  it('physical replication from the current position receives XLogData', async () => {
    const repl = replication();
    await repl.connect(db.url(), { physical: true });
    const id = await repl.identifySystem();
    const stream = repl.startReplication({ physical: true });
    const first = firstValueFrom(stream.messages$.pipe(filter((m) => m.dataSize > 0), take(1)));
    await until(() => stream.state === 'streaming', 10_000, 'streaming');
    await sql.runOperation(`INSERT INTO t SELECT g, repeat('w', 100) FROM generate_series(1000, 1100) g`);
    const m = await first;
    expect(m.payload).toBeInstanceOf(Uint8Array);
    expect(m.dataStart >= id.xlogPos - (id.xlogPos % 8192n)).toBe(true);
    expect(m.walEnd >= m.dataStart).toBe(true);
    m.ack();
    expect(formatLsn(stream.stats.ackedLsn)).toBe(formatLsn(m.dataStart + BigInt(m.dataSize)));
    expect(stream.stats.receivedLsn >= m.dataStart + BigInt(m.dataSize)).toBe(true);
    await stream.stop();
    expect(stream.state).toBe('stopped');
    expect((await repl.identifySystem()).timeline).toBe(1);
    repl.close();
  });

  it('a START_REPLICATION the server refuses fails the stream with the server error', async () => {
    const repl = replication();
    await repl.connect(db.url());
    const stream = repl.startReplication({ slot: `${PREFIX}_missing`, plugin: 'test_decoding' });
    await expect(firstValueFrom(stream.messages$)).rejects.toMatchObject({ code: '42704' });
    expect(stream.state).toBe('failed');
    expect((await repl.identifySystem()).dbName).toBe(db.name);
    repl.close();
  });
});
