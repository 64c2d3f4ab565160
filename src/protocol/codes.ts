/**
 * The type bytes of protocol 3.0 messages, by direction, as char codes.
 *
 * Some letters mean different things in each direction ('D' is DataRow from
 * the server and Describe from the client), so the two tables are separate.
 */

/** Type bytes of messages the server sends. */
export enum B {
  Authentication = 0x52, // 'R'
  BackendKeyData = 0x4b, // 'K'
  ParameterStatus = 0x53, // 'S'
  ReadyForQuery = 0x5a, // 'Z'
  RowDescription = 0x54, // 'T'
  DataRow = 0x44, // 'D'
  CommandComplete = 0x43, // 'C'
  EmptyQueryResponse = 0x49, // 'I'
  ErrorResponse = 0x45, // 'E'
  NoticeResponse = 0x4e, // 'N'
  NotificationResponse = 0x41, // 'A'
  ParseComplete = 0x31, // '1'
  BindComplete = 0x32, // '2'
  CloseComplete = 0x33, // '3'
  NoData = 0x6e, // 'n'
  ParameterDescription = 0x74, // 't'
  PortalSuspended = 0x73, // 's'
  CopyInResponse = 0x47, // 'G'
  CopyOutResponse = 0x48, // 'H'
  CopyBothResponse = 0x57, // 'W'
  CopyData = 0x64, // 'd'
  CopyDone = 0x63, // 'c'
  NegotiateProtocolVersion = 0x76, // 'v'
  FunctionCallResponse = 0x56, // 'V'
}

/** Type bytes of messages the client sends (the startup-phase messages have none). */
export enum F {
  Password = 0x70, // 'p' (PasswordMessage, SASLInitialResponse, SASLResponse)
  Query = 0x51, // 'Q'
  Parse = 0x50, // 'P'
  Bind = 0x42, // 'B'
  Describe = 0x44, // 'D'
  Execute = 0x45, // 'E'
  Sync = 0x53, // 'S'
  Flush = 0x48, // 'H'
  Close = 0x43, // 'C'
  CopyData = 0x64, // 'd'
  CopyDone = 0x63, // 'c'
  CopyFail = 0x66, // 'f'
  FunctionCall = 0x46, // 'F'
  Terminate = 0x58, // 'X'
}

/** Authentication ('R') sub-codes. */
export enum AuthCode {
  Ok = 0,
  KerberosV5 = 2,
  CleartextPassword = 3,
  MD5Password = 5,
  GSS = 7,
  GSSContinue = 8,
  SSPI = 9,
  SASL = 10,
  SASLContinue = 11,
  SASLFinal = 12,
}

/** Default maximum message size accepted by the decoders: 256 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;
