/**
 * ReplicationConnection on virtual time against a scripted walsender: the
 * `replication` startup parameter each way of connecting sends, the plugin
 * looked up when not given, a fresh session for a second logical stream,
 * commands queued behind a running stream, and commands while the detector
 * holds the connection dead.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { ConfigurationError, DeadConnectionDetector, ReplicationConnection } from '../../src/index';
import { settle } from '../../src/testing';
import { FakeWalsenders } from './fake-walsender';

async function setup(detector?: DeadConnectionDetector): Promise<{ reactor: VirtualReactor; fake: FakeWalsenders; repl: ReplicationConnection }> {
  const reactor = new VirtualReactor();
  const fake = new FakeWalsenders(reactor);
  const repl = new ReplicationConnection({ reactor, env: {}, detector });
  return { reactor, fake, repl };
}

function startupReplication(fake: FakeWalsenders): string | undefined {
  const startup = fake.current.backend.receivedOf('StartupMessage')[0];
  return startup.parameters.replication;
}

describe('connect', () => {
  it.each<[string, string, 'logical' | 'physical', (dsn: Record<string, unknown>) => [unknown, { physical?: boolean }?]]>([
    ['an object', 'database', 'logical', (dsn) => [dsn]],
    ['an object with physical: true', 'true', 'physical', (dsn) => [dsn, { physical: true }]],
    ['an object saying replication=true', 'true', 'physical', (dsn) => [{ ...dsn, replication: 'on' }]],
    ['an object saying replication=true, overridden by physical: false', 'database', 'logical', (dsn) => [{ ...dsn, replication: 'true' }, { physical: false }]],
    ['a URI saying replication=yes', 'true', 'physical', (dsn) => [`postgresql://tester:secret@${String(dsn.host)}:${String(dsn.port)}/test?sslmode=disable&replication=yes`]],
    ['a key=value string', 'database', 'logical', (dsn) => [`host=${String(dsn.host)} port=${String(dsn.port)} user=tester password=secret dbname=test sslmode=disable`]],
  ])('%s sends replication=%s (%s)', async (_name, sent, kind, input) => {
    const { reactor, fake, repl } = await setup();
    const [dsn, options] = input(fake.server.dsn as unknown as Record<string, unknown>);
    await settle(reactor, repl.connect(dsn as never, options), 1_000);
    expect(startupReplication(fake)).toBe(sent);
    expect(repl.kind).toBe(kind);
    expect(repl.state).toBe('ready');
    repl.close();
  });

  it('refuses a detector with a heartbeat (a walsender does not run its query)', () => {
    const detector = new DeadConnectionDetector({ reactor: new VirtualReactor(), heartbeat: { intervalMs: 1_000, timeoutMs: 500 } });
    expect(() => new ReplicationConnection({ reactor: new VirtualReactor(), detector })).toThrow(/must not have a heartbeat/);
  });

  it('refuses a bad replication value with a ConfigurationError, nothing sent', async () => {
    const { reactor, fake, repl } = await setup();
    const d = repl.connect({ ...fake.server.dsn, replication: 'sideways' } as never);
    await settle(reactor);
    await expect(d).rejects.toBeInstanceOf(ConfigurationError);
    expect(fake.sessions).toHaveLength(0);
  });
});

describe('streams and commands', () => {
  it('looks the plugin up when not given, and decodes test_decoding as text', async () => {
    const { reactor, fake, repl } = await setup();
    fake.server.answer(/pg_replication_slots/, { fields: ['plugin'], rows: [['test_decoding']] });
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    const stream = repl.startReplication({ slot: 'myslot' });
    await settle(reactor, () => stream.state === 'streaming');
    expect(fake.current.backend.receivedOf('Query').map((q) => q.sql)).toEqual([
      `SELECT plugin FROM pg_catalog.pg_replication_slots WHERE slot_name = 'myslot'`,
      'START_REPLICATION SLOT "myslot" LOGICAL 0/0',
    ]);
    const texts: unknown[] = [];
    stream.onMessage((m) => void texts.push(m.payload));
    fake.xlog(0x10n, 'BEGIN');
    await settle(reactor);
    expect(texts).toEqual(['BEGIN']);
    repl.close();
  });

  it('commands wait for a running stream; a second logical stream gets a fresh session', async () => {
    const { reactor, fake, repl } = await setup();
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    const first = repl.startReplication({ slot: 's', plugin: 'pgoutput' });
    await settle(reactor, () => first.state === 'streaming');
    const id = repl.identifySystem();
    await settle(reactor);
    expect(id.called).toBe(false);
    await settle(reactor, first.stop());
    await settle(reactor, id);
    expect((await id).xlogPos).toBe(0x1000n);
    const pid = repl.processId;
    const second = repl.startReplication({ slot: 's', plugin: 'pgoutput' });
    await settle(reactor, () => second.state === 'streaming');
    expect(fake.sessions).toHaveLength(2);
    expect(repl.processId).not.toBe(pid);
    expect(fake.current.started).toBe('START_REPLICATION SLOT "s" LOGICAL 0/0');
    repl.close();
    await settle(reactor, () => second.state === 'stopped');
  });

  it('with a detector: commands fail at once with ConnectionDead while reconnecting, and work after', async () => {
    const reactor = new VirtualReactor();
    const detector = new DeadConnectionDetector({ reactor, reconnectionIterator: () => [1_000] });
    const fake = new FakeWalsenders(reactor);
    const repl = new ReplicationConnection({ reactor, env: {}, detector });
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    fake.current.backend.kill({ S: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' });
    await settle(reactor, () => repl.state === 'reconnecting');
    await expect(repl.identifySystem()).rejects.toMatchObject({ code: 'ERR_CONNECTION_DEAD' });
    reactor.advance(1_000);
    await settle(reactor, () => repl.state === 'ready');
    const id = repl.identifySystem();
    await settle(reactor, id);
    expect((await id).timeline).toBe(1);
    repl.close();
  });

  it('close() ends a running stream without error', async () => {
    const { reactor, fake, repl } = await setup();
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    const stream = repl.startReplication({ slot: 's', plugin: 'test_decoding' });
    await settle(reactor, () => stream.state === 'streaming');
    let ended: Error | null | undefined;
    stream.onEnd((e) => {
      ended = e;
    });
    repl.close();
    await settle(reactor, () => ended !== undefined);
    expect(ended).toBeNull();
    expect(stream.state).toBe('stopped');
    await expect(repl.identifySystem()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });
});
