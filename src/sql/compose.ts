/**
 * SQL composition: statements built from trusted text, identifiers, literals
 * and values, safe by construction (psycopg's `sql` module, for TypeScript).
 *
 * Theory of operation. A statement is a tree of {@link Sql} fragments:
 * {@link Raw} text the programmer wrote, {@link Identifier}s (quoted with
 * double quotes, embedded quotes doubled), {@link Literal}s (rendered as SQL
 * literals, for the rare places parameters cannot go: DDL, `SET`, `COPY`
 * options) and {@link Param}s (values sent out of band as `$n` parameters,
 * never spliced into the text). The tagged template {@link sql} turns every
 * interpolated value into a Param unless it already is a fragment, so
 *
 * ```ts
 * sql`SELECT * FROM ${sql.ident(table)} WHERE id = ${id}`
 * ```
 *
 * renders as `SELECT * FROM "my table" WHERE id = $1` with `[id]`.
 * Rendering numbers the parameters in order across nested fragments, so
 * composed pieces can be reused and joined ({@link sql.join}). A query
 * method given a fragment renders it with {@link toStatement}. Text never
 * comes from a value: the only way to put characters into the SQL text is
 * `sql.raw` (or the template's literal parts), which is the programmer's.
 *
 * Literals are rendered as `E'...'` strings (backslashes and quotes escaped),
 * which read the same whatever `standard_conforming_strings` says; a NUL
 * character, which PostgreSQL text cannot hold, is refused.
 */
import { InterfaceError } from '../errors/base';
import { inferText } from '../types/infer';

/** A fragment of SQL; see the file comment. */
export abstract class Sql {
  /** Appends this fragment's values to `params` and returns its text, with `$n` for each value. */
  abstract render(params: unknown[]): string;

  /** The text with values as `$n` (for logs); the values are not shown. */
  toString(): string {
    return this.render([]);
  }
}

/** Trusted SQL text (psycopg's `SQL`): written by the programmer, never from input. */
export class Raw extends Sql {
  constructor(readonly text: string) {
    super();
    if (typeof text !== 'string') throw new InterfaceError('sql.raw needs a string', { code: 'ERR_INVALID_ARGUMENT' });
  }
  render(): string {
    return this.text;
  }
}

/** A (possibly qualified) identifier: each part quoted. */
export class Identifier extends Sql {
  readonly parts: readonly string[];
  constructor(...parts: string[]) {
    super();
    if (parts.length === 0) throw new InterfaceError('sql.ident needs at least one name', { code: 'ERR_INVALID_ARGUMENT' });
    this.parts = parts.map(checkName);
  }
  render(): string {
    return this.parts.map(quoteIdent).join('.');
  }
}

/** A value rendered into the text as a SQL literal (for where parameters cannot go). */
export class Literal extends Sql {
  constructor(readonly value: unknown) {
    super();
  }
  render(): string {
    return literal(this.value);
  }
}

/** A value sent out of band as a parameter. */
export class Param extends Sql {
  constructor(readonly value: unknown) {
    super();
  }
  render(params: unknown[]): string {
    params.push(this.value);
    return `$${params.length}`;
  }
}

/** Fragments rendered one after the other. */
export class Composed extends Sql {
  constructor(readonly parts: readonly Sql[]) {
    super();
  }
  render(params: unknown[]): string {
    return this.parts.map((p) => p.render(params)).join('');
  }
}

/** The tagged template: literal parts are trusted text, interpolations are values unless they are fragments. */
function template(strings: TemplateStringsArray, ...values: unknown[]): Composed {
  const parts: Sql[] = [];
  strings.forEach((text, i) => {
    if (text !== '') parts.push(new Raw(text));
    if (i < values.length) parts.push(fragmentOf(values[i]));
  });
  return new Composed(parts);
}

/** The `sql` tag and its fragment makers; see the file comment. */
export const sql = Object.assign(template, {
  /** A (possibly schema-qualified) identifier: `sql.ident('app', 'users')` is `"app"."users"`. */
  ident: (...parts: string[]): Identifier => new Identifier(...parts),
  /** A value as a SQL literal in the text (use a parameter where one can go). */
  literal: (value: unknown): Literal => new Literal(value),
  /** Trusted SQL text (never input). */
  raw: (text: string): Raw => new Raw(text),
  /** A value as a parameter (what the template does with a plain value). */
  param: (value: unknown): Param => new Param(value),
  /** Fragments (or values, made parameters) joined with `separator` (trusted text, default `', '`). */
  join: (items: readonly unknown[], separator = ', '): Composed => {
    const parts: Sql[] = [];
    items.forEach((item, i) => {
      if (i > 0) parts.push(new Raw(separator));
      parts.push(fragmentOf(item));
    });
    return new Composed(parts);
  },
});

/** A statement ready for the wire: text with `$n` and its parameter values. */
export interface Statement {
  readonly text: string;
  readonly params: unknown[];
}

/** Renders a fragment into text and parameters. */
export function toStatement(fragment: Sql): Statement {
  const params: unknown[] = [];
  const text = fragment.render(params);
  return { text, params };
}

/** Quotes each dot-separated part of a (possibly schema-qualified) identifier. */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/** Quotes an identifier for SQL text (doubling embedded quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A value as a SQL literal: NULL, TRUE/FALSE, a number, or an `E'...'` string of its text form. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value);
  const text = inferText(value);
  if (text.includes('\0')) throw new InterfaceError('a SQL literal cannot contain a NUL character', { code: 'ERR_INVALID_ARGUMENT' });
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function fragmentOf(value: unknown): Sql {
  return value instanceof Sql ? value : new Param(value);
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new InterfaceError('an identifier must be a non-empty string without NUL characters', { code: 'ERR_INVALID_ARGUMENT' });
  }
  return name;
}
