/**
 * A slow consumer on a real logical replication stream: the stream stops
 * reading at its high-water mark of unacknowledged messages (state
 * 'paused'; nothing more is parsed while nothing is acknowledged), keeps
 * sending status updates meanwhile (the server's wal_sender_timeout is not
 * missed), the server sees the lag, and reading resumes as the consumer
 * acknowledges, until every change has arrived once. Checked through the
 * stream's stats and state, not RSS (scripts/replication-slow-consumer.ts
 * measures RSS through 1,000,000 changes by hand).
 */
import { Connection, ReplicationConnection, type ReplicationMessage } from '../../src/index';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';

const ROWS = 20_000;
const HIGH_WATER = 200;
const SLOT = `tsp_pacing_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('replication: a slow consumer is paced by acknowledgement', () => {
  let db: TestDatabase;
  const closing: Array<() => void> = [];

  beforeAll(async () => {
    db = await createTestDatabase('repl_pacing');
  });

  afterAll(async () => {
    closing.forEach((close) => close());
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const left = await adminQuery('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [SLOT]);
      if (left.length === 0) break;
      await adminQuery('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [SLOT]);
      await new Promise((r) => setTimeout(r, 100));
    }
    await db?.drop();
  });

  it(`holds at most about ${HIGH_WATER} unacknowledged messages, keeps reporting while paused, and delivers all ${ROWS} changes once`, async () => {
    const sql = new Connection();
    closing.push(() => sql.close());
    await sql.connect(db.url());
    await sql.runOperation('CREATE TABLE t (id int NOT NULL)');
    await sql.runOperation('CREATE PUBLICATION pacing_pub FOR TABLE t');
    const repl = new ReplicationConnection();
    closing.push(() => repl.close());
    await repl.connect(db.url());
    await repl.createReplicationSlot(SLOT, { plugin: 'pgoutput', snapshot: 'nothing' });
    for (let first = 1; first <= ROWS; first += 5000) await sql.runOperation(`INSERT INTO t SELECT g FROM generate_series(${first}, ${first + 4999}) g`);
    const [{ lsn: end }] = await sql.runQuery<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');

    const stream = repl.startReplication({ slot: SLOT, options: { proto_version: '1', publication_names: 'pacing_pub' }, highWaterMark: HIGH_WATER, statusIntervalMs: 100 });
    const held: ReplicationMessage[] = [];
    const ids: number[] = [];
    let peakUnacked = 0;
    let pauses = 0;
    stream.onStateChange((s) => {
      if (s === 'paused') pauses++;
    });
    stream.onMessage((m) => {
      held.push(m); // not acknowledged yet: the consumer is "busy"
      if (m.bytes[0] === 0x49) ids.push(parseIdText(m.bytes));
      peakUnacked = Math.max(peakUnacked, stream.stats.unacknowledged);
    });

    // nothing acknowledged: reading pauses at the mark and stays paused
    await until(() => stream.state === 'paused', 30_000, 'paused at the high-water mark');
    const parsed = stream.stats.messages;
    const updates = stream.stats.statusUpdates;
    await new Promise((r) => setTimeout(r, 1000));
    expect(stream.state).toBe('paused');
    expect(stream.stats.messages).toBe(parsed); // nothing more read while paused
    expect(stream.stats.unacknowledged).toBeGreaterThanOrEqual(HIGH_WATER);
    expect(parsed).toBeLessThan(ROWS / 2); // the server holds the rest back
    expect(stream.stats.statusUpdates).toBeGreaterThan(updates); // status updates go on while paused
    // the server sees the lag: nothing flushed yet
    const [lag] = await adminQuery<{ behind: boolean }>('SELECT (SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1) < $2::pg_lsn AS behind', [SLOT, end]);
    expect(lag.behind).toBe(true);

    // the consumer catches up slowly: acknowledge what it holds, a bit at a time
    const deadline = Date.now() + 120_000; // gives up only
    while (ids.length < ROWS) {
      if (Date.now() > deadline) throw new Error(`${ids.length} of ${ROWS} changes after 120 s`);
      held.splice(0, 50).pop()?.ack();
      peakUnacked = Math.max(peakUnacked, stream.stats.unacknowledged);
      await new Promise((r) => setImmediate(r));
      if (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    held.pop()?.ack();
    expect(ids).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1)); // every change once, in order
    expect(pauses).toBeGreaterThan(5); // it paused again and again, not only once
    // bounded: the mark plus what one socket read had already brought in
    expect(peakUnacked).toBeLessThan(HIGH_WATER + 2000);
    console.log(`pacing: ${ROWS} changes, high-water mark ${HIGH_WATER}, peak unacknowledged ${peakUnacked}, paused ${pauses} times, ${stream.stats.statusUpdates} status updates`);
    await stream.stop();
    await repl.dropReplicationSlot(SLOT, { wait: true });
    repl.close();
    sql.close();
  }, 180_000);
});

/** The id of a pgoutput Insert of one int column in text form: 'I', Int32 relation, 'N', Int16 1, 't', Int32 length, digits. */
function parseIdText(b: Uint8Array): number {
  return Number(new TextDecoder().decode(b.subarray(13)));
}
