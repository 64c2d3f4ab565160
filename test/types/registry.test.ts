import { ArrayOid, Oid, Point, PreciseTimestamp, TypeRegistry, createDefaultRegistry, newType } from '../../src/types';
import { InterfaceError } from '../../src/errors/base';
import { TypeParseError } from '../../src/types/errors';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const be = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

describe('TypeRegistry decoders', () => {
  const registry = createDefaultRegistry();

  it.each([
    [Oid.bool, 't', true],
    [Oid.int4, '-7', -7],
    [Oid.int8, '9223372036854775807', 9223372036854775807n],
    [Oid.numeric, '3.14159265358979323846264338327950288419', '3.14159265358979323846264338327950288419'],
    [Oid.text, 'héllo 🐘', 'héllo 🐘'],
    [Oid.json, '{"a":[1,2]}', { a: [1, 2] }],
    [Oid.date, '2024-02-29', '2024-02-29'],
    [Oid.point, '(1,2)', new Point(1, 2)],
    [ArrayOid.int4, '{1,NULL,3}', [1, null, 3]],
    [ArrayOid.box, '{(3,4),(1,2);(1,1),(0,0)}', [{ high: new Point(3, 4), low: new Point(1, 2) }, { high: new Point(1, 1), low: new Point(0, 0) }]],
    [ArrayOid.timestamptz, '{"2024-01-02 03:04:05+00",infinity}', [new Date('2024-01-02T03:04:05Z'), Infinity]],
  ])('decodes text of oid %i: %j', (oid, text, value) => {
    expect(registry.decoder(oid, 0)(bytes(text))).toEqual(value);
  });

  it.each([
    [Oid.int4, '0000002a', 42],
    [Oid.int8, '8000000000000000', -9223372036854775808n],
    [Oid.float8, '7ff0000000000000', Infinity],
    [Oid.bool, '00', false],
    [Oid.uuid, 'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    [Oid.timestamptz, '0002b0ec8517d580', new Date('2024-01-02T03:04:05.123Z')],
  ])('decodes binary of oid %i: %s', (oid, hex, value) => {
    expect(registry.decoder(oid, 1)(be(hex))).toEqual(value);
  });

  it('decodes unknown oids as a string (text) or a copy of the bytes (binary)', () => {
    expect(registry.decoder(999999, 0)(bytes('raw'))).toBe('raw');
    const field = be('0102');
    const copy = registry.decoder(999999, 1)(field) as Uint8Array;
    field[0] = 9;
    expect([...copy]).toEqual([1, 2]);
  });

  it('returns the same cached decoder function for the same oid and format', () => {
    expect(registry.decoder(Oid.int4, 0)).toBe(registry.decoder(Oid.int4, 0));
    expect(registry.decoder(Oid.int4, 1)).not.toBe(registry.decoder(Oid.int4, 0));
  });

  it('switches timestamps to PreciseTimestamp when the option changes, even with a cached decoder', () => {
    const r = createDefaultRegistry();
    const decode = r.decoder(Oid.timestamptz, 0);
    expect(decode(bytes('2024-01-02 03:04:05.123456+00'))).toBeInstanceOf(Date);
    r.options.timestamps = 'precise';
    expect(decode(bytes('2024-01-02 03:04:05.123456+00'))).toEqual(new PreciseTimestamp(1704164645123456n));
    expect(r.decoder(Oid.timestamptz, 1)(be('0002b0ec8517d580'))).toEqual(new PreciseTimestamp(1704164645123456n));
  });

  it('asks for binary results only where a binary decoder exists and pays', () => {
    expect(registry.resultFormat(Oid.int8)).toBe(1);
    expect(registry.resultFormat(Oid.timestamptz)).toBe(1);
    expect(registry.resultFormat(Oid.numeric)).toBe(0);
    expect(registry.resultFormat(ArrayOid.int4)).toBe(1);
    expect(registry.resultFormat(ArrayOid.date)).toBe(0);
    expect(registry.resultFormat(Oid.money)).toBe(0);
    expect(registry.resultFormat(424242)).toBe(0);
  });
});

describe('TypeRegistry parameters', () => {
  const registry = createDefaultRegistry();

  it('encodes for the type the server expects: a JS array is JSON for json, an array literal for int4[]', () => {
    expect(registry.encodeParam([1, 2], Oid.json)).toBe('[1,2]');
    expect(registry.encodeParam([1, 2], Oid.jsonb)).toBe('[1,2]');
    expect(registry.encodeParam([1, 2], ArrayOid.int4)).toBe('{"1","2"}');
  });

  it('encodes null and undefined as NULL', () => {
    expect(registry.encodeParam(null, Oid.int4)).toBeNull();
    expect(registry.encodeParam(undefined, 0)).toBeNull();
  });

  it('infers from the JS value when the type is unknown (oid 0) or not registered', () => {
    expect(registry.encodeParam(5n, 0)).toBe('5');
    expect(registry.encodeParam({ a: 1 }, 0)).toBe('{"a":1}');
    expect(registry.encodeParam('x', 123456)).toBe('x');
  });

  it('sends bytea as binary and everything else as text', () => {
    expect(registry.paramFormat(Oid.bytea)).toBe(1);
    expect(registry.paramFormat(Oid.int4)).toBe(0);
    expect(registry.paramFormat(0)).toBe(0);
    const encoded = registry.encodeParam(Buffer.from([0, 255]), Oid.bytea);
    expect(encoded).toBeInstanceOf(Uint8Array);
    expect([...(encoded as Uint8Array)]).toEqual([0, 255]);
    expect(typeof registry.encodeParam(Buffer.from([0]), 0)).toBe('string');
  });

  it.each([
    ['abc', Oid.int4, 'int4'],
    [Symbol('s'), Oid.text, 'text'],
    [() => 1, 0, 'unknown'],
    [NaN, Oid.int2, 'int2'],
    [2n ** 63n, Oid.int8, 'int8'],
    [{ a: 1n }, Oid.jsonb, 'json'],
    [new Date(NaN), Oid.timestamptz, 'timestamp'],
    [[1, 'x'], ArrayOid.int4, 'int4'],
  ])('refuses %p for oid %i with an InterfaceError naming %s', (value, oid, name) => {
    let error: unknown;
    try {
      registry.encodeParam(value, oid);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as InterfaceError).code).toBe('ERR_BAD_PARAMETER');
    expect((error as Error).message).toContain(name);
  });

  it('wraps a foreign error from a user serializer in an InterfaceError with the cause', () => {
    const r = createDefaultRegistry().register({
      ...newType([777001], 'boom', (t) => t),
      serialize: () => {
        throw new RangeError('nope');
      },
    });
    expect(() => r.encodeParam(1, 777001)).toThrow(InterfaceError);
  });
});

