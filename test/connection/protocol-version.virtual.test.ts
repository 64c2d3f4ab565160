/**
 * The protocol version through the public Connection, on virtual time
 * against a FakeServer: 3.2 asked for by default, NegotiateProtocolVersion
 * down to 3.0 (and the cancel key still works), max_protocol_version=3.0
 * asks for 3.0, min_protocol_version=3.2 refuses a 3.0 server.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { CancelledError, Connection } from '../../src/index';
import { FakeServer, outcome, settle, virtualConnection } from '../support/fake-backend';

describe('the protocol version of a Connection', () => {
  it('asks for 3.2 by default and keeps it when the server speaks 3.2', async () => {
    const w = await virtualConnection({ server: { protocolVersion: '3.2' } });
    expect(w.server.connections[0].receivedOf('StartupMessage')[0].protocolVersion).toBe(196610);
    expect(w.conn.protocolVersion).toBe('3.2');
    w.conn.close();
  });

  it('is lowered to 3.0 by a server that speaks 3.0, and queries and cancels work', async () => {
    const w = await virtualConnection({
      server: { protocolVersion: '3.0' },
      before: (server) => server.answer('SELECT pg_sleep(10)', { fields: ['pg_sleep'], rows: [['']] }),
    });
    expect(w.conn.protocolVersion).toBe('3.0');
    const backend = w.server.connections[0];
    backend.hold();
    const d = w.conn.runQuery('SELECT pg_sleep(10)');
    await settle(w.reactor);
    expect(backend.held).toHaveLength(1);
    d.cancel();
    const err = await outcome(w.reactor, d);
    expect(err).toBeInstanceOf(CancelledError);
    expect(w.server.cancelRequests).toEqual([{ type: 'CancelRequest', processId: backend.processId, secretKey: backend.secretKey }]);
    w.conn.close();
  });

  it('asks for 3.0 with max_protocol_version=3.0', async () => {
    const reactor = new VirtualReactor();
    const server = new FakeServer(reactor);
    const conn = new Connection({ env: {}, reactor });
    await outcome(reactor, conn.connect({ ...server.dsn, max_protocol_version: '3.0' }));
    expect(server.connections[0].receivedOf('StartupMessage')[0].protocolVersion).toBe(196608);
    expect(conn.protocolVersion).toBe('3.0');
    conn.close();
  });

  it('refuses a 3.0 server with min_protocol_version=3.2 (ERR_PROTOCOL_VERSION_UNSUPPORTED)', async () => {
    const reactor = new VirtualReactor();
    const server = new FakeServer(reactor, { protocolVersion: '3.0' });
    const conn = new Connection({ env: {}, reactor });
    const err = await outcome(reactor, conn.connect({ ...server.dsn, min_protocol_version: '3.2' }));
    expect(err).toMatchObject({ errors: [expect.objectContaining({ code: 'ERR_PROTOCOL_VERSION_UNSUPPORTED', serverVersion: '3.0', minVersion: '3.2' })] });
    expect(conn.protocolVersion).toBeUndefined();
    conn.close();
  });
});
