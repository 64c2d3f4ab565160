import {
  Box, Circle, Line, LineSegment, Path, Point, Polygon, geometrySerializer, parseBox, parseCircle, parseLine,
  parseLineSegment, parsePath, parsePoint, parsePolygon,
} from '../../src/types/geometry';
import { TypeParseError } from '../../src/types/errors';
import { InterfaceError } from '../../src/errors/base';

const P = (x: number, y: number): Point => new Point(x, y);

// Texts as printed by PostgreSQL 15.
const table: [string, (t: string) => { toPostgres(): string }, string, unknown][] = [
  ['point', parsePoint, '(1.23,4.56)', P(1.23, 4.56)],
  ['point', parsePoint, '(-1e+300,NaN)', P(-1e300, NaN)],
  ['point', parsePoint, '(Infinity,-Infinity)', P(Infinity, -Infinity)],
  ['line', parseLine, '{1,-1,0.5}', new Line(1, -1, 0.5)],
  ['lseg', parseLineSegment, '[(0,0),(1.5,-2)]', new LineSegment(P(0, 0), P(1.5, -2))],
  ['box', parseBox, '(2,3),(0,1)', new Box(P(2, 3), P(0, 1))],
  ['path', parsePath, '[(0,0),(1,1),(2,0)]', new Path([P(0, 0), P(1, 1), P(2, 0)], false)],
  ['path', parsePath, '((0,0),(1,1))', new Path([P(0, 0), P(1, 1)], true)],
  ['polygon', parsePolygon, '((0,0),(0,1),(1,1))', new Polygon([P(0, 0), P(0, 1), P(1, 1)])],
  ['circle', parseCircle, '<(1,2),3.5>', new Circle(P(1, 2), 3.5)],
];

describe('geometric types', () => {
  it.each(table)('parses %s %j', (_type, parse, text, value) => {
    expect(parse(text)).toEqual(value);
  });

  it.each(table)('writes %s %j back in the same text form', (_type, parse, text) => {
    expect(parse(text).toPostgres()).toBe(text);
  });

  it.each([
    [parsePoint, '(1)'], [parseLine, '{1,2}'], [parseBox, '(1,2)'], [parsePath, '()'], [parseCircle, 'circle'],
    [parsePolygon, '((1,2),(3))'],
  ])('rejects malformed text with TypeParseError (%#)', (parse, text) => {
    expect(() => parse(text)).toThrow(TypeParseError);
  });

  it('serializes instances, plain {x, y} objects for point, and strings', () => {
    const point = geometrySerializer('point', Point);
    expect(point(P(1, -0))).toBe('(1,-0)');
    expect(point({ x: 1, y: 2 })).toBe('(1,2)');
    expect(point('(3,4)')).toBe('(3,4)');
    expect(() => point({ x: '1' })).toThrow(InterfaceError);
    expect(() => geometrySerializer('circle', Circle)(P(1, 2))).toThrow(/circle/);
  });
});
