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

/** Every command the machine accepts. */
export type Command =
  | SimpleQueryCommand
  | BatchCommand
  | CopyDataCommand
  | CopyDoneCommand
  | CopyFailCommand
  | TerminateCommand;
