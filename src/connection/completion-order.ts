/**
 * CompletionOrder: the Deferreds of one connection fire in call order.
 *
 * Theory of operation. Each request takes a ticket when it is called. Work
 * may complete out of call order (a statement prepared and run again after
 * a schema change, the simple-protocol fallback of a multi-statement string,
 * a statement re-run after a stray CancelRequest), but callers must see
 * results in the order they asked (txpostgres' and pg's contract), so a
 * completion is parked until every earlier ticket has been delivered. A
 * ticket whose request was withdrawn (cancelled while still queued) is
 * skipped. Every ticket must be delivered or skipped exactly once, or the
 * tickets after it wait for ever; the Connection guarantees that by routing
 * every end of a request through one place.
 */

/** Delivers completions in ticket order; see the file comment. */
export class CompletionOrder {
  private issued = 0;
  private head = 0;
  private readonly parked = new Map<number, () => void>();

  /** A new ticket, after every ticket taken before. */
  take(): number {
    return this.issued++;
  }

  /** Runs `fire` once every earlier ticket has been delivered or skipped (at once when it is the oldest). */
  deliver(ticket: number, fire: () => void): void {
    if (ticket !== this.head) {
      this.parked.set(ticket, fire);
      return;
    }
    this.head++;
    fire();
    if (this.parked.size === 0) return; // the common case: nothing waits behind it
    for (let next = this.parked.get(this.head); next !== undefined; next = this.parked.get(this.head)) {
      this.parked.delete(this.head);
      this.head++;
      next();
    }
  }

  /** Gives up `ticket` (its request will never be delivered). */
  skip(ticket: number): void {
    this.deliver(ticket, noop);
  }

  /** Completions waiting for an earlier ticket. */
  get waiting(): number {
    return this.parked.size;
  }
}

function noop(): void {}
