/**
 * Records derived from other records: the array type of a base type, and
 * the range type over an element type. A derived record delegates each
 * element to its base record's codec, so registering a new base codec and
 * its array type yields both.
 */
import { parseArray, serializeArray } from './arrays';
import { parseArrayBinary, parseRangeBinary } from './binary-arrays';
import { binaryArrays, elementReader } from './binary-elements';
import { parseRange, rangeSerializer } from './ranges';
import type { TypeRecord } from './record';

/**
 * The record of `base[]` under `arrayOid` (elements through `base`). When
 * `base` has a `parseBinary`, the array has one too, and asks for binary
 * results when that is the faster path (see `binaryArrays`; measured in
 * bench/decode-types.ts).
 */
export function arrayRecord(base: TypeRecord, arrayOid = base.arrayOid, name = `${base.name}[]`): TypeRecord<unknown[]> {
  const delimiter = base.delimiter ?? ',';
  const parseElement = base.parse.bind(base);
  const serializeElement = base.serialize.bind(base);
  return {
    oid: arrayOid,
    arrayOid: 0,
    name,
    parse: (text, options) => parseArray(text, parseElement, options, delimiter, name),
    serialize: (value) => (typeof value === 'string' ? value : serializeArray(value, serializeElement, delimiter, name)),
    ...(base.parseBinary === undefined ? {} : arrayBinary(base, name)),
  };
}

function arrayBinary(base: TypeRecord, name: string): Partial<TypeRecord<unknown[]>> {
  const read = elementReader(base);
  return { parseBinary: (bytes, options) => parseArrayBinary(bytes, read, options, name), binaryResults: binaryArrays(base) };
}

/**
 * The record of a range type over `element`; with a binary reading when
 * `element` has a `parseBinary`, asked for when the element's is.
 */
export function rangeRecord(oid: number, arrayOid: number, name: string, element: TypeRecord): TypeRecord {
  const parseElement = element.parse.bind(element);
  return {
    oid,
    arrayOid,
    name,
    parse: (text, options) => parseRange(text, parseElement, options, name),
    serialize: rangeSerializer(name, element.serialize.bind(element)),
    ...(element.parseBinary === undefined ? {} : rangeBinary(element.parseBinary.bind(element), name, element.binaryResults === true)),
  };
}

function rangeBinary(parseElement: NonNullable<TypeRecord['parseBinary']>, name: string, binaryResults: boolean): Partial<TypeRecord> {
  return { parseBinary: (bytes, options) => parseRangeBinary(bytes, parseElement, options, name), binaryResults };
}
