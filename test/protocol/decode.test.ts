import { MessageTooLarge, PgError, ProtocolViolation } from '../../src/errors/base';
import { BackendDecoder } from '../../src/protocol/decode';
import type { BackendMessage } from '../../src/protocol/messages';
import { concatBytes, fromHex } from '../../src/util/bytes';
import { drain } from './drain';
import { SESSIONS, type VectorStep } from './vectors';

const steps: Array<[string, VectorStep]> = SESSIONS.flatMap((s) => s.steps.map((st): [string, VectorStep] => [`${s.name}: ${st.name}`, st]));
const withReplies = steps.filter(([, st]) => st.receivedHex.length > 0);

function decodeChunks(chunks: Uint8Array[]): BackendMessage[] {
  const d = new BackendDecoder();
  const out: BackendMessage[] = [];
  for (const c of chunks) {
    d.feed(c);
    out.push(...drain(d));
  }
  expect(d.buffered).toBe(0);
  return out;
}

describe('BackendDecoder on golden vectors captured from a real server', () => {
  test.each(withReplies)('%s decodes whole to the recorded messages', (_name, st) => {
    expect(decodeChunks([fromHex(st.receivedHex)])).toEqual(st.messages);
  });

  test.each(withReplies)('%s decodes the same when split at every byte offset', (_name, st) => {
    const bytes = fromHex(st.receivedHex);
    for (let i = 0; i <= bytes.length; i++) {
      expect(decodeChunks([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(st.messages);
    }
  });

  test.each(withReplies)('%s decodes the same when fed one byte at a time', (_name, st) => {
    const bytes = fromHex(st.receivedHex);
    const chunks = Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1));
    expect(decodeChunks(chunks)).toEqual(st.messages);
  });

  test.each(SESSIONS.map((s) => [s.name, s] as const))('session %s decodes the same when all its replies are concatenated and cut into odd chunks', (_name, s) => {
    const all = concatBytes(s.steps.map((st) => fromHex(st.receivedHex)));
    const expected = s.steps.flatMap((st) => st.messages);
    for (const size of [1, 2, 3, 7, 64, 1000, all.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
      expect(decodeChunks(chunks)).toEqual(expected);
    }
  });

  test('each step decodes the same when glued to its neighbours and split at every offset of the seam', () => {
    for (let i = 1; i < withReplies.length; i++) {
      const a = fromHex(withReplies[i - 1][1].receivedHex);
      const b = fromHex(withReplies[i][1].receivedHex);
      const both = concatBytes([a, b]);
      const expected = [...withReplies[i - 1][1].messages, ...withReplies[i][1].messages];
      for (let cut = Math.max(0, a.length - 8); cut <= Math.min(both.length, a.length + 8); cut++) {
        expect(decodeChunks([both.subarray(0, cut), both.subarray(cut)])).toEqual(expected);
      }
    }
  });
});

describe('BackendDecoder buffering', () => {
  const readyForQuery = fromHex('5a0000000549');

  test('next() returns null until a whole message has arrived', () => {
    const d = new BackendDecoder();
    expect(d.next()).toBeNull();
    d.feed(readyForQuery.subarray(0, 3));
    expect(d.next()).toBeNull();
    expect(d.buffered).toBe(3);
    d.feed(readyForQuery.subarray(3));
    expect(d.next()).toEqual({ type: 'ReadyForQuery', status: 'I' });
    expect(d.buffered).toBe(0);
  });

  test('feed() copies the chunk, so the caller may reuse it at once, and never writes to it', () => {
    const d = new BackendDecoder();
    const chunk = fromHex('440000000e0001000000046162636444');
    const before = chunk.slice();
    d.feed(chunk);
    chunk.fill(0x7a);
    const row = d.next() as Extract<BackendMessage, { type: 'DataRow' }>;
    expect(Array.from(row.fields[0] as Uint8Array)).toEqual([0x61, 0x62, 0x63, 0x64]);
    d.feed(before.subarray(0, 0));
    expect(before).toEqual(fromHex('440000000e0001000000046162636444'));
  });

  test('DataRow fields are views of the decoder buffer, not copies', () => {
    const d = new BackendDecoder();
    d.feed(fromHex('440000000e00010000000461626364'));
    const row = d.next() as Extract<BackendMessage, { type: 'DataRow' }>;
    const field = row.fields[0] as Uint8Array;
    expect(field.byteOffset).toBeGreaterThan(0);
    expect(field.buffer.byteLength).toBeGreaterThan(field.length);
  });

  test('DataRow decodes nulls, empty fields and zero columns', () => {
    const d = new BackendDecoder();
    d.feed(fromHex('44000000130003ffffffff000000000000000161' + '44000000060000'));
    expect(drain(d)).toEqual([
      { type: 'DataRow', fields: [null, new Uint8Array(0), Uint8Array.of(0x61)] },
      { type: 'DataRow', fields: [] },
    ]);
  });

  test('the buffer shrinks back after a large message has been drained', () => {
    const d = new BackendDecoder();
    const big = new Uint8Array(2 * 1024 * 1024 + 5);
    big.set(fromHex('64'), 0);
    big.set([0x00, 0x20, 0x00, 0x04], 1);
    d.feed(big);
    expect(d.next()?.type).toBe('CopyData');
    d.feed(readyForQuery);
    expect(d.next()).toEqual({ type: 'ReadyForQuery', status: 'I' });
    expect((d as unknown as { buf: Uint8Array }).buf.length).toBeLessThan(1024 * 1024);
  });

  test('takeByte() returns the raw answer to SSLRequest and leaves later bytes for next()', () => {
    const d = new BackendDecoder();
    expect(d.takeByte()).toBeNull();
    d.feed(concatBytes([fromHex('4e'), readyForQuery]));
    expect(d.takeByte()).toBe(0x4e);
    expect(d.next()).toEqual({ type: 'ReadyForQuery', status: 'I' });
  });
});

describe('BackendDecoder rejects malformed input with a ProtocolViolation', () => {
  const cases: Array<[string, string]> = [
    ['a length below 4', '5a00000003'],
    ['a negative length', '5affffffff'],
    ['an unknown type byte', '7e00000004'],
    ['an unknown authentication code', '520000000800000006'],
    ['an invalid transaction status', '5a0000000558'],
    ['trailing bytes inside a message', '5a000000064900'],
    ['a DataRow shorter than its fields claim', '440000000a000100000005'],
    ['a DataRow field length below -1', '440000000a0001fffffffe'],
    ['a string without terminator', '430000000541'],
    ['a RowDescription with a negative column count', '5400000006ffff'],
    ['an invalid format code', '47000000090000010002'],
    ['an ErrorResponse without its final NUL', '4500000007534100'],
    ['a cancel key of 3 bytes', '4b0000000b00000001616263'],
  ];

  test.each(cases)('%s', (_name, hex) => {
    const d = new BackendDecoder();
    d.feed(fromHex(hex));
    expect(() => d.next()).toThrow(ProtocolViolation);
  });

  test('a length above maxMessageSize throws MessageTooLarge as soon as the header arrives', () => {
    const d = new BackendDecoder({ maxMessageSize: 1000 });
    d.feed(fromHex('6400000fa1'));
    let err: unknown;
    try {
      d.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MessageTooLarge);
    expect(err).toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE', length: 4001, limit: 1000 });
  });

  test('after a failure every call rethrows the same error', () => {
    const d = new BackendDecoder();
    d.feed(fromHex('7e00000004'));
    let first: unknown;
    try {
      d.next();
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(PgError);
    expect(() => d.next()).toThrow(first as Error);
    expect(() => d.feed(fromHex('5a0000000549'))).toThrow(first as Error);
    expect(() => d.takeByte()).toThrow(first as Error);
  });
});

describe('BackendDecoder.takeCopyData', () => {
  const copyData = (text: string): Uint8Array => {
    const body = new TextEncoder().encode(text);
    const m = new Uint8Array(5 + body.length);
    m[0] = 0x64;
    new DataView(m.buffer).setInt32(1, 4 + body.length);
    m.set(body, 5);
    return m;
  };

  it('hands the leading whole CopyData payloads to the sink and leaves the rest to next()', () => {
    const d = new BackendDecoder();
    const seen: string[] = [];
    const sink = (b: Uint8Array, s: number, e: number): void => void seen.push(new TextDecoder().decode(b.subarray(s, e)));
    const partial = copyData('cc');
    d.feed(concatBytes([copyData('a'), copyData(''), copyData('bb'), fromHex('5a0000000549'), copyData('x'), partial.subarray(0, 4)]));
    expect(d.takeCopyData(sink)).toBe(3);
    expect(seen).toEqual(['a', '', 'bb']);
    expect(d.next()).toEqual({ type: 'ReadyForQuery', status: 'I' });
    expect(d.takeCopyData(sink)).toBe(1);
    expect(d.takeCopyData(sink)).toBe(0); // the partial one waits
    d.feed(partial.subarray(4));
    expect(d.takeCopyData(sink)).toBe(1);
    expect(seen).toEqual(['a', '', 'bb', 'x', 'cc']);
    expect(d.buffered).toBe(0);
  });

  it('fails on a bad length and stays poisoned, as next() does', () => {
    const d = new BackendDecoder({ maxMessageSize: 100 });
    d.feed(fromHex('6400001000'));
    expect(() => d.takeCopyData(() => undefined)).toThrow(MessageTooLarge);
    expect(() => d.next()).toThrow(MessageTooLarge);
    const e = new BackendDecoder();
    e.feed(fromHex('6400000003'));
    expect(() => e.takeCopyData(() => undefined)).toThrow(ProtocolViolation);
  });
});
