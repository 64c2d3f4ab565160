import { createDefaultRegistry } from '../../src/types';
import { roundTripCases } from './roundtrip-cases';

/**
 * The codec half of the round trip, without a server: for every case the
 * server does not normalize (no `expected`), decoding what we encode gives
 * the value back. The integration test runs the same table through a server.
 */
describe('round trip through the codec alone', () => {
  const oidOf = (sqlType: string, registry = createDefaultRegistry()): number => {
    const name = sqlType.replace(/^"char"$/, 'char').replace(/\(\d+\)/, '');
    const record = registry.byName(name);
    if (record === undefined) throw new Error(`no record for ${sqlType}`);
    return record.oid;
  };
  const cases = roundTripCases.filter((c) => !('expected' in c));

  it.each(cases.map((c, i) => [i, c.sqlType, c] as const))('case %i (%s) decodes to the value it encoded', (_i, _type, c) => {
    const registry = createDefaultRegistry(c.options);
    const oid = oidOf(c.sqlType, registry);
    const encoded = registry.encodeParam(c.value, oid);
    const format = typeof encoded === 'string' ? 0 : 1;
    const field = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : (encoded as Uint8Array);
    expect(registry.decoder(oid, format)(field)).toEqual(c.value);
  });

  it('covers every built-in type name at least once', () => {
    const types = new Set(roundTripCases.map((c) => c.sqlType));
    for (const t of ['bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'bytea', 'json', 'jsonb', 'uuid',
      'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'inet', 'cidr', 'macaddr', 'point', 'line', 'lseg',
      'box', 'path', 'polygon', 'circle', 'oid', 'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange']) {
      expect(types).toContain(t);
    }
  });
});
