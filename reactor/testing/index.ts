/**
 * `tspostgres/reactor/testing`: the reactor conformance suite, for your own reactor.
 *
 * - {@link describeReactorConformance}: declares the tests every reactor
 *   passes (the three shipped here run it) with your runner's test functions.
 * - {@link ConformanceEnv}: what your test file provides (the reactor, a
 *   server to connect to, how time passes).
 * - {@link Recorder}: a recording `TransportHandler` for your own tests.
 * - {@link runUntilReal}, {@link waitReal}: the env's drivers on real time.
 *
 * See docs/guide/writing-a-reactor.md.
 */
export { describeReactorConformance, CONFORMANCE_TEST_TIMEOUT_MS } from './conformance';
export type { ConformanceEnv } from './conformance';
export type { ConformanceRunner, ConformanceExpect, ConformanceMatchers } from './runner';
export { Recorder } from './recorder';
export type { RecorderHooks } from './recorder';
export { runUntilReal, waitReal, realTimeDrivers } from './real-time';
