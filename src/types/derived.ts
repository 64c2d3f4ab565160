/**
 * Records derived from other records: the array type of a base type, and
 * the range type over an element type. A derived record delegates each
 * element to its base record's codec, so registering a new base codec and
 * its array type yields both.
 */
import { parseArray, serializeArray } from './arrays';
import { parseRange, rangeSerializer } from './ranges';
import type { TypeRecord } from './record';

/** The record of `base[]` under `arrayOid` (text format; elements through `base`). */
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
  };
}

/** The record of a range type over `element` (text format). */
export function rangeRecord(oid: number, arrayOid: number, name: string, element: TypeRecord): TypeRecord {
  const parseElement = element.parse.bind(element);
  return {
    oid,
    arrayOid,
    name,
    parse: (text, options) => parseRange(text, parseElement, options, name),
    serialize: rangeSerializer(name, element.serialize.bind(element)),
  };
}
