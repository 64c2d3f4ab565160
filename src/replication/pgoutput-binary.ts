/**
 * Binary column values of a pgoutput stream (`binary 'true'`) -> the same
 * JS values a query returns.
 *
 * Theory of operation. In binary mode pgoutput sends every column in its
 * type's binary send format, whether or not the client would ask for it.
 * The {@link TypeRegistry}'s built-in records read the binary format of
 * every built-in type but money (their `parseBinary`, src/types), so a
 * value comes out exactly as from a query. When a user replaced a built-in
 * record by one that reads text only, this module turns the binary form
 * into the server's canonical text (`numeric_send` -> `'12.50'`, through
 * src/types/binary-text.ts; interval and the geometric types here) and
 * hands it to that record's text parser. Arrays and ranges whose records
 * have no binary reading are walked with the registry's binary array and
 * range readers, each element through the same lookup. Types without a
 * binary reading (`money`, whose text depends on `lc_monetary`;
 * user-defined types such as enums and composites) come back as a copy of
 * the bytes, as the registry does for unknown binary values.
 *
 * A value whose bytes do not fit its type throws a `TypeParseError`
 * naming the type.
 */
import { parseArrayBinary, parseRangeBinary, type ElementReader } from '../types/binary-arrays';
import { BINARY_TEXT } from '../types/binary-text';
import { TypeParseError } from '../types/errors';
import { Interval } from '../types/interval';
import { ArrayOid, Oid } from '../types/oids';
import type { TypeRegistry } from '../types/registry';
import { copyBytes, toHex } from '../types/text';
import { ByteReader, utf8Encode } from '../util/bytes';

/** Decodes the bytes of one non-NULL value. */
export type ValueDecoder = (bytes: Uint8Array) => unknown;

/** Types whose binary form is their text, as UTF-8. */
const TEXT_AS_IS: ReadonlySet<number> = new Set([Oid.text, Oid.varchar, Oid.bpchar, Oid.name, Oid.xml, Oid.json]);

/** Types whose binary form is a version byte (1) followed by their text. */
const VERSIONED_TEXT: ReadonlySet<number> = new Set([Oid.jsonb, Oid.jsonpath]);

/** Binary form -> the server's canonical text, for built-in records a user replaced by text-only ones. */
const TO_TEXT: ReadonlyMap<number, (b: Uint8Array) => string> = new Map<number, (b: Uint8Array) => string>([
  ...BINARY_TEXT,
  [Oid.interval, intervalText],
  [Oid.point, (b) => pointsText(reader(b, 16), 1)],
  [Oid.lseg, (b) => `[${pointsText(reader(b, 32), 2)}]`],
  [Oid.box, (b) => pointsText(reader(b, 32), 2)],
  [Oid.line, lineText],
  [Oid.circle, circleText],
  [Oid.path, pathText],
  [Oid.polygon, polygonText],
]);

/** The element type of each built-in range type. */
const RANGE_ELEMENTS: ReadonlyMap<number, number> = new Map([
  [Oid.int4range, Oid.int4], [Oid.int8range, Oid.int8], [Oid.numrange, Oid.numeric],
  [Oid.tsrange, Oid.timestamp], [Oid.tstzrange, Oid.timestamptz], [Oid.daterange, Oid.date],
]);

const BUILTIN_ARRAYS: ReadonlySet<number> = new Set(Object.values(ArrayOid));

/**
 * The decoder of binary values of type `oid` under `types`: the registry's
 * own binary decoder when the record has one (every built-in type but
 * money); else, for a built-in oid whose record reads text only (a user's),
 * a conversion to the text form read by that record (text-like types pass
 * their bytes straight through); arrays and built-in ranges element by
 * element; anything else as a copy of the bytes.
 */
export function binaryValueDecoder(types: TypeRegistry, oid: number): ValueDecoder {
  const record = types.get(oid);
  if (record?.parseBinary !== undefined) return types.decoder(oid, 1);
  const name = record?.name ?? `oid ${oid}`;
  if (TEXT_AS_IS.has(oid)) return types.decoder(oid, 0);
  if (VERSIONED_TEXT.has(oid)) return guarded(name, versionedText(types.decoder(oid, 0)));
  const toText = TO_TEXT.get(oid);
  if (toText !== undefined) {
    const parse = types.decoder(oid, 0);
    return guarded(name, (b) => parse(utf8Encode(toText(b))));
  }
  const element = RANGE_ELEMENTS.get(oid);
  if (element !== undefined) return guarded(name, rangeDecoder(types, element));
  if (BUILTIN_ARRAYS.has(oid) || record?.name.endsWith('[]') === true) return guarded(name, arrayDecoder(types));
  return copyBytes;
}

