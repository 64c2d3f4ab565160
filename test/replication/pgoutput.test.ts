/**
 * PgoutputDecoder on hand-built payloads: every message format (as the
 * PostgreSQL manual's "Logical Replication Message Formats" lays it out),
 * the relation cache, the streaming state, and refusals with stable codes
 * for truncated, unknown and malformed input; a fuzz loop holds the
 * decoder to throwing nothing but PgErrors.
 */
import { PgError } from '../../src/errors/base';
import { ArrayOid, createDefaultRegistry, Oid } from '../../src/types';
import { ByteWriter } from '../../src/util/bytes';
import { PgoutputDecoder, type PgoutputDecoderOptions } from '../../src/replication/pgoutput';
import { binaryValueDecoder } from '../../src/replication/pgoutput-binary';
import { PgoutputError } from '../../src/replication/pgoutput-error';
import { UNCHANGED_TOAST } from '../../src/replication/pgoutput-messages';
import { inputRng, mutate, randomBytes } from '../support/fuzz';

/** Builds one payload field by field. */
class Payload {
  private readonly w = new ByteWriter();
  constructor(tag: string) {
    this.w.u8(tag.charCodeAt(0));
  }
  u8(n: number): this { this.w.u8(n); return this; }
  ch(c: string): this { this.w.u8(c.charCodeAt(0)); return this; }
  i16(n: number): this { this.w.i16(n); return this; }
  i32(n: number): this { this.w.i32(n); return this; }
  u64(n: bigint): this { this.w.i32(Number(BigInt.asUintN(64, n) >> 32n)); this.w.i32(Number(n & 0xffffffffn)); return this; }
  str(s: string): this { this.w.cstring(s); return this; }
  raw(b: Uint8Array): this { this.w.bytes(b); return this; }
  /** TupleData: 'n' for null, 'u' for unchanged TOAST, a string as 't', bytes as 'b'. */
  tuple(...values: (string | Uint8Array | null | typeof UNCHANGED_TOAST)[]): this {
    this.w.i16(values.length);
    for (const v of values) {
      if (v === null) this.w.u8(0x6e);
      else if (v === UNCHANGED_TOAST) this.w.u8(0x75);
      else if (typeof v === 'string') this.w.u8(0x74).i32(Buffer.byteLength(v)).string(v);
      else this.w.u8(0x62).i32(v.length).bytes(v);
    }
    return this;
  }
  get bytes(): Uint8Array { return this.w.finish(); }
}

const T2000 = 946684800000; // 2000-01-01 in Unix ms
const TIME = 1_000_123n; // 1.000123 s after 2000-01-01
const REL = 16384;

/** Relation 16384 public.t (id int4 key, name text, doc jsonb) with replica identity `identity`. */
function relation(identity = 'd', xid?: number): Uint8Array {
  const p = new Payload('R');
  if (xid !== undefined) p.i32(xid);
  return p.i32(REL).str('public').str('t').ch(identity).i16(3)
    .u8(1).str('id').i32(Oid.int4).i32(-1)
    .u8(0).str('name').i32(Oid.text).i32(-1)
    .u8(0).str('doc').i32(Oid.jsonb).i32(-1).bytes;
}

function decoder(options?: PgoutputDecoderOptions): PgoutputDecoder {
  return new PgoutputDecoder(createDefaultRegistry(), options);
}

function refusal(d: PgoutputDecoder, payload: Uint8Array): PgoutputError {
  try {
    d.decode(payload, 7n);
  } catch (e) {
    expect(e).toBeInstanceOf(PgoutputError);
    return e as PgoutputError;
  }
  throw new Error('decode did not throw');
}

