/**
 * The documentation's TypeScript code blocks, shared by the two docs tests:
 * snippets.test.ts type-checks every block, snippets-run.test.ts runs them
 * against the run's PostgreSQL server.
 *
 * Theory of operation. {@link extractSnippets} finds each ```ts /
 * ```typescript block of a Markdown page with the HTML comments on the lines
 * right above it, which steer it:
 * - `<!-- snippet-prelude: declare const conn: Connection; -->` is code put
 *   before the block (imports allowed) for fragments that use names defined
 *   elsewhere on the page; several prelude comments are joined. When a block
 *   runs, every name the prelude declares (`declare const`, `declare
 *   function`) gets a real value from the runner (see snippets-run.test.ts).
 * - `<!-- snippet: skip (reason) -->` leaves out a block that is deliberately
 *   not a TypeScript program; the reason is required, and the skips are
 *   counted and listed.
 * - `<!-- snippet: compile-only (reason) -->` type-checks a block that cannot
 *   run by nature (it needs hosts that do not exist, say); the reason is
 *   required, and these are counted and listed too.
 * - `<!-- snippet-setup: SQL -->` is SQL the runner runs (as superuser, in
 *   the fixture database) before it runs the block, for state a fragment
 *   takes for granted (a replication slot that exists, say).
 * - `<!-- snippet-name: test/jobs/jobs.ts -->` places the block's module at
 *   that path from the root (in memory only; it must not be a real file), so
 *   another block can import it (`from './jobs'`) or the block's own
 *   relative imports resolve as written (`./examples/...` from the root).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The package's exports (package.json) mapped to the source entry points. */
export const ENTRY_POINTS: Record<string, string> = {
  tspostgres: 'src/index.ts',
  'tspostgres/reactor': 'reactor/index.ts',
  'tspostgres/reactor/testing': 'reactor/testing/index.ts',
  'tspostgres/core': 'src/core/index.ts',
  'tspostgres/testing': 'src/testing/index.ts',
};

