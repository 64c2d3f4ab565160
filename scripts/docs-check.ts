/**
 * `npm run docs:check`: the docs link check (rules in scripts/docs-links.ts).
 *
 * Checks README.md and every Markdown page under docs/ (relative links,
 * their #anchors, and that each target ships in the npm package), then the
 * built site (site/, from `npm run docs`): every relative href/src and
 * #anchor of every page. Prints each broken link as `file:line: target:
 * reason` and exits 1 when there is one.
 *
 * Usage: docs-check [--markdown-only] [--site DIR]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checkHtml, checkMarkdown, docsMarkdownFiles, formatBroken } from './docs-links';

const ROOT = path.resolve(__dirname, '..');

function main(): number {
  const { values } = parseArgs({
    options: { 'markdown-only': { type: 'boolean', default: false }, site: { type: 'string', default: 'site' } },
  });
  const files = docsMarkdownFiles(ROOT);
  const mdBroken = checkMarkdown(ROOT, files);
  console.log(`docs:check: ${files.length} Markdown files, ${mdBroken.length} broken links`);
  let failed = mdBroken.length > 0;
  if (failed) console.error(formatBroken(mdBroken));
  if (!values['markdown-only']) {
    const site = path.resolve(ROOT, values.site ?? 'site');
    if (!fs.existsSync(path.join(site, 'index.html'))) {
      console.error(`docs:check: no site at ${path.relative(ROOT, site)}/index.html: run \`npm run docs\` first`);
      return 1;
    }
    const htmlBroken = checkHtml(site);
    console.log(`docs:check: site ${path.relative(ROOT, site)}: ${htmlBroken.length} broken links`);
    if (htmlBroken.length > 0) {
      failed = true;
      console.error(formatBroken(htmlBroken.map((b) => ({ ...b, file: path.join(path.relative(ROOT, site), b.file) }))));
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
