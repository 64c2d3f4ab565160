/**
 * Round-trip cases for every built-in type, for the integration test over a
 * real server (and for the unit tests here, which check the codec alone).
 *
 * Each case means: bind `value` as the parameter of `SELECT $1::<sqlType>`
 * (encoded with `registry.encodeParam(value, oid of sqlType)`), decode the
 * result column with `registry.decoder(oid, registry.resultFormat(oid))`,
 * and the decoded value equals `expected` (when given; the server
 * normalizes some values) or `value`, under Jest's `toEqual` (which tells
 * -0 from 0 and NaN equals NaN). `options` are registry options to set
 * first (e.g. precise timestamps). The server runs with DateStyle=ISO
 * (set by the connection), TimeZone=UTC, and its own defaults for
 * IntervalStyle (postgres) and extra_float_digits (1), PG 14+.
 */
import { Box, Circle, Interval, Line, LineSegment, Path, Point, Polygon, PreciseTimestamp, Range } from '../../src/types';
import type { TypeOptions } from '../../src/types';

/** One round trip: the SQL type, the JS value sent, and the value expected back. */
export interface RoundTripCase {
  sqlType: string;
  value: unknown;
  expected?: unknown;
  options?: Partial<TypeOptions>;
}

const bytes = (...b: number[]): Buffer => Buffer.from(b);
const utc = (iso: string): Date => new Date(iso);
const bc44 = new Date(Date.UTC(2000, 2, 15, 12));
bc44.setUTCFullYear(-43); // 44 BC is astronomical year -43
const precise = { timestamps: 'precise' } as const;
const P = (x: number, y: number): Point => new Point(x, y);
const hours = (h: number): bigint => BigInt(h) * 3600000000n;