/** One code block of a Markdown page. */
export interface Snippet {
  /** Page path relative to the root (or a fixture name). */
  file: string;
  /** 1-based line of the opening fence. */
  fenceLine: number;
  code: string;
  prelude: string;
  /** The reason given by `<!-- snippet: skip (reason) -->`, or null. */
  skip: string | null;
  /** The reason given by `<!-- snippet: compile-only (reason) -->`, or null. */
  compileOnly: string | null;
  /** A skip or compile-only comment without a reason in parentheses. */
  badSkip: boolean;
  /** SQL of the `<!-- snippet-setup: ... -->` comments, each run as one query before the block runs. */
  setup: string[];
  /** The module's path from the root, from `<!-- snippet-name: test/jobs/jobs.ts -->`, or null. */
  name: string | null;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;

/** The HTML comments on the lines right above line `i` (0-based), nearest last. */
function commentsAbove(lines: string[], i: number): string[] {
  const out: string[] = [];
  let end = i - 1;
  while (end >= 0 && lines[end].trim().endsWith('-->')) {
    let start = end;
    while (start >= 0 && !lines[start].includes('<!--')) start--;
    if (start < 0) break;
    out.unshift(lines.slice(start, end + 1).join('\n').trim());
    end = start - 1;
  }
  return out;
}

/** Every ```ts / ```typescript block of a Markdown text, with its steering comments. */
export function extractSnippets(text: string, file: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let j = i + 1;
    while (j < lines.length && !(lines[j].trim().startsWith(fence) && lines[j].trim().replace(/[`~]/g, '') === '')) j++;
    if (lang === 'ts' || lang === 'typescript') {
      const body = lines.slice(i + 1, j).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      const prelude: string[] = [];
      let skip: string | null = null;
      let compileOnly: string | null = null;
      let badSkip = false;
      const setup: string[] = [];
      let name: string | null = null;
      for (const c of commentsAbove(lines, i)) {
        const n = /^<!--\s*snippet-name:\s*([\w-]+(?:\/[\w.-]+)*\.ts)\s*-->$/.exec(c);
        if (n) name = n[1];
        const p = /^<!--\s*snippet-prelude:([\s\S]*?)-->$/.exec(c);
        if (p) prelude.push(p[1].trim());
        const u = /^<!--\s*snippet-setup:([\s\S]*?)-->$/.exec(c);
        if (u) setup.push(u[1].trim());
        const s = /^<!--\s*snippet:\s*(skip|compile-only)(?![\w-])([\s\S]*?)-->$/.exec(c);
        if (s) {
          const reason = /^\s*\(([\s\S]*\S[\s\S]*)\)\s*$/.exec(s[2]);
          if (!reason) badSkip = true;
          else if (s[1] === 'skip') skip = reason[1].replace(/\s+/g, ' ').trim();
          else compileOnly = reason[1].replace(/\s+/g, ' ').trim();
        }
      }
      out.push({
        file, fenceLine: i + 1, code: body.join('\n'), prelude: prelude.join('\n'), skip, compileOnly, badSkip, setup, name,
      });
    }
    i = j;
  }
  return out;
}

/** README.md, docs/getting-started.md and docs/guide/*.md, relative to the root. */
export function pages(): string[] {
  const guide = fs.readdirSync(path.join(ROOT, 'docs', 'guide')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', 'docs/getting-started.md', ...guide.map((f) => `docs/guide/${f}`)];
}

/** The repository's compiler options, as ES modules with the entry points mapped to the source, no emit. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  const paths: Record<string, string[]> = {};
  for (const [name, file] of Object.entries(ENTRY_POINTS)) paths[name] = [path.join(ROOT, file)];
  return {
    ...parsed.options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    rootDir: undefined,
    outDir: undefined,
    paths,
  };
}

/** One diagnostic, at the Markdown line it comes from. */
export interface SnippetDiagnostic {
  where: string;
  message: string;
}

/** Where in the Markdown a line of the scratch module comes from (0-based line of the module). */
function markdownLine(s: Snippet, preludeLines: number, line: number): string {
  if (line < preludeLines) return `${s.file}:${s.fenceLine - 1} (prelude)`;
  return `${s.file}:${s.fenceLine + 1 + line - preludeLines}`;
}

/**
 * Where the modules live: a folder that does not exist, one level under
 * test/, so a block's relative imports (`../support/server`,
 * `../../scripts/pg-cluster`) resolve as in a test file and the root's
 * node_modules (`rxjs`, `@types/node`) as for the source. The files are
 * served from memory: nothing is written to the shared working tree.
 */
const SCRATCH = path.join(ROOT, 'test', '__doc_snippets__');

/** Type-checks the non-skipped snippets in one program; the diagnostics of each, keyed by its index. */
export function checkSnippets(snippets: Snippet[]): Map<number, SnippetDiagnostic[]> {
  const files = new Map<string, { index: number; preludeLines: number; text: string }>();
  snippets.forEach((s, index) => {
    if (s.skip !== null) return;
    const prelude = s.prelude === '' ? '' : `${s.prelude}\n`;
    const name = s.name !== null ? path.join(ROOT, s.name) : path.join(SCRATCH, `${s.file.replace(/[^\w]+/g, '_')}_${s.fenceLine}.ts`);
    if (files.has(name) || fs.existsSync(name)) throw new Error(`snippets: ${s.file}:${s.fenceLine}: ${name} exists already`);
    files.set(name, { index, preludeLines: prelude === '' ? 0 : prelude.split('\n').length - 1, text: `${prelude}${s.code}\nexport {};\n` });
  });
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  const { directoryExists } = host;
  const dirs = new Set<string>();
  for (const f of files.keys()) for (let d = path.dirname(f); d.startsWith(ROOT) && !dirs.has(d); d = path.dirname(d)) dirs.add(d);
  host.directoryExists = (d) => dirs.has(path.resolve(d)) || (directoryExists?.call(host, d) ?? ts.sys.directoryExists(d));
  host.fileExists = (f) => files.has(path.resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => files.get(path.resolve(f))?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const mem = files.get(path.resolve(f));
    return mem ? ts.createSourceFile(f, mem.text, lang) : getSourceFile.call(host, f, lang, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const out = new Map<number, SnippetDiagnostic[]>();
  for (const [name, { index, preludeLines }] of files) {
    const sf = program.getSourceFile(name);
    if (!sf) throw new Error(`snippets: ${name} not in the program`);
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    out.set(index, diags.map((d) => ({
      where: markdownLine(snippets[index], preludeLines, d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line),
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    })));
  }
  return out;
}

