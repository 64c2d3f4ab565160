/**
 * The detector's demand retries on a VirtualReactor: while the loop waits
 * out a backoff delay, a call refused with ConnectionDead brings the next
 * attempt forward to `demandRetryMs` after the last attempt ended; without
 * calls the backoff's own delays hold; never two attempts at once.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { captureUnhandledFailures, Deferred, fail, succeed, type CapturedFailures } from '../../src/defer';
import { DEFAULT_DEMAND_RETRY_MS, DeadConnectionDetector } from '../../src/reconnect/detector';
import { ConnectionDead } from '../../src/errors/base';

let reactor: VirtualReactor;
let capture: CapturedFailures;

beforeEach(() => {
  reactor = new VirtualReactor();
  capture = captureUnhandledFailures();
});
afterEach(() => {
  capture.restore();
});

/** A reconnectable whose connects fail (server down) until `up`; records when each attempt started. */
class Server {
  up = false;
  readonly at: number[] = [];
  /** When set, attempts stay in flight until settled by hand. */
  hold: Array<Deferred<unknown>> | null = null;
  connect(): Deferred<unknown> {
    this.at.push(reactor.now());
    if (this.hold !== null) {
      const d = new Deferred<unknown>();
      this.hold.push(d);
      return d;
    }
    return this.up ? succeed(this) : fail(new Error('refused'));
  }
  close(): void {}
}

function detectorFor(server: Server, options: { demandRetryMs?: number; delays?: number[] } = {}): DeadConnectionDetector {
  const delays = options.delays ?? [0, ...Array<number>(20).fill(1000)];
  const detector = new DeadConnectionDetector({
    deathChecker: () => true,
    reconnectionIterator: () => delays,
    reactor,
    ...(options.demandRetryMs === undefined ? {} : { demandRetryMs: options.demandRetryMs }),
  });
  detector.setReconnectable(server, 'dsn');
  return detector;
}

/** A call routed through the detector; its failure is swallowed (it is ConnectionDead while dead). */
function call(detector: DeadConnectionDetector): Deferred<unknown> {
  const d = detector.callChecking(() => 'ran');
  d.addErrback(() => undefined);
  return d;
}

describe('DeadConnectionDetector: demand retries', () => {
  it('keeps the backoff delays when no call comes while dead', () => {
    const server = new Server();
    const detector = detectorFor(server);
    detector.checkForDeadConnection(new Error('x'));
    reactor.advance(2500);
    expect(server.at).toEqual([0, 1000, 2000]);
    detector.connectionClosed(server as never);
  });

  it('brings the pending attempt forward to demandRetryMs after the last one when a call comes, and the call still fails', async () => {
    const server = new Server();
    const detector = detectorFor(server);
    detector.checkForDeadConnection(new Error('x'));
    expect(server.at).toEqual([0]); // the first attempt, at once; the next one is due at 1000
    reactor.advance(2);
    const d = detector.callChecking(() => 'ran');
    await expect(d).rejects.toBeInstanceOf(ConnectionDead);
    reactor.advance(DEFAULT_DEMAND_RETRY_MS - 2 - 1);
    expect(server.at).toEqual([0]);
    reactor.advance(1);
    expect(server.at).toEqual([0, DEFAULT_DEMAND_RETRY_MS]);
    detector.connectionClosed(server as never);
  });

  it('starts a demanded attempt at once when demandRetryMs has already passed, and recovers on it', () => {
    const server = new Server();
    const detector = detectorFor(server);
    detector.checkForDeadConnection(new Error('x'));
    reactor.advance(300);
    server.up = true;
    call(detector);
    reactor.advance(0);
    expect(server.at).toEqual([0, 300]);
    expect(detector.connectionIsDead).toBe(false);
    expect(capture.flush()).toEqual([]);
  });

  it('makes no demanded attempt when the user closes before it runs', () => {
    const server = new Server();
    const detector = detectorFor(server);
    detector.checkForDeadConnection(new Error('x'));
    reactor.advance(300);
    call(detector);
    detector.connectionClosed(server as never);
    reactor.advance(2000);
    expect(server.at).toEqual([0]);
    expect(capture.flush()).toEqual([]);
  });

  it('makes at most one attempt per demandRetryMs however many calls come, and none while one is in flight', () => {
    const server = new Server();
    const detector = detectorFor(server, { demandRetryMs: 10 });
    detector.checkForDeadConnection(new Error('x'));
    for (let t = 0; t < 35; t++) {
      call(detector);
      call(detector);
      reactor.advance(1);
    }
    expect(server.at).toEqual([0, 10, 20, 30]);
    server.hold = [];
    call(detector);
    reactor.advance(10); // the attempt at 40 hangs
    for (let t = 0; t < 50; t++) {
      call(detector);
      reactor.advance(1);
    }
    expect(server.at).toEqual([0, 10, 20, 30, 40]);
    server.hold[0].errback(new Error('timed out')); // at 95
    server.hold = null;
    call(detector);
    reactor.advance(10);
    expect(server.at).toEqual([0, 10, 20, 30, 40, 105]);
    detector.connectionClosed(server as never);
  });

  it('never shortens a delay already shorter than demandRetryMs, and Infinity turns demand retries off', () => {
    const server = new Server();
    const detector = detectorFor(server, { delays: [0, 3, 1000] });
    detector.checkForDeadConnection(new Error('x'));
    call(detector);
    reactor.advance(3);
    expect(server.at).toEqual([0, 3]);
    detector.connectionClosed(server as never);

    const other = new Server();
    const patient = detectorFor(other, { demandRetryMs: Infinity });
    patient.checkForDeadConnection(new Error('x'));
    for (let t = 0; t < 100; t++) {
      call(patient);
      reactor.advance(5);
    }
    expect(other.at).toHaveLength(1); // the first attempt only: the backoff's 1000 ms still run
    patient.connectionClosed(other as never);
  });

  it('refuses a negative demandRetryMs', () => {
    expect(() => new DeadConnectionDetector({ demandRetryMs: -1 })).toThrow(/demandRetryMs/);
  });
});
