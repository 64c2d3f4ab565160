/**
 * ReplicationStream timing and pacing on virtual time, against a scripted
 * walsender: the periodic status update (interval, flush position only up
 * to what was acknowledged, the given wall clock as sendTime), an immediate
 * reply to a keepalive that asks for one, an idle stream's flush position
 * moved to a keepalive's position (only when idle), reading paused above the
 * high-water mark while status updates still go out, the liveness deadline
 * (a silent server is a death: reconnect on the detector's backoff, restart
 * from the flush position, one gap), a START_REPLICATION refused with 55006
 * retried on the backoff, and stop().
 */
import * as dc from 'node:diagnostics_channel';
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { DeadConnectionDetector, ReplicationConnection, TRACING_CHANNELS, type ReplicationGap, type ReplicationMessage, type ReplicationStream } from '../../src/index';
import { pgTimeFromMs } from '../../src/protocol/replication';
import { settle } from '../../src/testing';
import { FakeWalsenders } from './fake-walsender';

const WALL = 1_700_000_000_000;

interface World {
  reactor: VirtualReactor;
  fake: FakeWalsenders;
  repl: ReplicationConnection;
}

async function world(detector?: DeadConnectionDetector): Promise<World> {
  const reactor = new VirtualReactor();
  const fake = new FakeWalsenders(reactor);
  const repl = new ReplicationConnection({ reactor, env: {}, detector });
  await settle(reactor, repl.connect(fake.server.dsn), 1_000);
  return { reactor, fake, repl };
}

function collect(stream: ReplicationStream): ReplicationMessage[] {
  const got: ReplicationMessage[] = [];
  stream.onMessage((m) => void got.push(m));
  return got;
}

async function started(w: World, options: Parameters<ReplicationConnection['startReplication']>[0] = {}): Promise<ReplicationStream> {
  const stream = w.repl.startReplication({ slot: 's', plugin: 'test_decoding', wallClock: () => WALL, ...options });
  await settle(w.reactor, () => stream.state === 'streaming');
  return stream;
}

describe('status updates', () => {
  it('go out every statusIntervalMs with the flush position of what was acknowledged, and the given wall clock', async () => {
    const w = await world();
    const stream = await started(w, { statusIntervalMs: 10_000, startLsn: '0/100' });
    expect(w.fake.current.started).toBe('START_REPLICATION SLOT "s" LOGICAL 0/100');
    const got = collect(stream);
    w.fake.transaction(0x200n, 'id[integer]:1');
    w.fake.transaction(0x300n, 'id[integer]:2');
    await settle(w.reactor);
    expect(got.map((m) => m.text)).toEqual(['BEGIN', 'table public.t: INSERT: id[integer]:1', 'COMMIT', 'BEGIN', 'table public.t: INSERT: id[integer]:2', 'COMMIT']);
    w.reactor.advance(9_999);
    expect(w.fake.current.statuses).toHaveLength(0);
    w.reactor.advance(1);
    expect(w.fake.current.statuses).toEqual([expect.objectContaining({ flushLsn: 0n, writeLsn: 0n, applyLsn: 0n, sendTime: pgTimeFromMs(WALL), at: 10_000 })]);
    got[2].ack(); // the first COMMIT
    got[4].ack(); // inside the second transaction: not a transaction end
    w.reactor.advance(10_000);
    expect(w.fake.current.statuses[1]).toMatchObject({ flushLsn: 0x202n, writeLsn: 0x202n, applyLsn: 0x202n, at: 20_000 });
    expect(stream.stats).toMatchObject({ ackedLsn: 0x202n, flushedLsn: 0x202n, serverLsn: 0x302n, messages: 6, unacknowledged: 1 });
    stream.ack('0/302');
    stream.sendFeedback({ force: true });
    await settle(w.reactor);
    expect(w.fake.current.statuses[2]).toMatchObject({ flushLsn: 0x302n, replyRequested: false, at: 20_000 });
    w.repl.close();
  });

  it('a keepalive asking for a reply is answered at once; one that does not is not', async () => {
    const w = await world();
    await started(w, { statusIntervalMs: 10_000 });
    w.reactor.advance(3_000);
    w.fake.keepalive(0x500n, false);
    await settle(w.reactor);
    expect(w.fake.current.statuses).toHaveLength(0);
    w.fake.keepalive(0x500n, true);
    await settle(w.reactor);
    expect(w.fake.current.statuses).toEqual([expect.objectContaining({ at: 3_000, replyRequested: false })]);
    w.repl.close();
  });

  it('a keepalive while idle moves the flush position to its position; not while a message is buffered, unacknowledged, or a transaction open', async () => {
    const w = await world();
    const stream = await started(w, { statusIntervalMs: 10_000 });
    const flushes = (): bigint[] => w.fake.current.statuses.map((s) => s.flushLsn);
    const ping = async (): Promise<void> => {
      w.fake.keepalive(0x500n, true);
      await settle(w.reactor);
    };
    w.fake.xlog(0x200n, 'BEGIN');
    w.fake.xlog(0x201n, 'table public.t: INSERT: id[integer]:1');
    await ping(); // no consumer yet: both buffered
    expect(stream.stats.buffered).toBe(2);
    const got = collect(stream);
    await settle(w.reactor);
    await ping(); // delivered, unacknowledged
    got[1].ack();
    await ping(); // all acknowledged, but the transaction is open (no COMMIT yet)
    w.fake.xlog(0x202n, 'COMMIT');
    await ping(); // the COMMIT arrived just before the keepalive, then is unacknowledged
    expect(flushes()).toEqual([0n, 0n, 0n, 0n]);
    got[2].ack();
    await ping(); // idle: the keepalive's position
    expect(flushes()).toEqual([0n, 0n, 0n, 0n, 0x500n]);
    expect(stream.stats).toMatchObject({ ackedLsn: 0x500n, flushedLsn: 0x500n, unacknowledged: 0 });
    w.repl.close();
  });

  it('sendFeedback({ reply: true }) asks the server to reply; positions only grow', async () => {
    const w = await world();
    const stream = await started(w);
    stream.sendFeedback({ writeLsn: '0/900', applyLsn: 0x800n, reply: true });
    stream.sendFeedback({ writeLsn: '0/100', force: true });
    await settle(w.reactor);
    expect(w.fake.current.statuses.map((s) => [s.writeLsn, s.flushLsn, s.applyLsn, s.replyRequested])).toEqual([
      [0x900n, 0n, 0x800n, true],
      [0x900n, 0n, 0x800n, false],
    ]);
    w.repl.close();
  });
});