describe('TypeRegistry registration', () => {
  it('registers a record with its derived array type and finds both by name', () => {
    const r = createDefaultRegistry().register(newType([777002], 'myint', (t) => Number(t) * 2));
    expect(r.byName('myint')?.oid).toBe(777002);
    expect(r.decoder(777002, 0)(bytes('21'))).toBe(42);
    expect(r.byName('_int4')?.oid).toBe(ArrayOid.int4);
    expect(r.byName('INT4[]')?.oid).toBe(ArrayOid.int4);
  });

  it('drops cached decoders when a record is registered', () => {
    const r = createDefaultRegistry();
    expect(r.decoder(Oid.int4, 0)(bytes('1'))).toBe(1);
    r.register({ ...newType([Oid.int4], 'int4', (t) => `int:${t}`), arrayOid: ArrayOid.int4 });
    expect(r.decoder(Oid.int4, 0)(bytes('1'))).toBe('int:1');
    expect(r.decoder(ArrayOid.int4, 0)(bytes('{1}'))).toEqual(['int:1']);
  });

  it('keeps registrations on a clone away from the original and from other clones', () => {
    const base = createDefaultRegistry();
    const a = base.clone();
    const b = base.clone();
    a.register(newType([Oid.int4], 'int4', () => 'a'));
    a.options.timestamps = 'precise';
    expect(a.decoder(Oid.int4, 0)(bytes('1'))).toBe('a');
    expect(b.decoder(Oid.int4, 0)(bytes('1'))).toBe(1);
    expect(base.decoder(Oid.int4, 0)(bytes('1'))).toBe(1);
    expect(base.options.timestamps).toBe('date');
  });

  it('keeps registrations on the source away from clones made before them, and passes them to clones made after', () => {
    const base = createDefaultRegistry();
    const before = base.clone();
    const grandchild = before.clone();
    base.register(newType([777003], 'later', () => 'base'));
    class Money { constructor(readonly cents: number) {} }
    base.registerAdapter(Money, (m) => String(m.cents / 100));
    const after = base.clone();
    for (const old of [before, grandchild]) {
      expect(old.get(777003)).toBeUndefined();
      expect(old.byName('later')).toBeUndefined();
      expect(old.encodeParam(new Money(150), 0)).not.toBe('1.5');
    }
    expect(after.decoder(777003, 0)(bytes('x'))).toBe('base');
    expect(after.byName('later[]')).toBeUndefined();
    expect(after.encodeParam(new Money(150), 0)).toBe('1.5');
    // a write on a grandchild reaches neither its source nor the source's source
    grandchild.register(newType([777004], 'grand', () => 'g'));
    grandchild.registerAdapter(Money, () => 'g');
    expect(before.get(777004)).toBeUndefined();
    expect(base.get(777004)).toBeUndefined();
    expect(base.encodeParam(new Money(150), 0)).toBe('1.5');
    expect(grandchild.get(777004)?.name).toBe('grand');
    expect(grandchild.encodeParam(new Money(1), 0)).toBe('g');
  });

  it('shares one default registry and starts empty when constructed directly', () => {
    expect(TypeRegistry.default()).toBe(TypeRegistry.default());
    expect(new TypeRegistry().get(Oid.int4)).toBeUndefined();
    expect(createDefaultRegistry().get(Oid.int4)?.name).toBe('int4');
  });
});

