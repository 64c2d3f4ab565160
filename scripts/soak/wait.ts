/**
 * Waiting on real events with a deadline. The deadline is where the soak
 * gives up on a step and records it as a violation, never a bound on speed:
 * keep it generous, the machine may be loaded.
 */

/** A step that did not happen within its deadline. */
export class StepTimeout extends Error {
  /**
   * @param what the step, in words
   * @param ms the deadline it missed
   */
  constructor(readonly what: string, readonly ms: number) {
    super(`${what} not reached within ${ms} ms`);
    this.name = 'StepTimeout';
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `cond()` holds (polled every 10 ms); rejects with {@link StepTimeout} after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new StepTimeout(what, ms);
    await sleep(10);
  }
}

/** Like {@link waitFor} with an async condition (polled every 100 ms; a rejected poll counts as false). */
export async function waitForAsync(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new StepTimeout(what, ms);
    await sleep(100);
  }
}

/** `p`, or a {@link StepTimeout} after `ms` (p keeps running; its result is then ignored). */
export async function within<T>(p: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeout(what, ms)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