describe('pacing', () => {
  it('stops reading above the high-water mark of unacknowledged messages, keeps sending status updates, reads again below half', async () => {
    const w = await world();
    const stream = await started(w, { highWaterMark: 4, statusIntervalMs: 10_000, timeoutMs: 30_000 });
    const got = collect(stream);
    const states: string[] = [];
    stream.onStateChange((s) => states.push(s));
    for (let i = 0; i < 20; i++) w.fake.xlog(BigInt(0x1000 + i), `message: transactional: 0 prefix: p, sz: 1 content:${i}`);
    await settle(w.reactor);
    expect(got.length).toBeGreaterThanOrEqual(4);
    expect(got.length).toBeLessThan(20);
    expect(stream.state).toBe('paused');
    const held = got.length;
    w.reactor.advance(60_000); // paused longer than the timeout: our own silence is no death
    expect(stream.state).toBe('paused');
    expect(got.length).toBe(held);
    expect(w.fake.current.statuses.map((s) => s.at)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    got[got.length - 1].ack();
    await settle(w.reactor);
    expect(got.length).toBeGreaterThan(held); // reading again (and paused again at the next high-water mark)
    for (let i = 0; i < 10 && got.length < 20; i++) {
      got[got.length - 1].ack();
      await settle(w.reactor);
    }
    expect(got.map((m) => m.dataStart)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(0x1000 + i)));
    expect(states).toEqual(expect.arrayContaining(['paused', 'streaming']));
    // non-transactional messages are their own transaction ends: the flush position follows them
    got[19].ack();
    expect(stream.stats.ackedLsn).toBe(BigInt(0x1000 + 19));
    w.repl.close();
  });

  it('autoAck acknowledges as messages are handed out: no pause', async () => {
    const w = await world();
    const stream = await started(w, { highWaterMark: 2, autoAck: true });
    const got = collect(stream);
    for (let i = 0; i < 10; i++) w.fake.transaction(BigInt(0x100 * (i + 1)), `id[integer]:${i}`);
    await settle(w.reactor);
    expect(got).toHaveLength(30);
    expect(stream.state).toBe('streaming');
    expect(stream.stats.ackedLsn).toBe(0xa02n);
    w.repl.close();
  });
});

