// TypeDoc plugin for the docs site (`npm run docs`, typedoc.json).
//
// Theory of operation: TypeDoc builds the API reference from the five
// public entry points and takes the Markdown under docs/ as project
// documents. Three things make that output match the package and the
// Markdown as read on GitHub or in the npm tarball:
//
// 1. Entry points are named after their import specifier (`tspostgres`,
//    `tspostgres/reactor`, ...), not their folder (`src`, `reactor`).
// 2. Each document is titled by its first `# heading`, grouped by its
//    folder (Overview, Guides, API pages), and rendered at
//    `documents/<its path under docs/>.html`, so the site mirrors docs/;
//    documents are listed in the order docs/index.md links them.
// 3. Headings in documents get GitHub's anchors (lowercase; punctuation
//    other than `-` and `_` dropped; each space one `-`; repeats get `-1`,
//    `-2`), so a `page.md#anchor` link that works on GitHub works on the
//    site, and TypeDoc's own anchor validation checks it. The same rule is
//    scripts/docs-links.ts' `githubSlug`, used by `npm run docs:check`.
//    TypeDoc takes a heading's text from its text tokens only, so inline
//    code in headings is turned into text tokens that still render as
//    <code>: `## The \`sql\` tag` is #the-sql-tag, as on GitHub.
import { readFileSync } from 'node:fs';
import { Application, Converter, KindRouter, ReflectionKind } from 'typedoc';

/** Entry point module names (as TypeDoc derives them) to import specifiers. */
const MODULE_NAMES = {
  src: 'tspostgres',
  reactor: 'tspostgres/reactor',
  'reactor/testing': 'tspostgres/reactor/testing',
  'src/core': 'tspostgres/core',
  'src/testing': 'tspostgres/testing',
};

/** The group a document is listed under, by the first folder of its path under docs/. */
const GROUPS = { guide: 'Guides', api: 'API pages' };

/** A document reflection's path under docs/ without `.md` (e.g. `guide/reconnection`). */
const documentPaths = new WeakMap();

/** GitHub's heading anchor for a heading's text (see github-slugger). */
export function githubSlug(text) {
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Unique GitHub anchors within one page, with TypeDoc's Slugger interface. */
class GitHubSlugger {
  seen = new Map();

  slug(value) {
    const base = githubSlug(value.trim());
    let slug = base;
    let count = this.seen.get(base);
    if (count !== undefined) {
      do {
        count += 1;
        slug = `${base}-${count}`;
      } while (this.seen.has(slug));
      this.seen.set(base, count);
    }
    this.seen.set(slug, 0);
    return slug;
  }

  hasAnchor(anchor) {
    return this.seen.has(anchor);
  }

  getSimilarAnchors(anchor) {
    const stem = anchor.slice(0, Math.max(3, Math.floor(anchor.length / 2)));
    return [...this.seen.keys()].filter((a) => a.startsWith(stem)).slice(0, 5);
  }
}

/** The `kind` router, with documents at their docs/ paths and GitHub anchors in them. */
class DocsRouter extends KindRouter {
  documentSluggers = new Map();

  buildPages(project) {
    this.documentSluggers = new Map();
    return super.buildPages(project);
  }

  getIdealBaseName(reflection) {
    const path = documentPaths.get(reflection);
    if (reflection.kindOf(ReflectionKind.Document) && path) return `documents/${path}`;
    return super.getIdealBaseName(reflection);
  }

  getSlugger(target) {
    if (target.kindOf?.(ReflectionKind.Document) && documentPaths.has(target)) {
      let slugger = this.documentSluggers.get(target);
      if (!slugger) {
        slugger = new GitHubSlugger();
        this.documentSluggers.set(target, slugger);
      }
      return slugger;
    }
    return super.getSlugger(target);
  }
}

/** The text of a Markdown document's first `# heading`, or undefined. */
function firstHeading(parts) {
  const text = parts.map((p) => p.text).join('');
  const match = /^# +(.+?) *#* *$/m.exec(text);
  return match ? match[1].replace(/`/g, '') : undefined;
}

/** The docs/ paths (without `.md`) in the order docs/index.md first links them. */
function indexOrder() {
  const text = readFileSync(new URL('../docs/index.md', import.meta.url), 'utf8');
  const order = [];
  for (const m of text.matchAll(/\]\(([^)#\s]+)\.md(?:#[^)]*)?\)/g)) {
    if (!order.includes(m[1])) order.push(m[1]);
  }
  return order;
}

/** Sorts a project's documents as docs/index.md lists them; unlisted ones after, by path. */
function sortDocuments(project) {
  const order = indexOrder();
  const rank = (doc) => {
    const i = order.indexOf(documentPaths.get(doc) ?? '');
    return i < 0 ? order.length : i;
  };
  const compare = (a, b) => {
    const ra = a.kindOf(ReflectionKind.Document) ? rank(a) : -1;
    const rb = b.kindOf(ReflectionKind.Document) ? rank(b) : -1;
    return ra - rb || (documentPaths.get(a) ?? '').localeCompare(documentPaths.get(b) ?? '');
  };
  project.documents?.sort(compare);
  project.childrenIncludingDocuments?.sort(compare);
}

/**
 * A markdown-it core rule: inline code inside a heading becomes a `text`
 * token (so the heading's text, hence its anchor, includes it) marked to
 * render as `<code>`.
 */
function headingCodeAsText(parser) {
  parser.core.ruler.push('tspostgres_heading_code', (state) => {
    state.tokens.forEach((token, i) => {
      if (token.type !== 'heading_open') return;
      for (const child of state.tokens[i + 1]?.children ?? []) {
        if (child.type === 'code_inline') {
          child.type = 'text';
          child.meta = { ...child.meta, headingCode: true };
        }
      }
    });
  });
  const text = parser.renderer.rules.text;
  parser.renderer.rules.text = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    if (token.meta?.headingCode) return `<code>${parser.utils.escapeHtml(token.content)}</code>`;
    return text ? text(tokens, idx, options, env, self) : parser.utils.escapeHtml(token.content);
  };
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    const previous = app.options.getValue('markdownItLoader');
    app.options.setValue('markdownItLoader', (parser) => {
      previous?.(parser);
      headingCodeAsText(parser);
    });
  });
  app.renderer.defineRouter('tspostgres-docs', DocsRouter);

  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, doc) => {
    const path = doc.name;
    documentPaths.set(doc, path);
    doc.name = firstHeading(doc.content) ?? path;
    const folder = path.includes('/') ? path.split('/')[0] : '';
    doc.frontmatter.group ??= GROUPS[folder] ?? 'Overview';
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    sortDocuments(context.project);
    for (const mod of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const name = MODULE_NAMES[mod.name];
      if (name) mod.name = name;
      else app.logger.warn(`docs-plugin: no import specifier for the entry point module "${mod.name}"`);
    }
  });
}
