/**
 * The built-in type records: what `createDefaultRegistry()` registers.
 *
 * Binary results are requested for the types whose binary form is cheaper
 * to decode than their text (fixed-width integers, floats, bool,
 * timestamps: 3-12x faster, bench/decode-types.ts) or much smaller (bytea:
 * half the bytes of hex). uuid has a binary decoder but is requested as
 * text: building the string from 16 bytes costs more than the native UTF-8
 * slice of 36. Parameters are
 * sent as text except bytea, which goes as raw bytes.
 */
import * as s from './scalars';
import * as b from './binary';
import * as g from './geometry';
import { parseDate, parseTime, parseTimestamp, parseTimestampBinary, serializeDate, serializeTimestamp } from './datetime';
import { parseInt8, parseInt8BinaryAs } from './int8';
import { parseInterval, serializeInterval } from './interval';
import { rangeRecord } from './derived';
import { ArrayOid, Oid } from './oids';
import type { TypeRecord } from './record';

type Name = keyof typeof ArrayOid;
type Parse = TypeRecord['parse'];
type Extra = Partial<Pick<TypeRecord, 'parseBinary' | 'serializeBinary' | 'binaryResults' | 'binaryParams' | 'delimiter'>>;

function rec(name: Name, parse: Parse, serialize: (v: unknown) => string, extra: Extra = {}): TypeRecord {
  return { oid: Oid[name], arrayOid: ArrayOid[name], name, parse, serialize, ...extra };
}

function binary(parseBinary: NonNullable<TypeRecord['parseBinary']>): Extra {
  return { parseBinary, binaryResults: true };
}

const INT2 = [-32768n, 32767n] as const;
const INT4 = [-2147483648n, 2147483647n] as const;
const INT8 = [-9223372036854775808n, 9223372036854775807n] as const;

const scalars: TypeRecord[] = [
  rec('bool', s.parseBool, s.serializeBool, binary(b.parseBoolBinary)),
  rec('int2', s.parseNumber, s.integerSerializer('int2', ...INT2), binary(b.parseInt2Binary)),
  rec('int4', s.parseNumber, s.integerSerializer('int4', ...INT4), binary(b.parseInt4Binary)),
  rec('int8', parseInt8, s.integerSerializer('int8', ...INT8), binary(parseInt8BinaryAs)),
  rec('oid', s.parseNumber, s.integerSerializer('oid', 0n, 4294967295n), binary(b.parseOidBinary)),
  rec('float4', s.parseFloat4Text, s.floatSerializer('float4'), binary(b.parseFloat4Binary)),
  rec('float8', s.parseFloatText, s.floatSerializer('float8'), binary(b.parseFloat8Binary)),
  rec('numeric', s.parseNumeric, s.serializeNumeric),
  rec('money', s.parseText, s.textSerializer('money')),
  rec('text', s.parseText, s.textSerializer('text')),
  rec('varchar', s.parseText, s.textSerializer('varchar')),
  rec('bpchar', s.parseText, s.textSerializer('bpchar')),
  rec('name', s.parseText, s.textSerializer('name')),
  rec('char', s.parseText, s.textSerializer('char')),
  rec('xml', s.parseText, s.textSerializer('xml')),
  rec('jsonpath', s.parseText, s.textSerializer('jsonpath')),
  rec('bit', s.parseText, s.stringSerializer('bit')),
  rec('varbit', s.parseText, s.stringSerializer('varbit')),
  rec('bytea', s.parseBytea, s.serializeBytea, {
    ...binary(b.parseByteaBinary), serializeBinary: b.serializeByteaBinary, binaryParams: true,
  }),
  rec('json', s.parseJson, s.serializeJson),
  rec('jsonb', s.parseJson, s.serializeJson),
  rec('uuid', s.parseText, s.serializeUuid, { parseBinary: b.parseUuidBinary }),
  rec('inet', s.parseText, s.stringSerializer('inet')),
  rec('cidr', s.parseText, s.stringSerializer('cidr')),
  rec('macaddr', s.parseText, s.stringSerializer('macaddr')),
  rec('macaddr8', s.parseText, s.stringSerializer('macaddr8')),
  rec('date', parseDate, serializeDate),
  rec('time', parseTime, s.stringSerializer('time')),
  rec('timetz', parseTime, s.stringSerializer('timetz')),
  rec('timestamp', parseTimestamp, serializeTimestamp, binary(parseTimestampBinary)),
  rec('timestamptz', parseTimestamp, serializeTimestamp, binary(parseTimestampBinary)),
  rec('interval', parseInterval, serializeInterval),
  rec('point', g.parsePoint, g.geometrySerializer('point', g.Point)),
  rec('line', g.parseLine, g.geometrySerializer('line', g.Line)),
  rec('lseg', g.parseLineSegment, g.geometrySerializer('lseg', g.LineSegment)),
  rec('box', g.parseBox, g.geometrySerializer('box', g.Box), { delimiter: ';' }),
  rec('path', g.parsePath, g.geometrySerializer('path', g.Path)),
  rec('polygon', g.parsePolygon, g.geometrySerializer('polygon', g.Polygon)),
  rec('circle', g.parseCircle, g.geometrySerializer('circle', g.Circle)),
];

const byName = new Map(scalars.map((r) => [r.name, r]));

function range(name: Name, element: string): TypeRecord {
  return rangeRecord(Oid[name], ArrayOid[name], name, byName.get(element) as TypeRecord);
}

/** Every built-in record (arrays are derived from `arrayOid` at registration). */
export const BUILTIN_RECORDS: readonly TypeRecord[] = [
  ...scalars,
  range('int4range', 'int4'),
  range('int8range', 'int8'),
  range('numrange', 'numeric'),
  range('tsrange', 'timestamp'),
  range('tstzrange', 'timestamptz'),
  range('daterange', 'date'),
];
