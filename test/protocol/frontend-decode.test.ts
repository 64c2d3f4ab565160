import { ProtocolViolation } from '../../src/errors/base';
import { encodeFrontend } from '../../src/protocol/encode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import type { FrontendMessage } from '../../src/protocol/messages';
import { concatBytes, fromHex, utf8Encode } from '../../src/util/bytes';
import { drain } from './drain';
import { SESSIONS } from './vectors';

/** What the frontend decoder yields for a message: text parameters come back as their UTF-8 bytes. */
function asDecoded(m: FrontendMessage): FrontendMessage {
  if (m.type === 'StartupMessage') return { protocolVersion: 196608, ...m };
  if (m.type !== 'Bind') return m;
  return { ...m, params: m.params.map((p) => (typeof p === 'string' ? utf8Encode(p) : p)) };
}

describe('FrontendDecoder', () => {
  test.each(SESSIONS.map((s) => [s.name, s] as const))('decodes every byte the client sent in session %s, split at every offset', (_name, s) => {
    const d = new FrontendDecoder();
    for (const st of s.steps) {
      if (st.name === 'SASLInitialResponse') d.expect = 'sasl-initial';
      if (st.name === 'SASLResponse') d.expect = 'sasl';
      const bytes = fromHex(st.sentHex);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const fresh = new FrontendDecoder();
        Object.assign(fresh, { startupDone: d.started, expect: d.expect });
        fresh.feed(bytes.subarray(0, cut));
        const got = drain(fresh);
        fresh.feed(bytes.subarray(cut));
        got.push(...drain(fresh));
        expect(got).toEqual(st.sent.map(asDecoded));
      }
      d.feed(bytes);
      expect(drain(d)).toEqual(st.sent.map(asDecoded));
    }
  });

  test('SSLRequest and GSSENCRequest keep the decoder in the startup phase', () => {
    const d = new FrontendDecoder();
    d.feed(concatBytes([
      encodeFrontend({ type: 'SSLRequest' }),
      encodeFrontend({ type: 'GSSENCRequest' }),
      encodeFrontend({ type: 'StartupMessage', parameters: { user: 'u', database: 'd' } }),
      encodeFrontend({ type: 'Query', sql: 'x' }),
    ]));
    expect(drain(d)).toEqual([
      { type: 'SSLRequest' },
      { type: 'GSSENCRequest' },
      { type: 'StartupMessage', protocolVersion: 196608, parameters: { user: 'u', database: 'd' } },
      { type: 'Query', sql: 'x' },
    ]);
    expect(d.started).toBe(true);
  });

  test('decodes a CancelRequest', () => {
    const d = new FrontendDecoder();
    d.feed(encodeFrontend({ type: 'CancelRequest', processId: 77, secretKey: Uint8Array.of(9, 8, 7, 6) }));
    expect(drain(d)).toEqual([{ type: 'CancelRequest', processId: 77, secretKey: Uint8Array.of(9, 8, 7, 6) }]);
  });

  test("decodes 'p' as SASLInitialResponse or SASLResponse when told to expect them", () => {
    const d = new FrontendDecoder();
    d.feed(encodeFrontend({ type: 'StartupMessage', parameters: {} }));
    d.expect = 'sasl-initial';
    d.feed(encodeFrontend({ type: 'SASLInitialResponse', mechanism: 'M', data: null }));
    expect(drain(d)[1]).toEqual({ type: 'SASLInitialResponse', mechanism: 'M', data: null });
    d.expect = 'sasl';
    d.feed(encodeFrontend({ type: 'SASLResponse', data: Uint8Array.of(1) }));
    expect(drain(d)).toEqual([{ type: 'SASLResponse', data: Uint8Array.of(1) }]);
  });

  test('decodes a FunctionCall and every empty message', () => {
    const msgs: FrontendMessage[] = [
      { type: 'StartupMessage', protocolVersion: 196608, parameters: {} },
      { type: 'FunctionCall', functionOid: 5, argFormats: [1], args: [Uint8Array.of(1), null], resultFormat: 0 },
      { type: 'Flush' }, { type: 'CopyDone' }, { type: 'Terminate' },
    ];
    const d = new FrontendDecoder();
    d.feed(concatBytes(msgs.map(encodeFrontend)));
    expect(drain(d)).toEqual(msgs);
  });

  test.each([
    ['an unsupported protocol version', '0000000800020000'],
    ['a startup packet without its final NUL', '0000000a000300007500'],
  ])('refuses %s in the startup phase', (_name, hex) => {
    const d = new FrontendDecoder();
    d.feed(fromHex(hex));
    expect(() => d.next()).toThrow(ProtocolViolation);
  });

  test.each([
    ['an unknown type byte', '7a00000004'],
    ['an invalid Describe target', '44000000065800'],
    ['trailing bytes after Sync', '530000000500'],
  ])('refuses %s after startup', (_name, hex) => {
    const d = new FrontendDecoder();
    d.feed(concatBytes([encodeFrontend({ type: 'StartupMessage', parameters: {} }), fromHex(hex)]));
    d.next();
    expect(() => d.next()).toThrow(ProtocolViolation);
  });
});
