import * as net from 'node:net';
import { bind, COPY_DONE, copyData, EXECUTE, parse, query, RawConnection, SYNC } from '../../bench/lib/raw-node';

/** A backend message: type, int32 length, body. */
function msg(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const int32 = (n: number): Buffer => Buffer.from([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const READY = msg('Z', Buffer.from('I'));
const AUTH_OK = msg('R', int32(0));

/**
 * A fake server: answers the startup packet with `startup` and every later
 * write with the next of `answers`, each sent one byte per write so that
 * every frame header and body straddles reads.
 */
async function fakeServer(startup: Buffer, answers: Buffer[]): Promise<{ url: string; received: Buffer[]; close(): Promise<void> }> {
  const received: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.setNoDelay(true);
    let first = true;
    s.on('data', (d) => {
      received.push(d);
      const answer = first ? startup : answers.shift();
      first = false;
      if (answer) for (let i = 0; i < answer.length; i++) s.write(answer.subarray(i, i + 1));
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const close = (): Promise<void> => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r())));
  return { url: `postgres://bench@127.0.0.1:${port}/db`, received, close };
}

describe('raw Node floor connection', () => {
  it('speaks the startup packet with user and database, and waits for ReadyForQuery across split reads', async () => {
    const srv = await fakeServer(Buffer.concat([AUTH_OK, msg('S', Buffer.from('a\0b\0')), msg('K', Buffer.alloc(8)), READY]), []);
    const c = await RawConnection.open(srv.url);
    const startup = Buffer.concat(srv.received);
    expect(startup.readInt32BE(0)).toBe(startup.length);
    expect(startup.readInt32BE(4)).toBe(196608);
    expect(startup.subarray(8).toString('latin1')).toBe('user\0bench\0database\0db\0\0');
    await c.close();
    await srv.close();
  });

  it('counts CopyData messages up to ReadyForQuery and resolves a request at the awaited message type', async () => {
    const rows = [msg('H', Buffer.alloc(3)), msg('d', Buffer.from('1\n')), msg('d', Buffer.from('2\n')), msg('d', Buffer.from('x'.repeat(300))), msg('c'), msg('C', Buffer.from('COPY 3\0')), READY];
    const srv = await fakeServer(Buffer.concat([AUTH_OK, READY]), [Buffer.concat(rows), msg('G', Buffer.alloc(3)), Buffer.concat([msg('C', Buffer.from('COPY 1\0')), READY])]);
    const c = await RawConnection.open(srv.url);
    expect(await c.request(query('COPY t TO STDOUT'))).toEqual({ copyData: 3 });
    expect(await c.request(query('COPY t FROM STDIN'), 'G')).toEqual({ copyData: 0 });
    c.write(copyData(Buffer.from('1\n')));
    await expect(c.request(COPY_DONE)).resolves.toEqual({ copyData: 0 });
    await c.close();
    await srv.close();
  });

  it('rejects a request whose answer holds an ErrorResponse, and one that ends before the awaited message', async () => {
    const error = msg('E', Buffer.from('SERROR\0C42P01\0Mno such table\0\0'));
    const srv = await fakeServer(Buffer.concat([AUTH_OK, READY]), [Buffer.concat([error, READY]), Buffer.concat([error, READY]), Buffer.concat([msg('1'), msg('2'), msg('C', Buffer.from('SELECT 1\0')), READY])]);
    const c = await RawConnection.open(srv.url);
    await expect(c.request(Buffer.concat([parse('s', 'SELECT * FROM nope'), SYNC]))).rejects.toThrow('raw Node floor: the server answered with an ErrorResponse');
    await expect(c.request(query('COPY nope FROM STDIN'), 'G')).rejects.toThrow(/ErrorResponse/);
    await expect(c.request(Buffer.concat([bind('s', [1, 'a']), EXECUTE, SYNC]))).resolves.toEqual({ copyData: 0 });
    await c.close();
    await srv.close();
  });

  it('refuses a server that asks for a password instead of hanging', async () => {
    const srv = await fakeServer(msg('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0\0')])), []);
    await expect(RawConnection.open(srv.url)).rejects.toThrow('trust authentication only');
    await srv.close();
  });

  it('encodes Bind with text parameters as the protocol lays them out', () => {
    const b = bind('st', [42, 'ab']);
    expect(b.toString('latin1', 0, 1)).toBe('B');
    expect(b.readInt32BE(1)).toBe(b.length - 1);
    expect([...b.subarray(5)]).toEqual([0, ...Buffer.from('st'), 0, 0, 0, 0, 2, 0, 0, 0, 2, ...Buffer.from('42'), 0, 0, 0, 2, ...Buffer.from('ab'), 0, 0]);
  });
});
