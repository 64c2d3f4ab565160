/**
 * NodeTime's single Node timer with delays Node cannot arm in one go: above
 * 2^31-1 ms Node's setTimeout fires after 1 ms (with a TimeoutOverflowWarning),
 * so the reactor must chain timers of at most 2^31-1 ms. Infinity means "never".
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { NodeReactor } from '../../../reactor/node/node';
import { MAX_MICROTASK_HOPS, MAX_NODE_TIMER_MS, NodeTime } from '../../../reactor/node/time';
import { waitReal } from '../real-time';

const LONG = 2 ** 31 + 10;
const ROOT = join(__dirname, '..', '..', '..');

/**
 * Runs `script` in a fresh Node process (TypeScript via scripts/register-ts.js)
 * and returns its stdout and stderr: Node writes process warnings to the real
 * process's stderr, which a listener inside Jest's sandbox never sees.
 */
function runNode(script: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', './scripts/register-ts.js', '-e', script], { cwd: ROOT, timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr }),
    );
  });
}

describe('NodeReactor.callLater with delays beyond what one Node timer holds', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('arms one timer of at most 2^31-1 ms for a longer delay: no early call, no 1 ms re-arming', async () => {
    const reactor = new NodeReactor();
    const arm = jest.spyOn(globalThis, 'setTimeout');
    let fired = false;
    const call = reactor.callLater(LONG, () => {
      fired = true;
    });
    await waitReal(30);
    expect(fired).toBe(false);
    expect(call.active()).toBe(true);
    expect(arm.mock.calls.every(([, ms]) => (ms ?? 0) <= MAX_NODE_TIMER_MS)).toBe(true);
    expect(arm.mock.calls.filter(([, ms]) => (ms ?? 0) > 30)).toHaveLength(1);
    call.cancel();
    expect(call.active()).toBe(false);
  });

  it('emits no TimeoutOverflowWarning for a delay above 2^31-1 ms (in a fresh Node process)', async () => {
    const script = `
      const { NodeReactor } = require('./reactor/node/node');
      const reactor = new NodeReactor();
      let fired = 0;
      const call = reactor.callLater(${LONG}, () => fired++);
      setTimeout(() => { call.cancel(); console.log(JSON.stringify({ fired, active: call.active() })); }, 30);
    `;
    const { stdout, stderr } = await runNode(script);
    expect(stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(JSON.parse(stdout)).toEqual({ fired: 0, active: false });
  });

  it('chains timers until the call is due, then runs it exactly once (fake Node timers)', () => {
    jest.useFakeTimers();
    const time = new NodeTime();
    const arm = jest.spyOn(globalThis, 'setTimeout');
    const start = performance.now();
    const ran: number[] = [];
    time.callLater(LONG, () => ran.push(performance.now() - start));
    jest.advanceTimersByTime(50);
    expect(arm.mock.calls.length).toBeLessThanOrEqual(1);
    jest.advanceTimersByTime(LONG - 51);
    expect(ran).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(ran).toEqual([LONG]);
    expect(arm.mock.calls.length).toBe(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fires a short call armed after a long one at its own time, and the long one still later', () => {
    jest.useFakeTimers();
    const time = new NodeTime();
    const order: string[] = [];
    time.callLater(3 * MAX_NODE_TIMER_MS, () => order.push('long'));
    time.callLater(100, () => order.push('short'));
    jest.advanceTimersByTime(100);
    expect(order).toEqual(['short']);
    jest.advanceTimersByTime(3 * MAX_NODE_TIMER_MS - 101);
    expect(order).toEqual(['short']);
    jest.advanceTimersByTime(1);
    expect(order).toEqual(['short', 'long']);
  });

  it('treats Infinity as never: no Node timer, the call stays active until cancelled or reset', () => {
    jest.useFakeTimers();
    const time = new NodeTime();
    const arm = jest.spyOn(globalThis, 'setTimeout');
    let fired = 0;
    const call = time.callLater(Infinity, () => fired++);
    expect(call.time).toBe(Infinity);
    expect(arm).not.toHaveBeenCalled();
    jest.advanceTimersByTime(10 * MAX_NODE_TIMER_MS);
    expect(fired).toBe(0);
    expect(call.active()).toBe(true);
    call.reset(5);
    jest.advanceTimersByTime(5);
    expect(fired).toBe(1);
    const other = time.callLater(10, () => fired++);
    other.delay(Infinity);
    jest.advanceTimersByTime(100);
    expect(fired).toBe(1);
    other.cancel();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses NaN, negative and non-number delays with a RangeError, before scheduling anything', () => {
    const time = new NodeTime();
    expect(() => time.callLater(NaN, () => {})).toThrow(RangeError);
    expect(() => time.callLater(-1, () => {})).toThrow(/delay must be a number >= 0 \(or Infinity\), got -1/);
    expect(() => time.callLater(-Infinity, () => {})).toThrow(RangeError);
    expect(() => time.callLater('5' as unknown as number, () => {})).toThrow(RangeError);
    const call = time.callLater(10, () => {});
    expect(() => call.reset(NaN)).toThrow(RangeError);
    expect(() => call.delay(-5)).toThrow(RangeError);
    call.cancel();
  });
});

describe('NodeTime.callSoon: microtask batches, and a yield to the event loop every MAX_MICROTASK_HOPS batches', () => {
  afterEach(() => jest.restoreAllMocks());

  it('arms no setImmediate in an event-loop turn that schedules one batch (one notification or reply per turn costs one microtask)', async () => {
    const time = new NodeTime();
    const immediate = jest.spyOn(globalThis, 'setImmediate');
    const ran: number[] = [];
    for (let turn = 0; turn < 20; turn++) {
      time.callSoon(() => ran.push(turn));
      await waitReal(1); // a new macrotask, as a socket read is
    }
    expect(ran).toEqual([...Array(20).keys()]);
    expect(immediate).not.toHaveBeenCalled();
  });

  it('sends every MAX_MICROTASK_HOPS-th batch through setImmediate, counted across turns too', async () => {
    const time = new NodeTime();
    const immediate = jest.spyOn(globalThis, 'setImmediate');
    let ran = 0;
    for (let i = 0; i < MAX_MICROTASK_HOPS - 1; i++) {
      time.callSoon(() => ran++);
      await Promise.resolve(); // the batch runs: the next callSoon starts a new one
      if (i % 100 === 0) await waitReal(0); // event-loop turns do not reset the count
    }
    expect(immediate).not.toHaveBeenCalled();
    time.callSoon(() => ran++);
    expect(immediate).toHaveBeenCalledTimes(1);
    await waitReal(1);
    expect(ran).toBe(MAX_MICROTASK_HOPS);
  });

  it('runs calls scheduled during a batch in a later batch, in order, with the batches\' arrays reused', async () => {
    const errors: unknown[] = [];
    const time = new NodeTime({ onError: (e) => errors.push(e) });
    const ran: string[] = [];
    for (let round = 0; round < 3; round++) {
      time.callSoon(() => {
        ran.push(`a${round}`);
        time.callSoon(() => ran.push(`c${round}`));
      });
      time.callSoon(() => {
        throw new Error(`boom${round}`);
      });
      time.callSoon(() => ran.push(`b${round}`));
      await waitReal(1);
    }
    expect(ran).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom0', 'boom1', 'boom2']);
  });
});
