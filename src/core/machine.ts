/**
 * ProtocolMachine: the sans-IO PostgreSQL client connection.
 *
 * Theory of operation. The machine owns no socket, timer or clock. The
 * driver (our `Connection`, or yours) moves bytes and time; the machine
 * decides what they mean, in the manner of h11 and of psycopg2's
 * asynchronous `poll()`:
 *
 *   driver                          machine
 *   ------                          -------
 *   start()                     ->  queues SSLRequest or StartupMessage
 *   poll()                      <-  'write' | 'starttls' | 'read' | 'ok'
 *   dataToSend() -> socket          (one buffer per batch: coalesced writes)
 *   socket -> receiveData(bytes)    frames and checks every message
 *   nextEvent() until null      <-  backend messages and machine events
 *   send(command)               ->  checks legality, encodes, counts operations
 *   socket EOF -> receiveEof()      closes; a Failed event says why
 *   keyDerived(key)             ->  the SCRAM key a KeyDerivationRequest asked for
 *
 * `poll()` is the whole contract for a driver loop: after every input, drain
 * `nextEvent()`, then act on `poll()`: 'write' = flush `dataToSend()`,
 * 'starttls' = upgrade the socket and call `tlsEstablished()`, 'read' = wait
 * for bytes, 'ok' = nothing to wait for (idle, or the server waits for COPY
 * data from you).
 *
 * Operations: each simple Query and each Sync is one operation; responses
 * arrive in the order operations were sent, each ending in ReadyForQuery, so
 * any number may be in flight (pipelining). The legality tables live in
 * `states.ts`; the transitions that need code are below.
 *
 * Protocol version: the StartupMessage asks for `maxProtocolVersion`; the
 * server's first answer may lower it (NegotiateProtocolVersion), never
 * below `minProtocolVersion`. The rules, and the one retry with 3.0 a
 * driver makes when a server refuses a newer version outright
 * ({@link ProtocolMachine.protocolFallback}), are in `negotiation.ts`.
 *
 * SCRAM's key derivation: with `keyDerivation: 'driver'` the machine does
 * not compute SCRAM's salted password (PBKDF2 with as many iterations as the
 * server asks for: its one costly step, and the server's choice). It yields
 * a `KeyDerivationRequest` event and waits in state `derivingKey` (poll():
 * 'read'; the server waits too) until the driver, having derived the key
 * without blocking, calls {@link ProtocolMachine.keyDerived}; then it queues
 * the SASLResponse. A key that comes after the machine closed or was told
 * to terminate (a connect timeout, an abort) is dropped. With 'inline' (the
 * default) the machine derives it itself, synchronously. Either way an
 * iteration count over `maxScramIterations` fails the session with
 * `ERR_SCRAM_ITERATIONS` before anything is computed.
 *
 * Limits: a backend message is at most `maxMessageSize` bytes, and the
 * server may report at most {@link MAX_SERVER_PARAMETERS} distinct
 * parameters (ParameterStatus names; a real server reports a few dozen at
 * most): one more distinct name is a `ProtocolViolation`, so a flood of
 * names cannot grow `parameters` without bound. New values for names
 * already known are always accepted.
 *
 * Replication: on a replication connection (startup parameter
 * `replication`: `database` for logical, a true boolean for physical) the
 * machine builds replication commands (`replication.ts`) for the server's
 * major version, refuses what a walsender does not accept (state rule 7),
 * and, while a START_REPLICATION streams, turns each CopyData into the
 * XLogData or PrimaryKeepalive it carries (checked by the codec of
 * `protocol/replication.ts`) and encodes standby status updates and hot
 * standby feedback. Their times come from the driver, as everything else.
 *
 * Failure: malformed bytes, an illegal message, a FATAL error or an
 * unexpected end of stream close the machine and yield one `Failed` event.
 * A command that is illegal in the current state throws `InterfaceError`
 * before any byte is queued, and leaves the machine as it was.
 */
