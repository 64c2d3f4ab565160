/**
 * Type codecs: the TypeRegistry, the built-in records, the value classes
 * (Interval, Range, PreciseTimestamp, geometric types) and psycopg2-style
 * registration.
 */
export { TypeRegistry, createDefaultRegistry } from './registry';
export type { Decoder, Adapter, Adapted } from './registry';
export type { TypeRecord, TypeOptions, TimestampMode, Int8Mode } from './record';
export { defaultTypeOptions } from './record';
export { registerAdapter, newType, newArrayType, registerType } from './adapters';
export type { TypeScope } from './adapters';
export { BUILTIN_RECORDS } from './builtins';
export { arrayRecord, rangeRecord } from './derived';
export { Oid, ArrayOid } from './oids';
export { TypeParseError, UnsafeInteger } from './errors';
export { Interval } from './interval';
export type { IntervalParts } from './interval';
export { PreciseTimestamp } from './precise-timestamp';
export { Range } from './ranges';
export type { RangeBounds } from './ranges';
export { Point, Line, LineSegment, Box, Path, Polygon, Circle } from './geometry';
export { parseArray, serializeArray } from './arrays';
export type { ElementParser, ElementSerializer } from './arrays';
export { parseRange } from './ranges';
export { inferText } from './infer';
export { utf8 } from './text';
