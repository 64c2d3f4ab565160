import { Oid, TypeRegistry, createDefaultRegistry, newArrayType, newType, registerAdapter, registerType } from '../../src/types';

/** The seed's psycopg2 example: a user class mapped to the point type. */
class Point {
  constructor(readonly x: number, readonly y: number) {}
}

function castPoint(value: string | null): Point | null {
  if (value === null) return null;
  const m = /\(([^)]+),([^)]+)\)/.exec(value);
  if (m === null) throw new Error(`bad point representation: ${value}`);
  return new Point(parseFloat(m[1]), parseFloat(m[2]));
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

describe('psycopg2-style registration', () => {
  it('register_adapter: instances of a user class serialize through the adapter', () => {
    const registry = createDefaultRegistry();
    registerAdapter(Point, (p) => `(${p.x},${p.y})`, registry);
    expect(registry.encodeParam(new Point(1.23, 4.56), Oid.point)).toBe('(1.23,4.56)');
    expect(registry.encodeParam(new Point(1, 2), 0)).toBe('(1,2)');
  });

  it('register_adapter applies to subclasses and may declare the type oid', () => {
    class Point3 extends Point {}
    const registry = createDefaultRegistry();
    registry.registerAdapter(Point, (p) => ({ oid: Oid.point, text: `(${p.x},${p.y})` }));
    expect(registry.encodeParam(new Point3(0, 1), Oid.point)).toBe('(0,1)');
    expect(registry.paramTypeOid(new Point3(0, 1))).toBe(Oid.point);
    expect(registry.paramTypeOid('plain')).toBe(0);
  });

  it('new_type / register_type: a caster turns point text into the user class', () => {
    const registry = createDefaultRegistry();
    const POINT = newType([Oid.point], 'POINT', castPoint);
    registerType(POINT, registry);
    expect(registry.decoder(Oid.point, 0)(bytes('(10.2,20.3)'))).toEqual(new Point(10.2, 20.3));
  });

  it('new_array_type: arrays of the new type decode element by element, NULLs as null', () => {
    const registry = createDefaultRegistry();
    const POINT = newType([Oid.point], 'POINT', castPoint);
    registry.register(POINT).register(newArrayType([1017], 'POINT[]', POINT));
    expect(registry.decoder(1017, 0)(bytes('{"(1,2)",NULL}'))).toEqual([new Point(1, 2), null]);
  });

  it('new_type accepts several oids for one caster', () => {
    const registry = createDefaultRegistry().register(newType([Oid.varchar, Oid.bpchar], 'UPPER', (t) => t?.toUpperCase()));
    expect(registry.decoder(Oid.varchar, 0)(bytes('ab'))).toBe('AB');
    expect(registry.decoder(Oid.bpchar, 0)(bytes('cd'))).toBe('CD');
  });

  it('registers globally on the default registry, which later clones inherit', () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    registerAdapter(Money, (m) => (m.cents / 100).toFixed(2));
    const connectionRegistry = TypeRegistry.default().clone();
    expect(connectionRegistry.encodeParam(new Money(1234), Oid.numeric)).toBe('12.34');
  });
});