import { ConnectionClosed, ConnectionError, ConnectionLost, InterfaceError, PgError, ProtocolViolation } from '../errors/base';
import { databaseErrorFrom } from '../errors/sqlstate.generated';
import { BackendDecoder, type CopyDataSink } from '../protocol/decode';
import { writeFrontend } from '../protocol/encode';
import type { AuthenticationMessage, BackendMessage, FrontendMessage, RawFields, TransactionStatus } from '../protocol/messages';
import { checkMaxScramIterations } from '../protocol/auth/scram';
import { decodeReplicationBackend, encodeReplication } from '../protocol/replication';
import { protocolCode, type ProtocolVersion } from '../protocol/versions';
import { ByteWriter } from '../util/bytes';
import { Authenticator, type AuthOptions } from './authenticator';
import type { Command } from './commands';
import type { MachineEvent } from './events';
import { Negotiation } from './negotiation';
import { replicationSql, serverMajorOf, type ReplicationStatement } from './replication';
import { BACKEND_ALLOWED, BATCH_MESSAGES, COMMANDS_ALLOWED, type MachineState } from './states';

/** What the driver must do next; see the file comment. */
export type PollState = 'ok' | 'read' | 'write' | 'starttls';

/** Options of a {@link ProtocolMachine}. */
export interface MachineOptions extends AuthOptions {
  /** StartupMessage parameters besides `user` (database, application_name, options, DateStyle, ...). */
  startupParameters?: Record<string, string>;
  /**
   * TLS negotiation: 'disable' sends no SSLRequest; 'prefer' asks and goes on
   * in cleartext if the server says no; 'require' asks and fails if it says no.
   */
  tls?: 'disable' | 'prefer' | 'require';
  /** The largest backend message accepted, in bytes (default 256 MiB). */
  maxMessageSize?: number;
  /**
   * The protocol version to ask for (default '3.0', as libpq; the
   * `Connection` passes `max_protocol_version`, whose default is '3.2').
   */
  maxProtocolVersion?: ProtocolVersion;
  /** The oldest protocol version to accept (default '3.0'); an older server fails the session with `ERR_PROTOCOL_VERSION_UNSUPPORTED`. */
  minProtocolVersion?: ProtocolVersion;
}

/** The key a CancelRequest needs (from BackendKeyData). */
export interface BackendKey {
  processId: number;
  secretKey: Uint8Array;
}

type OpKind = 'simple' | 'extended';

/** The kind of walsender a StartupMessage `replication` value asks for, or null for an ordinary backend. */
export type ReplicationKind = 'logical' | 'physical' | null;

/** The most distinct server parameters (ParameterStatus names) a session may report; see the file comment. */
export const MAX_SERVER_PARAMETERS = 1000;

/** The sans-IO PostgreSQL client connection; see the file comment. */
export class ProtocolMachine {
  private _state: MachineState = 'new';
  private readonly decoder: BackendDecoder;
  private readonly out = new ByteWriter();
  private outPending = false;
  private events: MachineEvent[] = [];
  private eventHead = 0;
  private ops: OpKind[] = [];
  private opHead = 0;
  private copySyncOwed = false;
  private unsynced = false;
  private auth: Authenticator | null = null;
  private fatal: Error | null = null;
  private _tls = false;
  private _transactionStatus: TransactionStatus = 'I';
  private _backendKey: BackendKey | undefined;
  private readonly _parameters = new Map<string, string>();
  private readonly negotiation: Negotiation;
  private readonly _replication: ReplicationKind;
  /** A START_REPLICATION was sent and its ReadyForQuery has not come yet. */
  private streaming = false;
  private copySink: CopyDataSink | null = null;

  /**
   * Throws `InterfaceError` (`ERR_INVALID_ARGUMENT`) for an unknown protocol
   * version, a minimum above the maximum, or a `maxScramIterations` that is
   * not an integer from 1 to 2,147,483,647.
   */
  constructor(private readonly options: MachineOptions) {
    this.negotiation = Negotiation.create(options);
    checkMaxScramIterations(options.maxScramIterations);
    this.decoder = new BackendDecoder({ maxMessageSize: options.maxMessageSize ?? 256 * 1024 * 1024 });
    this._replication = replicationKindOf(options.startupParameters?.replication);
  }

