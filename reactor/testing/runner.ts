/**
 * The test functions the conformance suite is declared with.
 *
 * Theory of operation. The suite names no test framework: the caller hands
 * it `describe`, `it`, `beforeEach`, `afterEach` and `expect`, and the suite
 * declares its tests through them. Jest's globals fit these types as they
 * are; so do Vitest's, and any runner whose `expect` offers the jest
 * matchers listed in {@link ConformanceMatchers}.
 */

/** The jest-style matchers the suite uses; `not` negates them. */
export interface ConformanceMatchers {
  /** `Object.is` equality. */
  toBe(expected: unknown): void;
  /** Deep equality. */
  toEqual(expected: unknown): void;
  /** The actual object has at least these properties, deeply equal. */
  toMatchObject(expected: object): void;
  /** Strictly `undefined`. */
  toBeUndefined(): void;
  /** Not `undefined`. */
  toBeDefined(): void;
  /** Strictly `null`. */
  toBeNull(): void;
  /** A number greater than `n`. */
  toBeGreaterThan(n: number): void;
  /** A number greater than or equal to `n`. */
  toBeGreaterThanOrEqual(n: number): void;
  /** A number less than `n`. */
  toBeLessThan(n: number): void;
  /** A number equal to `n` to `digits` decimal places. */
  toBeCloseTo(n: number, digits?: number): void;
  /** An array (or string) containing `item`. */
  toContain(item: unknown): void;
  /** A string matching `pattern`. */
  toMatch(pattern: RegExp | string): void;
  /** A function that throws when called. */
  toThrow(): void;
  /** The negated matchers. */
  readonly not: Omit<ConformanceMatchers, 'not'>;
}

/** A jest-compatible `expect`. */
export type ConformanceExpect = (actual: unknown) => ConformanceMatchers;

/**
 * The test functions of a runner: pass jest's (or Vitest's) globals,
 * `{ describe, it, expect, beforeEach, afterEach }`. `timeoutMs` is a
 * give-up bound (the third argument jest and Vitest accept).
 */
export interface ConformanceRunner {
  /** Groups tests. */
  describe(name: string, body: () => void): void;
  /** Declares one asynchronous test. */
  it(name: string, body: () => Promise<void>, timeoutMs?: number): void;
  /** Runs before each test of the enclosing group. */
  beforeEach(body: () => Promise<void>, timeoutMs?: number): void;
  /** Runs after each test of the enclosing group. */
  afterEach(body: () => Promise<void>, timeoutMs?: number): void;
  /** Makes assertions; a failed one throws. */
  expect: ConformanceExpect;
}
