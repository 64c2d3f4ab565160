/**
 * WorkQueue: who may use a connection's session, and when.
 *
 * Theory of operation. Operations on one connection must never violate the
 * protocol, yet independent queries should not wait for each other. So work
 * comes in two kinds:
 *
 * - shared jobs (runQuery, runOperation, a bare cursor's execute) are sent at
 *   once, one behind the other in the pipeline, as long as nobody holds the
 *   connection exclusively;
 * - exclusive jobs (runInteraction, COPY, a streamed query) wait until every
 *   shared job sent before them has completed, then hold the connection until
 *   they release it; jobs behind them wait.
 *
 * Order is FIFO in both cases. A job still in the queue can be removed
 * (cancellation of queued work), and everything queued can be failed at once
 * (the connection closed or died).
 */

import { removeInOrder } from '../util/in-order';

/** A unit of queued work. */
export interface Job {
  readonly exclusive: boolean;
  /** Starts the job; a shared job calls `finished` when done, an exclusive one `release`. */
  run(): void;
  /** The job will never run (closed, dead). */
  fail(error: Error): void;
}

/** The FIFO of jobs of one connection; see the file comment. */
export class WorkQueue {
  private readonly queue: Job[] = [];
  /**
   * The shared jobs running, in the order they started: the order their
   * statements complete in (one pipeline); see `util/in-order.ts`.
   */
  private sharedRunning: Job[] = [];
  private holder: Job | null = null;

  /** Whether anything runs or waits. */
  get busy(): boolean {
    return this.sharedRunning.length > 0 || this.holder !== null || this.queue.length > 0;
  }

  /** Appends a job and starts what may start. */
  push(job: Job): void {
    this.queue.push(job);
    this.pump();
  }

  /** Removes a job that has not started; returns whether it was still queued. */
  remove(job: Job): boolean {
    const i = this.queue.indexOf(job);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    this.pump();
    return true;
  }

  /** A shared job completed (a job of a session already reset is ignored). */
  finished(job: Job): void {
    if (!removeInOrder(this.sharedRunning, job)) return;
    this.pump();
  }

  /** The exclusive holder is done with the connection. */
  release(job: Job): void {
    if (this.holder !== job) return;
    this.holder = null;
    this.pump();
  }

  /**
   * Fails every job that has not started, in order, with the error `reason()`
   * builds, once and only when there is such a job (an error's stack costs
   * tens of µs, and every `close()` comes here); running jobs are not touched.
   */
  failAll(reason: () => Error): void {
    if (this.queue.length === 0) return;
    const error = reason();
    const jobs = this.queue.splice(0);
    for (const job of jobs) job.fail(error);
  }

  /** Resets the bookkeeping of running work (the session they ran on is gone). */
  reset(): void {
    this.sharedRunning = [];
    this.holder = null;
  }

  /** Starts every job that may start now. */
  private pump(): void {
    while (this.queue.length > 0 && this.holder === null) {
      const job = this.queue[0];
      if (job.exclusive) {
        if (this.sharedRunning.length > 0) return;
        this.holder = job;
      } else {
        this.sharedRunning.push(job);
      }
      this.queue.shift();
      job.run();
    }
  }
}