/** Wraps `decode` so that whatever it throws comes out as a TypeParseError naming the type. */
function guarded(name: string, decode: ValueDecoder): ValueDecoder {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (e) {
      if (e instanceof TypeParseError) throw e;
      throw new TypeParseError(name, toHex(bytes), e instanceof Error ? e.message : String(e), { cause: e });
    }
  };
}

/** A reader over `b` that must hold exactly `n` bytes. */
function reader(b: Uint8Array, n: number): ByteReader {
  if (b.length !== n) throw new Error(`expected ${n} bytes, got ${b.length}`);
  return new ByteReader(b);
}

function versionedText(parse: ValueDecoder): ValueDecoder {
  return (b) => {
    if (b.length < 1 || b[0] !== 1) throw new Error(`unsupported binary format version ${b[0]}`);
    return parse(b.subarray(1));
  };
}

// --- arrays and ranges ---

/** Arrays: the element oid is in the header; elements through {@link binaryValueDecoder} of it. */
function arrayDecoder(types: TypeRegistry): ValueDecoder {
  const elements = new Map<number, ElementReader>();
  return (b) => {
    if (b.length < 12) throw new Error('array header too short');
    const elementOid = new ByteReader(b.subarray(8, 12)).u32();
    let read = elements.get(elementOid);
    if (read === undefined) {
      const decode = binaryValueDecoder(types, elementOid);
      elements.set(elementOid, (read = (x, at, len) => decode(x.subarray(at, at + len))));
    }
    return parseArrayBinary(b, read, types.options);
  };
}

/** Ranges: a flags byte, then each finite bound as an Int32-length-prefixed element value. */
function rangeDecoder(types: TypeRegistry, elementOid: number): ValueDecoder {
  const element = binaryValueDecoder(types, elementOid);
  return (b) => parseRangeBinary(b, (x) => element(x), types.options);
}

// --- scalars -> text ---

/** interval: microseconds, days, months -> ISO 8601 (which the interval parser reads under any style). */
function intervalText(b: Uint8Array): string {
  const r = reader(b, 16);
  const micros = readInt64(r);
  const days = r.i32();
  const months = r.i32();
  return new Interval(months, days, micros).toString();
}

/** A float8 as the server prints it (shortest exact form; `-0` keeps its sign). */
function floatText(r: ByteReader): string {
  const x = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 8).getFloat64(0);
  r.pos += 8; // bounds checked by the caller's exact-length reader
  return Object.is(x, -0) ? '-0' : String(x);
}

/** `n` points as `(x,y),(x,y)...`. */
function pointsText(r: ByteReader, n: number): string {
  const points: string[] = [];
  for (let i = 0; i < n; i++) points.push(`(${floatText(r)},${floatText(r)})`);
  return points.join(',');
}

function lineText(b: Uint8Array): string {
  const r = reader(b, 24);
  return `{${floatText(r)},${floatText(r)},${floatText(r)}}`;
}

function circleText(b: Uint8Array): string {
  const r = reader(b, 24);
  return `<${pointsText(r, 1)},${floatText(r)}>`;
}

/** path: a closed flag byte, a point count, the points; `(...)` closed, `[...]` open. */
function pathText(b: Uint8Array): string {
  const r = new ByteReader(b);
  const closed = r.u8() !== 0;
  const points = countedPoints(r);
  return closed ? `(${points})` : `[${points}]`;
}

function polygonText(b: Uint8Array): string {
  return `(${countedPoints(new ByteReader(b))})`;
}

function countedPoints(r: ByteReader): string {
  const n = r.i32();
  if (n < 0 || r.remaining !== n * 16) throw new Error(`bad point count ${n}`);
  return pointsText(r, n);
}

function readInt64(r: ByteReader): bigint {
  const high = r.i32();
  const low = r.u32();
  return (BigInt(high) << 32n) | BigInt(low);
}
