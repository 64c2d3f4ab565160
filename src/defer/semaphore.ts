import { InterfaceError } from '../errors/base';
import { ConcurrencyPrimitive, notHeld } from './concurrency';
import type { Deferred } from './deferred';

/**
 * A counting semaphore for Deferred code (Twisted's DeferredSemaphore): at
 * most `limit` holders at a time; acquires beyond that queue in FIFO order
 * and can be cancelled while queued.
 */
export class DeferredSemaphore extends ConcurrencyPrimitive {
  /** Free tokens right now. */
  tokens: number;
  /** The maximum number of holders. Change it with {@link setLimit}. */
  limit: number;

  /** @throws InterfaceError if `tokens` is not a positive integer. */
  constructor(tokens: number) {
    super();
    checkLimit(tokens);
    this.tokens = tokens;
    this.limit = tokens;
  }

  /** Fires with the semaphore once a token is held (synchronously when one is free). */
  acquire(): Deferred<this> {
    const d = this.newAcquire();
    if (this.tokens > 0) {
      this.tokens--;
      d.callback(this);
    } else {
      this.waiting.push(d);
    }
    return d;
  }

  /**
   * Gives a token back; the oldest queued acquire (if any) takes it at once.
   * @throws InterfaceError (`ERR_NOT_HELD`) if more tokens are released than were taken.
   */
  release(): void {
    if (this.tokens >= this.limit) throw notHeld('a semaphore token');
    this.tokens++;
    this.wakeQueued();
  }

  /**
   * Changes the limit. Raising it frees tokens and wakes queued acquires at
   * once; lowering it takes effect as holders release (tokens may go negative
   * meanwhile, and no acquire succeeds until they are positive again).
   * @throws InterfaceError if `limit` is not a positive integer.
   */
  setLimit(limit: number): void {
    checkLimit(limit);
    this.tokens += limit - this.limit;
    this.limit = limit;
    this.wakeQueued();
  }

  private wakeQueued(): void {
    while (this.tokens > 0 && this.waiting.length > 0) {
      this.tokens--;
      this.wakeOne();
    }
  }
}

function checkLimit(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new InterfaceError(`a semaphore needs a positive integer number of tokens, got ${n}`, {
      code: 'ERR_INVALID_ARGUMENT',
    });
  }
}
