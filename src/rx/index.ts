/**
 * The Observables layer: the only place that imports rxjs. Each Observable is
 * a function taking the connection (or pool) first; `./connection.ts` and
 * `./pool.ts` define the package's Connection and ConnectionPool, subclasses
 * of the driver's with these as methods and getters (the package entry
 * exports them under those names).
 */
export { reactorScheduler } from './scheduler';
export { notifications$, notices$ } from './notifications';
export { state$, stateChanges$, type StateChange } from './state';
export { listen, listenedChannels, type ListenOptions } from './listen';
export { poolListen, poolListenConnection } from './pool-listen';
export { query$ } from './query';
export type { QueryObservableOptions } from './query';
export { copyTo, copyFrom, type CopyToOptions } from './copy';
