/**
 * Binary decoders of the built-in types whose JS value is not their text:
 * text-like types, json/jsonb/jsonpath, interval and the geometric types.
 *
 * Each gives exactly the value the type's text parser gives for the same
 * datum (checked against a real server by test/types/binary-vs-text.test.ts).
 * The float8 coordinates of geometric types are read exactly, which the
 * text path matches because the server prints floats as the shortest text
 * that reads back exactly (extra_float_digits >= 1, the default).
 */
import { TypeParseError } from './errors';
import { readInt32, readInt64, readUint32 } from './binary';
import { Box, Circle, Line, LineSegment, Path, Point, Polygon } from './geometry';
import { Interval } from './interval';
import { toHex, utf8 } from './text';

const scratch = new DataView(new ArrayBuffer(8));

function expectLength(typeName: string, b: Uint8Array, n: number): void {
  if (b.length !== n) throw new TypeParseError(typeName, toHex(b), `expected ${n} bytes, got ${b.length}`);
}

/** text, varchar, bpchar, name, xml, json: the binary form is the UTF-8 text itself. */
export function parseTextBinary(b: Uint8Array): string {
  return utf8(b);
}

/** jsonb / jsonpath: a version byte (1), then the text. */
export function versionedText(typeName: string, b: Uint8Array): string {
  if (b.length < 1 || b[0] !== 1) throw new TypeParseError(typeName, toHex(b), `unsupported binary format version ${b[0]}`);
  return utf8(b.subarray(1));
}

/** json: the UTF-8 text, parsed. */
export function parseJsonBinary(b: Uint8Array): unknown {
  return JSON.parse(utf8(b));
}

/** jsonb: a version byte (1), then the text, parsed. */
export function parseJsonbBinary(b: Uint8Array): unknown {
  return JSON.parse(versionedText('jsonb', b));
}

/** jsonpath: a version byte (1), then the text. */
export function parseJsonpathBinary(b: Uint8Array): string {
  return versionedText('jsonpath', b);
}

/** interval: int64 microseconds, int32 days, int32 months. */
export function parseIntervalBinary(b: Uint8Array): Interval {
  expectLength('interval', b, 16);
  return new Interval(readInt32(b, 12), readInt32(b, 8), readInt64(b, 0));
}

function float8At(b: Uint8Array, at: number): number {
  scratch.setUint32(0, readUint32(b, at));
  scratch.setUint32(4, readUint32(b, at + 4));
  return scratch.getFloat64(0);
}

function pointAt(b: Uint8Array, at: number): Point {
  return new Point(float8At(b, at), float8At(b, at + 8));
}

/** point: x, y as float8. */
export function parsePointBinary(b: Uint8Array): Point {
  expectLength('point', b, 16);
  return pointAt(b, 0);
}

/** line: A, B, C as float8. */
export function parseLineBinary(b: Uint8Array): Line {
  expectLength('line', b, 24);
  return new Line(float8At(b, 0), float8At(b, 8), float8At(b, 16));
}

/** lseg: two points. */
export function parseLineSegmentBinary(b: Uint8Array): LineSegment {
  expectLength('lseg', b, 32);
  return new LineSegment(pointAt(b, 0), pointAt(b, 16));
}

/** box: the high corner, then the low corner (as the text form prints them). */
export function parseBoxBinary(b: Uint8Array): Box {
  expectLength('box', b, 32);
  return new Box(pointAt(b, 0), pointAt(b, 16));
}

/** circle: the center, then the radius. */
export function parseCircleBinary(b: Uint8Array): Circle {
  expectLength('circle', b, 24);
  return new Circle(pointAt(b, 0), float8At(b, 16));
}

function countedPoints(typeName: string, b: Uint8Array, at: number): Point[] {
  const n = b.length >= at + 4 ? readInt32(b, at) : -1;
  if (n < 0 || b.length !== at + 4 + n * 16) throw new TypeParseError(typeName, toHex(b), `bad point count ${n}`);
  const points: Point[] = [];
  for (let i = 0; i < n; i++) points.push(pointAt(b, at + 4 + i * 16));
  return points;
}

/** path: a closed flag byte, a point count, the points. */
export function parsePathBinary(b: Uint8Array): Path {
  return new Path(countedPoints('path', b, 1), b[0] !== 0);
}

/** polygon: a point count, the points. */
export function parsePolygonBinary(b: Uint8Array): Polygon {
  return new Polygon(countedPoints('polygon', b, 0));
}
