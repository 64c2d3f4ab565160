/**
 * SQL text helpers: quoting identifiers for the few statements the driver
 * writes itself (LISTEN, callproc, savepoints). Values never go into SQL
 * text: they travel out of band as parameters.
 */

/** Quotes each dot-separated part of a (possibly schema-qualified) identifier. */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/** Quotes an identifier for SQL text (doubling embedded quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