describe('liveness and resume', () => {
  const backoff = (): number[] => [0, 1_000, 2_000, 4_000];

  it('a silent server is a death after timeoutMs: reconnect, START_REPLICATION from the flush position, one gap', async () => {
    const reactor = new VirtualReactor();
    const detector = new DeadConnectionDetector({ reactor, reconnectionIterator: backoff });
    const fake = new FakeWalsenders(reactor);
    const repl = new ReplicationConnection({ reactor, env: {}, detector });
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    const w: World = { reactor, fake, repl };
    const stream = await started(w, { statusIntervalMs: 10_000, timeoutMs: 30_000 });
    const got = collect(stream);
    const gaps: ReplicationGap[] = [];
    stream.onGap((g) => void gaps.push(g));
    const commit = fake.transaction(0x2000n, 'id[integer]:1');
    await settle(reactor);
    got[got.length - 1].ack();
    const first = fake.current;
    reactor.links[0].stall(); // a dead link: nothing arrives any more
    reactor.advance(10_000);
    expect(first.statuses).toHaveLength(0); // written into the stalled link
    reactor.advance(20_000);
    await settle(reactor, () => stream.state === 'streaming' && fake.sessions.length === 2);
    expect(fake.sessions).toHaveLength(2);
    expect(fake.current.started).toBe(`START_REPLICATION SLOT "s" LOGICAL 0/${commit.toString(16).toUpperCase()}`);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ from: 30_000, resumeLsn: commit });
    expect(gaps[0].error).toMatchObject({ code: 'ERR_HEARTBEAT_TIMEOUT' });
    // the stream goes on on the new session
    fake.transaction(0x3000n, 'id[integer]:2');
    await settle(reactor);
    expect(got.slice(-3).map((m) => m.text)).toEqual(['BEGIN', 'table public.t: INSERT: id[integer]:2', 'COMMIT']);
    expect(stream.stats.resumes).toBe(1);
    repl.close();
  });

  it('a quiet interval makes the next status update ask for a reply, which keeps a healthy idle server alive', async () => {
    const w = await world();
    const stream = await started(w, { statusIntervalMs: 10_000, timeoutMs: 30_000 });
    w.fake.current.backend.onMessage('CopyData', () => w.fake.keepalive(0x10n, false)); // the server answers every update
    w.reactor.advance(10_000);
    await settle(w.reactor);
    expect(w.fake.current.statuses[0]).toMatchObject({ replyRequested: true, at: 10_000 });
    w.reactor.advance(100_000);
    expect(stream.state).toBe('streaming');
    w.repl.close();
  });

  it('a START_REPLICATION refused with 55006 while resuming (the old walsender still holds the slot) is retried on the backoff', async () => {
    const reactor = new VirtualReactor();
    const detector = new DeadConnectionDetector({ reactor, reconnectionIterator: backoff });
    const fake = new FakeWalsenders(reactor);
    const repl = new ReplicationConnection({ reactor, env: {}, detector });
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    const stream = await started({ reactor, fake, repl });
    const gaps: ReplicationGap[] = [];
    stream.onGap((g) => void gaps.push(g));
    const inUse = { S: 'ERROR', C: '55006', M: 'replication slot "s" is active for PID 1001' };
    fake.refuseStart.push(inUse, inUse); // refused at once after the reconnect, and again at the backoff's first (0 ms) retry
    reactor.advance(5_000);
    fake.current.backend.kill({ S: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' });
    await settle(reactor, () => fake.sessions.length === 2 && fake.refuseStart.length === 0);
    expect(stream.state).toBe('reconnecting');
    reactor.advance(999);
    expect(stream.state).toBe('reconnecting');
    reactor.advance(1);
    await settle(reactor, () => stream.state === 'streaming');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ from: 5_000, to: 6_000 });
    expect(gaps[0].error).toMatchObject({ code: '57P01' });
    repl.close();
  });

  it('without a detector a lost session fails the stream with its error', async () => {
    const w = await world();
    const stream = await started(w);
    let ended: Error | null | undefined;
    stream.onEnd((e) => {
      ended = e;
    });
    w.fake.current.backend.kill({ S: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' });
    await settle(w.reactor, () => ended !== undefined);
    expect(ended).toMatchObject({ code: '57P01' });
    expect(stream.state).toBe('failed');
  });
});

