/**
 * The docs link checker's rules (`npm run docs:check`, scripts/docs-check.ts,
 * test/docs/links.test.ts).
 *
 * Theory of operation. The docs are read in three places: on a repository
 * host (GitHub renders the Markdown), in the npm tarball (which ships only
 * `dist/`, `README.md`, `docs/` and `package.json`) and on the TypeDoc site
 * (`npm run docs`, site/). A relative link is good in all three only if
 *
 * - its file exists and is a file (a folder has no page on the site);
 * - the file is shipped in the npm package (a link to `../src/x.ts` or
 *   `../examples/` works in a clone and is dead in the tarball: name such
 *   files as inline code instead, see docs/index.md "Reading these docs");
 * - its `#anchor`, if any, is a heading of the target Markdown page by
 *   GitHub's rule ({@link githubSlug}, which the site uses too, see
 *   scripts/docs-plugin.mjs) or an explicit `id`/`name` in its HTML.
 *
 * The Markdown side is parsed just enough: fenced code blocks and inline
 * code spans are skipped, inline links and images, reference definitions
 * and `<a href>`/`<img src>` tags are checked. The HTML side (the built site)
 * checks every `href`/`src` against the files and `id`s of the site.
 * External links (`https:`, `mailto:`, ...) are not fetched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A link found in a file: the file (relative to the checked root), its 1-based line and the raw target. */
export interface FoundLink {
  file: string;
  line: number;
  target: string;
}

/** A link that does not resolve, and why. */
export interface BrokenLink extends FoundLink {
  reason: string;
}

/** The `files` of the package.json under `root` (what `npm pack` ships), or the project's own when there is none. */
export function packageFiles(root: string): string[] {
  const manifest = path.join(root, 'package.json');
  if (!fs.existsSync(manifest)) return ['dist', 'README.md', 'docs'];
  const files = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { files?: unknown }).files;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
}

/**
 * Whether the npm tarball ships `rel` (relative to the repository root):
 * under one of package.json's `files`, or what npm always adds
 * (package.json, a README, a LICENSE).
 */
export function shippedInPackage(rel: string, files: readonly string[]): boolean {
  const under = files.some((f) => {
    const entry = f.replace(/^\.\//, '').replace(/\/$/, '');
    return rel === entry || rel.startsWith(`${entry}/`);
  });
  return under || rel === 'package.json' || /^(README|LICEN[CS]E)(\.|$)/i.test(rel);
}

/**
 * GitHub's anchor for a heading's rendered text (github-slugger): lowercase,
 * drop every character but letters, marks, digits, connector punctuation
 * (`_`), `-` and space, then each space becomes `-`.
 */
export function githubSlug(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** A heading's Markdown source reduced to the text GitHub renders (links to their text, code and tags unwrapped). */
export function headingText(source: string): string {
  return source
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+/g, '')
    .replace(/(^|\s)[*_]+|[*_]+(?=\s|$)/g, '$1')
    .replace(/\s+#+\s*$/, '');
}

/** The lines of a Markdown file with fenced code blocks blanked (line numbers kept). */
export function proseLines(source: string): string[] {
  let fence: string | undefined;
  return source.split('\n').map((line) => {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined) {
      if (open) {
        fence = open[1];
        return '';
      }
      return line;
    }
    if (open && open[1][0] === fence[0] && open[1].length >= fence.length && line.trim() === open[1]) fence = undefined;
    return '';
  });
}

/** Removes inline code spans (`x`, ``x``) from one line of prose. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`]*?\1/g, (m) => ' '.repeat(m.length));
}

/** Every anchor a Markdown page defines: its headings' GitHub slugs (repeats numbered) and explicit HTML ids/names. */
export function markdownAnchors(source: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const addHeading = (text: string): void => {
    const base = githubSlug(headingText(text));
    let slug = base;
    let n = counts.get(base);
    if (n !== undefined) {
      do {
        n += 1;
        slug = `${base}-${n}`;
      } while (anchors.has(slug));
      counts.set(base, n);
    } else {
      counts.set(base, 0);
    }
    anchors.add(slug);
  };
  const lines = proseLines(source);
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}\s+(.*)$/.exec(line);
    if (atx) addHeading(atx[1]);
    else if (/^ {0,3}(=+|-+)\s*$/.test(line) && i > 0 && lines[i - 1].trim() !== '' && !/^\s*[-*+>|]/.test(lines[i - 1])) {
      addHeading(lines[i - 1]);
    }
    for (const m of withoutCodeSpans(line).matchAll(/<[a-z][^>]*\s(?:id|name)="([^"]+)"/gi)) anchors.add(m[1]);
  });
  return anchors;
}

/** Every link target in a Markdown file, outside code: inline links and images, reference definitions, HTML href/src. */
export function markdownLinks(file: string, source: string): FoundLink[] {
  const links: FoundLink[] = [];
  proseLines(source).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    const add = (target: string): void => {
      links.push({ file, line: i + 1, target: target.replace(/^<|>$/g, '') });
    };
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+["'(][^)]*)?\)/g)) add(m[1]);
    const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (def) add(def[1]);
    for (const m of line.matchAll(/<(?:a|img|source)\s[^>]*?\b(?:href|src)="([^"]*)"/gi)) add(m[1]);
  });
  return links;
}

