/**
 * The CancelRequest path on virtual time (src/connection/cancel-channel.ts
 * and the early failure in requests.ts): a spare connection opened ahead of
 * time carries the next CancelRequest, a spare is trusted only while young
 * enough, replaced while the channel is warm, closed with the session; a
 * cancelled statement fails at the server's 57014, before its
 * ReadyForQuery, while its place in the pipeline ends at that ReadyForQuery.
 *
 * The scripted server records every connection: a session (it sent a
 * startup packet), a connection that came to cancel, or a spare (it sent
 * nothing yet). Extended-protocol rounds are held until the test answers.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { CancelledError, Connection, type Deferred } from '../../src/index';
import { KEEP_WARM_MS, MIN_SPARE_LIFE_MS, SPARE_TRUST_MS } from '../../src/connection/cancel-channel';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { settle, VIRTUAL_DSN } from '../reconnect/virtual-server';
import { errorResponse, FakeBackend, field } from '../support/fake-backend';

const CANCELED = { C: '57014', M: 'canceling statement due to user request' };

interface Link {
  backend: FakeBackend;
  lost: boolean;
}

type Round = { backend: FakeBackend; messages: FrontendMessage[] };

let reactor: VirtualReactor;
let links: Link[];
let rounds: Round[];
/** For each CancelRequest, the index in `links` of the connection it came over. */
let cancelsOver: number[];
let conn: Connection;
/** When set, the server keeps a connection open after reading its CancelRequest (until the test closes it). */
let carrierStaysOpen: boolean;

beforeEach(async () => {
  reactor = new VirtualReactor();
  links = [];
  rounds = [];
  cancelsOver = [];
  carrierStaysOpen = false;
  reactor.listen({ kind: 'tcp', host: VIRTUAL_DSN.host, port: VIRTUAL_DSN.port }, () => {
    const be = new FakeBackend();
    const link: Link = { backend: be, lost: false };
    const index = links.push(link) - 1;
    const lost = be.connectionLost.bind(be);
    be.connectionLost = (reason) => {
      link.lost = true;
      lost(reason);
    };
    let current: FrontendMessage[] = [];
    be.onMessage('StartupMessage', () => be.acceptStartup({ processId: 77, secretKey: Uint8Array.of(9, 8, 7, 6) }));
    be.onMessage('CancelRequest', () => {
      cancelsOver.push(index);
      if (!carrierStaysOpen) be.close();
    });
    for (const type of ['Parse', 'Bind', 'Describe', 'Execute'] as const) be.onMessage(type, (m) => current.push(m));
    be.onMessage('Sync', () => {
      rounds.push({ backend: be, messages: current });
      current = [];
    });
    return be;
  });
  conn = new Connection({ reactor, env: {} });
  await settle(reactor, conn.connect(VIRTUAL_DSN));
});
afterEach(() => conn.close());

/** Connections that have sent nothing and are still open: spares. */
const spares = (): number[] => links.flatMap((l, i) => (l.backend.received.length === 0 && !l.lost ? [i] : []));

/** The replies of a round up to (not including) its ReadyForQuery; with `error`, the Execute fails with it. */
function replies(round: Round, error?: Record<string, string>): BackendMessage[] {
  const out: BackendMessage[] = [];
  for (const m of round.messages) {
    if (m.type === 'Parse') out.push({ type: 'ParseComplete' });
    else if (m.type === 'Bind') out.push({ type: 'BindComplete' });
    else if (m.type === 'Describe') {
      if (m.target === 'S') out.push({ type: 'ParameterDescription', typeOids: [] });
      out.push({ type: 'RowDescription', fields: [field('v')] });
    } else if (m.type === 'Execute') {
      if (error !== undefined) return [...out, errorResponse(error)];
      out.push({ type: 'DataRow', fields: [new TextEncoder().encode('1')] }, { type: 'CommandComplete', tag: 'SELECT 1' });
    }
  }
  return out;
}

