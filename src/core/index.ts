/**
 * `tspostgres/core`: the sans-IO protocol machine, for drivers that move the
 * bytes themselves (psycopg2's asynchronous mode, done purely), and the pure
 * wire codec under it (both directions, the authentication math and the byte
 * helpers), for those who write their own loop, a mock server or a test.
 * Everything here is pure: crypto comes in as an {@link AuthCrypto}; on Node,
 * `nodeAuthCrypto` from `tspostgres`.
 */
export { ProtocolMachine } from './machine';
export type { MachineOptions, PollState, BackendKey } from './machine';
export type { Command, SimpleQueryCommand, BatchCommand, CopyDataCommand, CopyDoneCommand, CopyFailCommand, TerminateCommand, ReplicationCommand, StandbyStatusCommand, HotStandbyFeedbackCommand } from './commands';
export { replicationSql, serverMajorOf } from './replication';
export type { ReplicationStatement, IdentifySystemStatement, CreateSlotStatement, DropSlotStatement, ReadSlotStatement, TimelineHistoryStatement, StartReplicationStatement, SnapshotAction } from './replication';
export type { ReplicationKind } from './machine';
export {
  decodeReplicationBackend, decodeReplicationFrontend, encodeReplication, pgTimeFromMs, msFromPgTime, POSTGRES_EPOCH_MS,
} from '../protocol/replication';
export type {
  XLogData, PrimaryKeepalive, StandbyStatusUpdate, HotStandbyFeedback, ReplicationBackendMessage, ReplicationFrontendMessage,
} from '../protocol/replication';
export { parseLsn, formatLsn, INVALID_LSN, MAX_LSN } from '../protocol/lsn';
export type { LsnInput } from '../protocol/lsn';
export type { MachineEvent, StartupCompleteEvent, FailedEvent, KeyDerivationRequestEvent } from './events';
export { DEFAULT_MAX_SCRAM_ITERATIONS } from '../protocol/auth/scram';
export type { ScramKeyDerivation } from '../protocol/auth/scram';
export type { MachineState } from './states';
export type { AuthOptions } from './authenticator';
export { ProtocolVersionUnsupported } from './negotiation';

// The wire codec (docs/api/protocol.md).
export { ByteWriter, ByteReader, utf8Encode, utf8Decode, toHex, fromHex, concatBytes, readI32, writeI32 } from '../util/bytes';
export { base64Encode, base64Decode } from '../util/base64';
export {
  encodeFrontend, writeFrontend, writeParse, writeBind, writeExecute, writeTargetName,
  SYNC, FLUSH, TERMINATE, COPY_DONE, SSL_REQUEST, GSSENC_REQUEST,
} from '../protocol/encode';
export { BackendDecoder } from '../protocol/decode';
export type { DecoderOptions, CopyDataSink } from '../protocol/decode';
export { FrontendDecoder } from '../protocol/frontend-decode';
export type { PasswordExpectation } from '../protocol/frontend-decode';
export { encodeBackend, writeBackend } from '../protocol/backend-encode';
export { B, F, AuthCode, DEFAULT_MAX_MESSAGE_SIZE } from '../protocol/codes';
export { PROTOCOL_3_0, PROTOCOL_3_2, SSL_REQUEST_CODE, GSSENC_REQUEST_CODE, CANCEL_REQUEST_CODE } from '../protocol/messages';
export { PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION, MAX_CANCEL_KEY_LENGTH, protocolCode } from '../protocol/versions';
export type { ProtocolVersion } from '../protocol/versions';
export type {
  BackendMessage, BackendMessageType, FrontendMessage, FrontendMessageType, AuthenticationMessage,
  FieldDescription, FormatCode, RawFields, TransactionStatus,
} from '../protocol/messages';
export type { AuthCrypto } from '../protocol/auth/crypto';
export { md5Password } from '../protocol/auth/md5';
export { ScramClient, tlsServerEndPointHash } from '../protocol/auth/scram';
export type { ScramMechanism, ChannelBindingPolicy, ChannelBinding, ScramClientOptions } from '../protocol/auth/scram';
export { saslprep } from '../protocol/auth/saslprep';
export { decideAuth } from '../protocol/auth/policy';
export type { AuthContext, AuthAction } from '../protocol/auth/policy';
export { AuthenticationError } from '../protocol/auth/errors';
export type { AuthErrorCode } from '../protocol/auth/errors';
