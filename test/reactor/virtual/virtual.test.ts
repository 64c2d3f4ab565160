import { VirtualReactor } from '../../../reactor/virtual/virtual';
import type { Endpoint, TransportHandler } from '../../../reactor/interfaces';
import { describeReactorConformance, Recorder, type ConformanceEnv } from '../../../reactor/testing';

/** Yields to pending promise callbacks (not a timer: no time passes). */
const settlePromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function virtualEnv(): ConformanceEnv {
  const reactor = new VirtualReactor();
  let port = 1000;
  const refused: Endpoint = { kind: 'tcp', host: 'db.example', port: 1 };
  reactor.refuseConnections(refused);
  return {
    reactor,
    listen: async (factory: () => TransportHandler) => {
      const endpoint: Endpoint = { kind: 'tcp', host: 'db.example', port: port++ };
      reactor.listen(endpoint, factory);
      return endpoint;
    },
    refusedEndpoint: async () => refused,
    blackholeEndpoint: async () => ({ kind: 'tcp', host: 'blackhole.example', port: 5432 }),
    runUntil: async (done, maxMs = 2000) => {
      const deadline = reactor.now() + maxMs;
      for (;;) {
        reactor.flush();
        await settlePromises();
        reactor.flush();
        if (done()) return;
        if (reactor.now() >= deadline) throw new Error(`condition not met within ${maxMs} virtual ms`);
        reactor.advance(1);
      }
    },
    wait: async (ms) => {
      reactor.advance(ms);
      await settlePromises();
    },
    close: async () => {},
  };
}

describeReactorConformance('VirtualReactor', async () => virtualEnv(), { describe, it, expect, beforeEach, afterEach });

