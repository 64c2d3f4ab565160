/**
 * The ProtocolMachine on scripted bytes, with `keyDerivation: 'driver'`:
 * SCRAM's salted password is asked of the driver (a KeyDerivationRequest
 * event, state `derivingKey`) instead of computed by the machine; the
 * machine goes on with the key it is handed, drops a key that comes after
 * the session ended, and refuses an iteration count over
 * `maxScramIterations` before anything is computed (in both modes).
 */
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import type { FailedEvent, KeyDerivationRequestEvent, MachineEvent } from '../../src/core/events';
import { ProtocolMachine, type MachineOptions } from '../../src/core/machine';
import type { AuthCrypto } from '../../src/protocol/auth/crypto';
import { encodeFrontend } from '../../src/protocol/encode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import type { FrontendMessage } from '../../src/protocol/messages';
import { utf8Decode, utf8Encode } from '../../src/util/bytes';
import { be, drain, drainTypes, STARTUP_REPLY } from './machine-helpers';

const NONCE = 'fixed-client-nonce';
const SALT = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const serverFirst = (iterations: number): Uint8Array => utf8Encode(`r=${NONCE}-server-part,s=${Buffer.from(SALT).toString('base64')},i=${iterations}`);
const failedOf = (events: MachineEvent[]): FailedEvent | undefined => events.find((e): e is FailedEvent => e.type === 'Failed');

/**
 * nodeAuthCrypto counting the PBKDF2 computations made through it; it
 * refuses (throws) to run more than 100,000 iterations, so a machine that
 * asks for millions fails the test instead of freezing it.
 */
function countingCrypto(): { crypto: AuthCrypto; pbkdf2Calls: number[] } {
  const pbkdf2Calls: number[] = [];
  const crypto: AuthCrypto = {
    ...nodeAuthCrypto,
    pbkdf2Sha256: (p, s, i) => {
      pbkdf2Calls.push(i);
      if (i > 100_000) throw new Error(`the test crypto refuses to run ${i} PBKDF2 iterations`);
      return nodeAuthCrypto.pbkdf2Sha256(p, s, i);
    },
  };
  return { crypto, pbkdf2Calls };
}

/** A machine that has sent its SASLInitialResponse and is about to get server-first. */
function atServerFirst(options: Partial<MachineOptions> = {}) {
  const { crypto, pbkdf2Calls } = countingCrypto();
  const m = new ProtocolMachine({ user: 'scramuser', password: 'pencil', crypto, scramNonce: NONCE, keyDerivation: 'driver', ...options });
  m.start();
  m.dataToSend();
  m.receiveData(be({ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }));
  m.dataToSend();
  expect(drain(m)).toEqual([]);
  return { m, pbkdf2Calls };
}

/** The SASLResponse the machine queued (its only message), decoded. */
function saslResponse(m: ProtocolMachine): string {
  const dec = new FrontendDecoder();
  dec.feed(encodeFrontend({ type: 'StartupMessage', protocolVersion: 196608, parameters: { user: 'u' } })); // to reach the typed phase
  dec.next();
  dec.expect = 'sasl';
  dec.feed(m.dataToSend()!);
  const msg = dec.next() as Extract<FrontendMessage, { type: 'SASLResponse' }>;
  expect(msg.type).toBe('SASLResponse');
  expect(dec.next()).toBeNull();
  return utf8Decode(msg.data);
}

