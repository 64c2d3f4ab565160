import type { Transport } from '../../reactor/interfaces';
import { BackendDecoder } from '../../src/protocol/decode';
import { encodeFrontend } from '../../src/protocol/encode';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { concatBytes, utf8Encode } from '../../src/util/bytes';
import { drain } from '../protocol/drain';
import { FakeBackend } from './fake-backend';

/** A transport stub recording what the backend writes. */
function connect(): { be: FakeBackend; writes: Uint8Array[]; replies(): BackendMessage[]; client(...m: FrontendMessage[]): void } {
  const writes: Uint8Array[] = [];
  const transport = { write: (b: Uint8Array) => writes.push(b.slice()), close: () => undefined } as unknown as Transport;
  const be = new FakeBackend();
  be.connectionMade(transport);
  const decoder = new BackendDecoder();
  return {
    be,
    writes,
    replies: () => {
      decoder.feed(concatBytes(writes.splice(0)));
      return drain(decoder);
    },
    client: (...m) => be.dataReceived(concatBytes(m.map(encodeFrontend))),
  };
}

describe('FakeBackend', () => {
  test('records every client message and refuses SSLRequest with a single N byte by default', () => {
    const { be, writes, client } = connect();
    client({ type: 'SSLRequest' }, { type: 'StartupMessage', parameters: { user: 'u' } });
    expect(be.received.map((m) => m.type)).toEqual(['SSLRequest', 'StartupMessage']);
    expect(writes).toEqual([Uint8Array.of(0x4e)]);
  });

  test('acceptStartup sends AuthenticationOk, parameters, BackendKeyData and ReadyForQuery in one write', () => {
    const { be, writes, replies, client } = connect();
    be.onMessage('StartupMessage', () => be.acceptStartup({ parameters: { application_name: 'x' }, processId: 7 }));
    client({ type: 'StartupMessage', parameters: { user: 'u' } });
    expect(writes).toHaveLength(1);
    const got = replies();
    expect(got[0]).toEqual({ type: 'AuthenticationOk' });
    expect(got).toContainEqual({ type: 'ParameterStatus', name: 'application_name', value: 'x' });
    expect(got.at(-2)).toEqual({ type: 'BackendKeyData', processId: 7, secretKey: Uint8Array.of(1, 2, 3, 4) });
    expect(got.at(-1)).toEqual({ type: 'ReadyForQuery', status: 'I' });
  });

  test('replyToSimpleQuery answers rows, an error, or an empty query', () => {
    const { be, replies } = connect();
    be.replyToSimpleQuery({ fields: ['a'], rows: [['1'], [null]] });
    expect(replies().map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    be.replyToSimpleQuery({ tag: 'CREATE TABLE' }, { error: { C: '42P01', M: 'nope' } }, { tag: 'never' });
    expect(replies()).toEqual([
      { type: 'CommandComplete', tag: 'CREATE TABLE' },
      { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '42P01', M: 'nope' } },
      { type: 'ReadyForQuery', status: 'I' },
    ]);
    be.replyToSimpleQuery();
    expect(replies()).toEqual([{ type: 'EmptyQueryResponse' }, { type: 'ReadyForQuery', status: 'I' }]);
  });

  test('replyToExtended answers a Parse/Bind/Describe/Execute/Sync round', () => {
    const { be, replies } = connect();
    be.replyToExtended({ paramTypes: [23], fields: [{ name: 'n', typeOid: 23, typeSize: 4 }], rows: [['5']] });
    const got = replies();
    expect(got.map((m) => m.type)).toEqual(['ParseComplete', 'ParameterDescription', 'BindComplete', 'RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    expect(got[4]).toEqual({ type: 'DataRow', fields: [utf8Encode('5')] });
    be.replyToExtended({ parse: false, tag: 'INSERT 0 1' });
    expect(replies().map((m) => m.type)).toEqual(['BindComplete', 'NoData', 'CommandComplete', 'ReadyForQuery']);
  });

  test('handlers run in registration order and can be removed', () => {
    const { be, client } = connect();
    client({ type: 'StartupMessage', parameters: {} });
    const seen: string[] = [];
    const off = be.onMessage('Query', (m) => seen.push(`a:${m.sql}`));
    be.onMessage('Query', (m) => seen.push(`b:${m.sql}`));
    client({ type: 'Query', sql: '1' });
    off();
    client({ type: 'Query', sql: '2' });
    expect(seen).toEqual(['a:1', 'b:1', 'b:2']);
    expect(be.receivedOf('Query').map((q) => q.sql)).toEqual(['1', '2']);
  });

  test('received messages are copies that survive later input', () => {
    const { be, client } = connect();
    client({ type: 'StartupMessage', parameters: {} }, { type: 'CopyData', data: Uint8Array.of(1, 2) });
    client({ type: 'CopyData', data: Uint8Array.of(9, 9) });
    expect(be.receivedOf('CopyData').map((m) => Array.from(m.data))).toEqual([[1, 2], [9, 9]]);
  });

  test('records the end of the connection', () => {
    const { be } = connect();
    be.connectionLost(null);
    expect(be.lostReason).toBeNull();
    expect(() => be.send({ type: 'NoData' })).toThrow(/not connected/);
  });
});
