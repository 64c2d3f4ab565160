/**
 * target_session_attrs and load_balance_hosts on virtual time: which host a
 * connection picks among scripted servers that report (or do not report)
 * their role, as libpq picks. The same rules against real servers and libpq
 * itself are in test/faults/failover tests and target-session.test.ts.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import {
  Connection, ConnectionDead, ConnectionFailed, DeadConnectionDetector, UnsuitableServer, type ConnectInput,
} from '../../src/index';
import { judge, reportedRole, type ServerRole } from '../../src/connection/target-session';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import type { TargetSessionAttrs } from '../../src/dsn/params';
import { FakeServer, outcome, settle } from '../support/fake-backend';

const PRIMARY = { in_hot_standby: 'off', default_transaction_read_only: 'off' };
const STANDBY = { in_hot_standby: 'on', default_transaction_read_only: 'off' };
const READ_ONLY_PRIMARY = { in_hot_standby: 'off', default_transaction_read_only: 'on' };

let reactor: VirtualReactor;
let unhandled: CapturedFailures;
let conns: Connection[];

beforeEach(() => {
  unhandled = captureUnhandledFailures();
  reactor = new VirtualReactor();
  conns = [];
});
afterEach(() => {
  for (const c of conns) c.close();
  unhandled.restore();
  expect(unhandled.failures).toEqual([]);
});

/** A scripted server on `host` reporting `parameters`, answering `SELECT 'host'`. */
function server(host: string, parameters: Record<string, string> = {}): FakeServer {
  const s = new FakeServer(reactor, { host, parameters: { ...parameters } });
  s.answer('SELECT current_setting(\'tsp.host\') AS host', { fields: [{ name: 'host', type: 'text' }], rows: [[host]] });
  return s;
}

/** Connect input naming `servers` in order. */
function input(servers: FakeServer[], extra: Partial<ConnectInput> = {}): ConnectInput {
  return {
    hosts: servers.map((s) => ({ host: s.endpoint.host, port: s.endpoint.port })),
    user: 'tester', password: 'secret', database: 'test', sslmode: 'disable', ...extra,
  } as ConnectInput;
}

/** Which server a new connection lands on (or the error), and the connection. */
async function connectTo(servers: FakeServer[], attrs: TargetSessionAttrs, extra: Partial<ConnectInput> = {}): Promise<{ host: string | Error; conn: Connection }> {
  const conn = new Connection({ reactor, env: {} });
  conns.push(conn);
  const result = await outcome(reactor, conn.connect(input(servers, { targetSessionAttrs: attrs, ...extra })));
  if (result instanceof Error) return { host: result, conn };
  const rows = (await outcome(reactor, conn.runQuery("SELECT current_setting('tsp.host') AS host"))) as Array<{ host: string }>;
  return { host: rows[0].host, conn };
}

/** Whether a server's connections were each told Terminate (refused politely), per connection. */
function terminated(s: FakeServer): boolean[] {
  return s.backends.map((b) => b.received.some((m) => m.type === 'Terminate'));
}

describe('judging a role (libpq rules)', () => {
  const roles: Record<string, ServerRole> = {
    primary: { inHotStandby: false, readOnly: false },
    'read-only primary': { inHotStandby: false, readOnly: true },
    standby: { inHotStandby: true, readOnly: true },
  };
  const expected: Record<TargetSessionAttrs, Record<string, string | null>> = {
    any: { primary: null, 'read-only primary': null, standby: null },
    'read-write': { primary: null, 'read-only primary': 'session is read-only', standby: 'session is read-only' },
    'read-only': { primary: 'session is not read-only', 'read-only primary': null, standby: null },
    primary: { primary: null, 'read-only primary': null, standby: 'server is in hot standby mode' },
    standby: { primary: 'server is not in hot standby mode', 'read-only primary': 'server is not in hot standby mode', standby: null },
    'prefer-standby': { primary: 'server is not in hot standby mode', 'read-only primary': 'server is not in hot standby mode', standby: null },
  };
  for (const [attrs, row] of Object.entries(expected) as Array<[TargetSessionAttrs, Record<string, string | null>]>) {
    for (const [role, verdict] of Object.entries(row)) {
      it(`${attrs} on a ${role}: ${verdict ?? 'fits'}`, () => {
        const v = judge(attrs, roles[role]);
        expect(v === null ? null : 'refused' in v ? v.refused : v).toBe(verdict);
      });
    }
  }

  it('reads the role from ParameterStatus; either missing means the read-only state is unknown', () => {
    expect(reportedRole(new Map(Object.entries(STANDBY)))).toEqual({ inHotStandby: true, readOnly: true });
    expect(reportedRole(new Map(Object.entries(READ_ONLY_PRIMARY)))).toEqual({ inHotStandby: false, readOnly: true });
    expect(reportedRole(new Map([['in_hot_standby', 'off']]))).toEqual({ inHotStandby: false, readOnly: undefined });
    expect(judge('read-write', {})).toEqual({ ask: 'SHOW transaction_read_only' });
    expect(judge('standby', {})).toEqual({ ask: 'SELECT pg_catalog.pg_is_in_recovery()' });
  });
});

