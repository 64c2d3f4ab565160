/**
 * PgoutputDecoder against what a real server's pgoutput writes, read
 * through the SQL interface of logical decoding (no replication protocol
 * needed): a logical slot with the `pgoutput` plugin, changes, then
 * `pg_logical_slot_peek_binary_changes(slot, NULL, NULL, options...)`,
 * each row one message. Covered: every message the server produces for
 * plain, streamed (protocol 2 and 4) and originated transactions, REPLICA IDENTITY DEFAULT / FULL / USING INDEX, TRUNCATE,
 * unchanged TOAST, logical decoding messages, and every built-in type's
 * value in text and binary pgoutput equal to what a query returns.
 *
 * Options by server version (server_version_num): `binary`, `messages` and
 * `streaming 'on'` (protocol 2) need PostgreSQL 14, the oldest the suite
 * runs on; protocol 4 and `streaming 'parallel'` need 16: on an older server
 * the test checks that the server refuses them instead. Two-phase decoding
 * (protocol 3, PostgreSQL 15+) needs `max_prepared_transactions > 0`, which
 * the suite's server does not set: pgoutput-two-phase.test.ts starts its
 * own server for it.
 */
import { Connection } from '../../src/index';
import { parseLsn } from '../../src/replication/lsn';
import { PgoutputDecoder, type PgoutputDecoderOptions } from '../../src/replication/pgoutput';
import { UNCHANGED_TOAST, type PgoutputMessage, type PgoutputTag } from '../../src/replication/pgoutput-messages';
import { ArrayOid, Oid } from '../../src/types';
import { roundTripCases } from '../types/roundtrip-cases';
import { createTestDatabase, describeServer, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;
let version = 0;
const slots: string[] = [];
const testSlots: string[] = [];
let slotCount = 0;
const slotPrefix = `tsp_pgo_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  db = await createTestDatabase('pgoutput');
  conn = new Connection();
  await conn.connect(`${db.url()}?sslmode=disable`);
  const [row] = await conn.runQuery<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  version = Number(row.v);
  await conn.runOperation('CREATE PUBLICATION p FOR ALL TABLES');
}, 60_000);

afterAll(async () => {
  await dropSlots([...testSlots, ...slots]);
  conn?.close();
  await db?.drop();
}, 60_000);

/**
 * Creates a logical pgoutput slot and returns its name. The server has
 * few slots (max_replication_slots, 10 by default, shared with other test
 * files), so a slot made inside a test is dropped after it; one made in a
 * `beforeAll` (`keep`) in the final afterAll.
 */
async function createSlot(keep = false): Promise<string> {
  const slot = `${slotPrefix}_${slotCount++}`;
  (keep ? slots : testSlots).push(slot);
  await conn.runOperation("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  return slot;
}

async function dropSlots(names: string[]): Promise<void> {
  for (const slot of names.splice(0)) await conn.runOperation('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
}

afterEach(async () => {
  await dropSlots(testSlots);
});

/** Every message pending in `slot`, decoded (peeked, so the slot keeps them). */
async function peek(slot: string, options: Record<string, string> = {}, decoderOptions: PgoutputDecoderOptions = {}): Promise<PgoutputMessage[]> {
  const all = { proto_version: String(decoderOptions.protoVersion ?? 1), publication_names: 'p', ...options };
  const rows = await conn.runQuery<{ lsn: string; data: Uint8Array }>(
    'SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, VARIADIC $2::text[])',
    [slot, Object.entries(all).flat()],
  );
  const decoder = new PgoutputDecoder(conn.types, decoderOptions);
  return rows.map((r) => decoder.decode(r.data, parseLsn(r.lsn)));
}

function tags(messages: readonly PgoutputMessage[]): PgoutputTag[] {
  return messages.map((m) => m.tag);
}

function only<T extends PgoutputTag>(messages: readonly PgoutputMessage[], tag: T): Extract<PgoutputMessage, { tag: T }>[] {
  return messages.filter((m): m is Extract<PgoutputMessage, { tag: T }> => m.tag === tag);
}

describeServer('pgoutput from a real server', () => {
  describe('plain transactions', () => {
    it('Begin, Relation, Insert, Update, Delete, Commit: LSNs, xid and times agree', async () => {
      await conn.runOperation('CREATE TABLE plain (id int PRIMARY KEY, v text)');
      const slot = await createSlot();
      await conn.runInteraction(async (c) => {
        await c.execute("INSERT INTO plain VALUES (1, 'one'), (2, 'two')");
        await c.execute("UPDATE plain SET v = 'uno' WHERE id = 1");
        await c.execute('DELETE FROM plain WHERE id = 2');
      });
      const [{ xid }] = await conn.runQuery<{ xid: string }>("SELECT xmin::text AS xid FROM plain WHERE id = 1");
      const messages = await peek(slot);
      expect(tags(messages)).toEqual(['begin', 'relation', 'insert', 'insert', 'update', 'delete', 'commit']);
      const [begin] = only(messages, 'begin');
      const [commit] = only(messages, 'commit');
      expect(begin.xid).toBe(Number(xid));
      expect(begin.finalLsn).toBe(commit.commitLsn);
      expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
      expect(commit.commitTime).toEqual(begin.commitTime);
      expect(Math.abs(commit.commitTime.getTime() - Date.now())).toBeLessThan(3_600_000);
      expect(commit.commitTimeMicros / 1000n + 946684800000n).toBe(BigInt(commit.commitTime.getTime()));
      for (let i = 1; i < messages.length; i++) expect(messages[i].lsn).toBeGreaterThanOrEqual(messages[i - 1].lsn);
      const [relation] = only(messages, 'relation');
      expect(relation).toMatchObject({ namespace: 'public', name: 'plain', replicaIdentity: 'd' });
      expect(relation.columns.map((c) => [c.name, c.isKey, c.typeOid])).toEqual([['id', true, 23], ['v', false, 25]]);
      expect(only(messages, 'insert').map((m) => m.new)).toEqual([{ id: 1, v: 'one' }, { id: 2, v: 'two' }]);
      expect(only(messages, 'update')[0]).toMatchObject({ old: null, oldKind: null, new: { id: 1, v: 'uno' }, columns: ['id', 'v'] });
      expect(only(messages, 'delete')[0]).toMatchObject({ old: { id: 2 }, oldKind: 'key' });
    });

    it('REPLICA IDENTITY DEFAULT, FULL and USING INDEX: the old key or the old row of Update and Delete', async () => {
      await conn.runOperation('CREATE TABLE rid_default (id int PRIMARY KEY, code text NOT NULL, v text)');
      await conn.runOperation('CREATE TABLE rid_full (id int PRIMARY KEY, code text NOT NULL, v text)');
      await conn.runOperation('ALTER TABLE rid_full REPLICA IDENTITY FULL');
      await conn.runOperation('CREATE TABLE rid_index (id int PRIMARY KEY, code text NOT NULL, v text)');
      await conn.runOperation('CREATE UNIQUE INDEX rid_index_code ON rid_index (code)');
      await conn.runOperation('ALTER TABLE rid_index REPLICA IDENTITY USING INDEX rid_index_code');
      for (const t of ['rid_default', 'rid_full', 'rid_index']) await conn.runOperation(`INSERT INTO ${t} VALUES (1, 'a', 'x'), (2, 'b', 'y')`);
      const slot = await createSlot();
      for (const t of ['rid_default', 'rid_full', 'rid_index']) {
        await conn.runOperation(`UPDATE ${t} SET v = 'z' WHERE id = 1`);
        await conn.runOperation(`UPDATE ${t} SET id = 3, code = 'c' WHERE id = 2`);
        await conn.runOperation(`DELETE FROM ${t} WHERE id = 1`);
      }
      const messages = await peek(slot);
      const relations = only(messages, 'relation');
      expect(relations.map((r) => [r.name, r.replicaIdentity, r.columns.filter((c) => c.isKey).map((c) => c.name)])).toEqual([
        ['rid_default', 'd', ['id']], ['rid_full', 'f', ['id', 'code', 'v']], ['rid_index', 'i', ['code']],
      ]);
      const changes = messages.filter((m) => m.tag === 'update' || m.tag === 'delete')
        .map((m) => (m.tag === 'update' || m.tag === 'delete' ? [m.relation.name, m.tag, m.oldKind, m.old] : []));
      expect(changes).toEqual([
        ['rid_default', 'update', null, null],
        ['rid_default', 'update', 'key', { id: 2 }],
        ['rid_default', 'delete', 'key', { id: 1 }],
        ['rid_full', 'update', 'full', { id: 1, code: 'a', v: 'x' }],
        ['rid_full', 'update', 'full', { id: 2, code: 'b', v: 'y' }],
        ['rid_full', 'delete', 'full', { id: 1, code: 'a', v: 'z' }],
        ['rid_index', 'update', null, null],
        ['rid_index', 'update', 'key', { code: 'b' }],
        ['rid_index', 'delete', 'key', { code: 'a' }],
      ]);
    });

    it('TRUNCATE of several tables, with CASCADE and RESTART IDENTITY', async () => {
      await conn.runOperation('CREATE TABLE tr_a (id serial PRIMARY KEY)');
      await conn.runOperation('CREATE TABLE tr_b (id serial PRIMARY KEY, a int REFERENCES tr_a)');
      await conn.runOperation('INSERT INTO tr_a DEFAULT VALUES');
      const slot = await createSlot();
      await conn.runOperation('TRUNCATE tr_b');
      await conn.runOperation('TRUNCATE tr_a RESTART IDENTITY CASCADE');
      const truncates = only(await peek(slot), 'truncate');
      expect(truncates.map((t) => [t.relations.map((r) => r.name).sort(), t.cascade, t.restartIdentity])).toEqual([
        [['tr_b'], false, false],
        [['tr_a', 'tr_b'], true, true],
      ]);
    });

    it('an unchanged TOASTed value is UNCHANGED_TOAST; a changed one is sent', async () => {
      await conn.runOperation('CREATE TABLE toasty (id int PRIMARY KEY, n int, big text)');
      await conn.runOperation('ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL');
      const big = 'x'.repeat(10_000);
      await conn.runOperation('INSERT INTO toasty VALUES (1, 0, $1)', [big]);
      const slot = await createSlot();
      await conn.runOperation('UPDATE toasty SET n = 1 WHERE id = 1');
      await conn.runOperation("UPDATE toasty SET big = big || 'y' WHERE id = 1");
      for (const binary of ['false', 'true']) {
        const updates = only(await peek(slot, { binary }), 'update');
        expect(updates.map((u) => u.new)).toEqual([{ id: 1, n: 1, big: UNCHANGED_TOAST }, { id: 1, n: 1, big: `${big}y` }]);
      }
    });

    it('a publication with a column list (15+): the Relation and the rows hold the published columns only (14 refuses the syntax)', async () => {
      await conn.runOperation('CREATE TABLE listed (id int PRIMARY KEY, secret text, shown text)');
      if (version < 150000) {
        await expect(conn.runOperation('CREATE PUBLICATION p_listed FOR TABLE listed (id, shown)')).rejects.toMatchObject({ code: '42601' });
        return;
      }
      await conn.runOperation('CREATE PUBLICATION p_listed FOR TABLE listed (id, shown)');
      const slot = await createSlot();
      await conn.runOperation("INSERT INTO listed VALUES (1, 'hidden', 'visible')");
      const messages = await peek(slot, { publication_names: 'p_listed' });
      expect(only(messages, 'relation')[0].columns.map((c) => c.name)).toEqual(['id', 'shown']);
      expect(only(messages, 'insert')[0]).toMatchObject({ columns: ['id', 'shown'], new: { id: 1, shown: 'visible' } });
    });

    it('a Type message describes a non-built-in column type; its values come as text', async () => {
      await conn.runOperation("CREATE TYPE mood AS ENUM ('sad', 'happy')");
      await conn.runOperation('CREATE TABLE moods (id int PRIMARY KEY, m mood)');
      const slot = await createSlot();
      await conn.runOperation("INSERT INTO moods VALUES (1, 'happy')");
      const messages = await peek(slot);
      expect(tags(messages)).toEqual(['begin', 'type', 'relation', 'insert', 'commit']);
      const [type] = only(messages, 'type');
      const [{ oid }] = await conn.runQuery<{ oid: number }>("SELECT 'mood'::regtype::oid AS oid");
      expect(type).toMatchObject({ typeOid: oid, namespace: 'public', name: 'mood' });
      expect(only(messages, 'insert')[0].new).toEqual({ id: 1, m: 'happy' });
    });

    it('logical decoding messages, transactional and not (messages true)', async () => {
      const slot = await createSlot();
      await conn.runOperation("SELECT pg_logical_emit_message(false, 'nontx', 'now')");
      await conn.runInteraction(async (c) => {
        await c.execute("SELECT pg_logical_emit_message(true, 'tx', '\\x00ff'::bytea)");
        await c.execute('CREATE TEMP TABLE IF NOT EXISTS force_xid (i int)');
      });
      const messages = await peek(slot, { messages: 'true' });
      const logical = only(messages, 'message');
      expect(logical.map((m) => [m.transactional, m.prefix, Buffer.from(m.content).toString('hex')])).toEqual([
        [false, 'nontx', Buffer.from('now').toString('hex')],
        [true, 'tx', '00ff'],
      ]);
      for (const m of logical) expect(m.messageLsn).toBeGreaterThan(0n);
      expect(tags(messages)).toEqual(['message', 'begin', 'message', 'commit']);
      expect(only(await peek(slot), 'message')).toEqual([]); // not without the option
    });

    it('an Origin message for a transaction replayed under a replication origin', async () => {
      await conn.runOperation('CREATE TABLE origins (id int PRIMARY KEY)');
      const origin = `${slotPrefix}_origin`;
      await conn.runOperation('SELECT pg_replication_origin_create($1)', [origin]);
      try {
        const slot = await createSlot();
        await conn.runOperation('SELECT pg_replication_origin_session_setup($1)', [origin]);
        await conn.runInteraction(async (c) => {
          await c.execute("SELECT pg_replication_origin_xact_setup('1/23456789', now())");
          await c.execute('INSERT INTO origins VALUES (1)');
        });
        await conn.runOperation('SELECT pg_replication_origin_session_reset()');
        const messages = await peek(slot);
        expect(tags(messages)).toEqual(['begin', 'origin', 'relation', 'insert', 'commit']);
        expect(only(messages, 'origin')[0]).toMatchObject({ name: origin, originLsn: 0x123456789n });
      } finally {
        await conn.runOperation('SELECT pg_replication_origin_drop($1)', [origin]);
      }
    });
  });

  describe('streamed in-progress transactions', () => {
    /** Enough rows to pass logical_decoding_work_mem = 64kB several times over. */
    const bulk = "INSERT INTO streamed SELECT g, repeat('s', 200) FROM generate_series($1::int, $1::int + 1999) g";

    beforeAll(async () => {
      await conn.runOperation('CREATE TABLE streamed (id int PRIMARY KEY, v text)');
      await conn.runOperation("SET logical_decoding_work_mem = '64kB'");
    });

    async function streamedWorkload(): Promise<string> {
      await conn.runOperation('TRUNCATE streamed');
      const slot = await createSlot();
      await conn.runInteraction(async (c) => {
        await c.execute(bulk, [0]);
      });
      await conn.runInteraction(async (c) => {
        await c.execute(bulk, [10_000]);
        await c.execute('SAVEPOINT s');
        await c.execute(bulk, [20_000]);
        await c.execute('ROLLBACK TO SAVEPOINT s');
      });
      await conn.runInteraction(async (c) => {
        await c.execute(bulk, [30_000]);
        throw new Error('roll it back');
      }).catch(() => undefined);
      return slot;
    }

    /**
     * Checks the stream blocks: each data message inside one carries the xid
     * of the block's transaction or of one of its subtransactions; returns
     * the commits, the aborts and the xids seen in each transaction's blocks.
     */
    function checkBlocks(messages: readonly PgoutputMessage[]): { inserts: number; commits: number[]; aborts: [number, number][]; xids: Map<number, Set<number>> } {
      let open: number | undefined;
      let inserts = 0;
      const commits: number[] = [];
      const aborts: [number, number][] = [];
      const xids = new Map<number, Set<number>>();
      for (const m of messages) {
        if (m.tag === 'streamStart') open = m.xid;
        else if (m.tag === 'streamStop') open = undefined;
        else if (m.tag === 'streamCommit') commits.push(m.xid);
        else if (m.tag === 'streamAbort') aborts.push([m.xid, m.subXid]);
        if (m.tag === 'insert' || m.tag === 'relation') {
          expect(open).toBeDefined();
          expect(m.xid).toBeGreaterThanOrEqual(open as number);
          const seen = xids.get(open as number) ?? new Set<number>();
          xids.set(open as number, seen.add(m.xid as number));
          if (m.tag === 'insert') inserts++;
        }
      }
      return { inserts, commits, aborts, xids };
    }

    it("protocol 2, streaming 'on': Stream Start/Stop blocks with xids, Stream Commit, Stream Abort of a subtransaction", async () => {
      const slot = await streamedWorkload();
      const messages = await peek(slot, { streaming: 'on' }, { protoVersion: 2 });
      expect(tags(messages)).toContain('streamStart');
      expect(tags(messages)).not.toContain('begin');
      const { inserts, commits, aborts, xids } = checkBlocks(messages);
      expect(commits).toHaveLength(2);
      expect([...(xids.get(commits[0]) ?? [])]).toEqual([commits[0]]); // no subtransaction: every change carries the top xid
      // the rolled-back subtransaction; the transaction rolled back as a whole is not streamed at all: decoded
      // after the fact, it is known to have aborted (a live walsender streams it and then sends Stream Abort)
      expect(aborts).toHaveLength(1);
      expect(aborts[0][0]).toBe(commits[1]);
      expect(aborts[0][1]).not.toBe(aborts[0][0]);
      expect(xids.get(commits[1])).toEqual(new Set([commits[1], aborts[0][1]])); // its changes carried its own xid
      expect(inserts).toBeGreaterThanOrEqual(4000);
      const [first] = only(messages, 'streamStart');
      expect(first.firstSegment).toBe(true);
      const streamCommits = only(messages, 'streamCommit');
      expect(streamCommits[0].endLsn).toBeGreaterThan(streamCommits[0].commitLsn);
      for (const a of only(messages, 'streamAbort')) expect(a.abortLsn).toBeUndefined();
      // without streaming the same changes come as plain transactions
      const plain = await peek(slot, {}, { protoVersion: 2 });
      expect(tags(plain)).not.toContain('streamStart');
      expect(only(plain, 'commit')).toHaveLength(2);
    }, 60_000);

    it("protocol 4, streaming 'parallel': Stream Abort carries the abort LSN and time (before 16: the server refuses protocol 4)", async () => {
      const slot = await streamedWorkload();
      if (version < 160000) {
        await expect(peek(slot, { streaming: 'parallel' }, { protoVersion: 3 })).rejects.toMatchObject({ message: expect.stringMatching(/streaming/) });
        await expect(peek(slot, { streaming: 'on' }, { protoVersion: 4 })).rejects.toMatchObject({ message: expect.stringMatching(/proto_version/) });
        return;
      }
      const messages = await peek(slot, { streaming: 'parallel' }, { protoVersion: 4 });
      const { commits } = checkBlocks(messages);
      expect(commits).toHaveLength(2);
      const aborts = only(messages, 'streamAbort');
      expect(aborts).toHaveLength(1);
      for (const a of aborts) {
        expect(a.abortLsn).toBeGreaterThan(0n);
        expect(a.abortTime).toBeInstanceOf(Date);
        expect(Math.abs((a.abortTime as Date).getTime() - Date.now())).toBeLessThan(3_600_000);
      }
    }, 60_000);
  });

  describe('every built-in type through text and binary pgoutput', () => {
    const cases = roundTripCases.filter((c) => c.options === undefined);
    /** Every scalar type's array type too, holding a value of the type and a NULL. */
    const arrays = [...new Map(cases.filter((c) => !c.sqlType.endsWith('[]')).map((c) => [c.sqlType, c])).values()]
      .map((c) => ({ sqlType: `${c.sqlType}[]`, value: [c.value, null] }));
    const money = [{ sqlType: 'money', value: '1234.56' }, { sqlType: 'money', value: '-0.01' }, { sqlType: 'money[]', value: ['2.5', null] }];
    /** Types the round-trip table leaves out (read as text by the registry). */
    const more = [
      { sqlType: 'xml', value: '<a b="c">x &amp; y</a>' }, { sqlType: 'macaddr8', value: '08:00:2b:01:02:03:04:05' },
      { sqlType: 'bit(3)', value: '101' }, { sqlType: 'varbit', value: '1011001110' }, { sqlType: 'varbit', value: '' },
      { sqlType: 'jsonpath', value: '$."a"[*]?(@ > 1)' }, { sqlType: 'time', value: '24:00:00' }, { sqlType: 'timetz', value: '00:00:00.5-03:25:07' },
      { sqlType: 'numeric', value: '0' }, { sqlType: 'numeric(20,10)', value: '-12345.0000000001' }, { sqlType: 'numeric', value: '0.0001000' },
      { sqlType: 'inet', value: '::ffff:1.2.3.4' }, { sqlType: 'inet', value: '1:0:0:1::/127' }, { sqlType: 'inet', value: 'fe80::' },
      { sqlType: 'cidr', value: '::/0' }, { sqlType: 'interval', value: '-178000000 years' }, { sqlType: 'date', value: '5874897-12-31' },
      { sqlType: 'date', value: '4713-01-01 BC' }, { sqlType: 'float8', value: 1e21 }, { sqlType: 'point', value: '(-0,1e-300)' },
    ];
    for (const c of more.filter((m) => /^(xml|macaddr8|bit\(3\)|varbit|jsonpath)$/.test(m.sqlType))) arrays.push({ sqlType: `${c.sqlType}[]`, value: [c.value, null] });
    const all: { sqlType: string; value: unknown }[] = [...cases, ...more, ...arrays, ...money];
    const column = (sqlType: string): string => `c${all.findIndex((c) => c.sqlType === sqlType)}`;
    let expected: Record<string, unknown>;
    let moneySent: Record<string, unknown>;
    let slot: string;

    beforeAll(async () => {
      await conn.runOperation(`CREATE TABLE every_type (id int PRIMARY KEY, ${all.map((c, i) => `c${i} ${c.sqlType}`).join(', ')})`);
      await conn.runOperation('ALTER TABLE every_type REPLICA IDENTITY FULL');
      slot = await createSlot(true);
      await conn.runOperation(`INSERT INTO every_type VALUES ($1, ${all.map((_c, i) => `$${i + 2}`).join(', ')})`, [1, ...all.map((c) => c.value)]);
      await conn.runOperation('INSERT INTO every_type (id) VALUES (2)');
      [expected] = await conn.runQuery('SELECT * FROM every_type WHERE id = 1');
      const sends = all.flatMap((c, i) => (c.sqlType === 'money' ? [`cash_send(c${i}) AS c${i}`] : c.sqlType === 'money[]' ? [`cash_send(c${i}[1]) AS c${i}`] : []));
      [moneySent] = await conn.runQuery(`SELECT ${sends.join(', ')} FROM every_type WHERE id = 1`);
      await conn.runOperation('DELETE FROM every_type WHERE id = 1');
    }, 120_000);

    it('has a column of every type the registry knows and of its array type', async () => {
      const rows = await conn.runQuery<{ oid: number }>("SELECT atttypid::int AS oid FROM pg_attribute WHERE attrelid = 'every_type'::regclass AND attnum > 1");
      const present = new Set(rows.map((r) => r.oid));
      const known = [...Object.values(Oid), ...Object.values(ArrayOid)].filter((oid) => oid !== 0);
      expect(known.filter((oid) => !present.has(oid))).toEqual([]);
      expect(column('money')).not.toBe('c-1');
    });

    it.each([['text', 'false'], ['binary', 'true']])('%s pgoutput: the inserted and the deleted row equal what a query returns', async (_name, binary) => {
      const messages = await peek(slot, { binary });
      const [insert, nulls] = only(messages, 'insert');
      const [del] = only(messages, 'delete');
      const row = { ...expected };
      if (binary === 'true') {
        // money's text depends on lc_monetary: in binary mode it comes as its send bytes
        for (const [key, sent] of Object.entries(moneySent)) {
          row[key] = all[Number(key.slice(1))].sqlType === 'money' ? Buffer.from(sent as Uint8Array) : [Buffer.from(sent as Uint8Array), null];
        }
      }
      for (const key of Object.keys(row)) expect([key, all[Number(key.slice(1))]?.sqlType, insert.new[key]]).toEqual([key, all[Number(key.slice(1))]?.sqlType, row[key]]);
      expect(insert.new).toEqual(row);
      expect(del.old).toEqual(row);
      expect(nulls.new).toEqual(Object.fromEntries(Object.keys(row).map((k) => [k, k === 'id' ? 2 : null])));
    });
  });
});

