/**
 * Fuzz input generation, shared by the fuzz targets (`fuzz/`), the
 * `npm run fuzz` command and the fuzz tests.
 *
 * Theory of operation. Every input is made from a PRNG: {@link inputRng}
 * gives input `index` of the stream `seed` its own PRNG, so any one input
 * can be replayed without generating the ones before it. Bytes:
 * {@link fuzzBytes} makes a quarter of the inputs random bytes shaped like
 * messages (a plausible type byte and length, random body) and the rest
 * golden vectors (the `corpus`) put through one to four {@link mutate}
 * steps: bit flips, byte overwrites, insertions, deletions, truncations,
 * duplicated segments, splices with another corpus entry, and length fields
 * replaced by edge values (0, 3, 4, 5, off by one, huge, negative).
 * {@link splitRandomly} cuts an input into chunks so framing is fuzzed too.
 * Text: {@link fuzzText} does the same for strings (connection strings,
 * type literals) with {@link mutateText}: characters from an alphabet of the
 * format's own specials, deletions, duplications, splices, stray code
 * points (NUL, lone surrogates) and floods of a repeated fragment.
 * {@link fuzzInputs} is the older sequential stream of one PRNG.
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

/**
 * The PRNG of input `index` in the stream `seed`: both are mixed (a 32-bit
 * finalizer) into the seed of a fresh {@link rng}, so input `index`
 * replays alone.
 */
export function inputRng(seed: number, index: number): () => number {
  let h = (seed >>> 0) ^ Math.imul((index >>> 0) + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(Math.floor(index / 4294967296) + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return rng((h ^ (h >>> 16)) >>> 0);
}

/** An integer in [0, n). */
export const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

/** One element of `items`, chosen by `rand`. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[int(rand, items.length)];
}
const BACKEND_TYPES = 'RKSZTDCIENA123ntsGHWdcvV';
const EDGE_LENGTHS = [0, 1, 3, 4, 5, 8, 0x7fffffff, -1, -5, 0x10000, 0x40000000];

/** `n` random bytes. */
export function randomBytes(rand: () => number, n: number): Uint8Array {
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

/** The bytes of `parts`, one after the other. */
export function concat(...parts: Uint8Array[]): Uint8Array {
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

/** One fuzz input: one to three random message-shaped byte strings (a quarter of the time), else a corpus entry mutated one to four times. */
export function fuzzBytes(rand: () => number, corpus: readonly Uint8Array[], types?: string): Uint8Array {
  if (rand() < 0.25 || corpus.length === 0) {
    const parts: Uint8Array[] = [];
    for (let k = 1 + int(rand, 3); k > 0; k--) parts.push(randomMessage(rand, types));
    return concat(...parts);
  }
  let b = corpus[int(rand, corpus.length)];
  for (let k = 1 + int(rand, 4); k > 0; k--) b = mutate(b, rand, corpus);
  return b;
}

/** Yields `count` deterministic fuzz inputs from one PRNG: random message-shaped bytes and mutated corpus entries. */
export function* fuzzInputs(o: FuzzOptions): Generator<Uint8Array> {
  const rand = rng(o.seed);
  for (let i = 0; i < o.count; i++) yield fuzzBytes(rand, o.corpus, o.types);
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

// ------------------------------------------------------------------ text

/** Stray code points no format expects: NUL, controls, a lone surrogate, a BOM, non-BMP, and the replacement character. */
const STRAY = ['\0', '\u0001', '\u007f', '\ud800', '\udfff', '\ufeff', '\u{1f418}', '\ufffd', '\u00e9', '\n', '\t'];

/** The longest text {@link mutateText} makes (floods stop there): each input's work stays bounded. */
export const MAX_TEXT = 16 * 1024;

/**
 * Applies one random mutation to `text`: a character from `alphabet` (the
 * format's own specials) replaced or inserted, a span deleted, duplicated,
 * cut off or spliced from another corpus entry, a stray code point, or a
 * short fragment repeated up to 2,000 times (a flood: many hosts, deep
 * nesting). Never longer than {@link MAX_TEXT}.
 */
export function mutateText(text: string, rand: () => number, corpus: readonly string[], alphabet: readonly string[]): string {
  const at = int(rand, text.length + 1);
  const out = mutateTextAt(text, at, rand, corpus, alphabet);
  return out.length > MAX_TEXT ? out.slice(0, MAX_TEXT) : out;
}

function mutateTextAt(text: string, at: number, rand: () => number, corpus: readonly string[], alphabet: readonly string[]): string {
  const head = text.slice(0, at);
  switch (int(rand, 9)) {
    case 0: return head + pick(rand, alphabet) + text.slice(at + 1);
    case 1: return head + Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, alphabet)).join('') + text.slice(at);
    case 2: return head + text.slice(at + 1 + int(rand, 16));
    case 3: return head;
    case 4: return head + text.slice(at, at + 1 + int(rand, 32)) + text.slice(at);
    case 5: {
      const other = corpus.length > 0 ? pick(rand, corpus) : '';
      const from = int(rand, other.length + 1);
      return head + other.slice(from, from + 1 + int(rand, 64)) + (rand() < 0.5 ? text.slice(at) : '');
    }
    case 6: return head + pick(rand, STRAY) + text.slice(at);
    case 7: {
      const fragment = text.slice(at, at + 1 + int(rand, 12)) || pick(rand, alphabet);
      return head + fragment.repeat(1 + int(rand, 2000)) + text.slice(at);
    }
    default: return head + (rand() < 0.5 ? ' ' : text.charAt(at).toUpperCase()) + text.slice(at + 1);
  }
}

/** One text input: random characters of `alphabet` (a tenth of the time), else a corpus entry mutated one to four times. */
export function fuzzText(rand: () => number, corpus: readonly string[], alphabet: readonly string[]): string {
  if (rand() < 0.1 || corpus.length === 0) return Array.from({ length: int(rand, 40) }, () => pick(rand, alphabet)).join('');
  let t = pick(rand, corpus);
  for (let k = 1 + int(rand, 4); k > 0; k--) t = mutateText(t, rand, corpus, alphabet);
  return t;
}
