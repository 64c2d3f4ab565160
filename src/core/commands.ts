/**
 * Commands: what a driver asks the {@link ProtocolMachine} to send.
 *
 * A command is data. The machine checks it is legal in the current state
 * (see `states.ts`), encodes it, and counts the responses it must wait for:
 * every `Sync` and every simple `Query` ends with exactly one ReadyForQuery,
 * so each is one *operation* in the machine's FIFO. Several operations may be
 * in flight at once (pipelining); their responses come back in order.
 */
import type { FrontendMessage } from '../protocol/messages';
import type { ReplicationStatement } from './replication';

/** A simple-protocol Query (one operation; may hold several statements). */
export interface SimpleQueryCommand {
  type: 'simpleQuery';
  sql: string;
}

/**
 * A batch of extended-protocol messages (Parse, Bind, Describe, Execute,
 * Close, Flush, Sync). Each Sync in the batch is one operation. The batch is
 * encoded into one write.
 */
export interface BatchCommand {
  type: 'batch';
  messages: FrontendMessage[];
}

/** COPY FROM STDIN data, legal only while the server waits for copy data. */
export interface CopyDataCommand {
  type: 'copyData';
  data: Uint8Array;
}

/** Ends COPY FROM STDIN successfully. */
export interface CopyDoneCommand {
  type: 'copyDone';
}

/** Aborts COPY FROM STDIN; the server answers with an ErrorResponse. */
export interface CopyFailCommand {
  type: 'copyFail';
  message: string;
}

/** Sends Terminate; the machine then expects the server to close. */
export interface TerminateCommand {
  type: 'terminate';
}

/**
 * A replication command (IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT, ...,
 * START_REPLICATION), sent as a simple Query (one operation). Legal only on
 * a replication connection (startup parameter `replication` = `database`
 * or `true`), and never while a START_REPLICATION is in progress;
 * START_REPLICATION only when idle, and its logical form only on a
 * `replication=database` connection. The text is built by the machine
 * (`replication.ts`) for the server's major version.
 */
export interface ReplicationCommand {
  type: 'replication';
  statement: ReplicationStatement;
}

/**
 * A standby status update ('r' in CopyData): legal only in copy-both mode.
 * LSNs are positions (0 = unknown); `sendTime` is the driver's clock in
 * microseconds since 2000-01-01 UTC (`pgTimeFromMs`): the machine reads no clock.
 */
export interface StandbyStatusCommand {
  type: 'standbyStatus';
  writeLsn: bigint;
  flushLsn: bigint;
  applyLsn: bigint;
  sendTime: bigint;
  replyRequested: boolean;
}

/** Hot standby feedback ('h' in CopyData): legal only in copy-both mode. Transaction ids 0 = none. */
export interface HotStandbyFeedbackCommand {
  type: 'hotStandbyFeedback';
  sendTime: bigint;
  xmin: number;
  xminEpoch: number;
  catalogXmin: number;
  catalogXminEpoch: number;
}

/** Every command the machine accepts. */
export type Command =
  | SimpleQueryCommand
  | BatchCommand
  | CopyDataCommand
  | CopyDoneCommand
  | CopyFailCommand
  | TerminateCommand
  | ReplicationCommand
  | StandbyStatusCommand
  | HotStandbyFeedbackCommand;
