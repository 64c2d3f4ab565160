/**
 * Every replication command against the real server, through
 * ReplicationConnection: IDENTIFY_SYSTEM (logical and physical),
 * CREATE_REPLICATION_SLOT (logical with each snapshot action, temporary,
 * physical with RESERVE_WAL), READ_REPLICATION_SLOT (PostgreSQL 15+; a
 * clear refusal before), DROP_REPLICATION_SLOT [WAIT], TIMELINE_HISTORY
 * (timeline 1 has no history: the server's error). Slot names are unique
 * to this file's run and dropped in afterAll (a leftover slot holds WAL).
 */
import { DatabaseError, InterfaceError, ReplicationConnection } from '../../src/index';
import { serverMajorOf } from '../../src/core/replication';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';

const PREFIX = `tsp_cmd_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
const slot = (name: string): string => `${PREFIX}_${name}`;

describeServer('replication commands', () => {
  let db: TestDatabase;
  let logical: ReplicationConnection;
  let physical: ReplicationConnection;
  let major: number;

  beforeAll(async () => {
    db = await createTestDatabase('repl_cmd');
    logical = new ReplicationConnection();
    await logical.connect(db.url());
    physical = new ReplicationConnection();
    await physical.connect(db.url(), { physical: true });
    major = serverMajorOf(logical.serverParameters.get('server_version'))!;
  });

  afterAll(async () => {
    logical?.close();
    physical?.close();
    await adminQuery(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%' AND NOT active`);
    await db?.drop();
  });

  const slotRow = async (name: string): Promise<Record<string, unknown> | undefined> =>
    (await adminQuery(`SELECT slot_name, plugin, slot_type, temporary, confirmed_flush_lsn::text AS confirmed, restart_lsn::text AS restart FROM pg_replication_slots WHERE slot_name = $1`, [name]))[0];

  it('connects as the walsender kind asked for', () => {
    expect(logical.kind).toBe('logical');
    expect(physical.kind).toBe('physical');
  });

  it('IDENTIFY_SYSTEM on a logical connection names the database; the system id and position are the server\'s', async () => {
    const id = await logical.identifySystem();
    const [control] = await adminQuery<{ id: string; lsn: string }>('SELECT system_identifier::text AS id, pg_current_wal_flush_lsn()::text AS lsn FROM pg_control_system()');
    expect(id.systemId).toBe(control.id);
    expect(id.timeline).toBe(1);
    expect(id.dbName).toBe(db.name);
    expect(typeof id.xlogPos).toBe('bigint');
    expect(id.xlogPos).toBeGreaterThan(0n);
  });

  it('IDENTIFY_SYSTEM on a physical connection has no database', async () => {
    const id = await physical.identifySystem();
    expect(id.dbName).toBeNull();
    expect(id.timeline).toBe(1);
  });

  it.each(['nothing', 'export', 'use'] as const)('creates a logical slot with snapshot %s', async (snapshot) => {
    const name = slot(`snap_${snapshot}`);
    if (snapshot === 'use') {
      // USE_SNAPSHOT needs a transaction block on the replication connection: refused outside one, by the server
      await expect(logical.createReplicationSlot(name, { plugin: 'test_decoding', snapshot })).rejects.toBeInstanceOf(DatabaseError);
      return;
    }
    const created = await logical.createReplicationSlot(name, { plugin: 'test_decoding', snapshot });
    expect(created.slotName).toBe(name);
    expect(created.outputPlugin).toBe('test_decoding');
    expect(created.consistentPoint).toBeGreaterThan(0n);
    if (snapshot === 'export') expect(created.snapshotName).toMatch(/^[0-9A-F-]+$/);
    else expect(created.snapshotName).toBeNull();
    expect(await slotRow(name)).toMatchObject({ slot_name: name, plugin: 'test_decoding', slot_type: 'logical' });
    await logical.dropReplicationSlot(name);
    expect(await slotRow(name)).toBeUndefined();
  });

  it('a temporary slot lives as long as its session', async () => {
    const conn = new ReplicationConnection();
    await conn.connect(db.url());
    const name = slot('temp');
    await conn.createReplicationSlot(name, { plugin: 'pgoutput', temporary: true, snapshot: 'nothing' });
    expect(await slotRow(name)).toMatchObject({ temporary: true });
    conn.close();
    const deadline = Date.now() + 20_000;
    while ((await slotRow(name)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await slotRow(name)).toBeUndefined();
  });

  it('creates a physical slot with RESERVE_WAL, reads it (15+), drops it with WAIT', async () => {
    const name = slot('phys');
    const created = await physical.createReplicationSlot(name, { reserveWal: true });
    expect(created).toMatchObject({ slotName: name, snapshotName: null, outputPlugin: null });
    const row = await slotRow(name);
    expect(row).toMatchObject({ slot_type: 'physical' });
    expect(row?.restart).not.toBeNull();
    if (major >= 15) {
      const read = await physical.readReplicationSlot(name);
      expect(read.slotType).toBe('physical');
      expect(read.restartLsn).toBeGreaterThan(0n);
      expect(read.restartTli).toBe(1);
      expect(await physical.readReplicationSlot(slot('absent'))).toEqual({ slotType: null, restartLsn: null, restartTli: null });
    } else {
      const error = await physical.readReplicationSlot(name).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(InterfaceError);
      expect((error as InterfaceError).code).toBe('ERR_UNSUPPORTED_BY_SERVER');
      expect((error as Error).message).toMatch(new RegExp(`PostgreSQL 15 or later; the server is PostgreSQL ${major}`));
    }
    await physical.dropReplicationSlot(name, { wait: true });
    expect(await slotRow(name)).toBeUndefined();
  });

  it('TIMELINE_HISTORY of timeline 1 fails with the server\'s error; the connection goes on', async () => {
    const error = await logical.timelineHistory(1).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).message).toMatch(/history/);
    expect((await logical.identifySystem()).timeline).toBe(1);
  });

  it('server errors come back as DatabaseErrors: a duplicate slot, dropping a missing slot', async () => {
    const name = slot('dup');
    await logical.createReplicationSlot(name, { plugin: 'test_decoding', snapshot: 'nothing' });
    await expect(logical.createReplicationSlot(name, { plugin: 'test_decoding', snapshot: 'nothing' })).rejects.toMatchObject({ code: '42710' });
    await logical.dropReplicationSlot(name);
    await expect(logical.dropReplicationSlot(name)).rejects.toMatchObject({ code: '42704' });
  });

  it('refuses bad arguments before sending anything', async () => {
    await expect(logical.createReplicationSlot(slot('x'))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(logical.dropReplicationSlot('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(logical.timelineHistory(0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((await logical.identifySystem()).dbName).toBe(db.name);
  });

  it('commands on a closed connection fail with ConnectionClosed', async () => {
    const conn = new ReplicationConnection();
    await expect(conn.identifySystem()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });
});
