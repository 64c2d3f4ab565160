/**
 * objectRowFactory: rows keyed by column name, built by a compiled object
 * literal per column list (or a loop where code generation is refused),
 * with the same result either way.
 */
import { objectRowFactory, rowCountOf, type Column } from '../../src/connection/rows';

const columns = (...names: string[]): Column[] =>
  names.map((name) => ({ name, typeOid: 25, tableOid: 0, columnAttr: 0, typeSize: -1, typeModifier: -1, format: 0 }));

/** The cases every builder must get right: the names and values in, the row out. */
function expectRows(factory: typeof objectRowFactory): void {
  expect(factory(columns('a', 'b'))([1, 'x'])).toEqual({ a: 1, b: 'x' });
  // a later duplicate wins, at the first one's place
  const dup = factory(columns('a', 'b', 'a'))([1, 2, 3]);
  expect(dup).toEqual({ a: 3, b: 2 });
  expect(Object.keys(dup)).toEqual(['a', 'b']);
  // names that would break out of a quoted key, and odd characters, stay exact
  const odd = ['"); throw new Error("x', "it's", 'back\\slash', 'new\nline', 'ünï ☃', '', '1', 'constructor'];
  const row = factory(columns(...odd))(odd.map((_, i) => i));
  expect(Object.keys(row).sort()).toEqual([...odd].sort());
  odd.forEach((n, i) => expect(row[n]).toBe(i));
  // __proto__ is an own data property; the prototype is untouched
  const proto = factory(columns('__proto__', 'z'))([{ polluted: true }, 1]);
  expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  expect(Object.prototype.hasOwnProperty.call(proto, '__proto__')).toBe(true);
  expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toEqual({ polluted: true });
  expect((proto as { polluted?: unknown }).polluted).toBeUndefined();
  expect(Object.keys(proto)).toEqual(['__proto__', 'z']);
  // each call makes a new object
  const build = factory(columns('a'));
  expect(build([1])).not.toBe(build([1]));
}

describe('objectRowFactory', () => {
  it('keys rows by column name: duplicates, odd names and __proto__ as own properties', () => {
    expectRows(objectRowFactory);
  });

  it('reuses one compiled builder per column list', () => {
    const a = objectRowFactory(columns('p', 'q'));
    const b = objectRowFactory(columns('p', 'q'));
    expect(a).toBe(b);
    expect(objectRowFactory(columns('p', 'r'))).not.toBe(a);
  });

  it('builds the same rows where code generation is refused (CSP without unsafe-eval)', () => {
    const realFunction = globalThis.Function;
    jest.isolateModules(() => {
      const refusing = function () {
        throw new EvalError('Code generation from strings disallowed for this context');
      } as unknown as FunctionConstructor;
      globalThis.Function = refusing;
      try {
        const isolated = require('../../src/connection/rows') as typeof import('../../src/connection/rows');
        expectRows(isolated.objectRowFactory);
      } finally {
        globalThis.Function = realFunction;
      }
    });
  });
});

describe('rowCountOf', () => {
  it('reads the digits after the last space of a command tag, and -1 where there are none', () => {
    expect(rowCountOf('SELECT 5')).toBe(5);
    expect(rowCountOf('INSERT 0 3')).toBe(3);
    expect(rowCountOf('UPDATE 1234567890123')).toBe(1234567890123);
    expect(rowCountOf('COPY 0')).toBe(0);
    for (const none of [null, '', 'BEGIN', 'SELECT ', 'SET x', 'UPDATE 1a', '12']) expect(rowCountOf(none)).toBe(-1);
  });
});
