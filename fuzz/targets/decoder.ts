/**
 * Fuzz targets of the wire codec: the backend decoder (framer + decode) and,
 * for symmetry, the frontend one a fake server uses.
 *
 * Each input is a mutated captured byte stream (test/protocol/vectors.ts) or
 * random message-shaped bytes, cut into random chunks and fed to a fresh
 * decoder. Rules: only PgErrors escape; at most one message per 5 bytes
 * (no endless loop); never more buffered than was fed; the caller's chunk is
 * never modified. Outcome: 'messages' (every byte decoded), 'partial' (a
 * message still incomplete at the end) or the code of the error.
 */
import { BackendDecoder } from '../../src/protocol/decode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import { fromHex } from '../../src/util/bytes';
import { fuzzBytes, splitRandomly } from '../../test/support/fuzz';
import { SESSIONS } from '../../test/protocol/vectors';
import { check, outcomeOf, type FuzzTarget } from '../target';

const BACKEND_CORPUS = SESSIONS.flatMap((s) => s.steps.map((st) => fromHex(st.receivedHex))).filter((b) => b.length > 0);
const FRONTEND_CORPUS = SESSIONS.map((s) => fromHex(s.steps.map((st) => st.sentHex).join('')));
const FRONTEND_TYPES = 'pQPBDESHCdcfFX';

interface Decoder {
  feed(b: Uint8Array): void;
  next(): unknown;
  readonly buffered: number;
}

/** Feeds `chunks` to `decoder`, checking the codec's rules; returns the outcome label. */
export function feedDecoder(decoder: Decoder, chunks: readonly Uint8Array[]): string {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  let messages = 0;
  try {
    for (const c of chunks) {
      const before = c.slice();
      decoder.feed(c);
      while (decoder.next() !== null) {
        messages++;
        check(messages * 5 <= total, () => `${messages} messages from ${total} bytes: an endless loop`);
      }
      check(decoder.buffered <= total, () => `${decoder.buffered} bytes buffered of ${total} fed`);
      check(c.every((v, i) => v === before[i]), () => 'the decoder modified its input');
    }
  } catch (e) {
    return outcomeOf(e);
  }
  return decoder.buffered === 0 ? 'messages' : 'partial';
}

/** The backend decoder: server bytes to messages. */
export const decoderTarget: FuzzTarget = {
  name: 'decoder',
  about: 'BackendDecoder (framer + decode): mutated captured server bytes and random message-shaped bytes, in random chunks',
  run(rand) {
    const input = fuzzBytes(rand, BACKEND_CORPUS);
    return feedDecoder(new BackendDecoder({ maxMessageSize: 1 << 16 }), splitRandomly(input, rand));
  },
};

/** The frontend decoder (what FakeBackend reads): client bytes to messages. */
export const frontendDecoderTarget: FuzzTarget = {
  name: 'frontend-decoder',
  about: 'FrontendDecoder: mutated captured client bytes and random message-shaped bytes, in random chunks',
  run(rand) {
    const input = fuzzBytes(rand, FRONTEND_CORPUS, FRONTEND_TYPES);
    return feedDecoder(new FrontendDecoder({ maxMessageSize: 1 << 16 }), splitRandomly(input, rand));
  },
};
