/**
 * Every name the documentation imports from the package is really there
 * (issue 10, item 8).
 *
 * The docs (README.md, docs/**\/*.md) and the examples show `import { ... }
 * from 'tspostgres' | 'tspostgres/reactor' | 'tspostgres/core'`. This test
 * collects those imports, builds the package into a scratch directory (the
 * project's `tsconfig.build.json` and `scripts/build-esm.js`, as `npm run
 * build` does, without touching the working tree's `dist/`), packs it with
 * `npm pack`, extracts the tarball as `node_modules/tspostgres` of a scratch
 * project (dependencies linked from this checkout, so nothing is
 * downloaded), and then checks each name:
 *
 * - a value name (a plain specifier) must be defined when loaded with
 *   `require` and with `import`;
 * - every name, values and `type` ones alike, must be exported by the
 *   emitted declarations: a scratch TypeScript file importing them all
 *   (`import type`) must compile against the packed `.d.ts` files.
 *
 * An import from any other `tspostgres/...` path (e.g. `tspostgres/dist/...`,
 * which the package's `exports` map does not expose) fails the test.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const ENTRIES = ['tspostgres', 'tspostgres/reactor', 'tspostgres/core', 'tspostgres/testing', 'tspostgres/reactor/testing'] as const;
type Entry = (typeof ENTRIES)[number];

/** One imported name, where it was seen, and whether the docs import it as a type only. */
interface ImportedName {
  entry: Entry;
  name: string;
  typeOnly: boolean;
  where: string;
}

/** README.md, every .md under docs/, every .ts/.js/.mjs under examples/ (paths relative to the root). */
function documentationFiles(): string[] {
  const walk = (dir: string, keep: (f: string) => boolean): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
      const rel = path.join(dir, d.name);
      if (d.isDirectory()) return walk(rel, keep);
      return keep(d.name) ? [rel] : [];
    });
  return ['README.md', ...walk('docs', (f) => f.endsWith('.md')), ...walk('examples', (f) => /\.(ts|js|mjs)$/.test(f))];
}

/** Every module specifier naming the package (`from '...'`, `import('...')`, `require('...')`), with its file. */
function packageSpecifiers(files: string[]): Array<{ specifier: string; where: string }> {
  const out: Array<{ specifier: string; where: string }> = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](tspostgres(?:\/[^'"]*)?)['"]/g)) {
      out.push({ specifier: m[1], where: file });
    }
  }
  return out;
}

/** The names of every `import [type] { ... } from 'tspostgres[/reactor|/core|/testing|/reactor/testing]'`, across lines. */
export function importedNames(text: string, where: string): ImportedName[] {
  const out: ImportedName[] = [];
  const re = /\bimport\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](tspostgres(?:\/(?:reactor\/testing|reactor|core|testing))?)['"]/g;
  for (const m of text.matchAll(re)) {
    const wholeTypeOnly = m[1] !== undefined;
    for (const raw of m[2].replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
      const spec = raw.trim();
      if (spec === '') continue;
      const typeOnly = wholeTypeOnly || /^type\s/.test(spec);
      const name = spec.replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim();
      out.push({ entry: m[3] as Entry, name, typeOnly, where });
    }
  }
  return out;
}

function allImportedNames(): ImportedName[] {
  return documentationFiles().flatMap((f) => importedNames(fs.readFileSync(path.join(ROOT, f), 'utf8'), f));
}

/** `names` grouped by entry, deduplicated, sorted. */
function byEntry(names: ImportedName[], keep: (n: ImportedName) => boolean): Record<Entry, string[]> {
  const out = Object.fromEntries(ENTRIES.map((e) => [e, new Set<string>()])) as Record<Entry, Set<string>>;
  for (const n of names) if (keep(n)) out[n.entry].add(n.name);
  return Object.fromEntries(ENTRIES.map((e) => [e, [...out[e]].sort()])) as Record<Entry, string[]>;
}