describe('PgoutputDecoder: transaction messages', () => {
  it('decodes Begin with its final LSN, commit time (Date and micros) and xid', () => {
    const m = decoder().decode(new Payload('B').u64(0x16b374d848n).u64(TIME).i32(-2).bytes, 99n);
    expect(m).toEqual({
      tag: 'begin', lsn: 99n, finalLsn: 0x16b374d848n, commitTime: new Date(T2000 + 1000), commitTimeMicros: TIME, xid: 4294967294,
    });
  });

  it('decodes Commit', () => {
    const m = decoder().decode(new Payload('C').u8(0).u64(10n).u64(20n).u64(-1n).bytes, 5n);
    expect(m).toEqual({ tag: 'commit', lsn: 5n, flags: 0, commitLsn: 10n, endLsn: 20n, commitTime: new Date(T2000 - 1), commitTimeMicros: -1n });
  });

  it('decodes Origin', () => {
    expect(decoder().decode(new Payload('O').u64(0xffffffffffffffffn).str('node_a').bytes, 1n))
      .toEqual({ tag: 'origin', lsn: 1n, originLsn: 0xffffffffffffffffn, name: 'node_a' });
  });

  it('decodes a logical decoding Message, copying its content', () => {
    const content = new Uint8Array([0, 1, 2, 255]);
    const payload = new Payload('M').u8(1).u64(42n).str('pfx').i32(4).raw(content).bytes;
    const m = decoder().decode(payload, 3n);
    payload.fill(0);
    expect(m).toEqual({ tag: 'message', lsn: 3n, transactional: true, messageLsn: 42n, prefix: 'pfx', content });
  });
});

describe('PgoutputDecoder: relations and rows', () => {
  it('decodes Relation and Type, and rows keyed by column name through the registry', () => {
    const d = decoder();
    const rel = d.decode(relation('f'), 1n);
    expect(rel).toMatchObject({ tag: 'relation', relationOid: REL, namespace: 'public', name: 't', replicaIdentity: 'f' });
    expect(rel.tag === 'relation' && rel.columns[0]).toEqual({ name: 'id', typeOid: Oid.int4, typeMod: -1, isKey: true, flags: 1 });
    expect(d.decode(new Payload('Y').i32(70000).str('public').str('mood').bytes, 2n))
      .toEqual({ tag: 'type', lsn: 2n, typeOid: 70000, namespace: 'public', name: 'mood' });
    const ins = d.decode(new Payload('I').i32(REL).ch('N').tuple('1', 'héllo', '{"a": [1]}').bytes, 3n);
    expect(ins).toMatchObject({ tag: 'insert', lsn: 3n, columns: ['id', 'name', 'doc'], new: { id: 1, name: 'héllo', doc: { a: [1] } } });
    expect(ins.tag === 'insert' && ins.relation).toBe(d.relation(REL));
  });

  it('decodes Update without old values, with a key (key columns only) and with a full old row', () => {
    const d = decoder();
    d.decode(relation(), 1n);
    expect(d.decode(new Payload('U').i32(REL).ch('N').tuple('1', null, UNCHANGED_TOAST).bytes, 2n))
      .toMatchObject({ tag: 'update', old: null, oldKind: null, new: { id: 1, name: null, doc: UNCHANGED_TOAST } });
    expect(d.decode(new Payload('U').i32(REL).ch('K').tuple('1', null, null).ch('N').tuple('2', 'x', null).bytes, 3n))
      .toMatchObject({ tag: 'update', old: { id: 1 }, oldKind: 'key', new: { id: 2, name: 'x', doc: null } });
    expect(d.decode(new Payload('U').i32(REL).ch('O').tuple('1', 'a', '1').ch('N').tuple('1', 'b', '2').bytes, 4n))
      .toMatchObject({ tag: 'update', old: { id: 1, name: 'a', doc: 1 }, oldKind: 'full', new: { id: 1, name: 'b', doc: 2 } });
  });

  it('decodes Delete with a key or a full old row', () => {
    const d = decoder();
    d.decode(relation(), 1n);
    const key = d.decode(new Payload('D').i32(REL).ch('K').tuple('7', null, null).bytes, 2n);
    expect(key).toMatchObject({ tag: 'delete', old: { id: 7 }, oldKind: 'key' });
    expect(key.tag === 'delete' && Object.keys(key.old)).toEqual(['id']);
    expect(d.decode(new Payload('D').i32(REL).ch('O').tuple('7', 'n', null).bytes, 3n))
      .toMatchObject({ tag: 'delete', old: { id: 7, name: 'n', doc: null }, oldKind: 'full' });
  });

  it('decodes binary (b) values through the registry', () => {
    const d = decoder({ binary: true });
    d.decode(relation(), 1n);
    const jsonb = new Uint8Array([1, ...Buffer.from('{"k": true}')]);
    expect(d.decode(new Payload('I').i32(REL).ch('N').tuple(new Uint8Array([0, 0, 1, 0]), Buffer.from('tëxt'), jsonb).bytes, 2n))
      .toMatchObject({ new: { id: 256, name: 'tëxt', doc: { k: true } } });
  });

  it('decodes Truncate with its flags and the relations as described', () => {
    const d = decoder();
    d.decode(relation(), 1n);
    const m = d.decode(new Payload('T').i32(1).u8(3).i32(REL).bytes, 2n);
    expect(m).toMatchObject({ tag: 'truncate', cascade: true, restartIdentity: true, options: 3 });
    expect(m.tag === 'truncate' && m.relations).toEqual([d.relation(REL)]);
  });

  it('replaces a relation when a new Relation message for its oid arrives', () => {
    const d = decoder();
    d.decode(relation(), 1n);
    d.decode(new Payload('R').i32(REL).str('public').str('t').ch('d').i16(1).u8(1).str('only').i32(Oid.int8).i32(-1).bytes, 2n);
    expect(d.decode(new Payload('I').i32(REL).ch('N').tuple('5').bytes, 3n)).toMatchObject({ columns: ['only'], new: { only: 5n } });
    d.reset();
    expect(d.relation(REL)).toBeUndefined();
  });

  it('rebuilds column decoders when the registry changes', () => {
    const types = createDefaultRegistry();
    const d = new PgoutputDecoder(types);
    d.decode(relation(), 1n);
    const insert = new Payload('I').i32(REL).ch('N').tuple('1', 'a', null).bytes;
    expect(d.decode(insert, 2n)).toMatchObject({ new: { name: 'a' } });
    types.register({ oid: Oid.text, arrayOid: 0, name: 'shouting_text', parse: (s) => s.toUpperCase(), serialize: String });
    expect(d.decode(insert, 3n)).toMatchObject({ new: { name: 'A' } });
  });
});

