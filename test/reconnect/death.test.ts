/** The default death checker, as a table: deaths by cause, and the failures that are not deaths. */
import { defaultDeathChecker, HeartbeatTimeout, OperationDeadlineExceeded } from '../../src/reconnect/death';
import { DatabaseError } from '../../src/errors/database';
import {
  CancelledError,
  CommitOutcomeUnknown,
  ConnectionClosed,
  ConnectionDead,
  ConnectionLost,
  InterfaceError,
  MessageTooLarge,
  ProtocolViolation,
  RollbackFailed,
  TimeoutError,
} from '../../src/errors/base';
import { ConnectionRefused, ConnectionReset, TransportError } from '../../reactor/errors';

function db(sqlstate: string): DatabaseError {
  return new DatabaseError({ sqlstate, message: `sqlstate ${sqlstate}` });
}

const deaths: Array<[string, unknown]> = [
  ['end of stream (ConnectionLost)', new ConnectionLost()],
  ['a reset socket (ECONNRESET)', new ConnectionReset()],
  ['a refused connect (ECONNREFUSED)', new ConnectionRefused('127.0.0.1:5432')],
  ['another transport failure (ERR_TRANSPORT)', new TransportError('EPIPE')],
  ['a raw socket error with an errno code', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
  ['a protocol violation', new ProtocolViolation('bad byte')],
  ['an oversized message', new MessageTooLarge(10, 5)],
  ['a heartbeat without answer', new HeartbeatTimeout(500)],
  ['an operation past its deadline', new OperationDeadlineExceeded(1000)],
  ['08006 connection_failure', db('08006')],
  ['08P01 protocol_violation from the server', db('08P01')],
  ['57P01 admin_shutdown (pg_terminate_backend)', db('57P01')],
  ['57P02 crash_shutdown', db('57P02')],
  ['57P03 cannot_connect_now', db('57P03')],
  ['RollbackFailed whose rollback lost the link', new RollbackFailed(null, db('40P01'), new ConnectionLost())],
  ['RollbackFailed after an interaction that lost the link', new RollbackFailed(null, new ConnectionLost(), new ConnectionClosed())],
  ['CommitOutcomeUnknown: the link died under the COMMIT', new CommitOutcomeUnknown(new ConnectionLost())],
];

const notDeaths: Array<[string, unknown]> = [
  ['a user close (ConnectionClosed)', new ConnectionClosed()],
  ['CommitOutcomeUnknown after a cancel the server did not confirm', new CommitOutcomeUnknown(new CancelledError())],
  ['ConnectionDead itself (a call refused while dead)', new ConnectionDead()],
  ['40001 serialization_failure', db('40001')],
  ['40P01 deadlock_detected', db('40P01')],
  ['23505 unique_violation', db('23505')],
  ['23503 foreign_key_violation', db('23503')],
  ['57014 query_canceled (statement_timeout)', db('57014')],
  ['42601 syntax_error', db('42601')],
  ['42501 insufficient_privilege', db('42501')],
  ['55P03 lock_not_available', db('55P03')],
  ['a client-side per-query timeout', new TimeoutError(100)],
  ['a cancelled Deferred', new CancelledError()],
  ['an API misuse', new InterfaceError('wrong')],
  ['RollbackFailed with no death in it', new RollbackFailed(null, db('23505'), db('25P02'))],
  ['a plain Error', new Error('boom')],
  ['a thrown string', 'boom'],
  ['undefined', undefined],
];

describe('defaultDeathChecker', () => {
  it.each(deaths)('counts %s as a death', (_name, error) => {
    expect(defaultDeathChecker(error)).toBe(true);
  });

  it.each(notDeaths)('does not count %s as a death', (_name, error) => {
    expect(defaultDeathChecker(error)).toBe(false);
  });

  it('gives the liveness errors stable codes and keeps them TimeoutErrors', () => {
    expect(new HeartbeatTimeout(5)).toMatchObject({ code: 'ERR_HEARTBEAT_TIMEOUT', timeoutMs: 5 });
    expect(new OperationDeadlineExceeded(7)).toMatchObject({ code: 'ERR_OPERATION_DEADLINE', timeoutMs: 7 });
    expect(new HeartbeatTimeout(5)).toBeInstanceOf(TimeoutError);
  });
});
