// dependency-cruiser rules: the layer rules of design.md section 1, checked
// by `npm run lint` (depcruise src reactor examples). Paths are relative to
// the repository root. test/lint/ proves that a violation fails.
'use strict';

const PURE = '^src/(protocol|core)/';
const NODE_MODULES = '(^|/)node_modules/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles (design.md rule 6), type-only imports included: a type-level circle is a tangle too.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Nothing outside test/ imports test/ (rule 6).',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'pure-no-node-builtins',
      severity: 'error',
      comment: 'src/protocol and src/core are pure: no node builtins (rule 1).',
      from: { path: PURE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-no-packages',
      severity: 'error',
      comment: 'src/protocol and src/core are pure: no npm packages such as ws or rxjs (rule 1).',
      from: { path: PURE },
      to: { path: NODE_MODULES },
    },
    {
      name: 'pure-no-higher-layers',
      severity: 'error',
      comment: 'src/protocol and src/core import only src/protocol, src/core, src/errors and src/util (rule 1; core never imports src/types).',
      from: { path: PURE },
      to: { path: '^(src|reactor)/', pathNot: '^src/(protocol|core|errors|util)/' },
    },
    {
      name: 'protocol-not-to-core',
      severity: 'error',
      comment: 'The codec sits below the machine.',
      from: { path: '^src/protocol/' },
      to: { path: '^src/core/' },
    },
    {
      name: 'reactor-knows-no-postgres',
      severity: 'error',
      comment: 'reactor/ moves bytes; it imports nothing from src/ (rule 2).',
      from: { path: '^reactor/' },
      to: { path: '^src/' },
    },
    {
      name: 'src-reactor-interfaces-only',
      severity: 'error',
      comment: 'src/ uses reactors only through reactor/interfaces; only the package entry wires a default reactor (rule 3).',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^reactor/', pathNot: '^reactor/interfaces\\.ts$' },
    },
    {
      name: 'src-reactor-type-only',
      severity: 'error',
      comment: 'src/ imports reactor/interfaces as types only (`import type`) (rule 3).',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^reactor/interfaces\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'rxjs-only-in-rx',
      severity: 'error',
      comment: 'Inside the library, rxjs is imported only under src/rx/ (rule 4); examples are user code and may use its operators.',
      from: { pathNot: '^(src/rx/|examples/)' },
      to: { path: `${NODE_MODULES}rxjs/` },
    },
    {
      name: 'ws-only-in-websocket-reactor',
      severity: 'error',
      comment: 'ws is imported only under reactor/websocket/ (the WebSocket reactor and the ws proxy) (rule 4).',
      from: { pathNot: '^reactor/websocket/' },
      to: { path: `${NODE_MODULES}ws/` },
    },
    {
      name: 'examples-use-public-entries',
      severity: 'error',
      comment: 'examples/ import the package entries (src/index, reactor/index, src/core/index) or scripts/, never internals.',
      from: { path: '^examples/' },
      to: {
        path: '^(src|reactor|bench|test)/',
        pathNot: '^(src/index\\.ts|reactor/index\\.ts|src/core/index\\.ts)$',
      },
    },
    {
      name: 'shipped-code-no-dev-deps',
      severity: 'error',
      comment: 'src/ and reactor/ are shipped: no devDependencies at run time (peer rxjs is fine).',
      from: { path: '^(src|reactor)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['npm-peer', 'type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|\\.tmp)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
