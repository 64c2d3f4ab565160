/**
 * Geometric types: point, line, lseg, box, path, polygon, circle.
 *
 * Theory of operation. Each type is a small class whose `toPostgres()`
 * writes the server's text form, so values read back can be written back.
 * Parsing pulls the numbers out of the text in order (the punctuation only
 * tells open from closed paths) and checks their count. Text forms:
 * point `(x,y)`, line `{A,B,C}`, lseg `[(x1,y1),(x2,y2)]`, box
 * `(x1,y1),(x2,y2)`, path `((x,y),...)` closed or `[(x,y),...]` open,
 * polygon `((x,y),...)`, circle `<(x,y),r>`.
 */
import { TypeParseError, badParam } from './errors';
import { formatFloat } from './scalars';

const NUMBER = /[+-]?(?:Infinity|inf|NaN|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/gi;

/** A point `(x,y)`; the `Point` of psycopg2's adaptation example. */
export class Point {
  constructor(readonly x: number, readonly y: number) {}
  /** `(x,y)` */
  toPostgres(): string {
    return `(${formatFloat(this.x)},${formatFloat(this.y)})`;
  }
}

/** An infinite line `Ax + By + C = 0`, written `{A,B,C}`. */
export class Line {
  constructor(readonly a: number, readonly b: number, readonly c: number) {}
  /** `{A,B,C}` */
  toPostgres(): string {
    return `{${formatFloat(this.a)},${formatFloat(this.b)},${formatFloat(this.c)}}`;
  }
}

/** A line segment between two points, written `[(x1,y1),(x2,y2)]`. */
export class LineSegment {
  constructor(readonly start: Point, readonly end: Point) {}
  /** `[(x1,y1),(x2,y2)]` */
  toPostgres(): string {
    return `[${this.start.toPostgres()},${this.end.toPostgres()}]`;
  }
}

/** A box given by two opposite corners; the server stores upper-right first. */
export class Box {
  constructor(readonly high: Point, readonly low: Point) {}
  /** `(x1,y1),(x2,y2)` */
  toPostgres(): string {
    return `${this.high.toPostgres()},${this.low.toPostgres()}`;
  }
}

/** A path of points, open (`[...]`) or closed (`(...)`). */
export class Path {
  constructor(readonly points: readonly Point[], readonly closed: boolean) {}
  /** `((x,y),...)` or `[(x,y),...]` */
  toPostgres(): string {
    const inner = this.points.map((p) => p.toPostgres()).join(',');
    return this.closed ? `(${inner})` : `[${inner}]`;
  }
}

/** A polygon: a closed list of points. */
export class Polygon {
  constructor(readonly points: readonly Point[]) {}
  /** `((x,y),...)` */
  toPostgres(): string {
    return `(${this.points.map((p) => p.toPostgres()).join(',')})`;
  }
}

/** A circle given by its center and radius, written `<(x,y),r>`. */
export class Circle {
  constructor(readonly center: Point, readonly radius: number) {}
  /** `<(x,y),r>` */
  toPostgres(): string {
    return `<${this.center.toPostgres()},${formatFloat(this.radius)}>`;
  }
}

function numbers(typeName: string, text: string, count?: number): number[] {
  const found = text.match(NUMBER) ?? [];
  const ok = count === undefined ? found.length > 0 && found.length % 2 === 0 : found.length === count;
  if (!ok) throw new TypeParseError(typeName, text, `expected ${count ?? 'an even number of'} numbers`);
  return found.map(parseFloat);
}

function points(ns: number[]): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < ns.length; i += 2) out.push(new Point(ns[i], ns[i + 1]));
  return out;
}

/** Parses `(x,y)`. */
export function parsePoint(text: string): Point {
  const [x, y] = numbers('point', text, 2);
  return new Point(x, y);
}

/** Parses `{A,B,C}`. */
export function parseLine(text: string): Line {
  const [a, b, c] = numbers('line', text, 3);
  return new Line(a, b, c);
}

/** Parses `[(x1,y1),(x2,y2)]`. */
export function parseLineSegment(text: string): LineSegment {
  const [p, q] = points(numbers('lseg', text, 4));
  return new LineSegment(p, q);
}

/** Parses `(x1,y1),(x2,y2)`. */
export function parseBox(text: string): Box {
  const [p, q] = points(numbers('box', text, 4));
  return new Box(p, q);
}

/** Parses an open `[...]` or closed `(...)` path. */
export function parsePath(text: string): Path {
  return new Path(points(numbers('path', text)), !text.startsWith('['));
}

/** Parses `((x,y),...)`. */
export function parsePolygon(text: string): Polygon {
  return new Polygon(points(numbers('polygon', text)));
}

/** Parses `<(x,y),r>`. */
export function parseCircle(text: string): Circle {
  const [x, y, r] = numbers('circle', text, 3);
  return new Circle(new Point(x, y), r);
}

/**
 * Returns a serializer for a geometric type: an instance of `cls` (or any
 * object with a `toPostgres()`) is written by it, a string passes as is.
 * Plain `{x, y}` objects are accepted for point.
 */
export function geometrySerializer(typeName: string, cls: abstract new (...args: never[]) => unknown): (value: unknown) => string {
  return (value) => {
    if (value instanceof cls) return (value as { toPostgres(): string }).toPostgres();
    if (typeof value === 'string') return value;
    if (typeName === 'point' && isXY(value)) return new Point(value.x, value.y).toPostgres();
    throw badParam(typeName, value);
  };
}

function isXY(value: unknown): value is { x: number; y: number } {
  const v = value as { x?: unknown; y?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.x === 'number' && typeof v.y === 'number';
}
