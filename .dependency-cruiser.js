// dependency-cruiser rules: the layer rules of design.md section 1, checked
// by `npm run lint` (depcruise src reactor examples). Paths are relative to
// the repository root. test/lint/ proves that a violation fails.
'use strict';

const PURE = '^src/(protocol|core)/';
const NODE_MODULES = '(^|/)node_modules/';
/** The rooms of the driver, above the floors (docs/architecture.md). */
const ROOMS = '^src/(connection|reconnect|streaming|pool|rx)/';
/** The only module allowed directly in src/: the package entry. */
const SRC_ROOT_STRAY = { path: '^src/[^/]+$', pathNot: '^src/index\\.ts$' };

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
      name: 'errors-is-the-ground-floor',
      severity: 'error',
      comment: 'src/errors is the ground floor: it imports nothing from src/ or reactor/ but src/errors itself (every other part imports it).',
      from: { path: '^src/errors/' },
      to: { path: '^(src|reactor)/', pathNot: '^src/errors/' },
    },
    {
      name: 'defer-not-to-driver',
      severity: 'error',
      comment: 'src/defer (Deferreds) sits below the driver: from src/ it imports only src/defer, src/errors and src/util (reactor/interfaces types are allowed by the reactor rules).',
      from: { path: '^src/defer/' },
      to: { path: '^src/', pathNot: '^src/(defer|errors|util)/' },
    },
    {
      name: 'floors-not-to-rooms',
      severity: 'error',
      comment: 'The floors below the driver (util, types, dsn, config; protocol and core have their own rule) import none of its rooms: connection, reconnect, streaming, pool, rx.',
      from: { path: '^src/(util|types|dsn|config)/' },
      to: { path: ROOMS },
    },
    {
      name: 'connection-not-to-upper-rooms',
      severity: 'error',
      comment: 'The driver room (src/connection) knows nothing of liveness, streaming, the pool or Observables: they are built on it.',
      from: { path: '^src/connection/' },
      to: { path: '^src/(reconnect|streaming|pool|rx)/' },
    },
    {
      name: 'reconnect-not-to-upper-rooms',
      severity: 'error',
      comment: 'Liveness (src/reconnect) sits on the driver; it imports neither the pool, streaming nor Observables.',
      from: { path: '^src/reconnect/' },
      to: { path: '^src/(streaming|pool|rx)/' },
    },
    {
      name: 'streaming-not-to-upper-rooms',
      severity: 'error',
      comment: 'Streaming (src/streaming) sits on the driver; it imports neither the pool nor Observables.',
      from: { path: '^src/streaming/' },
      to: { path: '^src/(pool|rx)/' },
    },
    {
      name: 'rx-is-the-top',
      severity: 'error',
      comment: 'src/rx (Observables) is the top room: within src/ only src/rx itself and the package entry import it.',
      from: { path: '^src/', pathNot: '^src/(rx/|index\\.ts$)' },
      to: { path: '^src/rx/' },
    },
    {
      name: 'src-root-only-entry',
      severity: 'error',
      comment: 'src/ holds only the package entry (src/index.ts) beside its folders; every other module lives in a room. (Two module rules, one for modules nobody imports and one for the rest.)',
      from: {},
      module: { ...SRC_ROOT_STRAY, numberOfDependentsLessThan: 1 },
    },
    {
      name: 'src-root-only-entry',
      severity: 'error',
      comment: 'See the rule of the same name above.',
      from: {},
      module: { ...SRC_ROOT_STRAY, numberOfDependentsMoreThan: 0 },
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
      comment: 'ws is imported only under reactor/websocket/ (the WebSocket reactor and the ws proxy) (rule 4); examples/ws-bridge/ is user code serving browsers.',
      from: { pathNot: '^(reactor/websocket/|examples/ws-bridge/)' },
      to: { path: `${NODE_MODULES}ws/` },
    },
    {
      name: 'examples-use-public-entries',
      severity: 'error',
      comment: 'examples/ import the package entries (src/index, reactor/index, src/core/index, src/testing/index) or scripts/, never internals.',
      from: { path: '^examples/' },
      to: {
        path: '^(src|reactor|bench|test)/',
        pathNot: '^(src/index\\.ts|reactor/index\\.ts|src/core/index\\.ts|src/testing/index\\.ts)$',
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