/** The table of round-trip cases, edge cases included. */
export const roundTripCases: RoundTripCase[] = [
  { sqlType: 'bool', value: true },
  { sqlType: 'bool', value: false },
  { sqlType: 'int2', value: -32768 },
  { sqlType: 'int2', value: 32767 },
  { sqlType: 'int4', value: -2147483648 },
  { sqlType: 'int4', value: 2147483647 },
  { sqlType: 'int4', value: '42', expected: 42 },
  { sqlType: 'int8', value: -9223372036854775808n },
  { sqlType: 'int8', value: 9223372036854775807n },
  { sqlType: 'int8', value: 0n },
  { sqlType: 'int8', value: 9007199254740993n },
  { sqlType: 'int8', value: 12, expected: 12n },
  { sqlType: 'oid', value: 4294967295 },
  { sqlType: 'float4', value: 1.5 },
  { sqlType: 'float4', value: NaN },
  { sqlType: 'float4', value: Infinity },
  { sqlType: 'float4', value: -Infinity },
  { sqlType: 'float8', value: 0.1 },
  { sqlType: 'float8', value: -0 },
  { sqlType: 'float8', value: NaN },
  { sqlType: 'float8', value: Infinity },
  { sqlType: 'float8', value: -Infinity },
  { sqlType: 'float8', value: 1.7976931348623157e308 },
  { sqlType: 'float8', value: 5e-324 },
  { sqlType: 'numeric', value: '1234567890123456789012345678901234567890' },
  { sqlType: 'numeric', value: '12345678901234567890.12345678901234567890' },
  { sqlType: 'numeric', value: '-0.000001' },
  { sqlType: 'numeric', value: '1.50' },
  { sqlType: 'numeric', value: 'NaN' },
  { sqlType: 'numeric', value: 'Infinity' },
  { sqlType: 'numeric', value: 123456789012345678901234567890n, expected: '123456789012345678901234567890' },
  { sqlType: 'text', value: '' },
  { sqlType: 'text', value: 'it\'s "quoted"' },
  { sqlType: 'text', value: 'back\\slash \\x00' },
  { sqlType: 'text', value: 'héllo wörld 🐘 日本語' },
  { sqlType: 'text', value: 'NULL' },
  { sqlType: 'text', value: ' line\nbreak\ttab ' },
  { sqlType: 'varchar', value: 'varchar' },
  { sqlType: 'char(3)', value: 'ab', expected: 'ab ' },
  { sqlType: 'name', value: 'pg_class' },
  { sqlType: '"char"', value: 'x' },
  { sqlType: 'bytea', value: bytes(0x00, 0xff, 0x5c, 0x27, 0x22, 0x80) },
  { sqlType: 'bytea', value: bytes() },
  { sqlType: 'json', value: { a: [1, 'two', { b: null, c: true }], d: 'é"\\' } },
  { sqlType: 'json', value: [1, 'a', null] },
  { sqlType: 'json', value: '"a JSON string"', expected: 'a JSON string' },
  { sqlType: 'jsonb', value: { nested: { deep: [[], {}, [1.5, -2]] }, u: '🐘' } },
  { sqlType: 'jsonb', value: 42 },
  { sqlType: 'uuid', value: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
  { sqlType: 'uuid', value: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', expected: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
  { sqlType: 'date', value: '2024-02-29' },
  { sqlType: 'date', value: '0044-03-15 BC' },
  { sqlType: 'date', value: 'infinity' },
  { sqlType: 'date', value: '-infinity' },
  { sqlType: 'date', value: utc('2024-01-02T23:59:59Z'), expected: '2024-01-02' },
  { sqlType: 'time', value: '12:34:56.789012' },
  { sqlType: 'time', value: '00:00:00' },
  { sqlType: 'timetz', value: '12:34:56+05:30' },
  { sqlType: 'timestamptz', value: utc('2024-01-02T03:04:05.678Z') },
  { sqlType: 'timestamptz', value: utc('1800-01-01T00:00:00Z') },
  { sqlType: 'timestamptz', value: bc44 },
  { sqlType: 'timestamptz', value: Infinity },
  { sqlType: 'timestamptz', value: -Infinity },
  { sqlType: 'timestamptz', value: '2024-01-02 03:04:05+05:30', expected: utc('2024-01-01T21:34:05Z') },
  { sqlType: 'timestamptz', value: '2024-01-02 03:04:05.123456+00', expected: new PreciseTimestamp(1704164645123456n), options: precise },
  { sqlType: 'timestamptz', value: new PreciseTimestamp(-1n), options: precise },
  { sqlType: 'timestamptz', value: Infinity, options: precise },
  { sqlType: 'timestamp', value: utc('2024-01-02T03:04:05.678Z') },
  { sqlType: 'timestamp', value: '2024-01-02 03:04:05.000001', expected: new PreciseTimestamp(1704164645000001n), options: precise },
  { sqlType: 'timestamp', value: -Infinity },
  { sqlType: 'interval', value: new Interval(14, 3, hours(4) + 306789000n) },
  { sqlType: 'interval', value: new Interval(-14, 3, -(hours(4) + 306789000n)) },
  { sqlType: 'interval', value: new Interval(0, 0, -1n) },
  { sqlType: 'interval', value: new Interval() },
  { sqlType: 'interval', value: new Interval(0, 0, hours(100)) },
  { sqlType: 'interval', value: '1 day 25 hours', expected: new Interval(0, 1, hours(25)) },
  { sqlType: 'inet', value: '192.168.0.1' },
  { sqlType: 'inet', value: '192.168.0.0/24' },
  { sqlType: 'inet', value: '2001:db8::1/64' },
  { sqlType: 'inet', value: '::1' },
  { sqlType: 'cidr', value: '10.0.0.0/8' },
  { sqlType: 'cidr', value: '2001:db8::/32' },
  { sqlType: 'macaddr', value: '08:00:2b:01:02:03' },
  { sqlType: 'macaddr', value: '08-00-2B-01-02-03', expected: '08:00:2b:01:02:03' },
  { sqlType: 'point', value: P(1.23, 4.56) },
  { sqlType: 'point', value: { x: -1, y: 0.5 }, expected: P(-1, 0.5) },
  { sqlType: 'line', value: new Line(1, -1, 0.5) },
  { sqlType: 'lseg', value: new LineSegment(P(0, 0), P(1.5, -2)) },
  { sqlType: 'box', value: new Box(P(2, 3), P(0, 1)) },
  { sqlType: 'box', value: new Box(P(0, 1), P(2, 3)), expected: new Box(P(2, 3), P(0, 1)) },
  { sqlType: 'path', value: new Path([P(0, 0), P(1, 1), P(2, 0)], false) },
  { sqlType: 'path', value: new Path([P(0, 0), P(1, 1), P(2, 0)], true) },
  { sqlType: 'polygon', value: new Polygon([P(0, 0), P(0, 1), P(1, 1), P(1, 0)]) },
  { sqlType: 'circle', value: new Circle(P(1, 2), 3.5) },
  { sqlType: 'int4[]', value: [1, null, 3] },
  { sqlType: 'int4[]', value: [] },
  { sqlType: 'int4[]', value: [[1, 2], [3, 4]] },
  { sqlType: 'int4[]', value: [[[1], [2]], [[3], [null]]] },
  { sqlType: 'int4[]', value: '[0:2]={7,8,9}', expected: [7, 8, 9] },
  { sqlType: 'int8[]', value: [-9223372036854775808n, null, 9223372036854775807n] },
  { sqlType: 'text[]', value: ['a,b', '"q"', 'back\\slash', 'NULL', null, '', ' sp ', '{}', 'é🐘'] },
  { sqlType: 'text[]', value: [['a', 'b'], ['c"', 'd\\']] },
  { sqlType: 'varchar[]', value: ['x y', ';'] },
  { sqlType: 'float8[]', value: [NaN, Infinity, -Infinity, -0, 0.1] },
  { sqlType: 'bool[]', value: [true, false, null] },
  { sqlType: 'bytea[]', value: [bytes(0, 0xff), null, bytes()] },
  { sqlType: 'numeric[]', value: ['1.10', 'NaN', null] },
  { sqlType: 'json[]', value: [{ a: 1 }, { b: [1, 2] }, 'null', null], expected: [{ a: 1 }, { b: [1, 2] }, null, null] },
  { sqlType: 'jsonb[]', value: [{ 'k"': 'v\\' }] },
  { sqlType: 'uuid[]', value: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'] },
  { sqlType: 'date[]', value: ['2024-01-01', '0001-01-01 BC', 'infinity'] },
  { sqlType: 'timestamptz[]', value: [utc('2024-01-02T03:04:05.678Z'), Infinity, null] },
  { sqlType: 'interval[]', value: [new Interval(1, -1, 1n)] },
  { sqlType: 'point[]', value: [P(1, 2), P(-3.5, 0)] },
  { sqlType: 'box[]', value: [new Box(P(1, 1), P(0, 0)), new Box(P(3, 3), P(2, 2))] },
  { sqlType: 'inet[]', value: ['127.0.0.1', '::1'] },
  { sqlType: 'int4range', value: new Range(1, 5, '[)') },
  { sqlType: 'int4range', value: new Range(1, 5, '[]'), expected: new Range(1, 6, '[)') },
  { sqlType: 'int4range', value: Range.empty() },
  { sqlType: 'int4range', value: new Range(null, 5, '()') },
  { sqlType: 'int4range', value: new Range(null, null, '()') },
  { sqlType: 'int8range', value: new Range(-9223372036854775808n, 9223372036854775807n, '[)') },
  { sqlType: 'numrange', value: new Range('1.5', '2.50', '(]') },
  { sqlType: 'daterange', value: new Range('2024-01-01', '2024-01-10', '[]'), expected: new Range('2024-01-01', '2024-01-11', '[)') },
  { sqlType: 'tsrange', value: new Range(utc('2024-01-01T00:00:00Z'), utc('2024-01-02T12:00:00.5Z'), '[)') },
  { sqlType: 'tstzrange', value: new Range(utc('2024-01-01T00:00:00Z'), null, '[)') },
  { sqlType: 'int4range[]', value: [new Range(1, 3, '[)'), Range.empty()] },
];
