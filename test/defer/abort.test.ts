import { CancelledError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { withAbortSignal } from '../../src/defer/abort';
import { failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';

failOnUnhandledFailures();

describe('withAbortSignal', () => {
  it('cancels the Deferred when the signal aborts', () => {
    const ac = new AbortController();
    const canceller = jest.fn();
    const d = withAbortSignal(new Deferred<number>(canceller), ac.signal);
    ac.abort();
    expect(canceller).toHaveBeenCalledTimes(1);
    failureResultOf(d, CancelledError);
  });

  it('cancels at once when the signal is already aborted', () => {
    const d = withAbortSignal(new Deferred<number>(), AbortSignal.abort());
    failureResultOf(d, CancelledError);
  });

  it('stops listening once the Deferred fired, leaving its result alone', () => {
    const ac = new AbortController();
    const removed = jest.spyOn(ac.signal, 'removeEventListener');
    const d = withAbortSignal(new Deferred<number>(), ac.signal);
    d.callback(1);
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    ac.abort();
    expect(successResultOf(d)).toBe(1);
  });
});
