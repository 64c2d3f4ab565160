/**
 * The messages of the PostgreSQL frontend/backend protocol 3.0, as data.
 *
 * Both directions are modelled (h11's symmetry): the client encodes
 * {@link FrontendMessage}s and decodes {@link BackendMessage}s; the fake
 * backend of the test suite does the opposite with the same codec. Each
 * message is a plain object discriminated by `type`. Bytes are `Uint8Array`s;
 * DataRow fields are subarray views into the received chunk (valid until the
 * decoder is fed again unless copied).
 *
 * Reference: https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import type { PrimaryKeepalive, XLogData } from './replication';
import type { RawFields } from '../errors/database';

/** Raw ErrorResponse / NoticeResponse fields keyed by their one-byte tag ('S', 'C', 'M', ...); defined in src/errors. */
export type { RawFields };

/** Format code of a parameter or column: 0 = text, 1 = binary. */
export type FormatCode = 0 | 1;

/** One column of a RowDescription. */
export interface FieldDescription {
  name: string;
  tableOid: number;
  columnAttr: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: FormatCode;
}

// ---------------------------------------------------------------- backend

/** The Authentication* family ('R'), by sub-code. */
export type AuthenticationMessage =
  | { type: 'AuthenticationOk' }
  | { type: 'AuthenticationKerberosV5' }
  | { type: 'AuthenticationCleartextPassword' }
  | { type: 'AuthenticationMD5Password'; salt: Uint8Array }
  | { type: 'AuthenticationGSS' }
  | { type: 'AuthenticationGSSContinue'; data: Uint8Array }
  | { type: 'AuthenticationSSPI' }
  | { type: 'AuthenticationSASL'; mechanisms: string[] }
  | { type: 'AuthenticationSASLContinue'; data: Uint8Array }
  | { type: 'AuthenticationSASLFinal'; data: Uint8Array };

/** Every message the server sends. */
export type BackendMessage =
  | AuthenticationMessage
  | { type: 'BackendKeyData'; processId: number; secretKey: Uint8Array }
  | { type: 'ParameterStatus'; name: string; value: string }
  | { type: 'ReadyForQuery'; status: TransactionStatus }
  | { type: 'RowDescription'; fields: FieldDescription[] }
  | { type: 'DataRow'; fields: Array<Uint8Array | null> }
  | { type: 'CommandComplete'; tag: string }
  | { type: 'EmptyQueryResponse' }
  | { type: 'ErrorResponse'; fields: RawFields }
  | { type: 'NoticeResponse'; fields: RawFields }
  | { type: 'NotificationResponse'; processId: number; channel: string; payload: string }
  | { type: 'ParseComplete' }
  | { type: 'BindComplete' }
  | { type: 'CloseComplete' }
  | { type: 'NoData' }
  | { type: 'ParameterDescription'; typeOids: number[] }
  | { type: 'PortalSuspended' }
  | { type: 'CopyInResponse'; format: FormatCode; columnFormats: FormatCode[] }
  | { type: 'CopyOutResponse'; format: FormatCode; columnFormats: FormatCode[] }
  | { type: 'CopyBothResponse'; format: FormatCode; columnFormats: FormatCode[] }
  | { type: 'CopyData'; data: Uint8Array }
  | { type: 'CopyDone' }
  | { type: 'NegotiateProtocolVersion'; minorVersion: number; unrecognizedOptions: string[] }
  | { type: 'FunctionCallResponse'; result: Uint8Array | null }
  // The replication sub-messages of CopyData in copy-both mode (replication.ts):
  // the decoder yields CopyData; the machine turns a replication stream's into these.
  | XLogData
  | PrimaryKeepalive;

/** ReadyForQuery's transaction status: idle, in a transaction block, or in a failed block. */
export type TransactionStatus = 'I' | 'T' | 'E';

// ---------------------------------------------------------------- frontend

/** Every message the client sends. */
export type FrontendMessage =
  | { type: 'StartupMessage'; protocolVersion?: number; parameters: Record<string, string> }
  | { type: 'SSLRequest' }
  | { type: 'GSSENCRequest' }
  | { type: 'CancelRequest'; processId: number; secretKey: Uint8Array }
  | { type: 'PasswordMessage'; password: string }
  | { type: 'SASLInitialResponse'; mechanism: string; data: Uint8Array | null }
  | { type: 'SASLResponse'; data: Uint8Array }
  | { type: 'Query'; sql: string }
  | { type: 'Parse'; name: string; sql: string; paramTypes: number[] }
  | {
      type: 'Bind';
      portal: string;
      statement: string;
      paramFormats: FormatCode[];
      /** Each parameter already serialized: a string (text, encoded as UTF-8), bytes, or null. */
      params: Array<string | Uint8Array | null>;
      resultFormats: FormatCode[];
    }
  | { type: 'Describe'; target: 'S' | 'P'; name: string }
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Sync' }
  | { type: 'Flush' }
  | { type: 'Close'; target: 'S' | 'P'; name: string }
  | { type: 'CopyData'; data: Uint8Array }
  | { type: 'CopyDone' }
  | { type: 'CopyFail'; message: string }
  | { type: 'FunctionCall'; functionOid: number; argFormats: FormatCode[]; args: Array<Uint8Array | null>; resultFormat: FormatCode }
  | { type: 'Terminate' };

/** The `type` names of backend messages. */
export type BackendMessageType = BackendMessage['type'];
/** The `type` names of frontend messages. */
export type FrontendMessageType = FrontendMessage['type'];

/** The protocol version 3.0 as sent in StartupMessage. */
export const PROTOCOL_3_0 = 196608;
/** The protocol version 3.2 (PostgreSQL 18: cancel keys of 4 to 256 bytes) as sent in StartupMessage. */
export const PROTOCOL_3_2 = 196610;
/** The request codes of the untyped startup-phase messages. */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
