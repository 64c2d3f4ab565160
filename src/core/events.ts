/**
 * Events: what the {@link ProtocolMachine} tells its driver.
 *
 * Most events are the backend messages themselves, passed through without a
 * copy (a DataRow is not re-wrapped: the hot path allocates one object per
 * row). Responses to operations arrive in the order the operations were sent;
 * each operation ends with its `ReadyForQuery`. NotificationResponse,
 * NoticeResponse and ParameterStatus may arrive at any time. The machine adds
 * a few events of its own: `StartupComplete` (the session is ready: the first
 * ReadyForQuery, which belongs to no operation), `Failed` (the machine is
 * closed; `error` says why), and, only with `keyDerivation: 'driver'`,
 * `KeyDerivationRequest` (SCRAM needs its salted password: the driver
 * computes it, off the event loop, and hands it to `keyDerived()`).
 *
 * While a START_REPLICATION streams, each CopyData from the server is
 * yielded as the replication message it carries: `XLogData` (`data` is a
 * view valid until the next `receiveData`, like `CopyData.data`: copy it
 * to keep it) or `PrimaryKeepalive` (see `protocol/replication.ts`).
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

/**
 * SCRAM needs its salted password and the machine waits for it (state
 * `derivingKey`): the driver derives PBKDF2-HMAC-SHA-256(`password`,
 * `salt`, `iterations`) with a 32-byte output, without blocking (e.g.
 * `AuthCrypto.pbkdf2Sha256Async`), and calls `machine.keyDerived(key)`.
 * Yielded once per exchange, only when the machine's `keyDerivation`
 * option is 'driver'; `iterations` is already checked against
 * `maxScramIterations`.
 */
export interface KeyDerivationRequestEvent {
  type: 'KeyDerivationRequest';
  /** The password, SASLprep'd and UTF-8 encoded. */
  password: Uint8Array;
  /** The server's salt. */
  salt: Uint8Array;
  /** The server's iteration count. */
  iterations: number;
}

/** Every event the machine yields. */
export type MachineEvent = BackendMessage | StartupCompleteEvent | FailedEvent | KeyDerivationRequestEvent;
