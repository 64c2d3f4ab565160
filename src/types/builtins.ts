/**
 * The built-in type records: what `createDefaultRegistry()` registers.
 *
 * Every built-in type except money (whose text depends on lc_monetary) has
 * a binary reading, giving the value its text parser gives; results ask for
 * binary only where decoding it is faster (bench/decode-types.ts, table in
 * docs/guide/performance.md "Formats per type"): integers, floats, bool,
 * bytea (half the bytes of hex), timestamps, interval, the geometric types,
 * arrays of those and of text-like types, and ranges of binary elements. Types whose JS value is their text (numeric, date, time,
 * timetz, inet, macaddr, text, json, uuid) stay text: the native UTF-8 slice
 * beats building the string from bytes. Parameters are sent as text except
 * bytea, which goes as raw bytes.
 */
import * as s from './scalars';
import * as b from './binary';
import * as g from './geometry';
import * as bt from './binary-text';
import * as bv from './binary-values';
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

/** A binary reading that results do not ask for (text is as fast or faster), kept for arrays/ranges and pgoutput. */
function reads(parseBinary: NonNullable<TypeRecord['parseBinary']>): Extra {
  return { parseBinary };
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
  rec('numeric', s.parseNumeric, s.serializeNumeric, reads(bt.numericText)),
  rec('money', s.parseText, s.textSerializer('money')),
  rec('text', s.parseText, s.textSerializer('text'), reads(bv.parseTextBinary)),
  rec('varchar', s.parseText, s.textSerializer('varchar'), reads(bv.parseTextBinary)),
  rec('bpchar', s.parseText, s.textSerializer('bpchar'), reads(bv.parseTextBinary)),
  rec('name', s.parseText, s.textSerializer('name'), reads(bv.parseTextBinary)),
  rec('char', s.parseText, s.textSerializer('char'), reads(bt.charText)),
  rec('xml', s.parseText, s.textSerializer('xml'), reads(bv.parseTextBinary)),
  rec('jsonpath', s.parseText, s.textSerializer('jsonpath'), reads(bv.parseJsonpathBinary)),
  rec('bit', s.parseText, s.stringSerializer('bit'), reads(bt.bitText)),
  rec('varbit', s.parseText, s.stringSerializer('varbit'), reads(bt.bitText)),
  rec('bytea', s.parseBytea, s.serializeBytea, {
    ...binary(b.parseByteaBinary), serializeBinary: b.serializeByteaBinary, binaryParams: true,
  }),
  rec('json', s.parseJson, s.serializeJson, reads(bv.parseJsonBinary)),
  rec('jsonb', s.parseJson, s.serializeJson, reads(bv.parseJsonbBinary)),
  rec('uuid', s.parseText, s.serializeUuid, { parseBinary: b.parseUuidBinary }),
  rec('inet', s.parseText, s.stringSerializer('inet'), reads(bt.inetValueText)),
  rec('cidr', s.parseText, s.stringSerializer('cidr'), reads(bt.cidrText)),
  rec('macaddr', s.parseText, s.stringSerializer('macaddr'), reads(bt.macaddrText)),
  rec('macaddr8', s.parseText, s.stringSerializer('macaddr8'), reads(bt.macaddr8Text)),
  rec('date', parseDate, serializeDate, reads(bt.dateText)),
  rec('time', parseTime, s.stringSerializer('time'), reads(bt.timeText)),
  rec('timetz', parseTime, s.stringSerializer('timetz'), reads(bt.timetzText)),
  rec('timestamp', parseTimestamp, serializeTimestamp, binary(parseTimestampBinary)),
  rec('timestamptz', parseTimestamp, serializeTimestamp, binary(parseTimestampBinary)),
  rec('interval', parseInterval, serializeInterval, binary(bv.parseIntervalBinary)),
  rec('point', g.parsePoint, g.geometrySerializer('point', g.Point), binary(bv.parsePointBinary)),
  rec('line', g.parseLine, g.geometrySerializer('line', g.Line), binary(bv.parseLineBinary)),
  rec('lseg', g.parseLineSegment, g.geometrySerializer('lseg', g.LineSegment), binary(bv.parseLineSegmentBinary)),
  rec('box', g.parseBox, g.geometrySerializer('box', g.Box), { ...binary(bv.parseBoxBinary), delimiter: ';' }),
  rec('path', g.parsePath, g.geometrySerializer('path', g.Path), binary(bv.parsePathBinary)),
  rec('polygon', g.parsePolygon, g.geometrySerializer('polygon', g.Polygon), binary(bv.parsePolygonBinary)),
  rec('circle', g.parseCircle, g.geometrySerializer('circle', g.Circle), binary(bv.parseCircleBinary)),
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
