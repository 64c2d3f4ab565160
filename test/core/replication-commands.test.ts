import { InterfaceError } from '../../src/errors/base';
import { replicationSql, serverMajorOf, type ReplicationStatement } from '../../src/core/replication';

const LSN = (0x16n << 32n) | 0xb374d848n;

describe('replication command text', () => {
  test.each<[ReplicationStatement, number | undefined, string]>([
    [{ kind: 'IDENTIFY_SYSTEM' }, 16, 'IDENTIFY_SYSTEM'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 's1', plugin: 'test_decoding' }, 16, 'CREATE_REPLICATION_SLOT "s1" LOGICAL "test_decoding"'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 's1', plugin: 'pgoutput', temporary: true, snapshot: 'nothing' }, 15, `CREATE_REPLICATION_SLOT "s1" TEMPORARY LOGICAL "pgoutput" (SNAPSHOT 'nothing')`],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 's1', plugin: 'pgoutput', snapshot: 'export', twoPhase: true }, 17, `CREATE_REPLICATION_SLOT "s1" LOGICAL "pgoutput" (SNAPSHOT 'export', TWO_PHASE)`],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 's1', plugin: 'pgoutput', snapshot: 'nothing' }, 14, 'CREATE_REPLICATION_SLOT "s1" LOGICAL "pgoutput" NOEXPORT_SNAPSHOT'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 's1', plugin: 'pgoutput', snapshot: 'use' }, 14, 'CREATE_REPLICATION_SLOT "s1" LOGICAL "pgoutput" USE_SNAPSHOT'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 's1', plugin: 'pgoutput', snapshot: 'export', twoPhase: true }, 14, 'CREATE_REPLICATION_SLOT "s1" LOGICAL "pgoutput" EXPORT_SNAPSHOT TWO_PHASE'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 'p', temporary: true }, 16, 'CREATE_REPLICATION_SLOT "p" TEMPORARY PHYSICAL'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 'p', reserveWal: true }, 16, 'CREATE_REPLICATION_SLOT "p" PHYSICAL (RESERVE_WAL)'],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 'p', reserveWal: true }, 14, 'CREATE_REPLICATION_SLOT "p" PHYSICAL RESERVE_WAL'],
    [{ kind: 'DROP_REPLICATION_SLOT', slot: 's1' }, 16, 'DROP_REPLICATION_SLOT "s1"'],
    [{ kind: 'DROP_REPLICATION_SLOT', slot: 's1', wait: true }, 16, 'DROP_REPLICATION_SLOT "s1" WAIT'],
    [{ kind: 'READ_REPLICATION_SLOT', slot: 'p' }, 15, 'READ_REPLICATION_SLOT "p"'],
    [{ kind: 'TIMELINE_HISTORY', timeline: 2 }, 16, 'TIMELINE_HISTORY 2'],
    [{ kind: 'START_REPLICATION', mode: 'logical', slot: 's1', startLsn: LSN }, 16, 'START_REPLICATION SLOT "s1" LOGICAL 16/B374D848'],
    [{ kind: 'START_REPLICATION', mode: 'logical', slot: 's1', startLsn: 0n, options: { proto_version: '4', publication_names: 'a,b', 'include-xids': null } }, 16,
      `START_REPLICATION SLOT "s1" LOGICAL 0/0 ("proto_version" '4', "publication_names" 'a,b', "include-xids")`],
    [{ kind: 'START_REPLICATION', mode: 'physical', startLsn: LSN }, 16, 'START_REPLICATION PHYSICAL 16/B374D848'],
    [{ kind: 'START_REPLICATION', mode: 'physical', slot: 'p', startLsn: 1n, timeline: 3 }, 16, 'START_REPLICATION SLOT "p" PHYSICAL 0/1 TIMELINE 3'],
  ])('%p on %p', (statement, major, text) => {
    expect(replicationSql(statement, major)).toBe(text);
  });

  test('quotes every name and value so that nothing can break out of it', () => {
    const text = replicationSql({ kind: 'START_REPLICATION', mode: 'logical', slot: 'a"b', startLsn: 0n, options: { 'x"); DROP': `it's` } }, 16);
    expect(text).toBe(`START_REPLICATION SLOT "a""b" LOGICAL 0/0 ("x""); DROP" 'it''s')`);
    expect(replicationSql({ kind: 'DROP_REPLICATION_SLOT', slot: 'x" WAIT' }, 16)).toBe('DROP_REPLICATION_SLOT "x"" WAIT"');
  });

  test('READ_REPLICATION_SLOT before PostgreSQL 15 is refused, naming both versions', () => {
    expect(() => replicationSql({ kind: 'READ_REPLICATION_SLOT', slot: 'p' }, 14)).toThrow(/needs PostgreSQL 15 or later; the server is PostgreSQL 14/);
    try {
      replicationSql({ kind: 'READ_REPLICATION_SLOT', slot: 'p' }, 14);
    } catch (e) {
      expect((e as InterfaceError).code).toBe('ERR_UNSUPPORTED_BY_SERVER');
    }
  });

  test.each<[ReplicationStatement]>([
    [{ kind: 'DROP_REPLICATION_SLOT', slot: '' }],
    [{ kind: 'DROP_REPLICATION_SLOT', slot: 'a\0b' }],
    [{ kind: 'START_REPLICATION', mode: 'logical', startLsn: 0n }],
    [{ kind: 'START_REPLICATION', mode: 'logical', slot: 's', startLsn: 0n, timeline: 1 }],
    [{ kind: 'START_REPLICATION', mode: 'physical', startLsn: 0n, options: { a: 'b' } }],
    [{ kind: 'START_REPLICATION', mode: 'physical', startLsn: -1n }],
    [{ kind: 'START_REPLICATION', mode: 'logical', slot: 's', startLsn: 0n, options: { a: 'x\0' } }],
    [{ kind: 'TIMELINE_HISTORY', timeline: 0 }],
    [{ kind: 'TIMELINE_HISTORY', timeline: 1.5 }],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 'p', snapshot: 'nothing' }],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 'p', plugin: 'x', reserveWal: true }],
    [{ kind: 'CREATE_REPLICATION_SLOT', slot: 'p', plugin: 'x', snapshot: 'maybe' as never }],
    [{ kind: 'NOPE' } as never],
  ])('refuses the malformed %p', (statement) => {
    expect(() => replicationSql(statement, 16)).toThrow(InterfaceError);
  });

  test('serverMajorOf reads server_version', () => {
    expect(serverMajorOf('16.4 (Debian 16.4-1.pgdg120+1)')).toBe(16);
    expect(serverMajorOf('18beta1')).toBe(18);
    expect(serverMajorOf('9.6.24')).toBe(9);
    expect(serverMajorOf(undefined)).toBeUndefined();
    expect(serverMajorOf('devel')).toBeUndefined();
  });
});
