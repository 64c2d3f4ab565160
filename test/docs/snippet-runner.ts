/**
 * Runs one documentation code block in-process (snippets-run.test.ts).
 *
 * Theory of operation. A block and its prelude are transpiled to CommonJS
 * (ts.transpileModule) and become the body of one async function, so
 * top-level `await` works. Before that, each one-line expression statement
 * followed by a comment stating a literal value (`rows.length;   // 3`)
 * becomes a check of that value ({@link checkedSource}). The function's
 * parameters are:
 * - `require`, mapping the package's entry points (`tspostgres`, ...) to the
 *   source files, relative imports to the block's place in the tree (see
 *   snippets.ts: `snippet-name`), and another block named by `snippet-name`
 *   to that block's module, run once;
 * - the names the prelude declares (`declare const conn: Connection;`), whose
 *   values the caller supplies (the test's fixtures);
 * - the test framework's names (`describe`, `it`, `expect`, hooks), served by
 *   a small in-process harness ({@link MiniHarness}): a block that is a test
 *   file registers its tests, and they run after the block's body, hooks
 *   included. `describe` and friends are also put on globalThis while the
 *   block runs, for helpers such as describeServer that call them.
 */
import * as dc from 'node:diagnostics_channel';
import * as path from 'node:path';
import * as ts from 'typescript';
import { ENTRY_POINTS, ROOT, type Snippet } from './snippets';

/** One name a prelude declares, with its type as written (`''` for a function). */
export interface Declared {
  name: string;
  type: string;
  kind: 'const' | 'function';
}

/** The names `declare const` / `declare function` of a prelude declare. */
export function declaredNames(prelude: string): Declared[] {
  const sf = ts.createSourceFile('prelude.ts', prelude, ts.ScriptTarget.ES2022, true);
  const out: Declared[] = [];
  for (const st of sf.statements) {
    const declare = ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
    if (!declare) continue;
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) out.push({ name: d.name.text, type: d.type?.getText(sf) ?? '', kind: 'const' });
      }
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      out.push({ name: st.name.text, type: '', kind: 'function' });
    }
  }
  return out;
}

type Fn = (...args: unknown[]) => unknown;
interface MiniTest { name: string; fn: Fn | undefined; skip: boolean }
interface MiniSuite {
  name: string;
  skip: boolean;
  hooks: { beforeAll: Fn[]; afterAll: Fn[]; beforeEach: Fn[]; afterEach: Fn[] };
  children: Array<MiniSuite | MiniTest>;
}

function suite(name: string, skip: boolean): MiniSuite {
  return { name, skip, hooks: { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] }, children: [] };
}

/**
 * The test framework's functions for a block that is a test file: `describe`
 * runs its body at once and collects; {@link MiniHarness.run} runs the
 * collected tests in order with their hooks and throws the first failure.
 * Skipped suites and tests are counted in `skipped`.
 */
export class MiniHarness {
  private readonly root = suite('', false);
  private current = this.root;
  /** Titles of the tests that ran and passed. */
  readonly passed: string[] = [];
  /** Titles of the suites and tests that were skipped. */
  readonly skipped: string[] = [];

  /** The globals a test file uses (jest's own `expect`). */
  globals(expect: unknown): Record<string, unknown> {
    const describe = Object.assign((n: string, fn: Fn) => this.describe(n, fn, false), {
      skip: (n: string, fn: Fn) => this.describe(n, fn, true),
    });
    const it = Object.assign((n: string, fn?: Fn) => this.add(n, fn, false), {
      skip: (n: string, fn?: Fn) => this.add(n, fn, true),
      todo: (n: string) => this.add(n, undefined, true),
    });
    const hook = (k: keyof MiniSuite['hooks']) => (fn: Fn) => { this.current.hooks[k].push(fn); };
    return {
      describe, it, test: it, expect,
      beforeAll: hook('beforeAll'), afterAll: hook('afterAll'), beforeEach: hook('beforeEach'), afterEach: hook('afterEach'),
    };
  }

  private describe(name: string, fn: Fn, skip: boolean): void {
    const s = suite(name, skip || this.current.skip);
    this.current.children.push(s);
    const parent = this.current;
    this.current = s;
    try {
      const r = fn();
      if (r !== undefined && typeof (r as PromiseLike<unknown>).then === 'function') throw new Error(`describe('${name}') returned a promise`);
    } finally {
      this.current = parent;
    }
  }

  private add(name: string, fn: Fn | undefined, skip: boolean): void {
    this.current.children.push({ name, fn, skip: skip || fn === undefined });
  }

