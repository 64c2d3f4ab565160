/**
 * Jest runs every test against one real PostgreSQL server per run: the global
 * setup starts it (test/support/global-setup.ts) and exports its address in
 * the environment; the global teardown stops it.
 * ts-jest transpiles only (isolatedModules); type checking is `npm run lint`.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { isolatedModules: true } }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
