/**
 * The Observables layer: the only place that imports rxjs. Importing
 * `./install` (the package entry does) attaches them to Connection and
 * ConnectionPool.
 */
export { reactorScheduler } from './scheduler';
export { notifications$, notices$ } from './notifications';
export { state$, stateChanges$, type StateChange } from './state';
export { listen, listenedChannels, type ListenOptions } from './listen';
export { poolListen, poolListenConnection } from './pool-listen';
export { query$ } from './query';
export { copyTo, copyFrom, type CopyToOptions } from './copy';