describe('binary values without a binary decoder in the registry', () => {
  it('go through the text decoder registered for their oid, so a user parser still applies', () => {
    const types = createDefaultRegistry();
    types.register({ oid: Oid.numeric, arrayOid: 0, name: 'numeric_as_number', parse: (t) => Number(t), serialize: String });
    // numeric_send of -12.50: 2 digits, weight 0, negative, scale 2: 12 | 5000
    const bytes = new Uint8Array([0, 2, 0, 0, 0x40, 0, 0, 2, 0, 12, 0x13, 0x88]);
    expect(binaryValueDecoder(types, Oid.numeric)(bytes)).toBe(-12.5);
    expect(binaryValueDecoder(createDefaultRegistry(), Oid.numeric)(bytes)).toBe('-12.50');
  });

  it('money and types the registry does not know come back as a copy of their bytes', () => {
    const bytes = new Uint8Array([0, 0, 0, 0, 0, 0, 0x30, 0x39]);
    const money = binaryValueDecoder(createDefaultRegistry(), Oid.money)(bytes);
    expect(money).toEqual(Buffer.from(bytes));
    expect(money).not.toBe(bytes);
    expect(binaryValueDecoder(createDefaultRegistry(), 99999)(bytes)).toEqual(Buffer.from(bytes));
  });

  it('a value that does not fit its type is a TypeParseError naming the type', () => {
    expect(() => binaryValueDecoder(createDefaultRegistry(), Oid.date)(new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'ERR_TYPE_PARSE', typeName: 'date' }));
    expect(() => binaryValueDecoder(createDefaultRegistry(), ArrayOid.int4)(new Uint8Array([0, 0, 0, 1]))).toThrow(expect.objectContaining({ code: 'ERR_TYPE_PARSE', typeName: 'int4[]' }));
  });
});

