/**
 * The lint configuration enforces design.md section 1: a scratch tree with
 * forbidden imports makes dependency-cruiser (as `npm run lint` runs it)
 * fail with the rule named, an allowed tree passes, ESLint rejects
 * timers, clocks and randomness in the pure layers, and Promises inside the
 * driver except at lines marked `// public boundary: Promise`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.join(__dirname, '..', '..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.js');
/** The depcruise CLI: the project's, unless DEPCRUISE names another (for trying a version). */
const DEPCRUISE = process.env.DEPCRUISE ?? path.join(ROOT, 'node_modules', '.bin', 'depcruise');

/** Writes `files` (path -> source) into a fresh scratch tree inside the repo (so node_modules resolves). */
function scratchTree(files: Record<string, string>): string {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'lint-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Runs depcruise as `npm run lint` does; returns its exit status, the rules broken, and the modules cruised. */
function cruise(dir: string): { status: number | null; rules: string[]; modules: number; output: string } {
  const r = spawnSync(DEPCRUISE, ['src', 'reactor', 'examples', '--config', CONFIG], { cwd: dir, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  // A dependency rule reports `rule: from → to`; a module rule (src-root-only-entry) reports `rule: module`.
  const rules = [...output.matchAll(/error (\S+): (\S+)(?: → |$)/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  const modules = Number(/(\d+) modules/.exec(output)?.[1] ?? -1);
  if (modules === 0) {
    const v = spawnSync(DEPCRUISE, ['--version'], { encoding: 'utf8' }).stdout.trim();
    throw new Error(`dependency-cruiser ${v} read no TypeScript file (it supports TypeScript 6 from 17.3.9 on): the lint checks nothing`);
  }
  return { status: r.status, rules, modules, output };
}

const ALLOWED: Record<string, string> = {
  'src/errors/base.ts': 'export class PgError extends Error {}\n',
  'src/protocol/codec.ts': "import { PgError } from '../errors/base';\nexport const e = PgError;\n",
  'src/core/machine.ts': "import { e } from '../protocol/codec';\nexport const m = e;\n",
  'src/util/bytes.ts': "import { PgError } from '../errors/base';\nexport const u = PgError;\n",
  'src/defer/deferred.ts': "import { PgError } from '../errors/base';\nimport { u } from '../util/bytes';\nexport class Deferred { e = [PgError, u]; }\n",
  'src/connection/connection.ts': "import type { Reactor } from '../../reactor/interfaces';\nimport { m } from '../core/machine';\nimport { Deferred } from '../defer/deferred';\nexport const c = (r: Reactor | null) => [r, m, Deferred];\n",
  'src/reconnect/detector.ts': "import { c } from '../connection/connection';\nexport const det = c;\n",
  'src/streaming/row-stream.ts': "import { c } from '../connection/connection';\nexport const rs = c;\n",
  'src/pool/pool.ts': "import { c } from '../connection/connection';\nimport { det } from '../reconnect/detector';\nexport const p = [c, det];\n",
  'src/rx/notes.ts': "import { Subject } from 'rxjs';\nimport { c } from '../connection/connection';\nimport { p } from '../pool/pool';\nimport { rs } from '../streaming/row-stream';\nexport const s = [new Subject<void>(), c, p, rs];\n",
  'src/index.ts': "export { c } from './connection/connection';\nexport { s } from './rx/notes';\nexport { NodeReactor } from '../reactor/node';\n",
  'reactor/interfaces.ts': 'export interface Reactor { now(): number }\n',
  'reactor/node.ts': "import * as net from 'node:net';\nexport class NodeReactor { n = net; }\n",
  'reactor/websocket/websocket.ts': "import WebSocket from 'ws';\nexport const W = WebSocket;\n",
  'reactor/index.ts': "export { NodeReactor } from './node';\n",
  'examples/demo.ts': "import { c } from '../src/index';\nimport { NodeReactor } from '../reactor/index';\nexport const d = [c, NodeReactor];\n",
};

/** Forbidden imports, each with the rule and module that must be reported. */
const FORBIDDEN: Array<[string, Record<string, string>, string]> = [
  ['a node builtin in src/protocol', { 'src/protocol/bad.ts': "import * as net from 'node:net';\nexport const x = net;\n" }, 'pure-no-node-builtins src/protocol/bad.ts'],
  ['rxjs in src/core', { 'src/core/bad.ts': "import { Subject } from 'rxjs';\nexport const x = Subject;\n" }, 'rxjs-only-in-rx src/core/bad.ts'],
  ['a Deferred in src/core', { 'src/defer/deferred.ts': 'export class Deferred {}\n', 'src/core/bad.ts': "import { Deferred } from '../defer/deferred';\nexport const x = Deferred;\n" }, 'pure-no-higher-layers src/core/bad.ts'],
  ['a concrete reactor in src/', { 'src/pool.ts': "import { NodeReactor } from '../reactor/node';\nexport const x = NodeReactor;\n" }, 'src-reactor-interfaces-only src/pool.ts'],
  ['a value import of reactor/interfaces', { 'src/pool.ts': "import { Reactor } from '../reactor/interfaces';\nexport const x = (r: Reactor) => r;\n" }, 'src-reactor-type-only src/pool.ts'],
  ['src/ from reactor/', { 'reactor/bad.ts': "import { PgError } from '../src/errors/base';\nexport const x = PgError;\n" }, 'reactor-knows-no-postgres reactor/bad.ts'],
  ['ws outside the websocket reactor', { 'reactor/node2.ts': "import WebSocket from 'ws';\nexport const x = WebSocket;\n" }, 'ws-only-in-websocket-reactor reactor/node2.ts'],
  ['an internal module from examples/', { 'examples/bad.ts': "import { m } from '../src/core/machine';\nexport const x = m;\n" }, 'examples-use-public-entries examples/bad.ts'],
  ['test/ from src/', { 'test/support/x.ts': 'export const t = 1;\n', 'src/bad.ts': "import { t } from '../test/support/x';\nexport const x = t;\n" }, 'not-to-test src/bad.ts'],
  ['rxjs in the driver (src/connection)', { 'src/connection/bad.ts': "import type { Observable } from 'rxjs';\nexport type X = Observable<number>;\n" }, 'rxjs-only-in-rx src/connection/bad.ts'],
  ['a layer above in src/errors', { 'src/errors/bad.ts': "import { e } from '../protocol/codec';\nexport const x = e;\n" }, 'errors-is-the-ground-floor src/errors/bad.ts'],
  ['src/util in src/errors', { 'src/errors/bad.ts': "import { u } from '../util/bytes';\nexport const x = u;\n" }, 'errors-is-the-ground-floor src/errors/bad.ts'],
  ['the driver in src/defer', { 'src/defer/bad.ts': "import { c } from '../connection/connection';\nexport const x = c;\n" }, 'defer-not-to-driver src/defer/bad.ts'],
  ['src/types in src/defer', { 'src/types/t.ts': 'export const t = 1;\n', 'src/defer/bad.ts': "import { t } from '../types/t';\nexport const x = t;\n" }, 'defer-not-to-driver src/defer/bad.ts'],
  ['a room in a floor below it', { 'src/types/bad.ts': "import { c } from '../connection/connection';\nexport const x = c;\n" }, 'floors-not-to-rooms src/types/bad.ts'],
  ['the pool in src/connection', { 'src/connection/bad.ts': "import { p } from '../pool/pool';\nexport const x = p;\n" }, 'connection-not-to-upper-rooms src/connection/bad.ts'],
  ['liveness in src/connection', { 'src/connection/bad.ts': "import { det } from '../reconnect/detector';\nexport const x = det;\n" }, 'connection-not-to-upper-rooms src/connection/bad.ts'],
  ['streaming in src/connection', { 'src/connection/bad.ts': "import { rs } from '../streaming/row-stream';\nexport const x = rs;\n" }, 'connection-not-to-upper-rooms src/connection/bad.ts'],
  ['the pool in src/reconnect', { 'src/reconnect/bad.ts': "import { p } from '../pool/pool';\nexport const x = p;\n" }, 'reconnect-not-to-upper-rooms src/reconnect/bad.ts'],
  ['the pool in src/streaming', { 'src/streaming/bad.ts': "import { p } from '../pool/pool';\nexport const x = p;\n" }, 'streaming-not-to-upper-rooms src/streaming/bad.ts'],
  ['Observables in src/streaming', { 'src/streaming/bad.ts': "import { s } from '../rx/notes';\nexport const x = s;\n" }, 'streaming-not-to-upper-rooms src/streaming/bad.ts'],
  ['Observables in src/pool', { 'src/pool/bad.ts': "import { s } from '../rx/notes';\nexport const x = s;\n" }, 'rx-is-the-top src/pool/bad.ts'],
  ['Observables in src/connection', { 'src/connection/bad.ts': "import { s } from '../rx/notes';\nexport const x = s;\n" }, 'rx-is-the-top src/connection/bad.ts'],
  ['a module nobody imports loose in src/', { 'src/helpers.ts': 'export const h = 1;\n' }, 'src-root-only-entry src/helpers.ts'],
  ['an imported module loose in src/', { 'src/helpers.ts': 'export const h = 1;\n', 'src/pool/bad.ts': "import { h } from '../helpers';\nexport const x = h;\n" }, 'src-root-only-entry src/helpers.ts'],
  ['an import cycle', { 'src/util/a.ts': "import { b } from './b';\nexport const a = () => b;\n", 'src/util/b.ts': "import { a } from './a';\nexport const b = () => a;\n" }, 'no-circular src/util/a.ts'],
];

describe('dependency-cruiser layer rules', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>): string => {
    const dir = scratchTree(files);
    dirs.push(dir);
    return dir;
  };

  it('passes a tree that keeps every layer rule, and really cruises its TypeScript files', () => {
    const r = cruise(tree(ALLOWED));
    expect(r.modules).toBeGreaterThanOrEqual(Object.keys(ALLOWED).length);
    expect({ status: r.status, rules: r.rules }).toEqual({ status: 0, rules: [] });
  });

  it.each(FORBIDDEN)('fails the lint on %s', (_what, files, expected) => {
    const r = cruise(tree({ ...ALLOWED, ...files }));
    expect(r.modules).toBeGreaterThan(0);
    expect(r.status).not.toBe(0);
    expect(r.rules).toContain(expected);
  });
});

describe('ESLint purity rules', () => {
  // The config is required here and passed in: ESLint's own loader uses a
  // dynamic import(), which jest's VM does not allow.
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require(path.join(ROOT, 'eslint.config.js')) });
  /** The rule ids ESLint reports for `code` as if it lived at `file`. */
  async function rulesFor(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result.messages.map((m) => m.ruleId ?? m.message);
  }

  it.each([
    ['setTimeout(() => undefined, 1);\n', 'no-restricted-globals'],
    ['export const t = Date.now();\n', 'no-restricted-properties'],
    ['export const r = Math.random();\n', 'no-restricted-properties'],
    ['process.nextTick(() => undefined);\n', 'no-restricted-globals'],
    ['queueMicrotask(() => undefined);\n', 'no-restricted-globals'],
    ['export const d = new Date();\n', 'no-restricted-syntax'],
    ["import * as net from 'node:net';\nexport const n = net;\n", '@typescript-eslint/no-restricted-imports'],
  ])('rejects %j in src/core and src/protocol', async (code, rule) => {
    expect(await rulesFor('src/core/fixture.ts', code)).toContain(rule);
    expect(await rulesFor('src/protocol/fixture.ts', code)).toContain(rule);
  });

  it('allows timers outside the pure layers', async () => {
    expect(await rulesFor('reactor/fixture.ts', 'setTimeout(() => undefined, Date.now() % 2);\n')).toEqual([]);
  });

  it('allows passing time in as an argument in the pure layers', async () => {
    expect(await rulesFor('src/core/fixture.ts', 'export const late = (now: number, at: number): boolean => now > at;\n')).toEqual([]);
  });
});

describe('ESLint: one async idiom inside the driver', () => {
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require(path.join(ROOT, 'eslint.config.js')) });
  const RULE = 'tspostgres/one-async-idiom';
  async function rulesFor(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result.messages.map((m) => m.ruleId ?? m.message);
  }

  it.each([
    ['new Promise', 'export const p = new Promise<void>((resolve) => resolve());\n'],
    ['an async function', 'export async function f(): Promise<number> {\n  return 1;\n}\n'],
    ['an async arrow', 'export const f = async (): Promise<void> => undefined;\n'],
    ['an async method', 'export class C {\n  async m(): Promise<void> {}\n}\n'],
    ['.then(', 'export const g = (p: PromiseLike<number>): void => {\n  p.then((n) => n + 1);\n};\n'],
    ['Promise.resolve(', 'export const r = Promise.resolve(1);\n'],
  ])('rejects %s in a file of src/connection', async (_what, code) => {
    expect(await rulesFor('src/connection/fixture.ts', code)).toEqual([RULE]);
    expect(await rulesFor('src/pool/fixture.ts', code)).toEqual([RULE]);
  });

  it('allows a construct marked `// public boundary: Promise` on the line above or at the end of its line', async () => {
    const above = '// public boundary: Promise (the AbortSignal adapter)\nexport const p = new Promise<void>((resolve) => resolve());\n';
    const trailing = 'export const p = new Promise<void>((resolve) => resolve()); // public boundary: Promise\n';
    const then = 'export const g = (p: PromiseLike<number>): void => {\n  // public boundary: Promise\n  p.then((n) => n + 1);\n};\n';
    expect(await rulesFor('src/connection/fixture.ts', above)).toEqual([]);
    expect(await rulesFor('src/connection/fixture.ts', trailing)).toEqual([]);
    expect(await rulesFor('src/connection/fixture.ts', then)).toEqual([]);
  });

  it('a marker covers only its own line: the construct two lines below, or another comment text, still fails', async () => {
    const far = '// public boundary: Promise\nexport const a = 1;\nexport const p = new Promise<void>((resolve) => resolve());\n';
    const other = '// a Promise is fine here\nexport const p = new Promise<void>((resolve) => resolve());\n';
    expect(await rulesFor('src/connection/fixture.ts', far)).toEqual([RULE]);
    expect(await rulesFor('src/connection/fixture.ts', other)).toEqual([RULE]);
  });

  it('leaves the package entry, tests, examples and reactor/ alone', async () => {
    const code = 'export async function f(): Promise<number> {\n  return new Promise((r) => r(1)).then(() => 2);\n}\n';
    for (const file of ['src/index.ts', 'test/fixture.test.ts', 'examples/fixture.ts', 'reactor/fixture.ts']) {
      expect(await rulesFor(file, code)).not.toContain(RULE);
    }
  });

  it('is never switched off inside src/ with an eslint-disable comment (the marker is the only way)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/eslint-(disable|enable)[^\n]*one-async-idiom/.test(fs.readFileSync(file, 'utf8'))) offenders.push(path.relative(ROOT, file));
      }
    };
    walk(path.join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });
});
