/**
 * A scripted SCRAM-SHA-256 server, sans-IO, for the key-derivation tests:
 * the same script answers over a VirtualReactor link and over a real TCP
 * socket.
 *
 * Theory of operation. Client bytes go in through `receive`, the server's
 * answer bytes come out. It asks for SCRAM-SHA-256 with the iteration count
 * it was given (however large: a hostile server), checks the client's proof
 * against the password (computing the salted password itself, so only when
 * a proof arrives), and then completes the startup (AuthenticationOk,
 * parameters, BackendKeyData, ReadyForQuery); a wrong proof gets FATAL
 * 28P01. Everything received is recorded.
 *
 * With it: {@link tickCounter} (turns of the real event loop) and
 * {@link spyCrypto} (when each PBKDF2 started and ended, in those turns).
 */
import { pbkdf2Sync, createHash, createHmac } from 'node:crypto';
import { encodeBackend } from '../../src/protocol/backend-encode';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import type { AuthCrypto } from '../../src/protocol/auth/crypto';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { concatBytes, utf8Decode, utf8Encode } from '../../src/util/bytes';

/** Options of a {@link ScramServerScript}. */
export interface ScramServerOptions {
  password: string;
  iterations: number;
  salt?: Uint8Array;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const hmac = (key: Uint8Array, text: string | Uint8Array): Buffer => createHmac('sha256', key).update(text).digest();

/** One server side of one connection; see the file comment. */
export class ScramServerScript {
  /** Every message the client sent, in order. */
  readonly received: FrontendMessage[] = [];
  private readonly decoder = new FrontendDecoder();
  private readonly salt: Uint8Array;
  private clientFirstBare = '';
  private serverFirst = '';

  constructor(private readonly o: ScramServerOptions) {
    this.salt = o.salt ?? Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
  }

  /** The messages of `type` received so far. */
  receivedOf(type: FrontendMessage['type']): FrontendMessage[] {
    return this.received.filter((m) => m.type === type);
  }

  /** Feeds client bytes; returns the bytes to answer with (empty for none). */
  receive(bytes: Uint8Array): Uint8Array {
    this.decoder.feed(bytes);
    const out: BackendMessage[] = [];
    for (let msg = this.decoder.next(); msg !== null; msg = this.decoder.next()) {
      this.received.push(msg);
      out.push(...this.answer(msg));
    }
    return concatBytes(out.map(encodeBackend));
  }

  private answer(msg: FrontendMessage): BackendMessage[] {
    switch (msg.type) {
      case 'StartupMessage':
        this.decoder.expect = 'sasl-initial';
        return [{ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }];
      case 'SASLInitialResponse': {
        this.clientFirstBare = utf8Decode(msg.data!).slice(3); // after 'n,,'
        const clientNonce = /r=([^,]+)/.exec(this.clientFirstBare)![1];
        this.serverFirst = `r=${clientNonce}server-part,s=${b64(this.salt)},i=${this.o.iterations}`;
        this.decoder.expect = 'sasl';
        return [{ type: 'AuthenticationSASLContinue', data: utf8Encode(this.serverFirst) }];
      }
      case 'SASLResponse':
        return this.final(utf8Decode(msg.data));
      default:
        return [];
    }
  }

  /** Checks the proof (RFC 5802: H(proof XOR ClientSignature) must be StoredKey), then completes the startup. */
  private final(clientFinal: string): BackendMessage[] {
    const withoutProof = clientFinal.slice(0, clientFinal.indexOf(',p='));
    const proof = Buffer.from(clientFinal.slice(withoutProof.length + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const salted = pbkdf2Sync(this.o.password, this.salt, this.o.iterations, 32, 'sha256');
    const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
    const signature = hmac(storedKey, authMessage);
    const clientKey = proof.map((b, i) => b ^ signature[i]);
    if (!createHash('sha256').update(clientKey).digest().equals(storedKey)) {
      return [{ type: 'ErrorResponse', fields: { S: 'FATAL', V: 'FATAL', C: '28P01', M: 'password authentication failed' } }];
    }
    const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return [
      { type: 'AuthenticationSASLFinal', data: utf8Encode(`v=${b64(serverSignature)}`) },
      { type: 'AuthenticationOk' },
      { type: 'ParameterStatus', name: 'server_version', value: '17.0' },
      { type: 'BackendKeyData', processId: 7, secretKey: Uint8Array.of(1, 2, 3, 4) },
      { type: 'ReadyForQuery', status: 'I' },
    ];
  }
}

/** A tick counter on the real event loop: `ticks` grows by one per turn (setImmediate) until `stop()`. */
export function tickCounter(): { readonly ticks: number; stop(): void } {
  let ticks = 0;
  let running = true;
  const spin = (): void => {
    if (!running) return;
    ticks++;
    setImmediate(spin);
  };
  setImmediate(spin);
  return {
    get ticks() {
      return ticks;
    },
    stop: () => {
      running = false;
    },
  };
}

/** What the spy saw of one key derivation. */
export interface Derivation {
  mode: 'sync' | 'async';
  iterations: number;
  /** Event-loop turns counted when it started and when its key was ready. */
  ticksAtStart: number;
  ticksAtEnd: number | null;
}

/**
 * nodeAuthCrypto, recording each PBKDF2 (either member) against a tick
 * counter. Its synchronous PBKDF2 refuses (throws) more than 5,000,000
 * iterations: a driver that runs millions of them on the event loop fails
 * the test instead of freezing it for hours.
 */
export function spyCrypto(ticks: { readonly ticks: number }, base: AuthCrypto = nodeAuthCrypto): { crypto: AuthCrypto; derivations: Derivation[] } {
  const derivations: Derivation[] = [];
  const crypto: AuthCrypto = {
    ...base,
    pbkdf2Sha256: (password, salt, iterations) => {
      const d: Derivation = { mode: 'sync', iterations, ticksAtStart: ticks.ticks, ticksAtEnd: null };
      derivations.push(d);
      if (iterations > 5_000_000) throw new Error(`the test crypto refuses to run ${iterations} PBKDF2 iterations on the event loop`);
      const key = base.pbkdf2Sha256(password, salt, iterations);
      d.ticksAtEnd = ticks.ticks;
      return key;
    },
  };
  if (base.pbkdf2Sha256Async !== undefined) {
    const async = base.pbkdf2Sha256Async.bind(base);
    crypto.pbkdf2Sha256Async = (password, salt, iterations) => {
      const d: Derivation = { mode: 'async', iterations, ticksAtStart: ticks.ticks, ticksAtEnd: null };
      derivations.push(d);
      const pending = async(password, salt, iterations);
      pending.then(() => {
        d.ticksAtEnd = ticks.ticks;
      });
      return pending;
    };
  }
  return { crypto, derivations };
}
