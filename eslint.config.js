// ESLint flat config: typescript-eslint's recommended rules for the whole
// repository, plus the purity rules of design.md section 1 for the sans-IO
// layers (src/protocol, src/core): no timers, clocks, randomness, process or
// Node globals there. Import-level layer rules live in .dependency-cruiser.js.
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

/** Globals that would make the pure layers depend on time, I/O or the host. */
const impureGlobals = [
  'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate',
  'queueMicrotask', 'process', 'Buffer', 'performance', 'crypto', 'require', 'fetch',
].map((name) => ({ name, message: 'src/protocol and src/core are pure: pass time, randomness, crypto and I/O in as arguments.' }));

const pureMessage = 'src/protocol and src/core are pure: time and randomness come in as arguments.';

/**
 * One async idiom inside the driver (docs/architecture.md, "One async idiom"):
 * src/ runs on Deferreds fired from the reactor's callSoon, so no
 * `new Promise`, no `async` function, no `.then(` call and no `Promise.x()`
 * there. The documented public boundary (Deferred's PromiseLike side, the
 * AbortSignal and async-iterable adapters, files read before a connection
 * starts) is marked line by line with the comment
 *
 *     // public boundary: Promise (why)
 *
 * on the line above the construct or at the end of its line (the marker may
 * also note, where no construct is flagged, a Promise entering through
 * fromPromise). The rule matches the selectors below. It is not switched off
 * with eslint-disable comments (test/lint checks src/ has none for it).
 */
const BOUNDARY_MARKER = /^\s*public boundary: Promise\b/;
const asyncIdiomMessage = 'One async idiom inside the driver: use Deferreds (succeed/fail, addCallback, callSoon), not {{what}}. '
  + 'At the documented public boundary mark the line with `// public boundary: Promise` (docs/architecture.md).';
const ASYNC_SELECTORS = {
  "NewExpression[callee.name='Promise']": 'new Promise',
  ':function[async=true]': 'an async function',
  "CallExpression > MemberExpression.callee[computed=false] > Identifier.property[name='then']": '.then(...)',
  "CallExpression > MemberExpression.callee[object.name='Promise']": 'Promise.{{name}}(...)',
};
const oneAsyncIdiom = {
  meta: {
    type: 'problem',
    docs: { description: 'No new Promise / async / .then( inside src/ except at lines marked `// public boundary: Promise`.' },
    schema: [],
    messages: { idiom: asyncIdiomMessage },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    /** The lines a marker allows: its own line for a trailing marker, the next line for a marker on a line of its own. */
    const allowed = new Set();
    for (const comment of sourceCode.getAllComments()) {
      if (comment.type !== 'Line' || !BOUNDARY_MARKER.test(comment.value)) continue;
      const line = comment.loc.start.line;
      const before = sourceCode.lines[line - 1].slice(0, comment.loc.start.column);
      allowed.add(before.trim() === '' ? line + 1 : line);
    }
    const check = (what) => (node) => {
      if (allowed.has(node.loc.start.line)) return;
      const name = node.property && node.property.type === 'Identifier' ? node.property.name : '';
      context.report({ node, messageId: 'idiom', data: { what: what.replace('{{name}}', name) } });
    };
    const listeners = {};
    for (const [selector, what] of Object.entries(ASYNC_SELECTORS)) listeners[selector] = check(what);
    return listeners;
  },
};
const tspostgresPlugin = { meta: { name: 'tspostgres' }, rules: { 'one-async-idiom': oneAsyncIdiom } };

/**
 * The configuration layer is Promise-based by design (its public
 * `loadConfig` returns a Promise): it reads files with fs/promises *before*
 * the Deferred path of `connect()` starts, which takes its result in through
 * `fromPromise` at one marked line. It is outside the driver's internals.
 */
const PROMISE_LAYERS = ['src/config/**/*.ts'];


module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', 'site/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/index.ts', ...PROMISE_LAYERS],
    plugins: { tspostgres: tspostgresPlugin },
    rules: { 'tspostgres/one-async-idiom': 'error' },
  },
  {
    files: ['src/protocol/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: pureMessage },
        { object: 'Math', property: 'random', message: pureMessage },
        { object: 'process', property: 'nextTick', message: pureMessage },
        { object: 'performance', property: 'now', message: pureMessage },
        { object: 'globalThis', property: 'setTimeout', message: pureMessage },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() reads the clock; ${pureMessage}` },
      ],
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['fs', 'net', 'tls', 'crypto', 'os', 'path', 'child_process', 'dns', 'stream', 'events', 'timers', 'ws', 'rxjs']
          .map((name) => ({ name, message: 'no Node modules, ws or rxjs in the pure layers.' })),
        patterns: [
          { group: ['node:*', 'rxjs/*'], message: 'no Node modules or rxjs in the pure layers.' },
          { group: ['**/reactor/*', '**/defer/*', '**/rx/*'], message: 'the pure layers import no reactor, Deferred or rx code.' },
        ],
      }],
    },
  },
);
