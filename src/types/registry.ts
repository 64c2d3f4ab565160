/**
 * TypeRegistry: oid -> codec, per connection.
 *
 * Theory of operation. A registry maps type oids to {@link TypeRecord}s and
 * JS classes to adapters. Each connection owns a `clone()` of the shared
 * default registry, so registrations on one connection never leak to others,
 * while registrations on `TypeRegistry.default()` reach every connection
 * created afterwards (psycopg2's global `register_type`). A clone is
 * copy-on-write: it shares its source's tables until either side registers
 * something, so creating a connection copies nothing. Decoder caches are
 * per registry (a decoder reads its own registry's options).
 *
 * Results: `decoder(oid, format)` returns a cached `(bytes) => value`
 * function, built once per (oid, format) and dropped when a record is
 * registered; the cursor calls it per non-NULL field. Unknown oids decode
 * text as a string and binary as a copy of the bytes. A decoder throws
 * only library errors: whatever else a parser throws on text it cannot read
 * (`JSON.parse`'s and `BigInt`'s SyntaxError, a user parser's error) comes
 * out as a `TypeParseError` naming the type, with the original as its
 * cause. `resultFormat(oid)` says which format to ask the server for.
 *
 * Parameters: `encodeParam(value, oid)` writes the value for the type the
 * server expects (its ParameterDescription): an adapter registered for the
 * value's class wins, then the record of `oid`, then inference from the JS
 * value for oid 0 and unknown oids. `paramFormat(oid)` says whether the
 * result is text (a string) or binary (a Uint8Array). Every failure is an
 * `InterfaceError` with code `ERR_BAD_PARAMETER` naming the type.
 */
import { InterfaceError } from '../errors/base';
import { badParam, parseFailure } from './errors';
import { arrayRecord } from './derived';
import { BUILTIN_RECORDS } from './builtins';
import { inferText } from './infer';
import { INT8_MODES } from './int8';
import { copyBytes, toHex, utf8, utf8Encode } from './text';
import { defaultTypeOptions, type TypeOptions, type TypeRecord } from './record';

/** Decodes the bytes of one non-NULL field. */
export type Decoder = (bytes: Uint8Array) => unknown;

/** What an adapter returns: the text of the value, optionally with the oid of its type. */
export type Adapted = string | { oid?: number; text: string };

/** Turns an instance of a user class into parameter text (psycopg2's `register_adapter`). */
export type Adapter<T = never> = (value: T) => Adapted;

let shared: TypeRegistry | undefined;

/** @internal The tables a clone shares with its source (copy-on-write; see `TypeRegistry.clone`). */
export interface SharedTables {
  readonly records: Map<number, TypeRecord>;
  readonly names: Map<string, TypeRecord>;
  readonly adapters: Map<unknown, Adapter<unknown>>;
}

/** The oid -> codec map of one connection (or the shared default). */
export class TypeRegistry {
  /** Decoding options; changes apply to the next decoded value. */
  readonly options: TypeOptions;
  // The tables, copy-on-write: a clone shares them with its source until
  // either side registers, which first copies them (see `own`). A table set
  // once shared is never written again, by anyone.
  private records: Map<number, TypeRecord>;
  private names: Map<string, TypeRecord>;
  private adapters: Map<unknown, Adapter<unknown>>;
  /** True while `records`, `names` and `adapters` may be shared with a clone or a source. */
  private sharedTables = false;
  private readonly textDecoders = new Map<number, Decoder>();
  private readonly binaryDecoders = new Map<number, Decoder>();
  private _version = 0;

  /**
   * An empty registry (no types known); see {@link createDefaultRegistry} for the built-ins.
   * @throws InterfaceError (`ERR_INVALID_OPTION`) for an `int8` mode other than 'bigint', 'number' or 'string'.
   */
  constructor(options: Partial<TypeOptions> = {}, /** @internal for `clone`: tables to share */ tables?: SharedTables) {
    this.options = { ...defaultTypeOptions(), ...options };
    checkInt8Mode(this.options.int8);
    this.records = tables?.records ?? new Map();
    this.names = tables?.names ?? new Map();
    this.adapters = tables?.adapters ?? new Map();
    this.sharedTables = tables !== undefined;
  }

