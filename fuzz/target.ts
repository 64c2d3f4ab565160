/**
 * A fuzz target: one part of the driver, the hostile input it is fed, and
 * the rules it must keep.
 *
 * Theory of operation. {@link FuzzTarget.run} turns one input PRNG into one
 * input, feeds it to the part and checks the rules every target shares:
 *
 * 1. No exception escapes but the library's own: a {@link PgError}
 *    (`ProtocolViolation`, `ConfigurationError`, `TypeParseError`, ...) or
 *    a {@link DatabaseError} for what the server said. {@link outcomeOf}
 *    turns one into an outcome label; anything else breaks the rule.
 * 2. No hang: the work of one input is bounded by the input, and counted
 *    (messages, events, buffered bytes, key-derivation iterations), never
 *    timed: nothing in an oracle reads a clock.
 * 3. Bounded memory: what the part keeps is bounded (buffered bytes,
 *    server parameters, hosts); the runner reports heap growth over a run.
 *
 * A broken rule throws {@link FuzzBreach}; the runner records the seed and
 * the index of the input so that one input replays alone.
 */
import { PgError } from '../src/errors/base';
import { DatabaseError } from '../src/errors/database';

/** One fuzz target; see the file comment. */
export interface FuzzTarget {
  /** The name `--only` selects, e.g. `decoder`. */
  readonly name: string;
  /** One line: what is fed to what. */
  readonly about: string;
  /** Makes one input from `rand`, feeds it and checks the rules; returns the outcome label for the tally. Throws {@link FuzzBreach}. */
  run(rand: () => number): string;
}

/** A fuzz rule was broken (the fuzzer's finding, not a library error). */
export class FuzzBreach extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FuzzBreach';
  }
}

/** The outcome label of a library error: a PgError's `code`, or 'DatabaseError' for the server's; undefined for any other value. */
export function libraryErrorLabel(e: unknown): string | undefined {
  if (e instanceof PgError) return e.code;
  if (e instanceof DatabaseError) return 'DatabaseError';
  return undefined;
}

/** The outcome label of an error thrown by the part under test ({@link libraryErrorLabel}); a {@link FuzzBreach} for anything else (rule 1). */
export function outcomeOf(e: unknown): string {
  if (e instanceof FuzzBreach) throw e;
  const label = libraryErrorLabel(e);
  if (label === undefined) throw new FuzzBreach(`a foreign exception escaped: ${describe(e)}`, { cause: e });
  return label;
}

/** Throws a {@link FuzzBreach} with `message` unless `ok`. */
export function check(ok: boolean, message: () => string): void {
  if (!ok) throw new FuzzBreach(message());
}

/** `name: message` of any thrown value, for a breach message. */
export function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : `a thrown ${typeof e}: ${String(e)}`;
}
