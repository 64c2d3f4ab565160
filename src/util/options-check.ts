/**
 * Checking an options object at a public constructor: a wrong type fails at
 * once with an `InterfaceError` (`ERR_INVALID_ARGUMENT`) naming the class,
 * the option and what it must be, instead of surfacing later as a
 * TypeError deep in the driver. Only the options a spec names are checked;
 * values are never quoted (an option may hold a secret), only their type.
 */
import { InterfaceError } from '../errors/base';

/** What one option must be. */
export type OptionKind = 'object' | 'function' | 'boolean' | 'string' | 'nonNegative' | 'nonNegativeInt' | 'positiveInt' | 'stringOrObject';

const TESTS: Record<OptionKind, [string, (v: unknown) => boolean]> = {
  object: ['an object', (v) => typeof v === 'object' && v !== null],
  function: ['a function', (v) => typeof v === 'function'],
  boolean: ['a boolean', (v) => typeof v === 'boolean'],
  string: ['a string', (v) => typeof v === 'string'],
  nonNegative: ['a number >= 0', (v) => typeof v === 'number' && v >= 0 && !Number.isNaN(v)],
  nonNegativeInt: ['an integer >= 0', (v) => Number.isInteger(v) && (v as number) >= 0],
  positiveInt: ['an integer >= 1', (v) => Number.isInteger(v) && (v as number) >= 1],
  stringOrObject: ['a connection string or a parameter object', (v) => typeof v === 'string' || (typeof v === 'object' && v !== null)],
};

/**
 * Throws when `options` is not an object (undefined is fine: all defaults),
 * or when an option named in `spec` is given (not undefined) with the
 * wrong kind.
 */
export function checkOptions(owner: string, options: unknown, spec: Readonly<Record<string, OptionKind>>): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InterfaceError(`${owner} options must be an object, not ${describe(options)}`, { code: 'ERR_INVALID_ARGUMENT' });
  }
  // the spec's own keys with an index loop, not Object.entries: every `new Connection()` comes here, and the entry arrays cost ~2 KB per call
  const keys = Object.keys(spec);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const [what, ok] = TESTS[spec[key]];
    if (!ok(value)) throw new InterfaceError(`${owner} option "${key}" must be ${what}, not ${describe(value)}`, { code: 'ERR_INVALID_ARGUMENT' });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  return `a ${typeof value}`;
}
