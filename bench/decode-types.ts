/**
 * Micro benchmark of the type decoders: ns per field for the common column
 * types, text and binary, through `registry.decoder(oid, format)` exactly as
 * the cursor calls it (field bytes as a view into a larger buffer).
 *
 *   node -r ./scripts/register-ts.js bench/decode-types.ts
 */
import { ArrayOid, Oid, createDefaultRegistry } from '../src/types';

const registry = createDefaultRegistry();
const N = 1_000_000;

function view(bytes: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(bytes.length + 8);
  buffer.set(bytes, 4);
  return buffer.subarray(4, 4 + bytes.length);
}

const text = (s: string): Uint8Array => view(Buffer.from(s, 'utf8'));
const bin = (hex: string): Uint8Array => view(Buffer.from(hex, 'hex'));

const cases: [string, number, 0 | 1, Uint8Array][] = [
  ['int4 text', Oid.int4, 0, text('123456')],
  ['int4 binary', Oid.int4, 1, bin('0001e240')],
  ['int8 text', Oid.int8, 0, text('9007199254740993')],
  ['int8 binary', Oid.int8, 1, bin('0020000000000001')],
  ['float8 text', Oid.float8, 0, text('3.141592653589793')],
  ['float8 binary', Oid.float8, 1, bin('400921fb54442d18')],
  ['bool text', Oid.bool, 0, text('t')],
  ['text (short)', Oid.text, 0, text('hello')],
  ['text (64 B)', Oid.text, 0, text('x'.repeat(64))],
  ['numeric text', Oid.numeric, 0, text('12345.6789')],
  ['uuid text', Oid.uuid, 0, text('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')],
  ['uuid binary', Oid.uuid, 1, bin('a0eebc999c0b4ef8bb6d6bb9bd380a11')],
  ['timestamptz text', Oid.timestamptz, 0, text('2024-01-02 03:04:05.123456+00')],
  ['timestamptz binary', Oid.timestamptz, 1, bin('0002b0ec8517d580')],
  ['date text', Oid.date, 0, text('2024-01-02')],
  ['jsonb text', Oid.jsonb, 0, text('{"a":1,"b":[1,2,3],"c":"x"}')],
  ['int4[] text (10)', ArrayOid.int4, 0, text('{1,2,3,4,5,6,7,8,9,10}')],
  ['text[] text (5)', ArrayOid.text, 0, text('{a,"b c",d,NULL,"e\\"f"}')],
];

let sink: unknown;
for (const [name, oid, format, field] of cases) {
  const decode = registry.decoder(oid, format);
  for (let i = 0; i < 100_000; i++) sink = decode(field);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink = decode(field);
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${name.padEnd(22)} ${ns.toFixed(1).padStart(7)} ns/field`);
}
void sink;