describe('stop', () => {
  it('sends a last status update and CopyDone, then frees the connection', async () => {
    const w = await world();
    const stream = await started(w);
    const got = collect(stream);
    const commit = w.fake.transaction(0x700n, 'id[integer]:1');
    await settle(w.reactor);
    got[2].ack();
    const stopped = stream.stop();
    await settle(w.reactor, stopped);
    expect(stream.state).toBe('stopped');
    expect(w.fake.current.statuses.pop()).toMatchObject({ flushLsn: commit });
    expect(w.fake.current.backend.receivedTypes().slice(-2)).toEqual(['CopyData', 'CopyDone']);
    const id = w.repl.identifySystem();
    await settle(w.reactor, id);
    expect((await id).systemId).toBe('7000000000000000001');
    expect(stream.stop().called).toBe(true);
    w.repl.close();
  });

  it('stops a stream whose reading is paused (the server\'s end of the copy is read)', async () => {
    const w = await world();
    const stream = await started(w, { highWaterMark: 2 });
    collect(stream);
    for (let i = 0; i < 10; i++) w.fake.xlog(BigInt(0x100 + i), 'table public.t: INSERT: x');
    await settle(w.reactor);
    expect(stream.state).toBe('paused');
    const stopped = stream.stop();
    await settle(w.reactor, stopped);
    expect(stream.state).toBe('stopped');
    w.repl.close();
  });

  it('a stop the server never answers (a dead link) ends after timeoutMs', async () => {
    const w = await world();
    const stream = await started(w, { timeoutMs: 20_000 });
    w.reactor.links[0].stall();
    const stopped = stream.stop();
    w.reactor.advance(19_999);
    expect(stream.state).toBe('stopping');
    w.reactor.advance(1);
    await settle(w.reactor, stopped);
    expect(stream.state).toBe('stopped');
    w.repl.close();
  });

  it('invalid tuning fails the stream at once', async () => {
    const w = await world();
    const stream = w.repl.startReplication({ slot: 's', plugin: 'test_decoding', highWaterMark: 0 });
    let ended: Error | null | undefined;
    stream.onEnd((e) => {
      ended = e;
    });
    await settle(w.reactor);
    expect(ended).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    w.repl.close();
  });
});

describe('physical streams', () => {
  it('end at the end of their timeline: our CopyDone answers the server\'s, and timelineEnd names the next timeline', async () => {
    const w = await world();
    const stream = w.repl.startReplication({ physical: true, wallClock: () => WALL });
    await settle(w.reactor, () => stream.state === 'streaming');
    expect(w.fake.current.started).toBe('START_REPLICATION PHYSICAL 0/1000 TIMELINE 1'); // IDENTIFY_SYSTEM's position and timeline
    const got = collect(stream);
    w.fake.current.backend.send({ type: 'XLogData', dataStart: 0x1000n, walEnd: 0x1100n, sendTime: 1n, data: new Uint8Array(0x100) });
    await settle(w.reactor);
    got[0].ack();
    expect(stream.stats.ackedLsn).toBe(0x1100n);
    expect(stream.sendHotStandbyFeedback({ xmin: 1234, xminEpoch: 1 })).toBe(true);
    await settle(w.reactor);
    expect(w.fake.current.feedback).toEqual([{ type: 'HotStandbyFeedback', sendTime: pgTimeFromMs(WALL), xmin: 1234, xminEpoch: 1, catalogXmin: 0, catalogXminEpoch: 0 }]);
    w.fake.endTimeline(2, '0/3000000');
    await settle(w.reactor, () => stream.state === 'stopped');
    expect(stream.timelineEnd).toEqual({ nextTimeline: 2, nextStartLsn: 0x3000000n });
    expect(w.fake.current.backend.receivedTypes().slice(-1)).toEqual(['CopyDone']);
    expect(stream.sendHotStandbyFeedback({ xmin: 1 })).toBe(false);
    const id = w.repl.identifySystem();
    await settle(w.reactor, id);
    expect((await id).timeline).toBe(1);
    w.repl.close();
  });

  it('refuse plugin options, and a logical stream without a slot fails', async () => {
    const w = await world();
    const ends: Array<Error | null> = [];
    w.repl.startReplication({ physical: true, options: { a: 'b' } }).onEnd((e) => void ends.push(e));
    w.repl.startReplication({}).onEnd((e) => void ends.push(e));
    await settle(w.reactor, () => ends.length === 2);
    expect(ends.map((e) => e?.message)).toEqual([expect.stringMatching(/logical replication only/), expect.stringMatching(/needs a slot/)]);
    w.repl.close();
  });
});