  /** The walsender kind this connection asked for in its StartupMessage, or null. */
  get replication(): ReplicationKind {
    return this._replication;
  }

  /** Whether a START_REPLICATION is in progress (sent, and its ReadyForQuery not yet received). */
  get replicating(): boolean {
    return this.streaming;
  }

  /** The current state (see `states.ts`). */
  get state(): MachineState {
    return this._state;
  }

  /** The transaction status of the last ReadyForQuery: 'I' idle, 'T' in a block, 'E' failed block. */
  get transactionStatus(): TransactionStatus {
    return this._transactionStatus;
  }

  /** Server parameters reported by ParameterStatus (server_version, TimeZone, ...). */
  get parameters(): ReadonlyMap<string, string> {
    return this._parameters;
  }

  /** The cancel key from BackendKeyData, once received. */
  get backendKey(): BackendKey | undefined {
    return this._backendKey;
  }

  /** The protocol version: the one asked for until the server answers the StartupMessage, then the one agreed. */
  get protocolVersion(): ProtocolVersion {
    return this.negotiation.version;
  }

  /** The `_pq_.` startup parameters the server did not recognize (from NegotiateProtocolVersion). */
  get unrecognizedProtocolOptions(): readonly string[] {
    return this.negotiation.unrecognizedOptions;
  }

  /**
   * After a `Failed` event during startup: the protocol version to retry with
   * over a new connection (a new machine with it as `maxProtocolVersion`),
   * when the server refused the startup packet as one that predates the
   * version asked for does; undefined otherwise. See `negotiation.ts`.
   */
  get protocolFallback(): ProtocolVersion | undefined {
    return this.negotiation.fallback;
  }

  /** Whether the link was upgraded to TLS. */
  get tls(): boolean {
    return this._tls;
  }

  /** Operations sent and not yet completed by ReadyForQuery. */
  get pendingOperations(): number {
    return this.ops.length - this.opHead;
  }

  /** Begins the session: queues SSLRequest (when TLS is wanted) or the StartupMessage. */
  start(): void {
    if (this._state !== 'new') throw new InterfaceError(`start() called in state ${this._state}`);
    if ((this.options.tls ?? 'disable') === 'disable') return this.sendStartup();
    this.write({ type: 'SSLRequest' });
    this._state = 'sslRequested';
  }

  /**
   * Tells the machine the TLS handshake completed after poll() said 'starttls'.
   * `channelBindingData` is the tls-server-end-point hash of the server certificate.
   */
  tlsEstablished(channelBindingData?: Uint8Array): void {
    if (this._state !== 'tlsHandshake') throw new InterfaceError(`tlsEstablished() called in state ${this._state}`);
    this._tls = true;
    this.sendStartup(channelBindingData);
  }

  /** Feeds bytes received from the server. Never throws: problems become a Failed event. */
  receiveData(bytes: Uint8Array): void {
    if (this._state === 'closed') return;
    if (this._state === 'sslRequested') return this.sslAnswer(bytes);
    if (this._state === 'tlsHandshake' || this._state === 'new') {
      return this.fail(new ProtocolViolation(`unexpected data from the server in state ${this._state}`));
    }
    try {
      this.decoder.feed(bytes);
      // The framing loop: one message at a time, each checked against the state table.
      for (;;) {
        if (this.copySink !== null && this._state === 'copyOut' && !this.streaming && this.eventHead === this.events.length) {
          this.decoder.takeCopyData(this.copySink);
        }
        const msg = this.decoder.next();
        if (msg === null) break;
        this.receive(msg);
        if ((this._state as MachineState) === 'closed') return;
      }
    } catch (e) {
      this.fail(e instanceof PgError ? e : new ProtocolViolation('malformed data from the server', { cause: e }));
    }
  }

