/**
 * Text for a parameter whose type the server left open (oid 0, `unknown`),
 * inferred from the JS value alone.
 *
 * null/undefined are NULL (the caller handles them); strings as is; numbers
 * and bigints in decimal (`-0`, `NaN`, `Infinity` spelled as PostgreSQL
 * reads them); booleans `true`/`false`; `Date` as a UTC timestamptz;
 * `Uint8Array`/`Buffer` as bytea hex; arrays as PostgreSQL array literals
 * of inferred elements; objects with a `toPostgres()` method (Interval,
 * Range, Point, PreciseTimestamp...) by that method; other plain objects as
 * JSON. Symbols and functions are refused with `InterfaceError`.
 */
import { badParam } from './errors';
import { formatFloat, serializeBytea, serializeJson } from './scalars';
import { serializeTimestamp } from './datetime';
import { serializeArray } from './arrays';

/** Serializes a non-null JS value as text without knowing the PostgreSQL type. */
export function inferText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatFloat(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return inferObject(value as object);
    default:
      throw badParam('unknown-type', value);
  }
}

function inferObject(value: object): string {
  if (value instanceof Date) return serializeTimestamp(value);
  if (value instanceof Uint8Array) return serializeBytea(value);
  if (Array.isArray(value)) return serializeArray(value, inferText);
  const toPostgres = (value as { toPostgres?: unknown }).toPostgres;
  if (typeof toPostgres === 'function') return String(toPostgres.call(value));
  return serializeJson(value);
}