describe('Observables', () => {
  it('state$, gaps$ and messages$ of the package class', async () => {
    const reactor = new VirtualReactor();
    const detector = new DeadConnectionDetector({ reactor, reconnectionIterator: () => [0, 100] });
    const fake = new FakeWalsenders(reactor);
    const repl = new ReplicationConnection({ reactor, env: {}, detector });
    await settle(reactor, repl.connect(fake.server.dsn), 1_000);
    const stream = repl.startReplication({ slot: 's', plugin: 'test_decoding' });
    const states: string[] = [];
    const gaps: ReplicationGap[] = [];
    const texts: string[] = [];
    let completed = false;
    stream.state$.subscribe((s) => states.push(s));
    stream.gaps$.subscribe((g) => gaps.push(g));
    stream.messages$.subscribe({ next: (m) => { texts.push(m.text); m.ack(); }, complete: () => { completed = true; } });
    await settle(reactor, () => stream.state === 'streaming');
    fake.transaction(0x10n, 'x');
    await settle(reactor);
    fake.current.backend.kill({ S: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' });
    await settle(reactor, () => gaps.length === 1);
    fake.transaction(0x20n, 'y');
    await settle(reactor);
    await settle(reactor, stream.stop());
    expect(texts).toEqual(['BEGIN', 'table public.t: INSERT: x', 'COMMIT', 'BEGIN', 'table public.t: INSERT: y', 'COMMIT']);
    expect(states).toEqual(['starting', 'streaming', 'reconnecting', 'streaming', 'stopping', 'stopped']);
    expect(gaps[0].resumeLsn).toBe(0x12n);
    expect(fake.current.started).toBe('START_REPLICATION SLOT "s" LOGICAL 0/12');
    expect(completed).toBe(true);
    repl.close();
  });
});

describe('tracing', () => {
  it('each status update is published on tspostgres:replication:status with the slot, positions and lag (nothing without a subscriber)', async () => {
    const w = await world();
    const stream = await started(w, { statusIntervalMs: 10_000, startLsn: '0/100' });
    const got = collect(stream);
    w.fake.transaction(0x200n, 'id[integer]:1');
    await settle(w.reactor);
    w.reactor.advance(10_000); // a status update before anyone listens: not published
    const events: unknown[] = [];
    const listener = (e: unknown): void => void events.push(e);
    dc.subscribe(TRACING_CHANNELS.replicationStatus, listener);
    try {
      got[2].ack();
      stream.sendFeedback({ force: true });
      await settle(w.reactor);
      expect(w.fake.current.statuses).toHaveLength(2);
      expect(events).toEqual([{ slot: 's', receivedLsn: '0/202', flushedLsn: '0/202', serverLsn: '0/202', lagBytes: 0, lagMs: expect.any(Number) }]);
    } finally {
      dc.unsubscribe(TRACING_CHANNELS.replicationStatus, listener);
      w.repl.close();
    }
  });
});

describe('payloads (bytes)', () => {
  it('outlive later reads; small ones share one arena buffer, an arena transferred away is replaced, a large one is a copy of its own', async () => {
    const w = await world();
    const stream = await started(w, { decode: 'binary' });
    const got = collect(stream);
    w.fake.transaction(0x200n, 'id[integer]:1');
    await settle(w.reactor);
    w.fake.transaction(0x300n, 'id[integer]:2');
    await settle(w.reactor);
    const text = (m: ReplicationMessage): string => new TextDecoder().decode(m.payload as Uint8Array);
    const tx = (row: string): string[] => ['BEGIN', `table public.t: INSERT: ${row}`, 'COMMIT'];
    expect(got.map(text)).toEqual([...tx('id[integer]:1'), ...tx('id[integer]:2')]);
    const arena = (got[0].payload as Uint8Array).buffer as ArrayBuffer;
    expect((got[5].payload as Uint8Array).buffer).toBe(arena);
    structuredClone(arena, { transfer: [arena] }); // a user moves the buffer to a worker
    const big = 'x'.repeat(20_000);
    w.fake.transaction(0x400n, 'id[integer]:3', big);
    await settle(w.reactor);
    expect(got.slice(6).map(text)).toEqual(['BEGIN', 'table public.t: INSERT: id[integer]:3', `table public.t: INSERT: ${big}`, 'COMMIT']);
    expect((got[8].payload as Uint8Array).buffer.byteLength).toBe((got[8].payload as Uint8Array).length);
    expect((got[7].payload as Uint8Array).buffer).not.toBe(arena);
    await settle(w.reactor, stream.stop());
  });
});