describe("ProtocolMachine with keyDerivation: 'driver'", () => {
  it('asks the driver for the key (one KeyDerivationRequest, state derivingKey) and computes nothing itself', () => {
    const { m, pbkdf2Calls } = atServerFirst();
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }));
    const events = drain(m);
    expect(events).toEqual([{ type: 'KeyDerivationRequest', password: utf8Encode('pencil'), salt: SALT, iterations: 4096 }]);
    expect(m.state).toBe('derivingKey');
    expect(m.poll()).toBe('read');
    expect(m.dataToSend()).toBeNull();
    expect(pbkdf2Calls).toEqual([]);
  });

  it('goes on with the key it is handed: the same client-final as inline, then the startup completes', () => {
    const inline = atServerFirst({ keyDerivation: 'inline' });
    inline.m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }));
    expect(drain(inline.m)).toEqual([]); // inline: no request, the SASLResponse is queued at once
    expect(inline.pbkdf2Calls).toEqual([4096]);
    const expected = saslResponse(inline.m);

    const { m, pbkdf2Calls } = atServerFirst();
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }));
    const req = drain(m)[0] as KeyDerivationRequestEvent;
    m.keyDerived(nodeAuthCrypto.pbkdf2Sha256(req.password, req.salt, req.iterations));
    expect(m.state).toBe('authenticating');
    expect(m.poll()).toBe('write');
    expect(saslResponse(m)).toBe(expected);
    expect(expected).toMatch(new RegExp(`^c=biws,r=${NONCE}-server-part,p=`));
    expect(pbkdf2Calls).toEqual([]);
  });

  it('verifies the server signature computed from the handed key', () => {
    const { m } = atServerFirst();
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }));
    const req = drain(m)[0] as KeyDerivationRequestEvent;
    const salted = nodeAuthCrypto.pbkdf2Sha256(req.password, req.salt, req.iterations);
    m.keyDerived(salted);
    const clientFinal = saslResponse(m);
    const authMessage = utf8Encode(`n=scramuser,r=${NONCE},${utf8Decode(serverFirst(4096))},${clientFinal.slice(0, clientFinal.indexOf(',p='))}`);
    const c = nodeAuthCrypto;
    const signature = c.hmacSha256(c.hmacSha256(salted, utf8Encode('Server Key')), authMessage);
    m.receiveData(be({ type: 'AuthenticationSASLFinal', data: utf8Encode(`v=${Buffer.from(signature).toString('base64')}`) }, ...STARTUP_REPLY));
    expect(drainTypes(m)).toEqual(['ParameterStatus', 'ParameterStatus', 'StartupComplete']);
    expect(m.state).toBe('ready');
  });

  it('passes a NoticeResponse through while it waits, and still takes the key', () => {
    const { m } = atServerFirst();
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }, { type: 'NoticeResponse', fields: { S: 'NOTICE', M: 'hi' } }));
    expect(drainTypes(m)).toEqual(['KeyDerivationRequest', 'NoticeResponse']);
    expect(m.state).toBe('derivingKey');
    m.keyDerived(new Uint8Array(32));
    expect(m.poll()).toBe('write');
  });

  it('fails with a ProtocolViolation when the server goes on without waiting for the SASLResponse', () => {
    const { m } = atServerFirst();
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }, { type: 'AuthenticationSASLFinal', data: utf8Encode('v=AAAA') }));
    const events = drain(m);
    expect(failedOf(events)?.error).toMatchObject({ code: 'ERR_PROTOCOL_VIOLATION' });
    expect(m.state).toBe('closed');
  });

  describe('a key that comes after the session ended is dropped', () => {
    const ends: Array<[string, (m: ProtocolMachine) => void, string | null]> = [
      ['the server closed the connection', (m) => m.receiveEof(), 'ERR_CONNECTION_LOST'],
      ['the server sent FATAL', (m) => m.receiveData(be({ type: 'ErrorResponse', fields: { S: 'FATAL', V: 'FATAL', C: '57P01', M: 'bye' } })), '57P01'],
      ['the driver sent Terminate', (m) => m.send({ type: 'terminate' }), null],
    ];
    it.each(ends)('after %s', (_name, end, code) => {
      const { m } = atServerFirst();
      m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }));
      drain(m);
      end(m);
      const failed = failedOf(drain(m));
      if (code !== null) expect(failed?.error).toMatchObject({ code });
      m.dataToSend();
      const state = m.state;
      expect(() => m.keyDerived(new Uint8Array(32))).not.toThrow();
      expect(m.state).toBe(state);
      expect(m.dataToSend()).toBeNull();
      expect(drain(m)).toEqual([]);
    });
  });

  it('refuses keyDerived() when no derivation is pending (ERR_ILLEGAL_COMMAND), and a key that is not 32 bytes (ERR_INVALID_ARGUMENT)', () => {
    const { m } = atServerFirst();
    expect(() => m.keyDerived(new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'ERR_ILLEGAL_COMMAND' }));
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4096) }));
    drain(m);
    expect(() => m.keyDerived(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(m.state).toBe('derivingKey');
    expect(m.dataToSend()).toBeNull();
    m.keyDerived(new Uint8Array(32));
    expect(() => m.keyDerived(new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'ERR_ILLEGAL_COMMAND' }));
  });
});

describe('the SCRAM iteration maximum (maxScramIterations)', () => {
  it.each([
    ['driver' as const, 1_000_001, undefined],
    ['driver' as const, 9_999_999_999, undefined],
    ['inline' as const, 1_000_001, undefined],
    ['inline' as const, 2_147_483_647, undefined],
    ['driver' as const, 4_097, 4_096],
    ['inline' as const, 4_097, 4_096],
  ])('keyDerivation %s: refuses %d iterations (maxScramIterations %p: default 1,000,000) with ERR_SCRAM_ITERATIONS, computing and sending nothing', (keyDerivation, iterations, max) => {
    const { m, pbkdf2Calls } = atServerFirst({ keyDerivation, maxScramIterations: max });
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(iterations) }));
    const events = drain(m);
    expect(events.map((e) => e.type)).toEqual(['Failed']);
    expect(failedOf(events)?.error).toMatchObject({ code: 'ERR_SCRAM_ITERATIONS', name: 'ConnectionError' });
    expect(m.state).toBe('closed');
    expect(m.dataToSend()).toBeNull();
    expect(pbkdf2Calls).toEqual([]);
  });

  it('accepts a count equal to the maximum', () => {
    const { m } = atServerFirst({ maxScramIterations: 4_096 });
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: serverFirst(4_096) }));
    expect(drainTypes(m)).toEqual(['KeyDerivationRequest']);
  });

  it.each([0, -1, 1.5, 2_147_483_648, Number.NaN])('refuses maxScramIterations %p at construction (ERR_INVALID_ARGUMENT)', (max) => {
    expect(() => new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, maxScramIterations: max })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
