/**
 * The docs link check, Markdown part (`npm run docs:check` also checks the
 * built site): every relative link and #anchor in README.md and docs/**\/*.md
 * resolves to a file the npm package ships. The rules are exercised on small
 * fixtures first, so a checker that accepted everything would fail here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkHtml, checkMarkdown, docsMarkdownFiles, formatBroken, githubSlug, markdownAnchors, markdownLinks, shippedInPackage,
} from '../../scripts/docs-links';

const ROOT = path.resolve(__dirname, '..', '..');

/** A scratch tree: { 'docs/a.md': '...' } written under a fresh temporary root. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-docs-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('githubSlug and markdownAnchors (GitHub heading anchors)', () => {
  it('lowercases, drops punctuation but - and _, turns each space into -', () => {
    expect(githubSlug('5. The states of a connection')).toBe('5-the-states-of-a-connection');
    expect(githubSlug("A query's parameters, down to bytes")).toBe('a-querys-parameters-down-to-bytes');
    expect(githubSlug('Retries — and more')).toBe('retries--and-more');
    expect(githubSlug('close({ timeout })')).toBe('close-timeout-');
    expect(githubSlug('snake_case Ünïcode')).toBe('snake_case-ünïcode');
  });

  it('numbers repeated headings, unwraps code and links, reads setext headings and ids, skips fences', () => {
    const anchors = markdownAnchors([
      '# Title', '## `runQuery` and [links](x.md)', '## Title', 'Setext', '------',
      '<a id="custom"></a>', '```md', '# not a heading', '```',
    ].join('\n'));
    expect([...anchors]).toEqual(['title', 'runquery-and-links', 'title-1', 'setext', 'custom']);
  });
});

describe('markdownLinks', () => {
  it('finds inline links, images, definitions and tags, not links in code', () => {
    const links = markdownLinks('x.md', [
      'See [a](a.md#top) and ![pic](images/p.svg "title").',
      '`[not](code.md)` and', '```', '[not](fenced.md)', '```',
      '[ref]: ref.md', '<a href="tag.md">t</a> <img src="img.svg">',
    ].join('\n')).map((l) => `${l.line}:${l.target}`);
    expect(links).toEqual(['1:a.md#top', '1:images/p.svg', '6:ref.md', '7:tag.md', '7:img.svg']);
  });
});

describe('checkMarkdown', () => {
  it('reports a missing file, a bad anchor, a folder and a file the package does not ship', () => {
    const root = tree({
      'README.md': '[ok](docs/a.md#section) [bad anchor](docs/a.md#nope) [src](src/x.ts)',
      'docs/a.md': '# A\n## Section\n[self](#a) [gone](b.md) [folder](guide/) [web](https://example.com/x)',
      'docs/guide/c.md': '# C',
      'src/x.ts': '',
    });
    const broken = checkMarkdown(root, docsMarkdownFiles(root)).map((b) => `${b.file}:${b.target}`);
    expect(broken).toEqual([
      'README.md:docs/a.md#nope', 'README.md:src/x.ts', 'docs/a.md:b.md', 'docs/a.md:guide/',
    ]);
  });
});

describe('checkHtml', () => {
  it('reports a missing page and a missing id, accepts folders with index.html', () => {
    const root = tree({
      'index.html': '<a href="p.html#x">1</a><a href="p.html#y">2</a><a href="q.html">3</a><a href="d/">4</a><a href="#">5</a>',
      'p.html': '<h2 id="x">X</h2>',
      'd/index.html': '',
    });
    expect(checkHtml(root).map((b) => b.target)).toEqual(['p.html#y', 'q.html']);
  });
});

describe('the repository docs', () => {
  it('README.md and docs/**/*.md have no broken relative link or anchor, and link only what the package ships', () => {
    const files = docsMarkdownFiles(ROOT);
    expect(files.length).toBeGreaterThan(20);
    expect(formatBroken(checkMarkdown(ROOT, files))).toBe('');
  });
});

describe('shippedInPackage', () => {
  it('follows package.json "files" and what npm always adds', () => {
    const files = ['dist', 'README.md', 'docs/'];
    expect(shippedInPackage('docs/images/x.svg', files)).toBe(true);
    expect(shippedInPackage('dist/src/index.js', files)).toBe(true);
    expect(shippedInPackage('LICENSE', files)).toBe(true);
    expect(shippedInPackage('examples/demo.ts', files)).toBe(false);
    expect(shippedInPackage('docsx/a.md', files)).toBe(false);
  });
});
