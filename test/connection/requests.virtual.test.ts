/**
 * The errors of a cancelled request, on virtual time. A query the server
 * stopped after our CancelRequest fails with CancelledError at the server's
 * 57014, its cause the server's error with every field. Both are made in the
 * read handler from the server's report, where a stack would list only the
 * driver's own frames: they carry none (see `withoutStack`).
 */
import { CancelledError, QueryCanceled } from '../../src/index';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

const SLEEP = 'SELECT pg_sleep(10)';
let w: VirtualWorld;

beforeEach(async () => {
  w = await virtualConnection({
    server: { cancel: 'record' },
    before: (server) => server.answer(/pg_sleep/, () => ({ fields: ['pg_sleep'], rows: [['']] })),
  });
  w.server.current.hold();
});
afterEach(() => w.conn.close());

describe('a query the server cancelled', () => {
  it('fails with CancelledError whose cause is the server error, every field kept, neither with read-handler frames', async () => {
    const d = w.conn.runQuery(SLEEP);
    await settle(w.reactor);
    d.cancel();
    await settle(w.reactor);
    expect(w.server.cancelRequests).toHaveLength(1);
    const fields = { S: 'ERROR', V: 'ERROR', C: '57014', M: 'canceling statement due to user request', F: 'postgres.c', L: '3344', R: 'ProcessInterrupts' };
    expect(w.server.current.interrupt(fields)).toBe(true);
    const err = await outcome(w.reactor, d);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err).toMatchObject({ code: 'ERR_CANCELLED', serverCancelled: true, message: 'the query was cancelled' });
    const cause = (err as CancelledError).cause;
    expect(cause).toBeInstanceOf(QueryCanceled);
    expect(cause).toMatchObject({
      code: '57014', sqlstate: '57014', severity: 'ERROR', severityNonLocalized: 'ERROR', message: fields.M,
      file: 'postgres.c', line: '3344', routine: 'ProcessInterrupts', query: SLEEP,
    });
    expect((err as Error).stack).toBe('CancelledError: the query was cancelled');
    expect((cause as Error).stack).toBe(`QueryCanceled: ${fields.M}`);
    // the connection is usable afterwards
    w.server.current.resume();
    const next = w.conn.runQuery('SELECT pg_sleep(0)');
    expect(await outcome(w.reactor, next)).toEqual([{ pg_sleep: '' }]);
  });
});
