/**
 * Every TypeScript code block of the guides type-checks against today's
 * source (issue 14: "every guide's code is an example that runs in CI").
 *
 * Theory of operation. Each ```ts / ```typescript block of README.md,
 * docs/getting-started.md and docs/guide/*.md becomes its own module in a
 * scratch directory. The package's entry points (`tspostgres`,
 * `tspostgres/reactor`, `tspostgres/reactor/testing`, `tspostgres/core`,
 * `tspostgres/testing`) are mapped to the source files with `paths`, and all
 * blocks are compiled in ONE in-process TypeScript program (the repository's
 * compiler options, plus noEmit and ES modules so top-level `await` works).
 * Each diagnostic of a block is reported at its Markdown file:line.
 *
 * The HTML comments above a block that steer it (snippet-prelude,
 * `snippet: skip (reason)`, `snippet: compile-only (reason)`, snippet-setup,
 * snippet-name) are described in snippets.ts. Compile-only blocks are
 * type-checked here like the others; snippets-run.test.ts runs the rest.
 * A fixture page with a deliberately wrong block goes through the same
 * program, so a checker that accepted everything would fail here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, checkSnippets, extractSnippets, pages, type SnippetDiagnostic } from './snippets';

const FIXTURE = [
  '# Fixture',
  '```ts',
  "import { Connection } from 'tspostgres';",
  "const n: number = new Connection();",
  '```',
  '<!-- snippet-prelude: import { Connection } from \'tspostgres\'; declare const conn: Connection; -->',
  '```ts',
  "const rows = await conn.runQuery('SELECT 1');",
  'void rows;',
  '```',
  '```ts',
  'const missing: number = conn;',
  '```',
  '<!-- snippet: skip (pseudo-code) -->',
  '```typescript',
  'this is not TypeScript',
  '```',
  '<!-- snippet: skip -->',
  '```ts',
  'neither is this',
  '```',
].join('\n');

describe('documentation code blocks type-check against the source', () => {
  const docs = pages().flatMap((p) => extractSnippets(fs.readFileSync(path.join(ROOT, p), 'utf8'), p));
  const fixture = extractSnippets(FIXTURE, 'fixture.md');
  const all = [...fixture, ...docs];
  let results: Map<number, SnippetDiagnostic[]>;

  beforeAll(() => {
    results = checkSnippets(all);
  }, 120_000);

  it('the fixture: a wrong block and an undeclared name fail, a prelude makes a fragment pass, skips need a reason', () => {
    expect(fixture.map((s) => [s.fenceLine, s.skip, s.badSkip])).toEqual([
      [2, null, false], [7, null, false], [11, null, false], [15, 'pseudo-code', false], [19, null, true],
    ]);
    expect(fixture[1].prelude).toContain('declare const conn: Connection;');
    const wrong = results.get(0) ?? [];
    expect(wrong.map((d) => d.where)).toEqual(['fixture.md:4']);
    expect(wrong[0].message).toMatch(/not assignable to type 'number'/);
    expect(results.get(1)).toEqual([]);
    expect((results.get(2) ?? []).map((d) => d.where)).toEqual(['fixture.md:12']);
    expect(results.has(3)).toBe(false);
  });

  it('every block of README.md, docs/getting-started.md and docs/guide/*.md compiles (skips listed, each with a reason)', () => {
    const skipped = docs.filter((s) => s.skip !== null);
    const compileOnly = docs.filter((s) => s.compileOnly !== null);
    const badSkips = docs.filter((s) => s.badSkip).map((s) => `${s.file}:${s.fenceLine}: skip without a (reason)`);
    console.log(`snippets: ${docs.length} blocks, ${docs.length - skipped.length} type-checked, ${skipped.length} skipped (${compileOnly.length} more only type-checked, not run)${
      skipped.map((s) => `\n  skip ${s.file}:${s.fenceLine}: ${s.skip}`).join('')}`);
    const problems = docs.flatMap((_, i) => (results.get(fixture.length + i) ?? []).map((d) => `${d.where}: ${d.message}`));
    expect([...badSkips, ...problems]).toEqual([]);
    expect(docs.length).toBeGreaterThan(50);
  });
});
