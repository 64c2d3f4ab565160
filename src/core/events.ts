/**
 * Events: what the {@link ProtocolMachine} tells its driver.
 *
 * Most events are the backend messages themselves, passed through without a
 * copy (a DataRow is not re-wrapped: the hot path allocates one object per
 * row). Responses to operations arrive in the order the operations were sent;
 * each operation ends with its `ReadyForQuery`. NotificationResponse,
 * NoticeResponse and ParameterStatus may arrive at any time. The machine adds
 * a few events of its own: `StartupComplete` (the session is ready: the first
 * ReadyForQuery, which belongs to no operation), and `Failed` (the machine is
 * closed; `error` says why).
 */
import type { BackendMessage, TransactionStatus } from '../protocol/messages';

/** The session is established; queries may be sent. */
export interface StartupCompleteEvent {
  type: 'StartupComplete';
  processId: number | undefined;
  transactionStatus: TransactionStatus;
}

/**
 * The machine is closed and will produce nothing more. `error` is a
 * DatabaseError (a FATAL server error), a ProtocolViolation, a
 * ConnectionLost (end of stream while in use), or null for a clean end
 * (end of stream after Terminate, or while idle when `eofWhileIdleIsClean`).
 */
export interface FailedEvent {
  type: 'Failed';
  error: Error | null;
}

/** Every event the machine yields. */
export type MachineEvent = BackendMessage | StartupCompleteEvent | FailedEvent;
