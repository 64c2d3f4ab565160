/**
 * Process-wide defaults that the package entry wires in.
 *
 * `src/` never imports a concrete reactor (design.md, layer rule 3): the
 * package entry (`src/index.ts`) registers a factory for the Node reactor
 * here, so `new Connection()` just works, while code that imports the
 * modules directly (tests, other runtimes) passes a reactor explicitly.
 */
import type { Reactor } from '../../reactor/interfaces';
import { InterfaceError } from '../errors/base';

let factory: (() => Reactor) | null = null;
let shared: Reactor | null = null;

/** Registers the factory of the default reactor (called by the package entry). */
export function setDefaultReactorFactory(f: () => Reactor): void {
  factory = f;
  shared = null;
}

/** The default reactor, created on first use; throws when none was registered. */
export function defaultReactor(): Reactor {
  if (shared !== null) return shared;
  if (factory === null) throw new InterfaceError('no reactor given and no default reactor registered: pass { reactor }');
  shared = factory();
  return shared;
}
