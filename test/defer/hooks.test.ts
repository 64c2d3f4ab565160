import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Deferred } from '../../src/defer/deferred';
import { fail, succeed } from '../../src/defer/combinators';
import {
  captureUnhandledFailures,
  flushUnhandledFailures,
  setUnhandledFailureHandler,
  type UnhandledFailureHandler,
} from '../../src/defer/hooks';
import { warnUnhandled } from '../../src/defer/unhandled';

describe('unhandled failure reporting', () => {
  it('reports a failure that ends a chain with nobody handling it, once, with its Deferred', () => {
    const seen: Array<[Error, Deferred<unknown> | undefined]> = [];
    const previous = setUnhandledFailureHandler((e, d) => seen.push([e, d]));
    try {
      const err = new Error('nobody cares');
      const d = fail(err);
      flushUnhandledFailures();
      flushUnhandledFailures();
      expect(seen).toEqual([[err, d]]);
    } finally {
      setUnhandledFailureHandler(previous);
    }
  });

  it('does not report a failure consumed by an errback added after firing', () => {
    const capture = captureUnhandledFailures();
    const d = fail(new Error('handled later'));
    d.addErrback(() => 'recovered');
    expect(capture.restore()).toEqual([]);
  });

  it('does not report a failure observed through await', async () => {
    const capture = captureUnhandledFailures();
    const err = new Error('awaited');
    await expect(fail(err)).rejects.toBe(err);
    expect(capture.restore()).toEqual([]);
  });

  it('reports a failure that a callback added after then() produced', async () => {
    const capture = captureUnhandledFailures();
    const d = succeed(1);
    await d;
    const err = new Error('after observation');
    d.addCallback(() => {
      throw err;
    });
    expect(capture.restore()).toEqual([err]);
  });

  it('reports the failure once it reaches the end of a longer chain, not the original one', () => {
    const capture = captureUnhandledFailures();
    const second = new Error('second');
    fail(new Error('first')).addErrback(() => {
      throw second;
    });
    expect(capture.restore()).toEqual([second]);
  });

  it('does not report a failure held by a paused Deferred until its chain ends', () => {
    const capture = captureUnhandledFailures();
    const d = new Deferred<number>();
    d.pause();
    d.errback(new Error('paused'));
    expect(capture.flush()).toEqual([]);
    d.addErrback(() => 0);
    d.unpause();
    expect(capture.restore()).toEqual([]);
  });

  it('does not report the inner failure of a chain that handled it outside', () => {
    const capture = captureUnhandledFailures();
    const inner = fail<number>(new Error('inner'));
    const outer = succeed(1).addCallback(() => inner);
    outer.addErrback(() => 0);
    expect(capture.restore()).toEqual([]);
  });

  it('restores the previous handler after a capture', () => {
    const mine: UnhandledFailureHandler = jest.fn();
    const previous = setUnhandledFailureHandler(mine);
    const capture = captureUnhandledFailures();
    capture.restore();
    expect(setUnhandledFailureHandler(previous)).toBe(mine);
  });

  it('warns through process.emitWarning by default', () => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      warnUnhandled(new Error('shown'));
      expect(spy).toHaveBeenCalledWith(expect.stringContaining('shown'), expect.objectContaining({ type: 'DeferredUnhandledFailure' }));
    } finally {
      spy.mockRestore();
    }
  });

  it('reports an unhandled failure when its Deferred is garbage-collected, also one thrown by its own callback', () => {
    const script = path.join(__dirname, 'support', 'gc-report.ts');
    const root = path.join(__dirname, '..', '..');
    const out = spawnSync(process.execPath, ['--expose-gc', '-r', './scripts/register-ts.js', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ reported: ['collected', 'thrown in its callback'], ownerGone: true, handledReported: false });
  });
});