  /**
   * Grows with every registration (`register`, `registerAdapter`): whoever
   * caches codecs derived from this registry (the statement cache) compares
   * it to know when to derive them again.
   */
  get version(): number {
    return this._version;
  }

  /** The shared registry that connections clone when created; created with the built-ins on first use. */
  static default(): TypeRegistry {
    return (shared ??= createDefaultRegistry());
  }

  /**
   * Registers `record` under its oid and aliases, and, when it has an
   * `arrayOid`, its derived array type `name[]`. Replaces earlier records
   * for the same oids. Returns this registry.
   */
  register(record: TypeRecord): this {
    checkRecord(record);
    this.own();
    this.put(record);
    if (record.arrayOid > 0) this.put(arrayRecord(record));
    this.textDecoders.clear();
    this.binaryDecoders.clear();
    this._version++;
    return this;
  }

  /** Makes the tables this registry's own before a write (copies them when they are shared). */
  private own(): void {
    if (!this.sharedTables) return;
    this.records = new Map(this.records);
    this.names = new Map(this.names);
    this.adapters = new Map(this.adapters);
    this.sharedTables = false;
  }

  private put(record: TypeRecord): void {
    for (const oid of [record.oid, ...(record.aliases ?? [])]) this.records.set(oid, record);
    this.names.set(record.name.toLowerCase(), record);
  }

  /** The record for `oid`, or undefined. */
  get(oid: number): TypeRecord | undefined {
    return this.records.get(oid);
  }

  /** The record named `name` (case-insensitive; `int4[]` and `_int4` both name the array), or undefined. */
  byName(name: string): TypeRecord | undefined {
    const key = name.toLowerCase();
    return this.names.get(key) ?? (key.startsWith('_') ? this.names.get(`${key.slice(1)}[]`) : undefined);
  }

  /**
   * An independent copy: records, adapters and options (`options` given
   * here override the copied ones, e.g. `TypeRegistry.default().clone({ int8: 'number' })`);
   * later registrations on either side stay there. Cheap (every
   * connection clones the default registry): the copy shares the tables
   * until either side registers something, which copies them first.
   */
  clone(options: Partial<TypeOptions> = {}): TypeRegistry {
    this.sharedTables = true;
    return new TypeRegistry({ ...this.options, ...options }, { records: this.records, names: this.names, adapters: this.adapters });
  }

  /**
   * Makes instances of `cls` (and its subclasses) serialize through `adapt`
   * whatever the parameter's type; psycopg2's `register_adapter`.
   */
  registerAdapter<T>(cls: abstract new (...args: never[]) => T, adapt: Adapter<T>): this {
    this.own();
    this.adapters.set(cls.prototype, adapt as Adapter<unknown>);
    this._version++;
    return this;
  }

  /** The cached decoder for a column of type `typeOid` sent in `format` (0 text, 1 binary). */
  decoder(typeOid: number, format: 0 | 1): Decoder {
    const cache = format === 1 ? this.binaryDecoders : this.textDecoders;
    let decode = cache.get(typeOid);
    if (decode === undefined) cache.set(typeOid, (decode = this.buildDecoder(typeOid, format)));
    return decode;
  }

  private buildDecoder(typeOid: number, format: 0 | 1): Decoder {
    const record = this.records.get(typeOid);
    const options = this.options;
    if (format === 1) {
      const parseBinary = record?.parseBinary?.bind(record);
      if (record === undefined || parseBinary === undefined) return copyBytes;
      return (bytes) => {
        try {
          return parseBinary(bytes, options);
        } catch (e) {
          throw parseFailure(record.name, toHex(bytes), e);
        }
      };
    }
    if (record === undefined || record.name === 'text' || record.name === 'varchar') return utf8;
    const parse = record.parse.bind(record);
    return (bytes) => {
      const text = utf8(bytes);
      try {
        return parse(text, options);
      } catch (e) {
        throw parseFailure(record.name, text, e);
      }
    };
  }

