/**
 * Removing an item from a list of work that finishes, as a rule, in the
 * order it started (statements of one pipeline).
 *
 * Theory of operation. Such lists were Sets; adding a fresh object to a Set
 * and deleting it costs about 430 ns in V8 (the object first needs an
 * identity hash), an array push and shift about 90 ns. So they are arrays
 * in start order, and removal looks at the front first, falling back to a
 * search for the rare item that finishes out of order.
 */

/** Removes `item` from `list` (usually its first element); returns whether it was there. */
export function removeInOrder<T>(list: T[], item: T): boolean {
  if (list[0] === item) {
    list.shift();
    return true;
  }
  const i = list.indexOf(item);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}