/** True for a link that leaves the docs (a scheme such as https: or mailto:, or protocol-relative). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/** Splits a target into its decoded path and its anchor (either may be empty). */
function splitTarget(target: string): { file: string; anchor: string } {
  const hash = target.indexOf('#');
  const file = (hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
  const anchor = hash < 0 ? '' : target.slice(hash + 1);
  return { file: safeDecode(file), anchor: safeDecode(anchor) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Checks the relative links of Markdown files under `root` (paths relative
 * to it, e.g. `README.md`, `docs/guide/x.md`): existence, being shipped in
 * the npm package, and anchors.
 */
export function checkMarkdown(root: string, files: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const shipped = packageFiles(root);
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (rel: string): Set<string> => {
    let set = anchorCache.get(rel);
    if (!set) {
      set = markdownAnchors(fs.readFileSync(path.join(root, rel), 'utf8'));
      anchorCache.set(rel, set);
    }
    return set;
  };
  for (const file of files) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    for (const link of markdownLinks(file, source)) {
      const reason = markdownLinkProblem(root, file, link.target, shipped, anchorsOf);
      if (reason) broken.push({ ...link, reason });
    }
  }
  return broken;
}

/** Why one Markdown link does not resolve, or undefined when it does. */
function markdownLinkProblem(
  root: string, from: string, target: string, shipped: readonly string[], anchorsOf: (rel: string) => Set<string>,
): string | undefined {
  if (target === '') return 'empty link';
  if (isExternal(target)) return undefined;
  const { file, anchor } = splitTarget(target);
  if (file.startsWith('/')) return 'absolute path: use a path relative to this file';
  const rel = file === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
  if (rel.startsWith('..')) return 'points outside the repository';
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return `no such file: ${rel}`;
  if (fs.statSync(abs).isDirectory()) return `a folder (${rel}): the site has no page for it; link a file`;
  if (!shippedInPackage(rel, shipped)) {
    return `${rel} is not in the npm package (package.json "files"): name it as inline code, see docs/index.md "Reading these docs"`;
  }
  if (anchor !== '' && rel.endsWith('.md') && !anchorsOf(rel).has(anchor)) return `no heading or id "#${anchor}" in ${rel}`;
  return undefined;
}

/** README.md and every Markdown file under docs/, relative to the repository root, sorted. */
export function docsMarkdownFiles(root: string): string[] {
  return ['README.md', ...walk(root, 'docs').filter((f) => f.endsWith('.md'))];
}

/** Every file under `dir` (relative to `root`), sorted, as POSIX paths relative to `root`. */
export function walk(root: string, dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const rel = path.posix.join(dir, d.name);
      return d.isDirectory() ? walk(root, rel) : [rel];
    });
}

/** The ids and names an HTML or SVG file defines. */
export function htmlAnchors(source: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of source.matchAll(/\s(?:id|name)="([^"]*)"/g)) anchors.add(decodeEntities(m[1]));
  return anchors;
}

/** The href and src targets of an HTML file's tags. */
export function htmlLinks(file: string, source: string): FoundLink[] {
  const links: FoundLink[] = [];
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/<[a-z][a-z0-9]*\s[^>]*?\b(?:href|src)="([^"]*)"/gi)) {
      links.push({ file, line: i + 1, target: decodeEntities(m[1]) });
    }
  });
  return links;
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** Checks every relative href/src (and its #anchor) of every .html file under `site`. */
export function checkHtml(site: string): BrokenLink[] {
  const files = walk(site, '.').map((f) => path.posix.normalize(f));
  const present = new Set(files);
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (rel: string): Set<string> => {
    let set = anchorCache.get(rel);
    if (!set) {
      set = htmlAnchors(fs.readFileSync(path.join(site, rel), 'utf8'));
      anchorCache.set(rel, set);
    }
    return set;
  };
  const broken: BrokenLink[] = [];
  for (const file of files.filter((f) => f.endsWith('.html'))) {
    for (const link of htmlLinks(file, fs.readFileSync(path.join(site, file), 'utf8'))) {
      const reason = htmlLinkProblem(file, link.target, present, anchorsOf);
      if (reason) broken.push({ ...link, reason });
    }
  }
  return broken;
}

/** Why one site link does not resolve, or undefined when it does. */
function htmlLinkProblem(
  from: string, target: string, present: Set<string>, anchorsOf: (rel: string) => Set<string>,
): string | undefined {
  if (isExternal(target)) return undefined;
  const { file, anchor } = splitTarget(target);
  if (file.startsWith('/')) return 'absolute path';
  let rel = file === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
  if (rel.startsWith('..')) return 'points outside the site';
  if (!present.has(rel)) {
    const index = path.posix.join(rel, 'index.html');
    if (!present.has(index)) return `no such file in the site: ${rel}`;
    rel = index;
  }
  if (anchor !== '' && /\.(html|svg)$/.test(rel) && !anchorsOf(rel).has(anchor)) return `no id "#${anchor}" in ${rel}`;
  return undefined;
}

/** One line per broken link: `file:line: target: reason`. */
export function formatBroken(broken: readonly BrokenLink[]): string {
  return broken.map((b) => `${b.file}:${b.line}: ${b.target}: ${b.reason}`).join('\n');
}