  /** The format (0 text, 1 binary) the client should request for result columns of `typeOid`. */
  resultFormat(typeOid: number): 0 | 1 {
    const record = this.records.get(typeOid);
    return record?.binaryResults === true && record.parseBinary !== undefined ? 1 : 0;
  }

  /** The format `encodeParam` uses for a parameter of `typeOid`: 1 (bytes) or 0 (text). */
  paramFormat(typeOid: number): 0 | 1 {
    const record = this.records.get(typeOid);
    return record?.binaryParams === true && record.serializeBinary !== undefined ? 1 : 0;
  }

  /**
   * Encodes one parameter for a parameter of type `typeOid` (0 when the
   * server left it open): `null` for null/undefined, a string in the text
   * format, or bytes when `paramFormat(typeOid)` is 1.
   * @throws InterfaceError (`ERR_BAD_PARAMETER`) naming the type when the value does not fit it.
   */
  encodeParam(value: unknown, typeOid: number): string | Uint8Array | null {
    if (value === null || value === undefined) return null;
    const record = this.records.get(typeOid);
    try {
      const adapted = this.adapters.size > 0 ? this.adapt(value) : undefined;
      if (record === undefined) return adapted ?? inferText(value);
      if (this.paramFormat(typeOid) === 1) {
        const serializeBinary = record.serializeBinary as (v: unknown) => Uint8Array;
        return serializeBinary(adapted === undefined ? value : utf8Encode(adapted));
      }
      return adapted ?? record.serialize(value);
    } catch (error) {
      if (error instanceof InterfaceError) throw error;
      throw badParam(record?.name ?? `oid ${typeOid}`, value, error instanceof Error ? error.message : undefined, error);
    }
  }

  /**
   * The oid an adapter declares for `value` (`{ oid, text }`), or 0. The
   * connection may send it as the parameter type when preparing a statement.
   */
  paramTypeOid(value: unknown): number {
    const adapted = this.findAdapter(value)?.(value);
    return typeof adapted === 'object' ? adapted.oid ?? 0 : 0;
  }

  private adapt(value: unknown): string | undefined {
    const adapt = this.findAdapter(value);
    if (adapt === undefined) return undefined;
    const adapted = adapt(value);
    return typeof adapted === 'string' ? adapted : adapted.text;
  }

  private findAdapter(value: unknown): Adapter<unknown> | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    for (let p = Object.getPrototypeOf(value) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
      const adapt = this.adapters.get(p);
      if (adapt !== undefined) return adapt;
    }
    return undefined;
  }
}

/** A fresh registry holding every built-in type (and its array type). */
export function createDefaultRegistry(options?: Partial<TypeOptions>): TypeRegistry {
  const registry = new TypeRegistry(options);
  for (const record of BUILTIN_RECORDS) registry.register(record);
  return registry;
}

/** `int8` must be one of the {@link INT8_MODES}; else InterfaceError (ERR_INVALID_OPTION). */
function checkInt8Mode(mode: unknown): void {
  if (mode === undefined || (INT8_MODES as readonly unknown[]).includes(mode)) return;
  throw new InterfaceError(`TypeRegistry: int8 must be 'bigint', 'number' or 'string', not ${typeof mode === 'string' ? JSON.stringify(mode) : typeof mode}`, { code: 'ERR_INVALID_OPTION' });
}

/** A record must name a type by oid and name and parse and serialize it; else InterfaceError (ERR_INVALID_ARGUMENT). */
function checkRecord(r: TypeRecord): void {
  const bad = (what: string): never => {
    throw new InterfaceError(`registerType: the type record needs ${what}`, { code: 'ERR_INVALID_ARGUMENT' });
  };
  if (typeof r !== 'object' || r === null) bad('to be an object');
  if (!Number.isInteger(r.oid) || r.oid <= 0) bad('a positive integer oid');
  if (!Number.isInteger(r.arrayOid) || r.arrayOid < 0) bad('an integer arrayOid (0: none)');
  if (typeof r.name !== 'string' || r.name === '') bad('a name');
  if (typeof r.parse !== 'function' || typeof r.serialize !== 'function') bad('parse and serialize functions');
}
