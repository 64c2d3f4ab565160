/**
 * Parameter counts are unsigned 16-bit integers on the wire: a statement may
 * have up to 65,535 parameters. Every codec direction round-trips 40,000 and
 * 65,535 (a count read as signed turned 32,768 and up into a "negative
 * parameter count"), and more than 65,535 are refused before a byte is written.
 */
import { InterfaceError, ProtocolViolation } from '../../src/errors/base';
import { encodeBackend } from '../../src/protocol/backend-encode';
import { BackendDecoder } from '../../src/protocol/decode';
import { encodeFrontend, writeFrontend } from '../../src/protocol/encode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import type { FrontendMessage } from '../../src/protocol/messages';
import { ByteWriter, concatBytes, toHex, utf8Decode } from '../../src/util/bytes';
import { drain } from './drain';

const oids = (n: number): number[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 23 : 25));

/** A started FrontendDecoder (past the startup phase), fed `bytes`. */
function decodeFrontend(bytes: Uint8Array): FrontendMessage[] {
  const d = new FrontendDecoder();
  Object.assign(d, { startupDone: true });
  d.feed(bytes);
  return drain(d);
}

describe.each([32_768, 40_000, 65_535])('%i parameters', (n) => {
  test('ParameterDescription round-trips through encodeBackend and BackendDecoder', () => {
    const msg = { type: 'ParameterDescription' as const, typeOids: oids(n) };
    const bytes = encodeBackend(msg);
    expect(bytes.length).toBe(1 + 4 + 2 + 4 * n);
    const d = new BackendDecoder();
    d.feed(bytes);
    expect(drain(d)).toEqual([msg]);
  });

  test('Bind and Parse round-trip through encodeFrontend and FrontendDecoder', () => {
    const params = Array.from({ length: n }, (_, i) => String(i));
    const bind: FrontendMessage = { type: 'Bind', portal: '', statement: 's', paramFormats: [0], params, resultFormats: [0] };
    const parse: FrontendMessage = { type: 'Parse', name: 's', sql: 'SELECT $1', paramTypes: oids(n) };
    const [gotParse, gotBind] = decodeFrontend(concatBytes([encodeFrontend(parse), encodeFrontend(bind)]));
    expect(gotParse).toEqual(parse);
    // compared as strings: deep equality of 65,535 Uint8Arrays is slow
    const { params: gotParams, ...rest } = gotBind as Extract<FrontendMessage, { type: 'Bind' }>;
    expect(rest).toEqual({ type: 'Bind', portal: '', statement: 's', paramFormats: [0], resultFormats: [0] });
    expect(gotParams.map((p) => utf8Decode(p as Uint8Array))).toEqual(params);
  });
});

test('Bind with 65,536 parameters: InterfaceError ERR_TOO_MANY_PARAMETERS, nothing written', () => {
  const w = new ByteWriter();
  writeFrontend(w, { type: 'Sync' });
  const params = new Array<string>(65_536).fill('1');
  let error: unknown;
  try {
    writeFrontend(w, { type: 'Bind', portal: '', statement: '', paramFormats: [], params, resultFormats: [] });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InterfaceError);
  expect(error).toMatchObject({ code: 'ERR_TOO_MANY_PARAMETERS', message: 'too many parameters: 65536 (the protocol allows 65535)' });
  expect(toHex(w.finish())).toBe('5300000004');
});

test('a ParameterDescription of 65,536 parameters, whose count PostgreSQL writes modulo 65,536, decodes from its length', () => {
  // PostgreSQL sends pq_sendint16(numParams): 65,536 becomes 0, followed by all 65,536 OIDs.
  const msg = { type: 'ParameterDescription' as const, typeOids: oids(65_536) };
  const bytes = encodeBackend(msg);
  expect(toHex(bytes.subarray(0, 7))).toBe('74000400060000') // length 4 + 2 + 4 * 65,536, count 0;
  const d = new BackendDecoder();
  d.feed(bytes);
  expect(drain(d)).toEqual([msg]);
});

test('a ParameterDescription whose body does not match its count is still a ProtocolViolation', () => {
  const d = new BackendDecoder();
  // count 2, one OID: short body
  d.feed(Uint8Array.of(0x74, 0, 0, 0, 10, 0, 2, 0, 0, 0, 23));
  expect(() => d.next()).toThrow(ProtocolViolation);
});
