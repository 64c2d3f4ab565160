/**
 * Decoder micro-benchmark: a 10,000-row mixed-type result stream (RowDescription,
 * DataRows, CommandComplete, ReadyForQuery) cut into 64 KiB chunks, decoded by
 * our BackendDecoder and by pg-protocol's Parser in the same run.
 *
 * pg-protocol turns every field into a JS string; our decoder hands out
 * subarray views. Both are reported: "views" (what the core uses) and
 * "+ strings" (views then UTF-8 decoded, the same work as pg-protocol).
 *
 * Usage: node -r ./scripts/register-ts.js bench/decode.ts
 */
import { encodeBackend } from '../src/protocol/backend-encode';
import { BackendDecoder } from '../src/protocol/decode';
import type { BackendMessage } from '../src/protocol/messages';
import { concatBytes, utf8Decode } from '../src/util/bytes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Parser } = require('pg-protocol/dist/parser') as { Parser: new () => { parse(b: Buffer, cb: (m: { name: string }) => void): void } };

const ROWS = 10_000;
const CHUNK = 64 * 1024;
const enc = (s: string) => new TextEncoder().encode(s);

function stream(): Uint8Array {
  const cols: Array<[string, number]> = [['id', 23], ['name', 25], ['active', 16], ['created', 1184], ['amount', 1700], ['note', 25], ['payload', 17]];
  const msgs: BackendMessage[] = [{
    type: 'RowDescription',
    fields: cols.map(([name, typeOid]) => ({ name, tableOid: 16384, columnAttr: 1, typeOid, typeSize: -1, typeModifier: -1, format: 0 })),
  }];
  for (let i = 0; i < ROWS; i++) {
    msgs.push({ type: 'DataRow', fields: [
      enc(String(i)), enc(`user ${i} ünïcödé`), enc(i % 2 ? 't' : 'f'), enc('2024-02-29 12:34:56.789+00'),
      enc((i * 3.14159).toFixed(5)), i % 3 === 0 ? null : enc('a fairly ordinary note of some length'), enc('\\x0001020304ff'),
    ] });
  }
  msgs.push({ type: 'CommandComplete', tag: `SELECT ${ROWS}` }, { type: 'ReadyForQuery', status: 'I' });
  return concatBytes(msgs.map(encodeBackend));
}

function chunks(all: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += CHUNK) out.push(all.slice(i, i + CHUNK));
  return out;
}

function ours(cs: Uint8Array[], strings: boolean): number {
  const d = new BackendDecoder();
  let rows = 0;
  let sink = 0;
  for (const c of cs) {
    d.feed(c);
    for (let m = d.next(); m !== null; m = d.next()) {
      if (m.type !== 'DataRow') continue;
      rows++;
      if (strings) for (const f of m.fields) if (f !== null) sink += utf8Decode(f).length;
    }
  }
  return rows + (sink & 0);
}

function theirs(bufs: Buffer[]): number {
  const p = new Parser();
  let rows = 0;
  for (const b of bufs) p.parse(b, (m) => { if (m.name === 'dataRow') rows++; });
  return rows;
}

function measure(name: string, fn: () => number, runs = 30): number {
  for (let i = 0; i < 5; i++) if (fn() !== ROWS) throw new Error(`${name} decoded the wrong number of rows`);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  console.log(`${name.padEnd(34)} median ${median.toFixed(2)} ms  (${Math.round(ROWS / median * 1000).toLocaleString('en')} rows/s)`);
  return median;
}

const all = stream();
const cs = chunks(all);
const bufs = cs.map((c) => Buffer.from(c));
console.log(`stream: ${ROWS} rows x 7 columns, ${all.length} bytes in ${cs.length} chunks of ${CHUNK} bytes`);
const viewsMs = measure('tspostgres BackendDecoder (views)', () => ours(cs, false));
const stringsMs = measure('tspostgres BackendDecoder + strings', () => ours(cs, true));
const pgMs = measure('pg-protocol Parser', () => theirs(bufs));
console.log(`ratio pg-protocol / ours: views ${(pgMs / viewsMs).toFixed(2)}x, with strings ${(pgMs / stringsMs).toFixed(2)}x (above 1 = we are faster)`);
