// Writes ESM entry points next to the CommonJS build so that `import` and
// `require` consumers load the same module instance (no dual-package hazard):
// each .mjs file re-exports, by name, what the CommonJS entry exports.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const entries = {
  'index.mjs': '../src/index.js',
  'reactor.mjs': '../reactor/index.js',
  'reactor-testing.mjs': '../reactor/testing/index.js',
  'core.mjs': '../src/core/index.js',
  'testing.mjs': '../src/testing/index.js',
};

fs.mkdirSync(path.join(dist, 'esm'), { recursive: true });
for (const [file, target] of Object.entries(entries)) {
  const abs = path.join(dist, 'esm', target);
  if (!fs.existsSync(abs)) continue;
  const names = Object.keys(require(abs)).filter((n) => n !== 'default' && n !== '__esModule');
  const lines = [`import cjs from '${target}';`, ...names.map((n) => `export const ${n} = cjs.${n};`), 'export default cjs;', ''];
  fs.writeFileSync(path.join(dist, 'esm', file), lines.join('\n'));
}
