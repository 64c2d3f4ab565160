/**
 * The scripted backend of the test suite is the package's own
 * `tspostgres/testing` (src/testing/); this module re-exports it so the
 * tests written before it moved keep their import.
 */
export * from '../../src/testing';