describe('picking a host', () => {
  it('read-write skips a standby listed first, telling it Terminate, and lands on the primary', async () => {
    const s = server('standby.test', STANDBY);
    const p = server('primary.test', PRIMARY);
    expect((await connectTo([s, p], 'read-write')).host).toBe('primary.test');
    expect(terminated(s)).toEqual([true]);
    expect(terminated(p)).toEqual([false]);
  });

  it('read-write refuses a primary whose default_transaction_read_only is on; read-only and primary take it', async () => {
    const ro = server('ro.test', READ_ONLY_PRIMARY);
    const p = server('primary.test', PRIMARY);
    expect((await connectTo([ro, p], 'read-write')).host).toBe('primary.test');
    expect((await connectTo([p, ro], 'read-only')).host).toBe('ro.test');
    expect((await connectTo([ro, p], 'primary')).host).toBe('ro.test');
  });

  it('standby and prefer-standby skip the primary; prefer-standby falls back to the primary on a second pass', async () => {
    const p = server('primary.test', PRIMARY);
    const s = server('standby.test', STANDBY);
    expect((await connectTo([p, s], 'standby')).host).toBe('standby.test');
    expect((await connectTo([p, s], 'prefer-standby')).host).toBe('standby.test');
    s.down();
    expect((await connectTo([p, s], 'prefer-standby')).host).toBe('primary.test');
    // the first pass refused the primary, the second pass took it: two connections to it
    expect(terminated(p)).toEqual([true, true, true, false]);
  });

  it('when no host fits: ConnectionFailed naming every host with why it was refused', async () => {
    const s1 = server('s1.test', STANDBY);
    const s2 = server('s2.test', STANDBY);
    const down = server('down.test', PRIMARY);
    down.down();
    const { host } = await connectTo([s1, down, s2], 'read-write');
    expect(host).toBeInstanceOf(ConnectionFailed);
    const failed = host as ConnectionFailed;
    expect(failed.code).toBe('ERR_CONNECTION_FAILED');
    expect(failed.hosts).toEqual(['s1.test:5432', 'down.test:5432', 's2.test:5432']);
    expect(failed.errors[0]).toBeInstanceOf(UnsuitableServer);
    expect(failed.errors[0]).toMatchObject({ code: 'ERR_UNSUITABLE_SERVER', host: 's1.test:5432', reason: 'session is read-only', targetSessionAttrs: 'read-write' });
    expect(failed.errors[1]).not.toBeInstanceOf(UnsuitableServer);
    expect(failed.message).toMatch(/s1\.test:5432: session is read-only.*down\.test:5432.*s2\.test:5432: session is read-only/);
  });

  it('a single host that does not fit fails with ConnectionFailed too (not a session on the wrong server)', async () => {
    const s = server('standby.test', STANDBY);
    const { host, conn } = await connectTo([s], 'primary');
    expect(host).toBeInstanceOf(ConnectionFailed);
    expect((host as ConnectionFailed).message).toContain('server is in hot standby mode');
    expect(conn.state).toBe('closed');
  });

  it('without the ParameterStatus (older server, pooler) it asks with a query, as libpq does', async () => {
    const old = server('old.test');
    old.answer('SHOW transaction_read_only', { fields: [{ name: 'transaction_read_only', type: 'text' }], rows: [['on']] });
    old.answer('SELECT pg_catalog.pg_is_in_recovery()', { fields: [{ name: 'pg_is_in_recovery', type: 'bool' }], rows: [['t']] });
    const p = server('primary.test');
    p.answer('SHOW transaction_read_only', { fields: [{ name: 'transaction_read_only', type: 'text' }], rows: [['off']] });
    p.answer('SELECT pg_catalog.pg_is_in_recovery()', { fields: [{ name: 'pg_is_in_recovery', type: 'bool' }], rows: [['f']] });
    expect((await connectTo([old, p], 'read-write')).host).toBe('primary.test');
    expect((await connectTo([old, p], 'standby')).host).toBe('old.test');
    expect((await connectTo([p, old], 'primary')).host).toBe('primary.test');
    const asked = old.backends.flatMap((b) => b.received.filter((m) => m.type === 'Query').map((m) => (m as { sql: string }).sql));
    expect(asked.slice(0, 2)).toEqual(['SHOW transaction_read_only', 'SELECT pg_catalog.pg_is_in_recovery()']);
  });

  it('a failing role query counts as that host failing; the next host is tried', async () => {
    const broken = server('broken.test');
    broken.answer('SHOW transaction_read_only', { error: { C: '42501', M: 'permission denied' } });
    const p = server('primary.test', PRIMARY);
    expect((await connectTo([broken, p], 'read-write')).host).toBe('primary.test');
  });

  it('any takes the first host that answers, whatever it is', async () => {
    const s = server('standby.test', STANDBY);
    const p = server('primary.test', PRIMARY);
    expect((await connectTo([s, p], 'any')).host).toBe('standby.test');
  });
});

