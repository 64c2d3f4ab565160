/**
 * The session's flow control on virtual time (issue 11): it registers as its
 * transport's producer and tells operations when the write buffer drains;
 * reading is paused while any holder wants it, and an operation's hold ends
 * with the operation.
 */
import type { Session, OpFlow, OpHandler } from '../../src/connection/session';
import type { MemoryTransport } from '../../reactor/virtual/memory-link';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;
let transport: MemoryTransport;
let session: Session;

beforeEach(async () => {
  w = await virtualConnection({
    before: (server) => server.answer('SELECT 1 AS n', { fields: ['n'], rows: [['1']] }),
  });
  transport = w.reactor.links[0].clientTransport;
  session = transport.handler as Session;
});
afterEach(() => w.conn.close());

/** An operation handler that records what the session tells it. */
function recorder(): OpHandler & { flow: OpFlow | null; events: string[] } {
  const h = {
    flow: null as OpFlow | null,
    events: [] as string[],
    attached(flow: OpFlow) {
      h.flow = flow;
    },
    message(msg: { type: string }) {
      h.events.push(msg.type);
    },
    ready() {
      h.events.push('ready');
    },
    abort() {
      h.events.push('abort');
    },
    writable() {
      h.events.push('writable');
    },
  };
  return h;
}

describe('reading', () => {
  it('receives nothing while paused, and everything once the last holder resumes', async () => {
    session.pauseReading();
    const op = recorder();
    session.pauseReading(op);
    const d = w.conn.runQuery('SELECT 1 AS n');
    await settle(w.reactor);
    expect(d.called).toBe(false);
    expect(session.readingPaused).toBe(true);
    session.resumeReading();
    await settle(w.reactor);
    expect(d.called).toBe(false); // op still holds it
    session.resumeReading(op);
    expect(await outcome(w.reactor, d)).toEqual([{ n: '1' }]);
  });

  it('ends the hold of an operation when the operation ends', async () => {
    const op = recorder();
    w.conn.acquire().addCallback((lease) => {
      lease.send({ type: 'simpleQuery', sql: 'SELECT 1 AS n' }, op);
      op.flow!.pauseReading();
      return lease;
    });
    await settle(w.reactor);
    expect(session.readingPaused).toBe(true);
    expect(op.events).toEqual([]);
    // the pause never reaches a handler call already running: resume, and the operation ends, taking its hold with it
    transport.resumeReading();
    await settle(w.reactor);
    expect(op.events).toContain('ready');
    expect(session.readingPaused).toBe(false);
  });
});

describe('writing', () => {
  it('is the transport producer: operations see writable false while the buffer is full and get writable() when it drains', async () => {
    const op = recorder();
    let leaseSend: ((c: { type: 'copyData'; data: Uint8Array }) => void) | null = null;
    w.server.current.onMessage('Query', (_m, be) => be.send({ type: 'CopyInResponse', format: 0, columnFormats: [0] }));
    w.server.current.onMessage('CopyData', () => {});
    w.conn.acquire().addCallback((lease) => {
      lease.send({ type: 'simpleQuery', sql: 'COPY t FROM STDIN' }, op);
      leaseSend = (c) => lease.send(c);
    });
    await settle(w.reactor);
    expect(op.flow!.writable).toBe(true);
    w.server.current.transport!.pauseReading();
    leaseSend!({ type: 'copyData', data: new Uint8Array(200 * 1024) });
    await settle(w.reactor);
    expect(session.writable).toBe(false);
    expect(op.flow!.writable).toBe(false);
    expect(op.events).not.toContain('writable');
    w.server.current.transport!.resumeReading();
    await settle(w.reactor);
    expect(op.flow!.writable).toBe(true);
    expect(op.events).toContain('writable');
  });
});
