import { InterfaceError } from '../../src/errors/base';
import { encodeFrontend, FLUSH, GSSENC_REQUEST, SSL_REQUEST, SYNC, TERMINATE, writeFrontend } from '../../src/protocol/encode';
import type { FrontendMessage } from '../../src/protocol/messages';
import { ByteWriter, concatBytes, fromHex, toHex } from '../../src/util/bytes';
import { SESSIONS } from './vectors';

/** Byte listings checked by hand against the protocol documentation's message formats. */
const HAND_CHECKED: Array<[string, FrontendMessage, string]> = [
  ['Sync', { type: 'Sync' }, '53 00000004'],
  ['Flush', { type: 'Flush' }, '48 00000004'],
  ['Terminate', { type: 'Terminate' }, '58 00000004'],
  ['CopyDone', { type: 'CopyDone' }, '63 00000004'],
  ['SSLRequest', { type: 'SSLRequest' }, '00000008 04d2162f'],
  ['GSSENCRequest', { type: 'GSSENCRequest' }, '00000008 04d21630'],
  ['CancelRequest', { type: 'CancelRequest', processId: 1234, secretKey: Uint8Array.of(1, 2, 3, 4) }, '00000010 04d2162e 000004d2 01020304'],
  ['StartupMessage', { type: 'StartupMessage', parameters: { user: 'u' } }, '00000010 00030000 7573657200 7500 00'],
  ['Query', { type: 'Query', sql: 'SELECT 1' }, '51 0000000d 53454c4543542031 00'],
  ['Parse', { type: 'Parse', name: 's', sql: 'x', paramTypes: [23] }, '50 0000000e 7300 7800 0001 00000017'],
  [
    'Bind',
    { type: 'Bind', portal: '', statement: 's', paramFormats: [1], params: ['ab', null, Uint8Array.of(0xff)], resultFormats: [1] },
    '42 00000020 00 7300 0001 0001 0003 00000002 6162 ffffffff 00000001 ff 0001 0001',
  ],
  ['Describe', { type: 'Describe', target: 'S', name: 'st' }, '44 00000008 53 737400'],
  ['Execute', { type: 'Execute', portal: '', maxRows: 0 }, '45 00000009 00 00000000'],
  ['Close', { type: 'Close', target: 'P', name: 'p' }, '43 00000007 50 7000'],
  ['PasswordMessage', { type: 'PasswordMessage', password: 'pw' }, '70 00000007 707700'],
  [
    'SASLInitialResponse',
    { type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: new TextEncoder().encode('abc') },
    '70 00000019 534352414d2d5348412d32353600 00000003 616263',
  ],
  ['SASLInitialResponse without data', { type: 'SASLInitialResponse', mechanism: 'X', data: null }, '70 0000000a 5800 ffffffff'],
  ['SASLResponse', { type: 'SASLResponse', data: new TextEncoder().encode('xy') }, '70 00000006 7879'],
  ['CopyData', { type: 'CopyData', data: Uint8Array.of(0x61, 0x62) }, '64 00000006 6162'],
  ['CopyFail', { type: 'CopyFail', message: 'no' }, '66 00000007 6e6f00'],
  ['FunctionCall', { type: 'FunctionCall', functionOid: 1, argFormats: [], args: [null], resultFormat: 1 }, '46 00000012 00000001 0000 0001 ffffffff 0001'],
  ['Query with non-ASCII text', { type: 'Query', sql: 'é' }, '51 00000007 c3a9 00'],
];

describe('encodeFrontend', () => {
  test.each(HAND_CHECKED)('%s encodes to the documented bytes', (_name, msg, hex) => {
    expect(toHex(encodeFrontend(msg))).toBe(toHex(fromHex(hex)));
  });

  test('the pre-encoded constants equal the encoded messages', () => {
    expect(SYNC).toEqual(encodeFrontend({ type: 'Sync' }));
    expect(FLUSH).toEqual(encodeFrontend({ type: 'Flush' }));
    expect(TERMINATE).toEqual(encodeFrontend({ type: 'Terminate' }));
    expect(SSL_REQUEST).toEqual(fromHex('0000000804d2162f'));
    expect(GSSENC_REQUEST).toEqual(fromHex('0000000804d21630'));
  });

  test('every message the real server accepted during capture encodes to the bytes sent', () => {
    expect(SESSIONS.length).toBeGreaterThan(0);
    for (const s of SESSIONS) {
      expect(s.steps.length).toBeGreaterThan(0);
      for (const st of s.steps) expect(toHex(concatBytes(st.sent.map(encodeFrontend)))).toBe(st.sentHex);
    }
  });

  test('writeFrontend appends a batch to one writer: one buffer equal to the concatenated messages', () => {
    const batch: FrontendMessage[] = [
      { type: 'Parse', name: '', sql: 'SELECT $1', paramTypes: [] },
      { type: 'Bind', portal: '', statement: '', paramFormats: [], params: ['1'], resultFormats: [] },
      { type: 'Describe', target: 'P', name: '' },
      { type: 'Execute', portal: '', maxRows: 0 },
      { type: 'Sync' },
    ];
    const w = new ByteWriter(8);
    for (const m of batch) writeFrontend(w, m);
    expect(w.finish()).toEqual(concatBytes(batch.map(encodeFrontend)));
    expect(w.length).toBe(0);
  });

  test('a NUL inside a C string is refused with ERR_NUL_IN_STRING', () => {
    expect(() => encodeFrontend({ type: 'Query', sql: 'a\0b' })).toThrow(expect.objectContaining({ code: 'ERR_NUL_IN_STRING' }));
    expect(() => encodeFrontend({ type: 'Query', sql: 'é\0' })).toThrow(InterfaceError);
  });

  test('a NUL inside a text parameter is sent as is (parameters are length-prefixed)', () => {
    const bytes = encodeFrontend({ type: 'Bind', portal: '', statement: '', paramFormats: [], params: ['\0'], resultFormats: [] });
    expect(toHex(bytes)).toBe('420000001100000000000100000001000000');
  });

  test('a failed encode leaves a shared writer as it was before the message', () => {
    const w = new ByteWriter();
    writeFrontend(w, { type: 'Sync' });
    expect(() => writeFrontend(w, { type: 'Query', sql: 'a\0' })).toThrow(InterfaceError);
    expect(toHex(w.finish())).toBe('5300000004');
  });

  test('more than 65535 parameters are refused with ERR_TOO_MANY_PARAMETERS', () => {
    const params = new Array<string>(65536).fill('x');
    expect(() => encodeFrontend({ type: 'Bind', portal: '', statement: '', paramFormats: [], params, resultFormats: [] }))
      .toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_PARAMETERS' }));
  });

  test('an unknown message type or Describe target is an InterfaceError', () => {
    expect(() => encodeFrontend({ type: 'Nope' } as unknown as FrontendMessage)).toThrow(InterfaceError);
    expect(() => encodeFrontend({ type: 'Describe', target: 'X', name: '' } as unknown as FrontendMessage)).toThrow(InterfaceError);
  });
});
