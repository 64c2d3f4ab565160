/**
 * Fuzz input generation, shared by every fuzz test (the codec's decoders
 * now; the connection machine later).
 *
 * Theory of operation. {@link fuzzInputs} yields a deterministic stream of
 * byte strings from a seed: a quarter are random bytes shaped like messages
 * (a plausible type byte and length, random body), the rest are golden
 * vectors (the `corpus`) put through one to four {@link mutate} steps: bit
 * flips, byte overwrites, insertions, deletions, truncations, duplicated
 * segments, splices with another corpus entry, and length fields replaced by
 * edge values (0, 3, 4, 5, off by one, huge, negative). {@link splitRandomly}
 * cuts an input into chunks so framing is fuzzed too. Plug a machine in by
 * feeding each input's chunks to it and asserting its own invariants.
 */

/** A deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rand: () => number, n: number) => Math.floor(rand() * n);
const BACKEND_TYPES = 'RKSZTDCIENA123ntsGHWdcvV';
const EDGE_LENGTHS = [0, 1, 3, 4, 5, 8, 0x7fffffff, -1, -5, 0x10000, 0x40000000];

function randomBytes(rand: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rand, 256));
}

/** A random message-shaped byte string: type byte from `types`, a length that may or may not match, a random body. */
export function randomMessage(rand: () => number, types = BACKEND_TYPES): Uint8Array {
  const body = randomBytes(rand, int(rand, 40));
  const len = rand() < 0.8 ? body.length + 4 : EDGE_LENGTHS[int(rand, EDGE_LENGTHS.length)];
  const out = new Uint8Array(5 + body.length);
  out[0] = rand() < 0.9 ? types.charCodeAt(int(rand, types.length)) : int(rand, 256);
  new DataView(out.buffer).setInt32(1, len);
  out.set(body, 5);
  return out;
}

/** Applies one random mutation to `input` (never modifies it). */
export function mutate(input: Uint8Array, rand: () => number, corpus: readonly Uint8Array[] = []): Uint8Array {
  const b = input.slice();
  const at = int(rand, Math.max(1, b.length));
  switch (int(rand, 8)) {
    case 0: if (b.length) b[at] ^= 1 << int(rand, 8); return b;
    case 1: if (b.length) b[at] = int(rand, 256); return b;
    case 2: return concat(b.subarray(0, at), randomBytes(rand, 1 + int(rand, 8)), b.subarray(at));
    case 3: return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(rand, 16))));
    case 4: return b.subarray(0, at).slice();
    case 5: return concat(b.subarray(0, at), b.subarray(at, at + 1 + int(rand, 32)), b.subarray(at));
    case 6: {
      const other = corpus.length ? corpus[int(rand, corpus.length)] : randomBytes(rand, 16);
      const from = int(rand, Math.max(1, other.length));
      return concat(b.subarray(0, at), other.subarray(from, from + 1 + int(rand, 64)));
    }
    default: {
      if (b.length < at + 4) return b;
      new DataView(b.buffer).setInt32(at, rand() < 0.5 ? EDGE_LENGTHS[int(rand, EDGE_LENGTHS.length)] : new DataView(b.buffer).getInt32(at) + (rand() < 0.5 ? 1 : -1));
      return b;
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Options of {@link fuzzInputs}. */
export interface FuzzOptions {
  seed: number;
  count: number;
  /** Valid streams to mutate (golden vectors). */
  corpus: readonly Uint8Array[];
  /** Type bytes for random messages (default: the backend ones). */
  types?: string;
}

/** Yields `count` deterministic fuzz inputs: random message-shaped bytes and mutated corpus entries. */
export function* fuzzInputs(o: FuzzOptions): Generator<Uint8Array> {
  const rand = rng(o.seed);
  for (let i = 0; i < o.count; i++) {
    if (rand() < 0.25 || o.corpus.length === 0) {
      const parts: Uint8Array[] = [];
      for (let k = 1 + int(rand, 3); k > 0; k--) parts.push(randomMessage(rand, o.types));
      yield concat(...parts);
    } else {
      let b = o.corpus[int(rand, o.corpus.length)];
      for (let k = 1 + int(rand, 4); k > 0; k--) b = mutate(b, rand, o.corpus);
      yield b;
    }
  }
}

/** Cuts `input` into 1 to 4 chunks at random offsets (views, no copies). */
export function splitRandomly(input: Uint8Array, rand: () => number): Uint8Array[] {
  const cuts = Array.from({ length: int(rand, 4) }, () => int(rand, input.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const c of [...cuts, input.length]) {
    chunks.push(input.subarray(from, c));
    from = c;
  }
  return chunks;
}
