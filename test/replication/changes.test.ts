/**
 * changes$ on a pgoutput stream against the real server: typed Begin,
 * Relation, Insert, Update, Delete, Commit messages, rows keyed by column
 * name and decoded through the connection's TypeRegistry, each with its
 * LSN; acknowledging a Commit change confirms it on the slot (or a later
 * keepalive position, once idle).
 */
import { firstValueFrom } from 'rxjs';
import { take, toArray } from 'rxjs/operators';
import { Connection, parseLsn, ReplicationConnection } from '../../src/index';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';

const SLOT = `tsp_changes_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('changes$ (pgoutput)', () => {
  let db: TestDatabase;
  let sql: Connection;

  beforeAll(async () => {
    db = await createTestDatabase('repl_changes');
    sql = new Connection();
    await sql.connect(db.url());
    await sql.runOperation('CREATE TABLE items (id int PRIMARY KEY, name text, price numeric, seen timestamptz, big int8)');
    await sql.runOperation('CREATE PUBLICATION pub_items FOR TABLE items');
  });

  afterAll(async () => {
    sql?.close();
    await adminQuery(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [SLOT]);
    await db?.drop();
  });

  it.each([1, 2])('decodes inserts, updates and deletes with proto_version %i', async (version) => {
    const slot = `${SLOT}_${version}`;
    const repl = new ReplicationConnection();
    await repl.connect(db.url());
    await repl.createReplicationSlot(slot, { plugin: 'pgoutput', snapshot: 'nothing' });
    await sql.runOperation(`INSERT INTO items VALUES (${version}, 'a', 1.50, '2024-01-02T03:04:05Z', 9007199254740993)`);
    await sql.runOperation(`UPDATE items SET name = 'b' WHERE id = ${version}`);
    await sql.runOperation(`DELETE FROM items WHERE id = ${version}`);
    const stream = repl.startReplication({ slot, options: { proto_version: version, publication_names: 'pub_items' } });
    const changes = await firstValueFrom(stream.changes$.pipe(take(10), toArray()));
    expect(changes.map((c) => c.tag)).toEqual(['begin', 'relation', 'insert', 'commit', 'begin', 'update', 'commit', 'begin', 'delete', 'commit']);
    const insert = changes[2] as Extract<typeof changes[number], { tag: 'insert' }>;
    expect(insert.new).toEqual({ id: version, name: 'a', price: '1.50', seen: new Date('2024-01-02T03:04:05Z'), big: 9007199254740993n });
    expect(typeof insert.lsn).toBe('bigint');
    // ack is there but not enumerable, on row changes and the others alike: the fields are the decoder's, in its order
    expect(Object.keys(insert)).toEqual(['tag', 'lsn', 'relation', 'columns', 'new']);
    expect(Object.keys(changes[0])).not.toContain('ack');
    expect(typeof insert.ack).toBe('function');
    expect({ ...changes[5] }).not.toHaveProperty('ack');
    const update = changes[5] as Extract<typeof changes[number], { tag: 'update' }>;
    expect(update.new).toMatchObject({ id: version, name: 'b' });
    const del = changes[8] as Extract<typeof changes[number], { tag: 'delete' }>;
    expect(del.old).toMatchObject({ id: version });
    const lastCommit = changes[9];
    lastCommit.ack();
    stream.sendFeedback({ force: true });
    const deadline = Date.now() + 10_000;
    let confirmed = 0n;
    while (confirmed < lastCommit.lsn && Date.now() < deadline) {
      const [row] = await adminQuery<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      confirmed = parseLsn(row.lsn);
    }
    // at least the last commit; past it only when idle (a keepalive's position), with no commit of ours between
    expect(confirmed).toBeGreaterThanOrEqual(lastCommit.lsn);
    await stream.stop();
    await repl.dropReplicationSlot(slot);
    repl.close();
  });
});
