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

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
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