describe('PgoutputDecoder: streamed and two-phase transactions', () => {
  it('reads the xid of data messages between Stream Start and Stream Stop (protocol 2)', () => {
    const d = decoder({ protoVersion: 2 });
    expect(d.decode(new Payload('S').i32(900).u8(1).bytes, 1n)).toEqual({ tag: 'streamStart', lsn: 1n, xid: 900, firstSegment: true });
    expect(d.streamingXid).toBe(900);
    expect(d.decode(relation('d', 900), 2n)).toMatchObject({ tag: 'relation', xid: 900, relationOid: REL });
    expect(d.decode(new Payload('I').i32(900).i32(REL).ch('N').tuple('1', 'a', null).bytes, 3n)).toMatchObject({ tag: 'insert', xid: 900, new: { id: 1 } });
    expect(d.decode(new Payload('M').i32(900).u8(1).u64(4n).str('p').i32(0).bytes, 4n)).toMatchObject({ tag: 'message', xid: 900 });
    expect(d.decode(new Payload('T').i32(900).i32(1).u8(0).i32(REL).bytes, 5n)).toMatchObject({ tag: 'truncate', xid: 900 });
    expect(d.decode(new Payload('E').bytes, 6n)).toEqual({ tag: 'streamStop', lsn: 6n });
    expect(d.streamingXid).toBeUndefined();
    expect(d.decode(new Payload('I').i32(REL).ch('N').tuple('2', 'b', null).bytes, 7n)).not.toHaveProperty('xid');
    expect(d.decode(new Payload('c').i32(900).u8(0).u64(10n).u64(11n).u64(TIME).bytes, 8n))
      .toEqual({ tag: 'streamCommit', lsn: 8n, xid: 900, flags: 0, commitLsn: 10n, endLsn: 11n, commitTime: new Date(T2000 + 1000), commitTimeMicros: TIME });
    expect(d.decode(new Payload('A').i32(900).i32(901).bytes, 9n)).toEqual({ tag: 'streamAbort', lsn: 9n, xid: 900, subXid: 901 });
  });

  it('reads the abort LSN and time of Stream Abort under protocol 4 (parallel streaming)', () => {
    const d = decoder({ protoVersion: 4 });
    expect(d.decode(new Payload('A').i32(1).i32(1).u64(77n).u64(TIME).bytes, 1n))
      .toEqual({ tag: 'streamAbort', lsn: 1n, xid: 1, subXid: 1, abortLsn: 77n, abortTime: new Date(T2000 + 1000), abortTimeMicros: TIME });
    expect(d.decode(new Payload('A').i32(1).i32(2).bytes, 2n)).toEqual({ tag: 'streamAbort', lsn: 2n, xid: 1, subXid: 2 });
  });

  it('decodes the two-phase messages (protocol 3)', () => {
    const d = decoder({ protoVersion: 3 });
    expect(d.decode(new Payload('b').u64(1n).u64(2n).u64(TIME).i32(5).str('gid1').bytes, 1n))
      .toMatchObject({ tag: 'beginPrepare', prepareLsn: 1n, endLsn: 2n, prepareTimeMicros: TIME, xid: 5, gid: 'gid1' });
    expect(d.decode(new Payload('P').u8(0).u64(1n).u64(2n).u64(TIME).i32(5).str('gid1').bytes, 2n))
      .toMatchObject({ tag: 'prepare', flags: 0, prepareLsn: 1n, endLsn: 2n, xid: 5, gid: 'gid1' });
    expect(d.decode(new Payload('K').u8(0).u64(3n).u64(4n).u64(TIME).i32(5).str('gid1').bytes, 3n))
      .toMatchObject({ tag: 'commitPrepared', commitLsn: 3n, endLsn: 4n, commitTime: new Date(T2000 + 1000), xid: 5, gid: 'gid1' });
    expect(d.decode(new Payload('r').u8(0).u64(3n).u64(4n).u64(TIME).u64(TIME * 2n).i32(5).str('g').bytes, 4n))
      .toMatchObject({ tag: 'rollbackPrepared', prepareEndLsn: 3n, rollbackEndLsn: 4n, prepareTimeMicros: TIME, rollbackTimeMicros: TIME * 2n, gid: 'g' });
    expect(d.decode(new Payload('p').u8(0).u64(1n).u64(2n).u64(TIME).i32(5).str('g').bytes, 5n))
      .toMatchObject({ tag: 'streamPrepare', prepareLsn: 1n, xid: 5, gid: 'g' });
  });

  it('refuses messages of a later protocol version than the stream uses', () => {
    expect(refusal(decoder(), new Payload('S').i32(1).u8(1).bytes).code).toBe('ERR_PGOUTPUT_UNKNOWN_TAG');
    expect(refusal(decoder({ protoVersion: 2 }), new Payload('P').u8(0).u64(1n).u64(2n).u64(3n).i32(5).str('g').bytes).code)
      .toBe('ERR_PGOUTPUT_UNKNOWN_TAG');
  });
});

