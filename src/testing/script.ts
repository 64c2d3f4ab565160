/**
 * ReplyScript: what a serving FakeBackend answers to each statement.
 *
 * Theory of operation. A script is a list of rules, each a SQL matcher and a
 * reply. For every statement the backend runs (a simple Query's statements,
 * an extended-protocol Parse, Describe and Execute), the most recently added
 * rule that matches and has uses left decides; a rule added with `times` is
 * used up by that many executions (Describe and Parse do not count). With no
 * matching rule, transaction control and session commands (BEGIN, COMMIT,
 * ROLLBACK, SAVEPOINT, RELEASE, SET, RESET, DISCARD, LISTEN, UNLISTEN,
 * NOTIFY, DEALLOCATE) succeed with their tag; anything else fails with an
 * ErrorResponse (SQLSTATE XX000) naming the unscripted SQL, or, with
 * `unscripted: 'empty'`, succeeds with no rows.
 *
 * One script may be shared by several backends (a FakeServer shares
 * its script with every connection it accepts), so rules survive reconnects.
 */
import type { FrontendMessage, TransactionStatus } from '../protocol/messages';
import { isError, normalizeSql, words, type ResultSpec } from './values';

/** Which statements a rule answers: the exact SQL (whitespace-normalized), a RegExp, or a predicate. */
export type SqlMatcher = string | RegExp | ((sql: string) => boolean);

/** One statement as the backend runs it, handed to a function {@link Reply}. */
export interface StatementCall {
  /** The statement's SQL (one statement of a simple Query, or the prepared statement's text). */
  readonly sql: string;
  /** The parameters: text ones decoded as strings, binary ones as bytes (empty for a simple Query or a Describe). */
  readonly params: ReadonlyArray<string | Uint8Array | null>;
  /** `'simple'` (Query) or `'extended'` (Parse/Bind/Execute). */
  readonly protocol: 'simple' | 'extended';
  /**
   * True when the backend only needs the statement's shape (at Parse and
   * Describe): only `fields`, `paramTypes` and an error with `at: 'parse'`
   * matter then, and nothing is executed.
   */
  readonly describing: boolean;
  /** The transaction status before the statement. */
  readonly transactionStatus: TransactionStatus;
  /** The process id of the backend running it (tells a server's connections apart). */
  readonly processId: number;
}

/** A reply: a fixed result, or a function of the call returning one. */
export type Reply = ResultSpec | ((call: StatementCall) => ResultSpec);

/** Options of {@link ReplyScript.answer}. */
export interface RuleOptions {
  /** Executions the rule answers before it is used up (default: unlimited). */
  times?: number;
}

/** Options of a {@link ReplyScript}. */
export interface ReplyScriptOptions {
  /**
   * What an unscripted statement gets: `'error'` (default) an ErrorResponse
   * with SQLSTATE XX000 naming the SQL, at Parse; `'empty'` success with no
   * rows and the default tag.
   */
  unscripted?: 'error' | 'empty';
}

interface Rule {
  matches(sql: string): boolean;
  reply: Reply;
  left: number;
}

const BUILTIN = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'SET', 'RESET', 'DISCARD', 'LISTEN', 'UNLISTEN', 'NOTIFY', 'DEALLOCATE']);

/** The rules a serving backend answers with; see the file comment. */
export class ReplyScript {
  /** What unscripted statements get. */
  unscripted: 'error' | 'empty';
  private rules: Rule[] = [];

  constructor(options: ReplyScriptOptions = {}) {
    this.unscripted = options.unscripted ?? 'error';
  }

  /**
   * Answers the statements `match` matches with `reply`, from now on (a later
   * rule wins over an earlier one). Returns a function that removes the rule.
   * @example script.answer('SELECT 1 AS n', { fields: [{ name: 'n', type: 'int4' }], rows: [['1']] })
   */
  answer(match: SqlMatcher, reply: Reply, options: RuleOptions = {}): () => void {
    const rule: Rule = { matches: matcher(match), reply, left: options.times ?? Infinity };
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  /** {@link answer} for the next execution only (then the earlier rules apply again). */
  answerOnce(match: SqlMatcher, reply: Reply): () => void {
    return this.answer(match, reply, { times: 1 });
  }

  /** Removes every rule. */
  reset(): void {
    this.rules = [];
  }

  /**
   * The result for `call`: the newest matching rule with uses left (used up
   * by one when `call` executes), else the built-in answer, else the
   * unscripted one.
   */
  resolve(call: StatementCall): ResultSpec {
    const sql = normalizeSql(call.sql);
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const rule = this.rules[i];
      if (rule.left <= 0 || !rule.matches(sql)) continue;
      if (!call.describing) rule.left--;
      return typeof rule.reply === 'function' ? rule.reply(call) : rule.reply;
    }
    if (BUILTIN.has(words(sql)[0] ?? '')) return {};
    if (this.unscripted === 'empty') return {};
    return { error: { C: 'XX000', M: `FakeBackend: no reply scripted for: ${sql}` }, at: 'parse' };
  }
}

function matcher(m: SqlMatcher): (sql: string) => boolean {
  if (typeof m === 'string') {
    const want = normalizeSql(m);
    return (sql) => sql === want;
  }
  if (m instanceof RegExp) return (sql) => {
    m.lastIndex = 0;
    return m.test(sql);
  };
  return m;
}

/** Whether a resolved result fails at `phase` of the extended protocol. */
export function failsAt(r: ResultSpec, phase: 'parse' | 'bind' | 'execute'): boolean {
  return isError(r) && (r.at ?? 'execute') === phase;
}

/** A group of client messages answered together: up to and including a Sync, or one simple Query. */
export interface Round {
  /** The messages of the round, in order. */
  readonly messages: readonly FrontendMessage[];
  /** The SQL the round executes (each Query's, or the statement of each Bind followed by an Execute). */
  readonly sql: readonly string[];
}