describe('TypeRegistry decoders on text they cannot read (found by npm run fuzz)', () => {
  const precise = createDefaultRegistry({ timestamps: 'precise' });

  it.each([
    ['json', Oid.json, 0, '{"a": [1,', SyntaxError],
    ['jsonb[]', ArrayOid.jsonb, 0, '{"{\\"k\\": }"}', SyntaxError],
    ['int8', Oid.int8, 0, '92233720368547758x7', SyntaxError],
    ['int8[]', ArrayOid.int8, 0, '{1,x}', SyntaxError],
    ['int8range', Oid.int8range, 0, '[1,z)', SyntaxError],
    ['timestamptz', Oid.timestamptz, 0, '999999999-01-01 00:00:00+00', RangeError],
  ] as const)('%s: a TypeParseError naming the type, the original error as its cause', (name, oid, format, text, causeType) => {
    let thrown: unknown;
    try {
      precise.decoder(oid, format)(bytes(text));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TypeParseError);
    expect((thrown as TypeParseError).code).toBe('ERR_TYPE_PARSE');
    expect((thrown as TypeParseError).typeName).toBe(name);
    expect((thrown as Error).cause).toBeInstanceOf(causeType);
  });

  it('keeps the error of a parser that already throws a library error', () => {
    expect(() => precise.decoder(ArrayOid.int4, 0)(bytes('{1,'))).toThrow(TypeParseError);
    expect(() => precise.decoder(Oid.int4, 1)(be('0001'))).toThrow(/int4 value "0001": expected 4 bytes, got 2/);
  });

  it('wraps what a user parser throws', () => {
    const r = createDefaultRegistry();
    r.register(newType([777003], 'picky', () => { throw new Error('no'); }));
    expect(() => r.decoder(777003, 0)(bytes('x'))).toThrow(expect.objectContaining({ code: 'ERR_TYPE_PARSE', typeName: 'picky', cause: new Error('no') }));
  });
});