describe('the imports shown in the docs', () => {
  it('parse: single and multi-line, type-only (whole or per name), aliases, comments', () => {
    const text = [
      "import { A, type B, C as D } from 'tspostgres';",
      "import type { E } from 'tspostgres/core';",
      'import {',
      '  F, // a comment',
      '  G,',
      "} from 'tspostgres/reactor';",
      "import { H } from '../src/index';",
    ].join('\n');
    expect(importedNames(text, 'x.md').map((n) => `${n.entry}:${n.name}:${n.typeOnly ? 'type' : 'value'}`)).toEqual([
      'tspostgres:A:value', 'tspostgres:B:type', 'tspostgres:C:value', 'tspostgres/core:E:type',
      'tspostgres/reactor:F:value', 'tspostgres/reactor:G:value',
    ]);
  });

  it('name only the package entry points (tspostgres, tspostgres/reactor, tspostgres/core)', () => {
    const stray = packageSpecifiers(documentationFiles()).filter((s) => !(ENTRIES as readonly string[]).includes(s.specifier));
    expect(stray).toEqual([]);
    expect(allImportedNames().length).toBeGreaterThan(50); // the collection really finds the docs' imports
  });
});

describe('every name the docs import resolves from the packed package', () => {
  let work: string;
  let app: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-docs-imports-'));
    const stage = path.join(work, 'stage');
    fs.mkdirSync(path.join(stage, 'scripts'), { recursive: true });
    for (const f of ['package.json', 'README.md']) fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
    fs.cpSync(path.join(ROOT, 'docs'), path.join(stage, 'docs'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'scripts', 'build-esm.js'), path.join(stage, 'scripts', 'build-esm.js'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir'); // build-esm.js loads the build (rxjs, ws)
    // `npm run build`, into the stage instead of ./dist: tsc, then the ESM entry points.
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], { cwd: ROOT });
    await run(process.execPath, [path.join(stage, 'scripts', 'build-esm.js')], { cwd: stage });
    const packed = await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: stage });
    const tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);

    app = path.join(work, 'app');
    const pkg = path.join(app, 'node_modules', 'tspostgres');
    fs.mkdirSync(pkg, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
    for (const dep of ['ws', 'rxjs', '@types']) {
      fs.mkdirSync(path.dirname(path.join(app, 'node_modules', dep)), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(app, 'node_modules', dep), 'dir');
    }
    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "docs-imports-app", "private": true, "type": "module" }\n');
  }, 180_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const values = (): Record<Entry, string[]> => byEntry(allImportedNames(), (n) => !n.typeOnly);

  /** Runs `script` in the scratch app; it prints JSON: per entry, the value names that are undefined. */
  async function missingWhenLoaded(file: string, script: string): Promise<Record<string, string[]>> {
    fs.writeFileSync(path.join(app, file), script);
    const { stdout } = await run(process.execPath, [file, JSON.stringify(values())], { cwd: app });
    return JSON.parse(stdout) as Record<string, string[]>;
  }

  it('with require (CommonJS): every value name is defined', async () => {
    const missing = await missingWhenLoaded('check.cjs', `
      const wanted = JSON.parse(process.argv[2]);
      const out = {};
      for (const [entry, names] of Object.entries(wanted)) {
        const m = require(entry);
        out[entry] = names.filter((n) => m[n] === undefined);
      }
      console.log(JSON.stringify(out));
    `);
    expect(missing).toEqual(Object.fromEntries(ENTRIES.map((e) => [e, []])));
  }, 60_000);

  it('with import (ESM): every value name is defined', async () => {
    const missing = await missingWhenLoaded('check.mjs', `
      const wanted = JSON.parse(process.argv[2]);
      const out = {};
      for (const [entry, names] of Object.entries(wanted)) {
        const m = await import(entry);
        out[entry] = names.filter((n) => m[n] === undefined);
      }
      console.log(JSON.stringify(out));
    `);
    expect(missing).toEqual(Object.fromEntries(ENTRIES.map((e) => [e, []])));
  }, 60_000);

  it('in the emitted declarations: every name, values and types, type-checks as an import', async () => {
    const all = byEntry(allImportedNames(), () => true);
    const lines = ENTRIES.filter((e) => all[e].length > 0).map((e, i) =>
      `import type { ${all[e].map((n) => `${n} as _${i}_${n}`).join(', ')} } from '${e}';`);
    fs.writeFileSync(path.join(app, 'check.mts'), `${lines.join('\n')}\nexport {};\n`);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [
      tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--types', 'node', 'check.mts',
    ], { cwd: app }).then(() => '', (e: { stdout?: string }) => e.stdout ?? String(e));
    expect(result).toBe('');
  }, 120_000);
});
