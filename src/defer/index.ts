/**
 * Deferreds: Twisted's callback chains, with `await` support.
 * See docs/guide/deferreds.md and docs/api/Deferred.md.
 */
export { Deferred, CANCEL_PENDING, type Canceller, type Chainable } from './deferred';
export { NonErrorFailure } from './failure';
export { succeed, fail, maybeDeferred } from './combinators';
export { DeferredList, gatherResults, type DeferredListEntry, type DeferredListOptions, type ResultsOf } from './deferred-list';
export { FirstError } from './first-error';
export { ConcurrencyPrimitive } from './concurrency';
export { DeferredLock } from './lock';
export { DeferredSemaphore } from './semaphore';
export { addTimeout, type OnTimeoutCancel } from './timeout';
export { deferLater } from './later';
export { fromPromise, asPromise } from './promise';
export { withAbortSignal } from './abort';
export {
  setUnhandledFailureHandler,
  flushUnhandledFailures,
  captureUnhandledFailures,
  type UnhandledFailureHandler,
  type CapturedFailures,
} from './hooks';
