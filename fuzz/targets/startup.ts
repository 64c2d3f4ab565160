/**
 * Fuzz target: the ProtocolMachine during startup and authentication.
 *
 * Each input starts a fresh machine as one of the captured sessions would
 * (trust, md5, SCRAM, cleartext password, protocol negotiation; user,
 * password and SCRAM nonce as captured) with random TLS, protocol-version
 * and channel-binding options. With TLS asked for, the first chunk is the
 * answer to SSLRequest ('N', 'S', a stray byte, or an answer with bytes
 * injected after it); after 'S' the handshake is declared done. The rest
 * is the session's captured startup stream, mutated (splices from the
 * other sessions included), or random messages, in random chunks.
 *
 * Besides the rules of `machine-oracle.ts`: key derivation is counted, not
 * run blind: {@link fuzzCrypto} records the SCRAM iterations a server asks
 * for, and more than {@link MAX_PBKDF2_ITERATIONS} breaks the rule (one
 * such request could block the process for hours); and no byte of the password
 * leaves the machine in clear text, unless TLS is up or cleartext
 * passwords are allowed.
 */
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { ProtocolMachine, type MachineOptions } from '../../src/core/machine';
import type { AuthCrypto } from '../../src/protocol/auth/crypto';
import { fromHex, toHex, utf8Encode } from '../../src/util/bytes';
import { fuzzBytes, int, pick, randomBytes, splitRandomly } from '../../test/support/fuzz';
import { SESSIONS, type VectorSession } from '../../test/protocol/vectors';
import { check, type FuzzTarget } from '../target';
import { feedMachine } from './machine-oracle';

/**
 * The most SCRAM iterations one input may ask the client to run. PostgreSQL
 * uses 4,096 by default (`scram_iterations`); this budget is about a
 * second of one core's work.
 */
export const MAX_PBKDF2_ITERATIONS = 1_000_000;

const CLIENT_MADE = new Set(['StartupMessage', 'PasswordMessage', 'SASLInitialResponse', 'SASLResponse']);

interface StartupCase {
  session: VectorSession;
  bytes: Uint8Array;
  startupParameters: Record<string, string>;
}

/** Each captured session's startup: the server bytes up to the end of authentication and setup. */
const CASES: StartupCase[] = SESSIONS.map((session) => {
  const steps = session.steps.filter((st) => st.sent.some((m) => CLIENT_MADE.has(m.type)));
  const startup = steps[0].sent.find((m) => m.type === 'StartupMessage') as { parameters: Record<string, string> } | undefined;
  const pq = Object.entries(startup?.parameters ?? {}).filter(([k]) => k.startsWith('_pq_.'));
  return { session, bytes: fromHex(steps.map((st) => st.receivedHex).join('')), startupParameters: Object.fromEntries(pq) };
});
const CORPUS = CASES.map((c) => c.bytes);

const derived = new Map<string, Uint8Array>();

/** What the key derivation of one input was asked to do. */
export interface DerivationLog {
  /** The largest iteration count asked for. */
  maxIterations: number;
}

/**
 * The crypto of the startup target: node's, with every PBKDF2 iteration
 * count recorded in `log` (checked against {@link MAX_PBKDF2_ITERATIONS}
 * after the input: a throw from here would be caught by the machine and
 * hidden in a Failed event) and memoized (the captured exchanges repeat it
 * with the same inputs); past 4,096 iterations a cheap stand-in derives the
 * key (such a key can never match a captured signature anyway).
 */
export function fuzzCrypto(log: DerivationLog): AuthCrypto {
  return {
    ...nodeAuthCrypto,
    pbkdf2Sha256(password, salt, iterations) {
      log.maxIterations = Math.max(log.maxIterations, iterations);
      if (iterations > 4096) return nodeAuthCrypto.hmacSha256(salt, utf8Encode(`${toHex(password)}:${iterations}`));
      const key = `${toHex(password)}:${toHex(salt)}:${iterations}`;
      let out = derived.get(key);
      if (out === undefined) {
        if (derived.size >= 64) derived.clear();
        derived.set(key, (out = nodeAuthCrypto.pbkdf2Sha256(password, salt, iterations)));
      }
      return out;
    },
  };
}

function options(rand: () => number, c: StartupCase, log: DerivationLog): MachineOptions {
  const s = c.session;
  return {
    user: s.user,
    password: rand() < 0.9 ? s.password : undefined,
    scramNonce: s.clientNonce,
    crypto: fuzzCrypto(log),
    tls: pick(rand, ['disable', 'disable', 'prefer', 'require'] as const),
    allowCleartextPassword: rand() < 0.5,
    channelBinding: pick(rand, ['prefer', 'prefer', 'disable', 'require'] as const),
    ...pick(rand, [{ maxProtocolVersion: '3.2' }, { maxProtocolVersion: '3.0' }, { maxProtocolVersion: '3.2', minProtocolVersion: '3.2' }] as const),
    startupParameters: c.startupParameters,
  };
}

/** The answer to SSLRequest: mostly 'N' or 'S', sometimes a stray byte or an answer with bytes injected after it. */
function sslAnswer(rand: () => number): Uint8Array {
  const r = rand();
  if (r < 0.55) return Uint8Array.of(0x4e);
  if (r < 0.85) return Uint8Array.of(0x53);
  if (r < 0.93) return randomBytes(rand, 1);
  return Uint8Array.of(pick(rand, [0x4e, 0x53]), ...randomBytes(rand, 1 + int(rand, 8)));
}

/** The machine during startup and authentication. */
export const startupTarget: FuzzTarget = {
  name: 'startup',
  about: 'ProtocolMachine during startup/auth (trust, md5, SCRAM, cleartext, negotiation; TLS answers): mutated captured startups and random messages',
  run(rand) {
    const c = pick(rand, CASES);
    const log: DerivationLog = { maxIterations: 0 };
    const o = options(rand, c, log);
    const m = new ProtocolMachine(o);
    m.start();
    m.dataToSend();
    const chunks = splitRandomly(fuzzBytes(rand, CORPUS), rand);
    if (o.tls !== 'disable') chunks.unshift(sslAnswer(rand));
    const secret = o.password === undefined ? null : utf8Encode(o.password);
    const label = feedMachine(m, chunks, rand, {
      afterChunk: () => {
        if (m.poll() === 'starttls') m.tlsEstablished(rand() < 0.5 ? randomBytes(rand, 32) : undefined);
        const out = m.dataToSend();
        check(secret === null || out === null || m.tls || o.allowCleartextPassword === true || !contains(out, secret), () => 'the password left in clear text without TLS');
      },
    });
    check(log.maxIterations <= MAX_PBKDF2_ITERATIONS, () => `the server made the client run PBKDF2 with ${log.maxIterations} iterations (budget ${MAX_PBKDF2_ITERATIONS})`);
    return `${c.session.name} ${label}`;
  },
};

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle) >= 0;
}
