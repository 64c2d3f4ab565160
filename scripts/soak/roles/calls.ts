/** Deadlines the configuration promises for the calls of a role (see tracker.ts). */
import type { SoakSettings } from '../settings';

/** A call on a connection with a detector: its operation deadline, plus slack. */
export function callDeadline(s: SoakSettings): number {
  return s.operationDeadlineMs + s.deadlineSlackMs;
}

/** A call on a pool: the wait for a member, the operation deadline, plus slack. */
export function poolCallDeadline(s: SoakSettings): number {
  return s.acquireTimeoutMs + s.operationDeadlineMs + s.deadlineSlackMs;
}