describe('PgoutputDecoder: options', () => {
  it('refuses a protocol version other than 1 to 4', () => {
    for (const protoVersion of [0, 5, 2.5]) {
      expect(() => decoder({ protoVersion } as unknown as PgoutputDecoderOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    expect(decoder().protoVersion).toBe(1);
  });
});

describe('PgoutputDecoder: malformed input', () => {
  it('refuses an unknown tag and an empty payload', () => {
    const e = refusal(decoder(), new Payload('Z').bytes);
    expect(e).toMatchObject({ code: 'ERR_PGOUTPUT_UNKNOWN_TAG', reason: 'unknown-tag', tag: 'Z', lsn: 7n });
    expect(e).toBeInstanceOf(PgError);
    expect(refusal(decoder(), new Uint8Array(0)).code).toBe('ERR_PGOUTPUT_TRUNCATED');
  });

  it('refuses a row or a truncate naming a relation never described', () => {
    expect(refusal(decoder(), new Payload('I').i32(123).ch('N').tuple('1').bytes))
      .toMatchObject({ code: 'ERR_PGOUTPUT_UNKNOWN_RELATION', relationOid: 123, tag: 'I' });
    expect(refusal(decoder(), new Payload('T').i32(1).u8(0).i32(123).bytes).code).toBe('ERR_PGOUTPUT_UNKNOWN_RELATION');
  });

  it('refuses every truncation of every message with ERR_PGOUTPUT_TRUNCATED, changing no state', () => {
    const d = decoder({ protoVersion: 4 });
    d.decode(relation(), 0n);
    const payloads = [
      new Payload('B').u64(1n).u64(2n).i32(3).bytes,
      new Payload('C').u8(0).u64(1n).u64(2n).u64(3n).bytes,
      new Payload('M').u8(0).u64(1n).str('p').i32(2).raw(new Uint8Array([1, 2])).bytes,
      relation(),
      new Payload('I').i32(REL).ch('N').tuple('1', 'abc', null).bytes,
      new Payload('U').i32(REL).ch('O').tuple('1', 'a', null).ch('N').tuple('1', 'b', null).bytes,
      new Payload('T').i32(1).u8(0).i32(REL).bytes,
      new Payload('S').i32(5).u8(1).bytes,
      new Payload('K').u8(0).u64(3n).u64(4n).u64(TIME).i32(5).str('gid1').bytes,
    ];
    for (const p of payloads) {
      for (let n = 1; n < p.length; n++) {
        const e = refusal(d, p.subarray(0, n));
        expect([e.code, n, String.fromCharCode(p[0])]).toEqual(['ERR_PGOUTPUT_TRUNCATED', n, String.fromCharCode(p[0])]);
      }
    }
    expect(d.streamingXid).toBeUndefined();
  });

  it('refuses bytes left over, unknown column kinds, wrong column counts and bad markers as ERR_PGOUTPUT_MALFORMED', () => {
    const d = decoder();
    d.decode(relation(), 0n);
    expect(refusal(decoder({ protoVersion: 2 }), new Payload('E').u8(0).bytes).code).toBe('ERR_PGOUTPUT_MALFORMED');
    const cases = [
      new Payload('B').u64(1n).u64(2n).i32(3).u8(0).bytes,
      new Payload('I').i32(REL).ch('N').i16(1).ch('t').i32(1).ch('1').bytes,
      new Payload('I').i32(REL).ch('X').tuple('1', null, null).bytes,
      new Payload('I').i32(REL).ch('N').i16(3).ch('q').bytes,
      new Payload('I').i32(REL).ch('N').i16(3).ch('t').i32(-5).bytes,
      new Payload('D').i32(REL).ch('N').tuple('1', null, null).bytes,
      new Payload('R').i32(1).str('s').str('t').ch('x').i16(0).bytes,
    ];
    for (const p of cases) expect([String.fromCharCode(p[0]), refusal(d, p).code]).toEqual([String.fromCharCode(p[0]), 'ERR_PGOUTPUT_MALFORMED']);
  });

  it('passes a value its type cannot parse on as the registry TypeParseError', () => {
    const d = decoder();
    d.decode(relation(), 0n);
    expect(() => d.decode(new Payload('I').i32(REL).ch('N').tuple('1', 'a', '{not json').bytes, 1n)).toThrow(expect.objectContaining({ code: 'ERR_TYPE_PARSE' }));
  });
});

describe('PgoutputDecoder: fuzz', () => {
  const corpus: Uint8Array[] = [
    relation(),
    new Payload('I').i32(REL).ch('N').tuple('1', 'abc', '[1,2]').bytes,
    new Payload('I').i32(REL).ch('N').tuple(new Uint8Array([0, 0, 0, 1]), Buffer.from('x'), new Uint8Array([1, 0x31])).bytes,
    new Payload('U').i32(REL).ch('K').tuple('1', null, null).ch('N').tuple('2', 'b', UNCHANGED_TOAST).bytes,
    new Payload('D').i32(REL).ch('O').tuple('1', 'a', null).bytes,
    new Payload('T').i32(1).u8(1).i32(REL).bytes,
    new Payload('B').u64(1n).u64(2n).i32(3).bytes,
    new Payload('C').u8(0).u64(1n).u64(2n).u64(3n).bytes,
    new Payload('M').u8(1).u64(1n).str('p').i32(1).u8(9).bytes,
    new Payload('S').i32(5).u8(1).bytes,
    new Payload('E').bytes,
    new Payload('A').i32(5).i32(6).u64(1n).u64(2n).bytes,
    new Payload('r').u8(0).u64(3n).u64(4n).u64(TIME).u64(TIME).i32(5).str('g').bytes,
  ];

  it('throws nothing but PgErrors on 20,000 random and mutated payloads', () => {
    const counts = { ok: 0, refused: 0 };
    const decoders = [1, 2, 3, 4].map((v) => decoder({ protoVersion: v as 1 | 2 | 3 | 4 }));
    for (let i = 0; i < 20_000; i++) {
      const rand = inputRng(0x9e0, i);
      const d = decoders[i % 4];
      d.reset();
      d.decode(relation(), 0n);
      if (i % 3 === 0 && d.protoVersion >= 2) d.decode(new Payload('S').i32(5).u8(1).bytes, 0n);
      const input = i % 4 === 0 ? randomBytes(rand, Math.floor(rand() * 40)) : mutate(corpus[i % corpus.length], rand, corpus);
      try {
        d.decode(input, BigInt(i));
        counts.ok++;
      } catch (e) {
        if (!(e instanceof PgError)) throw new Error(`input ${i} (${Buffer.from(input).toString('hex')}) threw ${String(e)}`);
        counts.refused++;
      }
    }
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.refused).toBeGreaterThan(100);
  });

  it('binary values of every built-in type: random bytes give a value or a PgError, nothing else', () => {
    const types = createDefaultRegistry();
    const oids = [...Object.values(Oid), ...Object.values(ArrayOid)].filter((oid) => oid !== 0);
    const decoders = oids.map((oid) => binaryValueDecoder(types, oid));
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const rand = inputRng(0xb1, i);
      const oid = oids[i % oids.length];
      const input = randomBytes(rand, Math.floor(rand() * 48));
      try {
        decoders[i % oids.length](input);
      } catch (e) {
        if (!(e instanceof PgError)) throw new Error(`oid ${oid} on ${Buffer.from(input).toString('hex')} threw ${String(e)}`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
