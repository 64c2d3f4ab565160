/**
 * Public views: what `console.log`, `util.inspect` and `JSON.stringify` show
 * of an object that holds secrets (a connection holds its password, TLS key
 * and SCRAM state; a pool its connection string).
 *
 * Theory of operation. Such a class defines {@link INSPECT} and `toJSON`
 * through {@link definePublicView}, returning only the fields it names
 * (state, host, counts): never the options, the connection input or the
 * session. An object that carries one of them (e.g. `RollbackFailed`'s
 * `connection`) is then safe to log too, because Node's inspection and
 * `JSON.stringify` both ask the carried object for its view.
 */

/** Node's `util.inspect.custom` symbol (a registered symbol: no `node:util` import). */
export const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** What Node passes as the third argument of an `inspect.custom` method. */
type Inspect = (value: unknown, options: unknown) => string;

/**
 * Gives instances of `cls` a public view: `inspect` prints `ClassName { ...view }` (the instance's own class)
 * and `JSON.stringify` writes `view`, where `view(instance)` returns only
 * fields that are safe to show.
 */
export function definePublicView<T extends object>(cls: { prototype: T; name: string }, view: (self: T) => Record<string, unknown>): void {
  Object.defineProperty(cls.prototype, INSPECT, {
    value(this: T, _depth: number, options: unknown, inspect?: Inspect): string {
      const fields = view(this);
      return `${this.constructor.name} ${inspect === undefined ? JSON.stringify(fields) : inspect(fields, options)}`;
    },
  });
  Object.defineProperty(cls.prototype, 'toJSON', {
    value(this: T): Record<string, unknown> {
      return view(this);
    },
  });
}
