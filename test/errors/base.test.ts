import {
  AlreadyCalledError, AlreadyConnected, CancelledError, ConfigurationError, ConnectionClosed, ConnectionDead,
  ConnectionError, ConnectionFailed, ConnectionLost, ConnectTimeout, InterfaceError, MessageTooLarge, PgError,
  PoolClosed, PoolTimeout, ProtocolViolation, RollbackFailed, TimeoutError,
} from '../../src/errors';

describe('library errors', () => {
  it.each<[PgError, string, abstract new (...args: never[]) => Error]>([
    [new InterfaceError('x'), 'ERR_INTERFACE', InterfaceError],
    [new AlreadyConnected(), 'ERR_ALREADY_CONNECTED', InterfaceError],
    [new AlreadyCalledError(), 'ERR_ALREADY_CALLED', InterfaceError],
    [new ProtocolViolation('x'), 'ERR_PROTOCOL_VIOLATION', PgError],
    [new MessageTooLarge(10, 5), 'ERR_MESSAGE_TOO_LARGE', ProtocolViolation],
    [new ConfigurationError('x'), 'ERR_INVALID_CONFIG', PgError],
    [new ConnectionClosed(), 'ERR_CONNECTION_CLOSED', ConnectionError],
    [new ConnectionLost(), 'ERR_CONNECTION_LOST', ConnectionError],
    [new ConnectTimeout(), 'ERR_CONNECT_TIMEOUT', ConnectionError],
    [new ConnectionFailed([new Error('a'), new Error('b')]), 'ERR_CONNECTION_FAILED', ConnectionError],
    [new ConnectionDead(), 'ERR_CONNECTION_DEAD', ConnectionError],
    [new CancelledError(), 'ERR_CANCELLED', PgError],
    [new TimeoutError(50), 'ERR_TIMEOUT', PgError],
    [new RollbackFailed(null, new Error('orig')), 'ERR_ROLLBACK_FAILED', PgError],
    [new PoolTimeout(10), 'ERR_POOL_TIMEOUT', PgError],
    [new PoolClosed(), 'ERR_POOL_CLOSED', PgError],
  ])('%s has the stable code %s and its family as a base class', (err, code, Base) => {
    expect(err.code).toBe(code);
    expect(err.code.startsWith('ERR_')).toBe(true);
    expect(err).toBeInstanceOf(Base);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(err.constructor.name);
  });

  it('chains the cause', () => {
    const cause = new Error('socket reset');
    expect(new ConnectionLost(undefined, { cause }).cause).toBe(cause);
    expect(new ConfigurationError('bad', { cause }).cause).toBe(cause);
  });

  it('keeps every host error of a failed multi-host connect, the last as cause', () => {
    const errors = [new Error('refused'), new Error('timeout')];
    const err = new ConnectionFailed(errors);
    expect(err.errors).toEqual(errors);
    expect(err.cause).toBe(errors[1]);
    expect(err.message).toBe('could not connect to any host: refused; timeout');
  });
});
