/**
 * settle: runs a test's virtual world to rest without moving virtual time.
 *
 * A VirtualReactor moves bytes and runs callbacks only when flushed, while
 * the driver also has steps on the real event loop (loading the connect
 * configuration, `await` in user code). `settle` alternates the two:
 * `reactor.flush()`, then one turn of the event loop (`setImmediate`: no
 * timer, no time passes), until the awaited Deferred or Promise has settled,
 * or a predicate holds, or (with neither) until nothing moved for a few
 * rounds. It returns a Deferred (`await` it).
 */
import { asPromise, Deferred, fromPromise } from '../defer';

/** What {@link settle} needs of a reactor; a `VirtualReactor` has it. */
export interface Flushable {
  /** Runs everything runnable now; returns whether anything moved. */
  flush(): boolean;
}

/** What {@link settle} waits for: a Deferred or Promise to settle, or a predicate to hold. */
export type SettleUntil = PromiseLike<unknown> | (() => boolean);

const QUIET_ROUNDS = 3;

/**
 * Flushes `reactor` and lets the event loop turn, alternately, until
 * `until` holds (see the file comment). Fires with undefined.
 * @param maxRounds rounds after which it gives up (default 100)
 * @returns a Deferred that fails with an Error when `until` does not hold within `maxRounds` rounds.
 * @example await settle(reactor, conn.connect(server.dsn));
 */
export function settle(reactor: Flushable, until?: SettleUntil, maxRounds = 100): Deferred<void> {
  const done = watch(until);
  const d = new Deferred<void>();
  let quiet = 0;
  let round = 0;
  const step = (): void => {
    const moved = reactor.flush();
    setImmediate(() => {
      let movedAfter: boolean;
      try {
        movedAfter = reactor.flush();
      } catch (e) {
        return d.errback(e as Error);
      }
      if (done !== null && done()) return d.callback(undefined);
      quiet = moved || movedAfter ? 0 : quiet + 1;
      if (done === null && quiet >= QUIET_ROUNDS) return d.callback(undefined);
      if (++round >= maxRounds) {
        if (done === null) return d.callback(undefined);
        return d.errback(new Error(`settle: still waiting after ${maxRounds} rounds (does it need virtual time to pass? use reactor.advance)`));
      }
      step();
    });
  };
  try {
    step();
  } catch (e) {
    d.errback(e as Error);
  }
  return d;
}

/**
 * Settles until `d` has settled, then fires as `d` did (with its value or
 * its error). A Deferred is observed, not consumed: its own chain goes on
 * with its result.
 * @example expect(await resultOf(reactor, conn.runQuery('SELECT 1 AS n'))).toEqual([{ n: 1 }]);
 */
export function resultOf<T>(reactor: Flushable, d: PromiseLike<T>): Deferred<T> {
  return settle(reactor, d).addCallback((): PromiseLike<T> => (d instanceof Deferred ? asPromise(d as Deferred<T>) : d));
}

/** A function telling whether `until` holds; null to wait for quiet. */
function watch(until: SettleUntil | undefined): (() => boolean) | null {
  if (until === undefined) return null;
  if (typeof until === 'function') return until;
  if (until instanceof Deferred) return () => until.called && until.paused === 0; // fired, not waiting on another: observed without handling its failure
  let settled = false;
  fromPromise(until).addBoth(() => {
    settled = true;
  });
  return () => settled;
}
