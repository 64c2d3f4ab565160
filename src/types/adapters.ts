/**
 * psycopg2's registration API, kept small: `registerAdapter` (JS class ->
 * parameter text), `newType` / `newArrayType` (oids -> a record you
 * register) and `registerType` (register it, globally by default).
 *
 * Scopes, as in psycopg2: globally (the default) means on
 * `TypeRegistry.default()`, which every connection clones when it is
 * created, so a global registration reaches every connection created
 * afterwards (register before creating connections); pass a connection (or
 * its `types`) as `scope` to affect only that connection, or a cursor (or
 * its `types`) to affect only that cursor's statements.
 */
import { arrayRecord } from './derived';
import { inferText } from './infer';
import { TypeRegistry, type Adapter } from './registry';
import type { TypeRecord } from './record';

/** Where a registration applies: a registry, or anything that has one (a Connection, a Cursor). */
export type TypeScope = TypeRegistry | { readonly types: TypeRegistry };

function registryOf(scope: TypeScope): TypeRegistry {
  return scope instanceof TypeRegistry ? scope : scope.types;
}

/**
 * Makes instances of `cls` serialize as parameters through `adapt`, which
 * returns the value's text (e.g. `'(1.23,4.56)'` for a point) or
 * `{ oid, text }`.
 * @example registerAdapter(Point, (p) => `(${p.x},${p.y})`);
 */
export function registerAdapter<T>(
  cls: abstract new (...args: never[]) => T,
  adapt: Adapter<T>,
  scope: TypeScope = TypeRegistry.default(),
): void {
  registryOf(scope).registerAdapter(cls, adapt);
}

/**
 * Creates a record reading the types `oids` with `parse(text)`. `parse` gets
 * the text representation; psycopg2 casters also accept `null` (SQL NULL),
 * but the registry maps NULL to `null` itself and never calls it so.
 * Parameters of these types are written from the JS value (`serialize`, by
 * default the inference used for untyped parameters).
 */
export function newType<T>(
  oids: readonly number[],
  name: string,
  parse: (text: string | null) => T,
  serialize: (value: unknown) => string = inferText,
): TypeRecord<T> {
  return { oid: oids[0], aliases: oids.slice(1), arrayOid: 0, name, parse: (text) => parse(text), serialize };
}

/** Creates a record reading arrays (`arrayOids`) whose elements go through `baseType`. */
export function newArrayType(arrayOids: readonly number[], name: string, baseType: TypeRecord): TypeRecord<unknown[]> {
  return { ...arrayRecord(baseType, arrayOids[0], name), aliases: arrayOids.slice(1) };
}

/** Registers `record` on `scope` (the shared default registry unless given); psycopg2's `register_type`. */
export function registerType(record: TypeRecord, scope: TypeScope = TypeRegistry.default()): void {
  registryOf(scope).register(record);
}
