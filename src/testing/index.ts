/**
 * `tspostgres/testing`: test your code that uses tspostgres without a server.
 *
 * Run a `Connection` on a `VirtualReactor` (from `tspostgres/reactor`: a
 * virtual clock and in-memory connections, as Twisted's `MemoryReactor` and
 * `StringTransport`) against a {@link FakeServer}: a scripted PostgreSQL
 * that speaks the real wire protocol, answers statements from a
 * {@link ReplyScript}, keeps prepared statements, portals and the
 * transaction status as a server does, records what it received, and can
 * hold, interrupt, kill or drop connections. {@link settle} runs the virtual
 * world to rest between steps. No server, no sleeps, no real timers.
 *
 * @example
 * import { Connection } from 'tspostgres';
 * import { VirtualReactor } from 'tspostgres/reactor';
 * import { FakeServer, resultOf, settle } from 'tspostgres/testing';
 *
 * const reactor = new VirtualReactor();
 * const server = new FakeServer(reactor);
 * server.answer('SELECT count(*) AS n FROM jobs', { fields: [{ name: 'n', type: 'int8' }], rows: [['3']] });
 * const conn = new Connection({ reactor, env: {} });
 * await settle(reactor, conn.connect(server.dsn));
 * await resultOf(reactor, conn.runQuery('SELECT count(*) AS n FROM jobs')); // [{ n: 3n }]
 */
export { FakeBackend, DEFAULT_PARAMETERS } from './fake-backend';
export type { FakeBackendOptions, MessageHandler, PreparedStatement, StartupReply } from './fake-backend';
export { FakeServer } from './fake-server';
export type { ProtocolVersion } from '../protocol/versions';
export type { FakeServerDsn, FakeServerOptions, VirtualNetwork } from './fake-server';
export { ReplyScript } from './script';
export type { Reply, ReplyScriptOptions, Round, RuleOptions, SqlMatcher, StatementCall } from './script';
export { settle, resultOf } from './settle';
export type { Flushable, SettleUntil } from './settle';
export { cellBytes, defaultTag, errorResponse, field, inferParamTypes, QUERY_CANCELED } from './values';
export type { Cell, ErrorPhase, ErrorSpec, FieldSpec, ResultSpec, RowsSpec, TypeName } from './values';