  /** How many tests were registered. */
  get registered(): number {
    const count = (s: MiniSuite): number => s.children.reduce((n, c) => n + ('children' in c ? count(c) : 1), 0);
    return count(this.root);
  }

  /** Runs every registered test with its hooks; throws the first failure, named by its title. */
  async run(): Promise<void> {
    await this.runSuite(this.root, [], '');
  }

  private async runSuite(s: MiniSuite, outer: MiniSuite[], title: string): Promise<void> {
    const chain = [...outer, s];
    if (s.skip) {
      this.skipped.push(title);
      return;
    }
    for (const h of s.hooks.beforeAll) await h();
    try {
      for (const c of s.children) {
        const t = `${title} ${c.name}`.trim();
        if ('children' in c) await this.runSuite(c, chain, t);
        else await this.runTest(c, chain, t);
      }
    } finally {
      for (const h of s.hooks.afterAll) await h();
    }
  }

  private async runTest(t: MiniTest, chain: MiniSuite[], title: string): Promise<void> {
    if (t.skip || t.fn === undefined) {
      this.skipped.push(title);
      return;
    }
    for (const s of chain) for (const h of s.hooks.beforeEach) await h();
    try {
      await t.fn();
    } catch (e) {
      throw Object.assign(new Error(`test '${title}' failed: ${(e as Error).message}`), { cause: e });
    } finally {
      for (const s of [...chain].reverse()) for (const h of s.hooks.afterEach) await h();
    }
    this.passed.push(title);
  }
}

/** What a block needs to run. */
export interface RunContext {
  /** Values of the prelude's declared names. */
  values: Record<string, unknown>;
  /** The harness of this block (fresh per block). */
  harness: MiniHarness;
  /** jest's `expect`. */
  expect: unknown;
  /** The test file's `require` (jest's module registry: .ts through ts-jest). */
  load: (absolutePath: string) => unknown;
  /** Every block with a `snippet-name`, by absolute path without the extension. */
  named: Map<string, Snippet>;
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => Fn;

/** The block's module path (absolute): its snippet-name, or a place one level under test/. */
export function modulePath(s: Snippet): string {
  return s.name !== null ? path.join(ROOT, s.name) : path.join(ROOT, 'test', '__doc_snippets__', `${s.file.replace(/[^\w]+/g, '_')}_${s.fenceLine}.ts`);
}

/** Whether `e` is a value written out: literals, and arrays and objects of them. */
function isLiteral(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e)) return isLiteral(e.expression);
  if (ts.isStringLiteral(e) || ts.isNumericLiteral(e) || ts.isBigIntLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true;
  if (e.kind === ts.SyntaxKind.NullKeyword || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) return true;
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) return isLiteral(e.operand);
  if (ts.isArrayLiteralExpression(e)) return e.elements.every(isLiteral);
  if (ts.isObjectLiteralExpression(e)) return e.properties.every((p) => ts.isPropertyAssignment(p) && isLiteral(p.initializer));
  return false;
}

/** The value a comment states (`// 3`, `// 'UPDATE 3'`, `// 3: the rows`), or null when it states none. */
function statedValue(comment: string): string | null {
  const text = comment.replace(/^\/\/\s*/, '').trim();
  for (const candidate of [text, text.split(/:\s/)[0]]) {
    const sf = ts.createSourceFile('c.ts', `(${candidate});`, ts.ScriptTarget.ES2022, true);
    const st = sf.statements[0];
    if (sf.statements.length === 1 && ts.isExpressionStatement(st) && (sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length === 0 && isLiteral(st.expression)) return candidate;
  }
  return null;
}

/**
 * The block with its prelude, where each one-line expression statement of
 * the block followed by a comment stating a value (`rows.rowCount;   // 3`)
 * becomes a check of that value: `__stated(expr, value, 'file:line')`.
 * Returns the source and how many checks it makes.
 */
export function checkedSource(s: Snippet): { source: string; checks: number } {
  const head = s.prelude === '' ? '' : `${s.prelude}\n`;
  const source = `${head}${s.code}`;
  const sf = ts.createSourceFile('block.ts', source, ts.ScriptTarget.ES2022, true);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const st of sf.statements) {
    if (!ts.isExpressionStatement(st) || st.getStart(sf) < head.length) continue;
    const comment = (ts.getTrailingCommentRanges(source, st.end) ?? [])[0];
    if (!comment || comment.kind !== ts.SyntaxKind.SingleLineCommentTrivia) continue;
    const value = statedValue(source.slice(comment.pos, comment.end));
    if (value === null) continue;
    const line = sf.getLineAndCharacterOfPosition(st.getStart(sf)).line - (head === '' ? 0 : head.split('\n').length - 1);
    const where = JSON.stringify(`${s.file}:${s.fenceLine + 1 + line}`);
    edits.push({ start: st.getStart(sf), end: st.end, text: `__stated((${st.expression.getText(sf)}), (${value}), ${where});` });
  }
  let out = source;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { source: out, checks: edits.length };
}

