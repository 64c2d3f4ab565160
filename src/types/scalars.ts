/**
 * Text-format codecs of the scalar built-ins: bool, integers, floats,
 * numeric, character types, bytea, json, uuid and the network types.
 *
 * Parsers trust the server's output format (DateStyle=ISO, which the
 * connection sets; extra_float_digits at least 1, the default, where
 * PostgreSQL 12+ prints floats as the shortest text that reads back exactly;
 * bytea_output hex or escape) and stay branch-light;
 * serializers check the JS value and throw `InterfaceError`
 * (`ERR_BAD_PARAMETER`) naming the type, since a bad parameter is the
 * caller's fault and must never reach the wire.
 */
import { badParam } from './errors';
import { toHex } from './text';

const INTEGER = /^\s*[+-]?\d+\s*$/;
const FLOAT = /^\s*(?:[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf|infinity)|nan)\s*$/i;
const BOOL_TEXT = /^\s*(?:t|f|true|false|y|n|yes|no|on|off|1|0)\s*$/i;
const UUID = /^\{?[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}?$/i;

/** `'t'` is true; anything else the server sends for bool is `'f'`. */
export function parseBool(text: string): boolean {
  return text === 't';
}

/** Serializes a boolean (or a PostgreSQL boolean spelling such as `'yes'`) as `t`/`f`. */
export function serializeBool(value: unknown): string {
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'string' && BOOL_TEXT.test(value)) return value.trim();
  throw badParam('bool', value);
}

/** Parses int2, int4 and oid text as a number. */
export function parseNumber(text: string): number {
  return +text;
}

/** Parses int8 text as an exact `bigint`. */
export function parseBigInt(text: string): bigint {
  return BigInt(text);
}

/**
 * Returns a serializer for an integer type with the inclusive range
 * [min, max]: accepts integral numbers (safe integers only), bigints and
 * decimal digit strings inside the range.
 */
export function integerSerializer(typeName: string, min: bigint, max: bigint): (value: unknown) => string {
  // a safe integer compares exactly against the bounds as numbers (int8's are powers of two, exact too)
  const minNumber = Number(min);
  const maxNumber = Number(max);
  return (value) => {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= minNumber && value <= maxNumber) return String(value);
    const n = toBigInt(typeName, value);
    if (n < min || n > max) throw badParam(typeName, value, `out of range [${min}, ${max}]`);
    return n.toString();
  };
}

function toBigInt(typeName: string, value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw badParam(typeName, value, 'not a safe integer (use a bigint)');
    return BigInt(value);
  }
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value.trim());
  throw badParam(typeName, value);
}

/** Parses float8 text, including `NaN`, `Infinity` and `-Infinity`. */
export function parseFloatText(text: string): number {
  return parseFloat(text);
}

/**
 * Parses float4 text as the float4 the server holds (`0.1` is
 * 0.100000001490116...), the value the binary format gives too, so a column
 * decodes the same in either format.
 */
export function parseFloat4Text(text: string): number {
  return Math.fround(parseFloat(text));
}

/** Formats a number exactly as PostgreSQL float input reads it back (shortest round-trip; keeps -0). */
export function formatFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Returns a serializer for float4/float8: numbers (any, including NaN and ±Infinity), bigints, numeric strings. */
export function floatSerializer(typeName: string): (value: unknown) => string {
  return (value) => {
    if (typeof value === 'number') return formatFloat(value);
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string' && FLOAT.test(value)) return value.trim();
    throw badParam(typeName, value);
  };
}

/** numeric stays a string: exact, any number of digits, `NaN` and `±Infinity` as PostgreSQL prints them. */
export function parseNumeric(text: string): string {
  return text;
}

/** Serializes numeric from a decimal string, a bigint or a number (NaN and ±Infinity allowed, PostgreSQL 14+). */
export function serializeNumeric(value: unknown): string {
  if (typeof value === 'string' && FLOAT.test(value)) return value.trim();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : formatFloat(value);
  throw badParam('numeric', value);
}

/** Text types come back verbatim. */
export function parseText(text: string): string {
  return text;
}

/** Returns a serializer for a character type: strings as is; numbers, bigints and booleans via `String`. */
export function textSerializer(typeName: string): (value: unknown) => string {
  return (value) => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
    throw badParam(typeName, value);
  };
}

/** Returns a serializer that accepts only strings (uuid-like types whose spelling the server checks). */
export function stringSerializer(typeName: string): (value: unknown) => string {
  return (value) => {
    if (typeof value === 'string') return value;
    throw badParam(typeName, value);
  };
}

/** Serializes a uuid string (any case, with or without dashes or braces). */
export function serializeUuid(value: unknown): string {
  if (typeof value === 'string' && UUID.test(value)) return value;
  throw badParam('uuid', value, typeof value === 'string' ? 'not a uuid' : undefined);
}

/** Parses bytea text in the hex format (`\x00ff`) or the legacy escape format. */
export function parseBytea(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  return parseByteaEscape(text);
}

function parseByteaEscape(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 92) {
      out.push(c);
    } else if (text.charCodeAt(i + 1) === 92) {
      out.push(92);
      i += 1;
    } else {
      out.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    }
  }
  return Buffer.from(out);
}

/** The bytes a bytea parameter stands for: a Uint8Array/Buffer as is, a string as its UTF-8 bytes. */
export function byteaBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw badParam('bytea', value);
}

/** Serializes bytea in the hex text format. */
export function serializeBytea(value: unknown): string {
  return '\\x' + toHex(byteaBytes(value));
}

/** json/jsonb come back parsed with `JSON.parse`. */
export function parseJson(text: string): unknown {
  return JSON.parse(text);
}

/**
 * Serializes json/jsonb: a string is taken as JSON text already (so
 * pre-serialized JSON passes through); anything else goes through
 * `JSON.stringify` (so a JS array bound to json is a JSON array).
 */
export function serializeJson(value: unknown): string {
  if (typeof value === 'string') return value;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw badParam('json', value, 'JSON.stringify failed', cause);
  }
  if (text === undefined) throw badParam('json', value, 'not representable in JSON');
  return text;
}
