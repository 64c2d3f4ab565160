/**
 * Server errors and notices.
 *
 * An ErrorResponse or NoticeResponse is a list of fields keyed by a one-byte
 * code (protocol docs, "Error and Notice Message Fields"). {@link Diagnostic}
 * names every field; {@link DatabaseError} is an Error carrying a Diagnostic's
 * fields, whose `code` and `sqlstate` are the SQLSTATE (as in pg and
 * postgres.js). One subclass per SQLSTATE lives in `sqlstate.generated.ts`.
 */

/**
 * Raw ErrorResponse / NoticeResponse fields keyed by their one-byte tag ('S',
 * 'C', 'M', ...), as the codec decodes them. Defined here, on the ground
 * floor, so the error classes need nothing from src/protocol; the codec's
 * message types import it from here.
 */
export type RawFields = Record<string, string>;

/** Field codes of ErrorResponse/NoticeResponse, by their one-byte tag. */
export const DIAGNOSTIC_FIELDS: Readonly<Record<string, keyof DiagnosticFields>> = {
  S: 'severity',
  V: 'severityNonLocalized',
  C: 'sqlstate',
  M: 'message',
  D: 'detail',
  H: 'hint',
  P: 'position',
  p: 'internalPosition',
  q: 'internalQuery',
  W: 'where',
  s: 'schema',
  t: 'table',
  c: 'column',
  d: 'dataType',
  n: 'constraint',
  F: 'file',
  L: 'line',
  R: 'routine',
};

/** Every field an ErrorResponse or NoticeResponse may carry. Absent fields are undefined. */
export interface DiagnosticFields {
  severity?: string;
  severityNonLocalized?: string;
  sqlstate?: string;
  message?: string;
  detail?: string;
  hint?: string;
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: string;
  routine?: string;
}

/** Maps raw `{ tag: value }` fields (as decoded from the wire) to named fields. Unknown tags are ignored. */
export function namedFields(raw: Readonly<RawFields>): DiagnosticFields {
  const out: DiagnosticFields = {};
  for (const tag in raw) {
    const name = DIAGNOSTIC_FIELDS[tag];
    if (name !== undefined) out[name] = raw[tag];
  }
  return out;
}

/** A server notice (NoticeResponse) or the diagnostic part of an error, with every field named. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Diagnostic extends DiagnosticFields {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Diagnostic {
  constructor(fields: DiagnosticFields) {
    Object.assign(this, fields);
  }

  /** Builds a Diagnostic from raw wire fields keyed by their one-byte tag. */
  static fromRaw(raw: Readonly<RawFields>): Diagnostic {
    return new Diagnostic(namedFields(raw));
  }
}

/**
 * An error reported by the server (ErrorResponse). `code` and `sqlstate` are
 * the SQLSTATE; every other field of the response is a property.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface DatabaseError extends Omit<DiagnosticFields, 'message' | 'sqlstate'> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class DatabaseError extends Error {
  /** The SQLSTATE, e.g. '23505'. */
  readonly code: string;
  readonly sqlstate: string;
  /** The SQL text of the statement that failed, when known (never its parameters). */
  query?: string;

  constructor(fields: DiagnosticFields, options?: { cause?: unknown; query?: string }) {
    super(fields.message ?? 'unknown server error', options?.cause === undefined ? undefined : { cause: options.cause });
    const { message: _m, sqlstate, ...rest } = fields;
    Object.assign(this, rest);
    this.sqlstate = sqlstate ?? 'XX000';
    this.code = this.sqlstate;
    if (options?.query !== undefined) this.query = options.query;
    this.name = new.target.name;
  }

  /** The SQLSTATE class: its first two characters. */
  get sqlstateClass(): string {
    return this.sqlstate.slice(0, 2);
  }
}
