import { InterfaceError } from '../../src/errors/base';
import { encodeBackend } from '../../src/protocol/backend-encode';
import { BackendDecoder } from '../../src/protocol/decode';
import type { BackendMessage } from '../../src/protocol/messages';
import { concatBytes, toHex } from '../../src/util/bytes';
import { drain } from './drain';
import { SESSIONS } from './vectors';

describe('encodeBackend', () => {
  test.each(SESSIONS.flatMap((s) => s.steps.map((st) => [`${s.name}: ${st.name}`, st] as const)))(
    '%s: re-encoding the decoded messages reproduces the server bytes exactly',
    (_name, st) => {
      expect(toHex(concatBytes(st.messages.map(encodeBackend)))).toBe(st.receivedHex);
    },
  );

  const synthetic: BackendMessage[] = [
    { type: 'AuthenticationKerberosV5' },
    { type: 'AuthenticationGSS' },
    { type: 'AuthenticationGSSContinue', data: Uint8Array.of(1, 2) },
    { type: 'AuthenticationSSPI' },
    { type: 'CopyBothResponse', format: 1, columnFormats: [1, 1] },
    { type: 'FunctionCallResponse', result: Uint8Array.of(9) },
    { type: 'FunctionCallResponse', result: null },
    { type: 'BackendKeyData', processId: -5, secretKey: new Uint8Array(32).fill(7) },
    { type: 'NegotiateProtocolVersion', minorVersion: 2, unrecognizedOptions: [] },
    { type: 'ParameterDescription', typeOids: [4294967295, 0] },
  ];

  test.each(synthetic.map((m) => [m.type, m] as const))('%s not seen from the server round-trips through the decoder', (_type, m) => {
    const d = new BackendDecoder();
    d.feed(encodeBackend(m));
    expect(drain(d)).toEqual([m]);
  });

  test('an unknown message type is an InterfaceError', () => {
    expect(() => encodeBackend({ type: 'Nope' } as unknown as BackendMessage)).toThrow(InterfaceError);
  });
});