describe('VirtualReactor', () => {
  const endpoint: Endpoint = { kind: 'tcp', host: 'db', port: 5432 };

  it('starts its clock at 0 and moves it only with advance', () => {
    const reactor = new VirtualReactor();
    expect(reactor.now()).toBe(0);
    reactor.flush();
    expect(reactor.now()).toBe(0);
    reactor.advance(1500);
    expect(reactor.now()).toBe(1500);
  });

  it('records each connect as a pending attempt with its endpoint, handler and options', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    reactor.connect(endpoint, client, { timeoutMs: 5000, noDelay: false });
    expect(reactor.connectAttempts).toHaveLength(1);
    const [attempt] = reactor.connectAttempts;
    expect(attempt.endpoint).toEqual(endpoint);
    expect(attempt.handler).toBe(client);
    expect(attempt.options).toEqual({ timeoutMs: 5000, noDelay: false });
    expect(attempt.state).toBe('pending');
    expect(reactor.pendingAttempts()).toEqual([attempt]);
  });

  it('connects both handlers on accept at the next flush, and records what each side wrote', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder({ made: (t) => t.write(Uint8Array.of(1, 2)) });
    const server = new Recorder({ made: (t) => t.write(Uint8Array.of(9)) });
    reactor.connect(endpoint, client);
    const link = reactor.connectAttempts[0].accept(server);
    expect(client.events).toEqual([]);
    reactor.flush();
    expect(client.events).toEqual(['made', 'data']);
    expect(server.events).toEqual(['made', 'data']);
    expect(link.clientTransport).toBe(client.transport);
    expect(link.serverTransport).toBe(server.transport);
    expect(link.bytesWritten('client')).toEqual(Uint8Array.of(1, 2));
    expect(link.written.server).toEqual([Uint8Array.of(9)]);
  });

  it('refuses an attempt with the given error at the next flush', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    reactor.connect(endpoint, client);
    const error = new Error('too many clients');
    reactor.connectAttempts[0].refuse(error);
    expect(client.isLost).toBe(false);
    reactor.flush();
    expect(client.lost).toBe(error);
    expect(reactor.connectAttempts[0].state).toBe('refused');
    expect(() => reactor.connectAttempts[0].accept(new Recorder())).toThrow(/already refused/);
  });

  it('times a pending attempt out on the virtual clock, exactly at timeoutMs', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    reactor.connect(endpoint, client, { timeoutMs: 3000 });
    reactor.advance(2999);
    expect(client.isLost).toBe(false);
    reactor.advance(1);
    expect(client.lost).toMatchObject({ code: 'ERR_CONNECT_TIMEOUT' });
    expect(reactor.connectAttempts[0].state).toBe('timedOut');
  });

  it('does not time out an attempt that was accepted in time', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    reactor.connect(endpoint, client, { timeoutMs: 100 });
    reactor.connectAttempts[0].accept(new Recorder());
    reactor.advance(1000);
    expect(client.events).toEqual(['made']);
  });

  it('holds bytes on a stalled link and delivers them after unstall', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    const server = new Recorder();
    reactor.connect(endpoint, client);
    const link = reactor.connectAttempts[0].accept(server);
    reactor.flush();
    link.stall();
    client.transport?.write(Uint8Array.of(7));
    reactor.advance(60_000);
    expect(server.received).toBe(0);
    expect(link.written.client).toHaveLength(1);
    link.unstall();
    reactor.flush();
    expect(server.chunks).toEqual([Uint8Array.of(7)]);
  });

  it('drops a link with a reset: both sides lose the connection with ECONNRESET, even while stalled', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    const server = new Recorder();
    reactor.connect(endpoint, client);
    const link = reactor.connectAttempts[0].accept(server);
    reactor.flush();
    link.stall();
    client.transport?.write(Uint8Array.of(1));
    link.drop();
    reactor.flush();
    expect(client.lost).toMatchObject({ code: 'ECONNRESET' });
    expect(server.lost).toMatchObject({ code: 'ECONNRESET' });
    expect(server.received).toBe(0);
  });

  it('drops a link cleanly: pending bytes arrive, then EOF, then connectionLost(null)', () => {
    const reactor = new VirtualReactor();
    const client = new Recorder({ eof: () => {} });
    const server = new Recorder();
    reactor.connect(endpoint, client);
    const link = reactor.connectAttempts[0].accept(server);
    reactor.flush();
    server.transport?.write(Uint8Array.of(5));
    link.drop('close');
    reactor.flush();
    expect(client.events).toEqual(['made', 'data', 'eof', 'lost']);
    expect(client.lost).toBeNull();
    expect(server.lost).toBeNull();
  });

  it('resolves startTls without encryption and lets the server side see that it started', async () => {
    const reactor = new VirtualReactor();
    const client = new Recorder();
    reactor.connect(endpoint, client);
    const link = reactor.connectAttempts[0].accept(new Recorder());
    link.tlsInfo = { peerCertificateHash: 'sha256', peerCertificateDer: Uint8Array.of(48, 0) };
    reactor.flush();
    expect(link.tlsStarted).toBe(false);
    const info = await client.transport?.startTls({ servername: 'db' });
    expect(link.tlsStarted).toBe(true);
    expect(link.clientTransport.tlsOptions).toEqual({ servername: 'db' });
    expect(info).toEqual({ peerCertificateHash: 'sha256', peerCertificateDer: Uint8Array.of(48, 0) });
  });

  it('runs a timer scheduled by a timer inside the same advance, at its own time', () => {
    const reactor = new VirtualReactor();
    const seen: number[] = [];
    reactor.callLater(10, () => {
      seen.push(reactor.now());
      reactor.callLater(5, () => seen.push(reactor.now()));
    });
    reactor.advance(100);
    expect(seen).toEqual([10, 15]);
    expect(reactor.now()).toBe(100);
  });

  it('runs a callSoon queued by a timer before the next timer', () => {
    const reactor = new VirtualReactor();
    const order: string[] = [];
    reactor.callLater(10, () => reactor.callSoon(() => order.push('soon')));
    reactor.callLater(10, () => order.push('second timer'));
    reactor.advance(10);
    expect(order).toEqual(['soon', 'second timer']);
  });

  it('gives up flushing handlers that ping-pong forever with a clear error', () => {
    const reactor = new VirtualReactor({ maxFlushRounds: 1000 });
    const ping = (): Recorder => new Recorder({ keep: false, made: (t) => t.write(Uint8Array.of(1)), data: (b, r) => r.transport?.write(b) });
    reactor.listen(endpoint, ping);
    reactor.connect(endpoint, ping());
    expect(() => reactor.flush()).toThrow(/did not settle/);
  });

  it('stops accepting automatically once the listener is removed', () => {
    const reactor = new VirtualReactor();
    const stop = reactor.listen(endpoint, () => new Recorder());
    reactor.connect(endpoint, new Recorder());
    stop();
    reactor.connect(endpoint, new Recorder());
    expect(reactor.connectAttempts.map((a) => a.state)).toEqual(['accepted', 'pending']);
  });

  it('rejects negative delays', () => {
    const reactor = new VirtualReactor();
    expect(() => reactor.callLater(-1, () => {})).toThrow(RangeError);
    expect(() => reactor.advance(-1)).toThrow(RangeError);
  });

  it('rejects NaN delays, and advancing by NaN or Infinity', () => {
    const reactor = new VirtualReactor();
    expect(() => reactor.callLater(NaN, () => {})).toThrow(RangeError);
    expect(() => reactor.advance(NaN)).toThrow(RangeError);
    expect(() => reactor.advance(Infinity)).toThrow(RangeError);
  });

  it('runs a call delayed by more than 2^31-1 ms exactly when due', () => {
    const reactor = new VirtualReactor();
    const long = 2 ** 31 + 10;
    const seen: number[] = [];
    reactor.callLater(long, () => seen.push(reactor.now()));
    reactor.advance(long - 1);
    expect(seen).toEqual([]);
    reactor.advance(1);
    expect(seen).toEqual([long]);
  });

  it('never runs a call delayed by Infinity, but it can be cancelled or reset', () => {
    const reactor = new VirtualReactor();
    let fired = 0;
    const call = reactor.callLater(Infinity, () => fired++);
    const other = reactor.callLater(Infinity, () => fired++);
    reactor.advance(Number.MAX_SAFE_INTEGER);
    expect(fired).toBe(0);
    expect(call.active()).toBe(true);
    expect(reactor.clock.getDelayedCalls()).toEqual([call, other]);
    call.reset(5);
    reactor.advance(5);
    expect(fired).toBe(1);
    other.cancel();
    expect(reactor.clock.getDelayedCalls()).toEqual([]);
  });
});