describe('load_balance_hosts', () => {
  it('disable tries the hosts in order; random spreads new connections over them', async () => {
    const servers = ['a.test', 'b.test', 'c.test'].map((h) => server(h, PRIMARY));
    const inOrder = new Set<string | Error>();
    for (let i = 0; i < 6; i++) inOrder.add((await connectTo(servers, 'any')).host);
    expect([...inOrder]).toEqual(['a.test']);
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const { host } = await connectTo(servers, 'any', { loadBalanceHosts: true });
      seen.set(host as string, (seen.get(host as string) ?? 0) + 1);
    }
    // each of three hosts first with probability 1/3: 60 draws all landing on two hosts has probability < 1e-10
    expect([...seen.keys()].sort()).toEqual(['a.test', 'b.test', 'c.test']);
  });

  it('random still honours target_session_attrs (shuffles, then judges)', async () => {
    const servers = [server('s1.test', STANDBY), server('p.test', PRIMARY), server('s2.test', STANDBY)];
    for (let i = 0; i < 10; i++) expect((await connectTo(servers, 'read-write', { loadBalanceHosts: true })).host).toBe('p.test');
  });
});

describe('reconnecting after a failover (the detector)', () => {
  it('read-write follows the primary role: the old primary comes back as a standby, the connection lands on the promoted one', async () => {
    const a = server('a.test', PRIMARY);
    const b = server('b.test', STANDBY);
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [100, 100, 100, 100] });
    const conn = new Connection({ reactor, env: {}, detector });
    conns.push(conn);
    await settle(reactor, conn.connect(input([a, b], { targetSessionAttrs: 'read-write' })));
    expect(conn.state).toBe('ready');
    // failover: a dies and comes back as a standby; b is promoted
    a.options.parameters!.in_hot_standby = 'on';
    b.options.parameters!.in_hot_standby = 'off';
    a.current.kill();
    await settle(reactor);
    expect(await outcome(reactor, conn.runQuery("SELECT current_setting('tsp.host') AS host"))).toBeInstanceOf(ConnectionDead);
    reactor.advance(100);
    await settle(reactor);
    expect(conn.state).toBe('ready');
    expect(await outcome(reactor, conn.runQuery("SELECT current_setting('tsp.host') AS host"))).toEqual([{ host: 'b.test' }]);
    expect(terminated(a)).toEqual([false, true]);
  });
});