/** Transpiles a block with its prelude (and its stated values checked) to the CommonJS body of an async function. */
export function transpile(s: Snippet): string {
  const { source } = checkedSource(s);
  return ts.transpileModule(source, {
    fileName: modulePath(s),
    reportDiagnostics: false,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  }).outputText;
}

/** Runs a block: its body, then the tests it registered. Resolves to the module's exports. */
export async function runSnippet(s: Snippet, ctx: RunContext, cache = new Map<string, Promise<unknown>>()): Promise<unknown> {
  const self = modulePath(s);
  const undo: Array<() => void> = [];
  const require = (spec: string): unknown => {
    if (spec in ENTRY_POINTS) return ctx.load(path.join(ROOT, ENTRY_POINTS[spec]));
    if (spec === 'node:diagnostics_channel' || spec === 'diagnostics_channel') return recordingChannels(undo);
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(self), spec).replace(/\.ts$/, '');
      const named = ctx.named.get(target);
      if (named) return requireNamed(named);
      return ctx.load(target);
    }
    return ctx.load(spec);
  };
  const loaded = new Map<string, unknown>();
  const requireNamed = (named: Snippet): unknown => {
    const key = modulePath(named);
    if (!loaded.has(key)) throw new Error(`${named.file}:${named.fenceLine}: import it after its module has run (preload)`);
    return loaded.get(key);
  };
  // Named modules this block imports run first (they may await at top level).
  for (const m of s.code.matchAll(/from\s+'(\.[^']+)'/g)) {
    const target = path.resolve(path.dirname(self), m[1]).replace(/\.ts$/, '');
    const named = ctx.named.get(target);
    if (named && !loaded.has(modulePath(named))) {
      const key = modulePath(named);
      if (!cache.has(key)) cache.set(key, runSnippet(named, { ...ctx, values: {}, harness: new MiniHarness() }, cache));
      loaded.set(key, await cache.get(key));
    }
  }
  const exports: Record<string, unknown> = {};
  const module = { exports };
  const globals = ctx.harness.globals(ctx.expect);
  const stated = (actual: unknown, value: unknown, where: string): void => {
    try {
      (ctx.expect as (v: unknown) => { toEqual(v: unknown): void })(actual).toEqual(value);
    } catch (e) {
      throw Object.assign(new Error(`${where}: the comment states a value the code does not give\n${(e as Error).message}`), { cause: e });
    }
  };
  const names = ['require', 'exports', 'module', '__stated', ...Object.keys(globals), ...Object.keys(ctx.values)];
  const body = new AsyncFunction(...names, transpile(s));
  const g = globalThis as Record<string, unknown>;
  const saved = Object.keys(globals).map((k) => [k, g[k]] as const);
  for (const [k, v] of Object.entries(globals)) g[k] = v;
  try {
    try {
      await body(require, exports, module, stated, ...Object.values(globals), ...Object.values(ctx.values));
    } finally {
      for (const [k, v] of saved) g[k] = v;
    }
    await ctx.harness.run();
  } finally {
    for (const u of undo.splice(0).reverse()) u();
  }
  return module.exports;
}

/**
 * `node:diagnostics_channel` as a block sees it: every subscription the
 * block makes (`subscribe(name, fn)`, `channel(name).subscribe(fn)`) is
 * recorded in `undo`, and undone once the block has run. The channels are
 * process-wide: a tracing block's subscriber would otherwise keep logging
 * in every test file the jest worker runs after this one.
 */
function recordingChannels(undo: Array<() => void>): typeof dc {
  const channel = (name: string | symbol): dc.Channel => {
    const ch = dc.channel(name);
    return new Proxy(ch, {
      get(target, prop) {
        if (prop === 'subscribe') {
          return (fn: dc.ChannelListener) => {
            target.subscribe(fn);
            undo.push(() => target.unsubscribe(fn));
          };
        }
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  const subscribe = (name: string | symbol, fn: dc.ChannelListener): void => channel(name).subscribe(fn);
  return { ...dc, channel, subscribe } as typeof dc;
}
