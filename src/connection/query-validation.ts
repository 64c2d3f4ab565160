/**
 * Query validation: everything about a call that can be checked before it
 * is queued, checked before it is queued.
 *
 * A request that fails here has sent nothing and cached nothing: the SQL
 * text must be a string without NUL bytes, the parameters an array (at most
 * {@link MAX_PARAMETERS}), `simple` cannot carry parameters, `timeout` must
 * be a non-negative finite number of milliseconds, `signal` an AbortSignal
 * (one already aborted fails the call with `CancelledError`), `rowFactory`
 * a function, `'object'` or `'tuple'`. Every failure is an
 * {@link InterfaceError} with a stable code; parameter values never appear
 * in its message.
 */
import { CancelledError, InterfaceError } from '../errors/base';

/** The most parameters one statement may have (the protocol's unsigned 16-bit count). */
export const MAX_PARAMETERS = 65_535;

/** The options validated here (a subset of QueryOptions, kept free of the Connection type). */
export interface CheckedOptions {
  signal?: unknown;
  timeout?: unknown;
  rowFactory?: unknown;
  simple?: unknown;
}

/** The reason the call must not run, or null when it may. */
export function invalidQuery(sql: unknown, params: unknown, options: unknown): Error | null {
  return invalidSql(sql) ?? invalidParams(params) ?? invalidOptions(options, params);
}

function invalidSql(sql: unknown): Error | null {
  if (typeof sql !== 'string') return misuse(`the SQL text must be a string, got ${kind(sql)}`, 'ERR_INVALID_SQL');
  if (sql.includes('\0')) return misuse('the SQL text contains a NUL byte, which PostgreSQL cannot accept', 'ERR_INVALID_SQL');
  return null;
}

function invalidParams(params: unknown): Error | null {
  if (!Array.isArray(params)) return misuse(`the parameters must be an array, got ${kind(params)}`, 'ERR_INVALID_PARAMS');
  if (params.length > MAX_PARAMETERS) {
    return misuse(`${params.length} parameters given; a statement takes at most ${MAX_PARAMETERS}`, 'ERR_TOO_MANY_PARAMETERS');
  }
  return null;
}

function invalidOptions(options: unknown, params: unknown): Error | null {
  if (options === null || typeof options !== 'object') return misuse(`the options must be an object, got ${kind(options)}`, 'ERR_INVALID_OPTION');
  const o = options as CheckedOptions;
  if (o.simple === true && (params as unknown[]).length > 0) {
    return misuse('simple: true cannot send parameters (the simple Query protocol has none); drop simple or the parameters', 'ERR_INVALID_OPTION');
  }
  if (o.timeout !== undefined && (typeof o.timeout !== 'number' || !Number.isFinite(o.timeout) || o.timeout < 0)) {
    return misuse(`timeout must be a non-negative finite number of milliseconds, got ${kind(o.timeout)}`, 'ERR_INVALID_OPTION');
  }
  if (o.rowFactory !== undefined && typeof o.rowFactory !== 'function' && o.rowFactory !== 'object' && o.rowFactory !== 'tuple') {
    return misuse(`rowFactory must be a function, 'object' or 'tuple', got ${kind(o.rowFactory)}`, 'ERR_INVALID_OPTION');
  }
  return invalidSignal(o.signal);
}

function invalidSignal(signal: unknown): Error | null {
  if (signal === undefined) return null;
  if (typeof AbortSignal === 'undefined' || !(signal instanceof AbortSignal)) return misuse(`signal must be an AbortSignal, got ${kind(signal)}`, 'ERR_INVALID_OPTION');
  if (signal.aborted) return new CancelledError('the signal was already aborted: nothing was sent', { cause: signal.reason });
  return null;
}

function misuse(message: string, code: string): InterfaceError {
  return new InterfaceError(message, { code });
}

/** A short description of a value's kind (never the value itself: it may be a secret). */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `a number (${value})`;
  return `a ${typeof value}`;
}