  /**
   * Hands over the SCRAM salted password a `KeyDerivationRequest` asked for:
   * PBKDF2-HMAC-SHA-256, 32 bytes. Queues the SASLResponse (poll() says
   * 'write'). Does nothing once the machine is closed or terminating (a late
   * result after an abort is dropped). Throws `InterfaceError` (machine
   * unchanged) when no derivation is pending (`ERR_ILLEGAL_COMMAND`) or the
   * key is not 32 bytes (`ERR_INVALID_ARGUMENT`).
   */
  keyDerived(key: Uint8Array): void {
    if (this._state === 'closed' || this._state === 'terminating') return;
    if (this._state !== 'derivingKey') {
      throw new InterfaceError(`keyDerived() called in state ${this._state}: no key derivation is pending`, { code: 'ERR_ILLEGAL_COMMAND' });
    }
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new InterfaceError('keyDerived() takes the 32-byte PBKDF2-HMAC-SHA-256 key', { code: 'ERR_INVALID_ARGUMENT' });
    }
    this._state = 'authenticating';
    try {
      this.write(this.auth!.keyDerived(key));
    } catch (e) {
      this.fail(e instanceof PgError ? e : new ConnectionError('computing the SCRAM proof failed', { cause: e }));
    }
  }

  /**
   * Takes the data of COPY TO STDOUT off the event path: while set, each
   * CopyData received in state `copyOut` (not a replication stream) while no
   * event is waiting in {@link nextEvent} goes to `sink` as its payload's
   * bounds in the receive buffer (valid during the call only), inside
   * `receiveData`, instead of becoming a `CopyData` event; so the order of
   * what the sink and the events see is the server's. `null` turns it off.
   */
  setCopyDataSink(sink: CopyDataSink | null): void {
    this.copySink = sink;
  }

  /** Tells the machine the server closed its side. */
  receiveEof(): void {
    if (this._state === 'closed') return;
    if (this._state === 'terminating') return this.fail(null);
    if (this._state === 'authenticating') this.negotiation.closed();
    this.fail(this.fatal ?? new ConnectionLost('the server closed the connection unexpectedly'));
  }

  /**
   * Queues a command. Throws `InterfaceError` (nothing queued) when the command
   * is not legal in the current state or is malformed.
   */
  send(command: Command): void {
    if (!COMMANDS_ALLOWED[this._state].has(command.type)) {
      if (this._state === 'closed') throw new ConnectionClosed(`cannot send ${command.type}: the connection is closed`);
      throw new InterfaceError(`cannot send ${command.type} in state ${this._state}`, { code: 'ERR_ILLEGAL_COMMAND' });
    }
    this.checkReplicationRules(command);
    switch (command.type) {
      case 'simpleQuery':
        this.write({ type: 'Query', sql: command.sql });
        return this.pushOp('simple');
      case 'batch':
        return this.sendBatch(command.messages);
      case 'copyData':
        return this.write({ type: 'CopyData', data: command.data });
      case 'copyDone':
        if (this._state === 'copyBoth') return this.endCopyBoth();
        return this.endCopyIn({ type: 'CopyDone' });
      case 'copyFail':
        return this.endCopyIn({ type: 'CopyFail', message: command.message });
      case 'terminate':
        this.write({ type: 'Terminate' });
        this._state = 'terminating';
        return;
      case 'replication':
        return this.sendReplication(command.statement);
      case 'standbyStatus':
      case 'hotStandbyFeedback':
        // encoded first: a value out of range throws before anything is queued
        return this.write({ type: 'CopyData', data: encodeReplication(command.type === 'standbyStatus'
          ? { ...command, type: 'StandbyStatusUpdate' }
          : { ...command, type: 'HotStandbyFeedback' }) });
    }
  }

  /** The bytes to send now, coalesced into one buffer, or null when there are none. */
  dataToSend(): Uint8Array | null {
    return this.dataToSendView()?.slice() ?? null;
  }

  /**
   * @internal {@link dataToSend} without the copy: a view of the machine's
   * own output buffer, valid only until the next call into the machine.
   * For a driver that hands it straight to a transport, whose `write`
   * copies (the `Transport` contract lets the caller reuse the bytes).
   */
  dataToSendView(): Uint8Array | null {
    if (!this.outPending) return null;
    this.outPending = false;
    return this.out.take();
  }

  /** The next event, or null when more data is needed. */
  nextEvent(): MachineEvent | null {
    if (this.eventHead === this.events.length) return null;
    const event = this.events[this.eventHead++];
    if (this.eventHead === this.events.length) {
      while (this.events.length > 0) this.events.pop(); // keeps the storage: length = 0 drops it, and the next push allocates again
      this.eventHead = 0;
    }
    return event;
  }

  /** What the driver must do next; see the file comment. */
  poll(): PollState {
    if (this.outPending) return 'write';
    switch (this._state) {
      case 'tlsHandshake':
        return 'starttls';
      case 'new':
      case 'ready':
      case 'copyIn':
      case 'closed':
        return 'ok';
      default:
        return 'read';
    }
  }

  /** Encodes the CancelRequest for this session, to be sent over a new connection. */
  cancelRequest(): Uint8Array {
    if (this._backendKey === undefined) throw new InterfaceError('no BackendKeyData received: cannot cancel');
    return ProtocolMachine.encodeCancelRequest(this._backendKey);
  }

  /** Encodes a CancelRequest for `key`. */
  static encodeCancelRequest(key: BackendKey): Uint8Array {
    const w = new ByteWriter();
    writeFrontend(w, { type: 'CancelRequest', processId: key.processId, secretKey: key.secretKey });
    return w.finish();
  }

  // ------------------------------------------------------------ internals

  private sendStartup(channelBindingData?: Uint8Array): void {
    const parameters = { user: this.options.user, ...this.options.startupParameters };
    this.write({ type: 'StartupMessage', protocolVersion: protocolCode(this.negotiation.version), parameters });
    this.auth = new Authenticator(this.options, { tls: this._tls, channelBindingData });
    this._state = 'authenticating';
  }

  /** The one-byte answer to SSLRequest. Anything after 'S' would be unencrypted injection (CVE-2021-23222). */
  private sslAnswer(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const answer = bytes[0];
    if (bytes.length > 1) return this.fail(new ProtocolViolation('unexpected data after the answer to SSLRequest'));
    if (answer === 0x53 /* S */) {
      this._state = 'tlsHandshake';
    } else if (answer === 0x4e /* N */) {
      if (this.options.tls === 'require') {
        return this.fail(new ConnectionError('the server does not support TLS, and TLS is required', { code: 'ERR_TLS_REFUSED' }));
      }
      this.sendStartup();
    } else {
      this.fail(new ProtocolViolation(`invalid answer to SSLRequest: 0x${answer.toString(16)}`));
    }
  }

  /** Handles one backend message: legality, transitions, then the event. */
  private receive(msg: BackendMessage): void {
    if (this.streaming) {
      // A logical walsender may still send what it had decoded after answering our
      // CopyDone with its own: tolerated (as XLogData/keepalives) until the
      // START_REPLICATION's CommandComplete.
      if (msg.type === 'CopyData' && this._state === 'busy') return this.replicationData(msg.data);
      // A walsender may also end copy-both with CommandComplete and no CopyDone (PostgreSQL 15 does so
      // for a second logical START_REPLICATION on one session): the copy is over.
      if (msg.type === 'CommandComplete' && (this._state === 'copyBoth' || this._state === 'copyOut' || this._state === 'copyIn')) this._state = 'busy';
    }
    if (!BACKEND_ALLOWED[this._state].has(msg.type)) {
      return this.fail(new ProtocolViolation(`unexpected ${msg.type} from the server in state ${this._state}`));
    }
    if (this._state === 'authenticating') {
      const refused = this.negotiation.answer(msg);
      if (refused !== null) return this.fail(refused);
    }
    switch (msg.type) {
      case 'ErrorResponse':
        return this.serverError(msg.fields, msg);
      case 'ParameterStatus':
        if (!this._parameters.has(msg.name) && this._parameters.size >= MAX_SERVER_PARAMETERS) {
          return this.fail(new ProtocolViolation(`the server reported more than ${MAX_SERVER_PARAMETERS} distinct parameters (ParameterStatus)`));
        }
        this._parameters.set(msg.name, msg.value);
        break;
      case 'BackendKeyData': {
        const badKey = this.negotiation.checkCancelKey(msg.secretKey.length);
        if (badKey !== null) return this.fail(badKey);
        this._backendKey = { processId: msg.processId, secretKey: msg.secretKey.slice() };
        return;
      }
      case 'ReadyForQuery':
        return this.readyForQuery(msg);
      case 'CopyInResponse':
        this._state = 'copyIn';
        // Through the extended protocol the Sync we already sent is ignored
        // during copy-in; one more is owed after CopyDone/CopyFail (protocol docs, "COPY Operations").
        this.copySyncOwed = this.ops[this.opHead] === 'extended';
        break;
      case 'CopyOutResponse':
        this._state = 'copyOut';
        break;
      case 'CopyBothResponse':
        this._state = 'copyBoth';
        break;
      case 'CopyData':
        if (this.streaming) return this.replicationData(msg.data);
        break;
      case 'CopyDone':
        // copy-both: the server ended its half (end of a physical timeline) and waits for our CopyDone
        if (this._state === 'copyBoth') this._state = 'copyIn';
        else if (this._state === 'copyOut') this._state = 'busy';
        break;
      case 'NegotiateProtocolVersion':
        return; // consumed by the negotiation above
      case 'NoticeResponse':
        break; // legal in every state after the startup packet; never an authentication request
      default:
        if (this._state === 'authenticating') return this.authenticate(msg as AuthenticationMessage);
    }
    this.events.push(msg);
  }

  private authenticate(msg: AuthenticationMessage): void {
    const auth = this.auth!;
    const reply = auth.respond(msg);
    if (reply !== null) this.write(reply);
    const derivation = auth.pendingKeyDerivation;
    if (derivation !== null) {
      this._state = 'derivingKey';
      this.events.push({ type: 'KeyDerivationRequest', ...derivation });
      return;
    }
    if (msg.type === 'AuthenticationOk') {
      this.auth = null;
      this._state = 'settingUp';
    }
  }

  private readyForQuery(msg: BackendMessage & { type: 'ReadyForQuery' }): void {
    this._transactionStatus = msg.status;
    if (this._state === 'settingUp') {
      this._state = 'ready';
      this.events.push({ type: 'StartupComplete', processId: this._backendKey?.processId, transactionStatus: msg.status });
      return;
    }
    if (this.pendingOperations === 0) return this.fail(new ProtocolViolation('ReadyForQuery with no operation in flight'));
    this.streaming = false; // a START_REPLICATION is only sent with nothing else in flight: this is its end
    this.opHead++;
    if (this.opHead === this.ops.length) {
      while (this.ops.length > 0) this.ops.pop(); // keeps the storage (see nextEvent)
      this.opHead = 0;
    } else if (this.opHead >= 64 && this.opHead * 2 >= this.ops.length) {
      this.ops.splice(0, this.opHead); // a pipeline that never drains: keep only what is in flight
      this.opHead = 0;
    }
    if (this._state !== 'terminating') this._state = this.pendingOperations > 0 || this.unsynced ? 'busy' : 'ready';
    this.events.push(msg);
  }

  /**
   * An ErrorResponse. Before the session is up it ends the connection; a
   * FATAL or PANIC one means the server is about to close; otherwise it
   * belongs to the operation at the head of the FIFO.
   */
  private serverError(fields: RawFields, msg: BackendMessage): void {
    const severity = fields.V ?? fields.S;
    if (this._state === 'authenticating' || this._state === 'derivingKey' || this._state === 'settingUp') return this.fail(databaseErrorFrom(fields));
    if (severity === 'FATAL' || severity === 'PANIC') this.fatal = databaseErrorFrom(fields);
    if (this._state === 'copyIn' || this._state === 'copyOut' || this._state === 'copyBoth') this._state = 'busy';
    this.events.push(msg);
  }

  private sendBatch(messages: FrontendMessage[]): void {
    // index loops: every statement comes here, and a for-of allocates an iterator result per message until the code is optimized
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      if (!BATCH_MESSAGES.has(m.type)) throw new InterfaceError(`${m.type} is not allowed in a batch`, { code: 'ERR_ILLEGAL_COMMAND' });
    }
    // All or nothing: a message that cannot be encoded (a NUL in a string,
    // more than 65,535 parameters) leaves nothing of the batch queued and
    // the machine as it was.
    const at = this.out.length;
    const savedOps = this.ops.length;
    const savedUnsynced = this.unsynced;
    const savedState = this._state;
    const savedOutPending = this.outPending;
    try {
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        this.write(m);
        if (m.type === 'Sync') this.pushOp('extended');
        // Messages after the last Sync (e.g. Parse + Flush) are answered before
        // any ReadyForQuery: the session stays busy until a Sync closes them.
        this.unsynced = m.type !== 'Sync';
      }
    } catch (e) {
      this.out.truncate(at);
      this.ops.length = savedOps;
      this.unsynced = savedUnsynced;
      this._state = savedState;
      this.outPending = savedOutPending;
      throw e;
    }
    if (this.unsynced && this._state === 'ready') this._state = 'busy';
  }

  /**
   * The rules of a replication connection (state rule 7), checked before
   * anything is encoded; see `states.ts`.
   */
  private checkReplicationRules(command: Command): void {
    const refuse = (why: string): never => {
      throw new InterfaceError(`cannot send ${command.type}: ${why}`, { code: 'ERR_ILLEGAL_COMMAND' });
    };
    if (this._replication === null) {
      // an ordinary connection (the common path): only replication commands are refused
      if (command.type === 'replication') refuse('this is not a replication connection (connect with replication=database or replication=true)');
      return;
    }
    if (command.type === 'terminate' || command.type === 'copyData' || command.type === 'copyDone') return;
    if (this.streaming && (command.type === 'simpleQuery' || command.type === 'batch' || command.type === 'replication' || command.type === 'copyFail')) {
      refuse('a START_REPLICATION is in progress');
    }
    if (command.type === 'batch') refuse('the extended query protocol is not supported on a replication connection');
    if (command.type !== 'replication') return;
    if (command.statement?.kind !== 'START_REPLICATION') return;
    if (this._state !== 'ready' || this._transactionStatus !== 'I') refuse(`START_REPLICATION needs an idle session outside a transaction block (state ${this._state}, transaction status ${this._transactionStatus})`);
    if (command.statement.mode === 'logical' && this._replication !== 'logical') refuse('logical replication needs a replication=database connection');
  }

  private sendReplication(statement: ReplicationStatement): void {
    const sql = replicationSql(statement, serverMajorOf(this._parameters.get('server_version'))); // may throw: nothing queued
    this.write({ type: 'Query', sql });
    this.pushOp('simple');
    if (statement.kind === 'START_REPLICATION') this.streaming = true;
  }

  /** A CopyData of a replication stream: the XLogData or keepalive it carries (a malformed one fails the machine). */
  private replicationData(payload: Uint8Array): void {
    this.events.push(decodeReplicationBackend(payload));
  }

  /** Our half of copy-both ends; the server streams on until its CopyDone (state `copyOut`). */
  private endCopyBoth(): void {
    this.write({ type: 'CopyDone' });
    this._state = 'copyOut';
  }

  private endCopyIn(msg: FrontendMessage): void {
    this.write(msg);
    if (this.copySyncOwed) this.write({ type: 'Sync' });
    this.copySyncOwed = false;
    this._state = 'busy';
  }

  private pushOp(kind: OpKind): void {
    this.unsynced = false;
    this.ops.push(kind);
    if (this._state === 'ready') this._state = 'busy';
  }

  private write(msg: FrontendMessage): void {
    writeFrontend(this.out, msg);
    this.outPending = true;
  }

  /** Closes the machine; the Failed event carries `error` (null for a clean end). */
  private fail(error: Error | null): void {
    this._state = 'closed';
    this.outPending = false;
    this.out.finish();
    this.events.push({ type: 'Failed', error });
  }
}

/** The walsender kind a `replication` startup value asks for: 'database' is logical, a true boolean physical. */
function replicationKindOf(value: string | undefined): ReplicationKind {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  if (v === 'database') return 'logical';
  return ['true', 'on', 'yes', '1'].includes(v) ? 'physical' : null;
}
