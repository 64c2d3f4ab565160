/**
 * Errors raised by the type codecs.
 *
 * A value the server sent that a parser cannot read is a {@link TypeParseError};
 * a JS value that cannot be sent as a parameter of the expected type is an
 * {@link InterfaceError} (the caller's fault), built by {@link badParam}.
 */
import { InterfaceError, PgError } from '../errors/base';

/** Longest excerpt of the offending text quoted in an error message. */
const EXCERPT = 60;

/** A value in a result could not be parsed as its declared type; `typeName` and `text` say which. */
export class TypeParseError extends PgError {
  /** The PostgreSQL type name, e.g. `int4[]`. */
  readonly typeName: string;
  /** The offending text (cut to 60 characters). */
  readonly text: string;

  constructor(typeName: string, text: string, reason: string, options?: { cause?: unknown }) {
    const excerpt = text.length > EXCERPT ? `${text.slice(0, EXCERPT)}...` : text;
    super('ERR_TYPE_PARSE', `cannot parse ${typeName} value ${JSON.stringify(excerpt)}: ${reason}`, options);
    this.typeName = typeName;
    this.text = excerpt;
  }
}

/**
 * An integer the server sent does not fit the JS `number` asked for (the
 * registry's `int8: 'number'`): beyond `Number.MAX_SAFE_INTEGER` it would
 * come back rounded, so the decode fails instead (code `ERR_UNSAFE_INTEGER`;
 * a {@link TypeParseError}, `typeName` and `text` say which value). Ask for
 * `'bigint'` or `'string'` where such values occur.
 */
export class UnsafeInteger extends TypeParseError {
  constructor(typeName: string, text: string) {
    super(typeName, text, `beyond Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}), a number would lose precision; use int8: 'bigint' or 'string'`);
    (this as { code: string }).code = 'ERR_UNSAFE_INTEGER';
  }
}

/**
 * The error for a parser that threw `error` reading `text` as `typeName`:
 * a library error as it is, anything else (a `SyntaxError` from
 * `JSON.parse` or `BigInt`, a user parser's own error) as the
 * {@link TypeParseError} it stands for, with `error` as its cause.
 */
export function parseFailure(typeName: string, text: string, error: unknown): PgError {
  if (error instanceof PgError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TypeParseError(typeName, text, reason, { cause: error });
}

/** Describes a JS value briefly for an error message, never its full contents. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/**
 * Builds the `InterfaceError` (code `ERR_BAD_PARAMETER`) for a parameter that
 * cannot be serialized as `typeName`; the message names the type and the JS
 * kind of the value, never the value of a string (it might be a secret).
 */
export function badParam(typeName: string, value: unknown, reason?: string, cause?: unknown): InterfaceError {
  const why = reason === undefined ? '' : `: ${reason}`;
  return new InterfaceError(`cannot send ${describeValue(value)} as a ${typeName} parameter${why}`, {
    code: 'ERR_BAD_PARAMETER',
    cause,
  });
}
