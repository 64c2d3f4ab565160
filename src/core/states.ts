/**
 * The states of a {@link ProtocolMachine} and what is legal in each.
 *
 * Rules (read these before the table):
 * 1. The machine's state only changes on a received message, a sent
 *    command, `receiveEof()`, `tlsEstablished()` or `keyDerived()`; never
 *    on time.
 * 2. A backend message not listed for the current state is a protocol
 *    violation: the machine fails with `ProtocolViolation` and closes.
 *    NoticeResponse, ParameterStatus and ErrorResponse are legal in every
 *    state after the startup packet; NotificationResponse once the session
 *    is up (it can arrive between any two messages).
 * 3. A command not listed for the current state is refused with an
 *    `InterfaceError` before any byte is queued.
 * 4. Operations (a Sync, or a simple Query) complete in FIFO order, each with
 *    exactly one ReadyForQuery. `busy` means at least one is in flight.
 * 5. COPY sub-states are entered from `busy` on Copy*Response and left on
 *    the end of the copy (CopyDone either way, or an ErrorResponse).
 *    Copy-both (replication) ends in two halves: our CopyDone leaves the
 *    server streaming until its own CopyDone (`copyOut`); the server's
 *    CopyDone first (end of a physical timeline) leaves it waiting for ours
 *    (`copyIn`, where CopyFail is not allowed).
 * 6. NegotiateProtocolVersion is legal only as the server's first answer to
 *    the StartupMessage (checked in `negotiation.ts`).
 * 7. On a replication connection (startup parameter `replication`), the
 *    extended protocol is refused (walsenders do not speak it), replication
 *    commands are allowed when `ready` or `busy`, START_REPLICATION only when
 *    `ready` outside a transaction block, and nothing else may be queued
 *    until the START_REPLICATION's ReadyForQuery; status updates and hot
 *    standby feedback only in `copyBoth`. These checks are in `machine.ts`.
 *
 * The few transitions that are not pure table look-ups (authentication,
 * the FIFO count, the copy sub-states) are written out in `machine.ts`.
 */
import type { BackendMessageType } from '../protocol/messages';
import type { Command } from './commands';

/** The states of the machine. */
export type MachineState =
  | 'new' // start() not called yet
  | 'sslRequested' // SSLRequest sent, waiting for the one-byte answer
  | 'tlsHandshake' // the server said 'S'; the driver must start TLS (poll() -> 'starttls')
  | 'authenticating' // StartupMessage sent; authentication exchange
  | 'derivingKey' // SCRAM: waiting for the driver's keyDerived() (KeyDerivationRequest event)
  | 'settingUp' // AuthenticationOk received; ParameterStatus/BackendKeyData until ReadyForQuery
  | 'ready' // idle session, nothing in flight
  | 'busy' // operations in flight
  | 'copyIn' // the server waits for CopyData/CopyDone/CopyFail
  | 'copyOut' // the server streams CopyData until CopyDone
  | 'copyBoth' // both directions stream CopyData (replication)
  | 'terminating' // Terminate sent; waiting for the server to close
  | 'closed'; // the end: clean, or failed (see the Failed event)

const ASYNC: BackendMessageType[] = ['NoticeResponse', 'ParameterStatus', 'ErrorResponse'];
const SESSION_ASYNC: BackendMessageType[] = [...ASYNC, 'NotificationResponse'];

const AUTH: BackendMessageType[] = [
  'AuthenticationOk', 'AuthenticationKerberosV5', 'AuthenticationCleartextPassword',
  'AuthenticationMD5Password', 'AuthenticationGSS', 'AuthenticationGSSContinue',
  'AuthenticationSSPI', 'AuthenticationSASL', 'AuthenticationSASLContinue',
  'AuthenticationSASLFinal', 'NegotiateProtocolVersion',
];

const QUERY_RESPONSES: BackendMessageType[] = [
  'RowDescription', 'DataRow', 'CommandComplete', 'EmptyQueryResponse', 'ParseComplete',
  'BindComplete', 'CloseComplete', 'NoData', 'ParameterDescription', 'PortalSuspended',
  'ReadyForQuery', 'CopyInResponse', 'CopyOutResponse', 'CopyBothResponse', 'FunctionCallResponse',
];

/** Backend messages legal in each state (rule 2). */
export const BACKEND_ALLOWED: Readonly<Record<MachineState, ReadonlySet<BackendMessageType>>> = {
  new: new Set(),
  sslRequested: new Set(),
  tlsHandshake: new Set(),
  authenticating: new Set([...AUTH, ...ASYNC]),
  derivingKey: new Set(ASYNC), // the server waits for our SASLResponse: no authentication request can come
  settingUp: new Set(['BackendKeyData', 'ReadyForQuery', ...ASYNC]),
  ready: new Set(SESSION_ASYNC),
  busy: new Set([...QUERY_RESPONSES, ...SESSION_ASYNC]),
  copyIn: new Set([...SESSION_ASYNC]),
  copyOut: new Set(['CopyData', 'CopyDone', ...SESSION_ASYNC]),
  copyBoth: new Set(['CopyData', 'CopyDone', ...SESSION_ASYNC]),
  terminating: new Set([...QUERY_RESPONSES, 'CopyData', 'CopyDone', ...SESSION_ASYNC]),
  closed: new Set(),
};

/** Commands legal in each state (rule 3). */
export const COMMANDS_ALLOWED: Readonly<Record<MachineState, ReadonlySet<Command['type']>>> = {
  new: new Set(),
  sslRequested: new Set(['terminate']),
  tlsHandshake: new Set(['terminate']),
  authenticating: new Set(['terminate']),
  derivingKey: new Set(['terminate']),
  settingUp: new Set(['terminate']),
  ready: new Set(['simpleQuery', 'batch', 'replication', 'terminate']),
  busy: new Set(['simpleQuery', 'batch', 'replication', 'terminate']),
  copyIn: new Set(['copyData', 'copyDone', 'copyFail', 'terminate']),
  copyOut: new Set(['simpleQuery', 'batch', 'terminate']),
  copyBoth: new Set(['copyData', 'copyDone', 'standbyStatus', 'hotStandbyFeedback', 'terminate']),
  terminating: new Set(),
  closed: new Set(),
};

/** Frontend message types a `batch` command may contain. */
export const BATCH_MESSAGES: ReadonlySet<string> = new Set([
  'Parse', 'Bind', 'Describe', 'Execute', 'Close', 'Flush', 'Sync', 'FunctionCall',
]);
