/**
 * The shape of a type codec: one record per PostgreSQL type, porsager-style.
 *
 * A record says how to turn the server's text (and, optionally, binary)
 * representation into a JS value and back. Records are plain objects held by
 * a {@link TypeRegistry}; a new type is added by registering a record, never
 * by subclassing. NULL never reaches a record: the caller maps SQL NULL to
 * `null` before and after.
 */

/** How timestamps come back: `'date'` gives `Date` (ms), `'precise'` gives `PreciseTimestamp` (µs). */
export type TimestampMode = 'date' | 'precise';

/**
 * How int8 (oid 20) comes back: `'bigint'` (exact, the default), `'number'`
 * (an `UnsafeInteger` error for a value beyond `Number.MAX_SAFE_INTEGER`,
 * never a rounded number) or `'string'` (the decimal text).
 */
export type Int8Mode = 'bigint' | 'number' | 'string';

/** Per-registry decoding options, read at decode time (changing them takes effect at once). */
export interface TypeOptions {
  /** `timestamp` / `timestamptz` results as `Date` (default) or `PreciseTimestamp`. */
  timestamps: TimestampMode;
  /** int8 results (and int8[] elements, int8range bounds) as `bigint` (the default, also when absent), `number` or `string`; see {@link Int8Mode}. */
  int8?: Int8Mode;
}

/** The options of a fresh registry. */
export function defaultTypeOptions(): TypeOptions {
  return { timestamps: 'date', int8: 'bigint' };
}

/**
 * A codec for one PostgreSQL type.
 *
 * - `parse(text, options)` reads the text format (never called for NULL);
 * - `serialize(value)` writes the text format, or throws `InterfaceError`
 *   (code `ERR_BAD_PARAMETER`) naming the type when the value does not fit;
 * - `parseBinary` / `serializeBinary` are the binary format, when present;
 *   `binaryResults` / `binaryParams` say whether the client should use them;
 * - `arrayOid` is the oid of `name[]` (0 when none); registering the record
 *   also registers the array type;
 * - `delimiter` is the array element delimiter (`;` for box, `,` otherwise);
 * - `aliases` are further oids served by the same record (psycopg2's
 *   `new_type` takes several oids).
 */
export interface TypeRecord<T = unknown> {
  readonly oid: number;
  readonly arrayOid: number;
  readonly name: string;
  parse(text: string, options: TypeOptions): T;
  serialize(value: unknown): string;
  parseBinary?(bytes: Uint8Array, options: TypeOptions): T;
  serializeBinary?(value: unknown): Uint8Array;
  readonly binaryResults?: boolean;
  readonly binaryParams?: boolean;
  readonly delimiter?: string;
  readonly aliases?: readonly number[];
}
