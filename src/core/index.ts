/**
 * `tspostgres/core`: the sans-IO protocol machine, for drivers that move the
 * bytes themselves (psycopg2's asynchronous mode, done purely).
 */
export { ProtocolMachine } from './machine';
export type { MachineOptions, PollState, BackendKey } from './machine';
export type { Command, SimpleQueryCommand, BatchCommand, CopyDataCommand, CopyDoneCommand, CopyFailCommand, TerminateCommand } from './commands';
export type { MachineEvent, StartupCompleteEvent, FailedEvent } from './events';
export type { MachineState } from './states';
export type { AuthOptions } from './authenticator';