/** Answers the latest round completely: rows, or `error`, then ReadyForQuery. */
function answer(error?: Record<string, string>): void {
  const round = rounds[rounds.length - 1];
  round.backend.send(...replies(round, error), { type: 'ReadyForQuery', status: 'I' });
  reactor.flush();
}

/** Starts a statement, cancels it once it runs and has the server stop it; resolves with its error. */
async function cancelOne(): Promise<CancelledError> {
  const d = conn.runQuery('SELECT 1 AS v');
  reactor.flush();
  d.cancel();
  reactor.flush();
  answer(CANCELED);
  await settle(reactor, d);
  return d.then(() => { throw new Error('not cancelled'); }, (e: CancelledError) => e);
}

/** `d`'s error once it settled (a statement the server stopped: a CancelledError). */
async function errorOf(d: Deferred<unknown>): Promise<unknown> {
  await settle(reactor, d);
  return d.then(() => null, (e: unknown) => e);
}

describe('the spare CancelRequest connection', () => {
  it('is opened after the first cancel and carries the next CancelRequest, with no connect at cancel time', async () => {
    expect(spares()).toEqual([]); // nothing opened before anything was cancelled
    expect(await cancelOne()).toMatchObject({ name: 'CancelledError', serverCancelled: true });
    expect(cancelsOver).toEqual([1]); // the first went over a new connection
    const [spare] = spares();
    expect(spare).toBe(2);
    const d = conn.runQuery('SELECT 1 AS v');
    reactor.flush();
    const connectionsBefore = reactor.connectAttempts.length;
    d.cancel();
    expect(reactor.connectAttempts.length).toBe(connectionsBefore); // no connect at cancel time, not even the replacement
    reactor.flush();
    expect(cancelsOver).toEqual([1, spare]);
    expect(spares()).toEqual([3]); // replaced once the server closed the spare that carried the CancelRequest
    answer(CANCELED);
    await settle(reactor, d);
    expect(await d.then(() => null, (e: unknown) => e)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
  });

  it('is opened, first or as a replacement, only once the server has closed the connection that carried the CancelRequest', async () => {
    carrierStaysOpen = true; // the server has not finished with the CancelRequest yet
    const d = conn.runQuery('SELECT 1 AS v');
    reactor.flush();
    d.cancel();
    reactor.flush();
    expect(cancelsOver).toEqual([1]);
    expect(spares()).toEqual([]); // no fork on the server while it handles the cancel
    links[1].backend.close(); // done: it signalled the backend
    reactor.flush();
    const [spare] = spares();
    expect(spare).toBe(2);
    answer(CANCELED);
    expect(await errorOf(d)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
    const e = conn.runQuery('SELECT 1 AS v');
    reactor.flush();
    e.cancel();
    reactor.flush();
    expect(cancelsOver).toEqual([1, spare]);
    expect(spares()).toEqual([]); // the replacement waits too
    links[spare].backend.close();
    reactor.flush();
    expect(spares()).toEqual([3]);
    answer(CANCELED);
    expect(await errorOf(e)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
  });

  it('is not held back by a carrier the server never closed: that one is closed at the next CancelRequest', async () => {
    carrierStaysOpen = true;
    await cancelOne();
    expect(spares()).toEqual([]);
    const d = conn.runQuery('SELECT 1 AS v');
    reactor.flush();
    d.cancel(); // over a new connection again; the first carrier is closed by us
    reactor.flush();
    expect(links[1].lost).toBe(true);
    links[2].backend.close();
    reactor.flush();
    expect(spares()).toEqual([3]);
    answer(CANCELED);
    expect(await errorOf(d)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
  });

  it('is not trusted once it is older than SPARE_TRUST_MS: the CancelRequest goes over a new connection and the old spare is closed', async () => {
    await cancelOne();
    const [old] = spares();
    reactor.advance(SPARE_TRUST_MS);
    await cancelOne();
    expect(cancelsOver[1]).not.toBe(old);
    expect(links[old].lost).toBe(true);
    expect(links[old].backend.received).toEqual([]);
  });

  it('dropped by the server is replaced while warm, trusted for less from then on, and not replaced once the channel is cold', async () => {
    await cancelOne();
    reactor.advance(10_000);
    const [first] = spares();
    links[first].backend.close(); // the server's authentication_timeout, at 10 s
    reactor.flush();
    const [second] = spares();
    expect(second).toBeGreaterThan(first);
    reactor.advance(8_000); // 80% of the life the server allowed: no longer trusted
    await cancelOne();
    expect(cancelsOver[1]).not.toBe(second);
    reactor.advance(KEEP_WARM_MS);
    const [third] = spares();
    links[third].backend.close();
    reactor.flush();
    expect(spares()).toEqual([]); // cold: not replaced
  });

  it('is not replaced when the server drops it sooner than MIN_SPARE_LIFE_MS', async () => {
    await cancelOne();
    reactor.advance(MIN_SPARE_LIFE_MS - 1);
    links[spares()[0]].backend.close();
    reactor.flush();
    expect(spares()).toEqual([]);
    await cancelOne(); // over a new connection, and still no spare
    expect(spares()).toEqual([]);
  });

  it('is opened before any cancel for a statement with a client timeout or an abort signal', async () => {
    const d = conn.runQuery('SELECT 1 AS v', [], { timeout: 60_000 });
    reactor.flush();
    expect(spares()).toHaveLength(1);
    answer();
    await settle(reactor, d);
    const ac = new AbortController();
    const e = conn.runQuery('SELECT 1 AS v', [], { signal: ac.signal });
    reactor.flush();
    const [spare] = spares();
    expect(spares()).toHaveLength(1); // the same one
    ac.abort();
    reactor.flush();
    expect(cancelsOver).toEqual([spare]);
    answer(CANCELED);
    expect(await errorOf(e)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
  });

  it('is dropped when the session is lost', async () => {
    await cancelOne();
    const [spare] = spares();
    links[0].backend.close(); // the server ends the session
    reactor.flush();
    expect(links[spare].lost).toBe(true);
    expect(conn.closed).toBe(true);
  });

  it('is closed with the connection', async () => {
    await cancelOne();
    const [spare] = spares();
    conn.close();
    reactor.flush();
    expect(links[spare].lost).toBe(true);
    expect(links[spare].backend.received).toEqual([]);
  });
});

describe('a cancelled statement', () => {
  it("fails at the server's 57014, before its ReadyForQuery; the next statement waits for that ReadyForQuery", async () => {
    const d = conn.runQuery('SELECT 1 AS v');
    const next = conn.runQuery('SELECT 2 AS v');
    reactor.flush();
    d.cancel();
    reactor.flush();
    const round = rounds[0];
    round.backend.send(...replies(round, CANCELED)); // the server stopped it and is rolling back
    reactor.flush();
    await settle(reactor, d);
    const err = await d.then(() => null, (e: unknown) => e as CancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err!.serverCancelled).toBe(true);
    expect(err!.cause).toMatchObject({ code: '57014', query: 'SELECT 1 AS v' });
    expect(next.called).toBe(false);
    expect(conn.busy).toBe(true);
    round.backend.send({ type: 'ReadyForQuery', status: 'I' });
    reactor.flush();
    answer();
    await settle(reactor, next);
    expect(await next).toEqual([{ v: '1' }]);
    expect(conn.busy).toBe(false);
  });

  it('that the server finished anyway fails at its ReadyForQuery, not cancelled by the server', async () => {
    const d = conn.runQuery('SELECT 1 AS v');
    reactor.flush();
    d.cancel();
    reactor.flush();
    const round = rounds[0];
    round.backend.send(...replies(round));
    reactor.flush();
    expect(d.called).toBe(false);
    round.backend.send({ type: 'ReadyForQuery', status: 'I' });
    await settle(reactor, d);
    expect(await d.then(() => null, (e: unknown) => e)).toMatchObject({ name: 'CancelledError', serverCancelled: false });
  });
});
