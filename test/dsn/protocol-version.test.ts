/**
 * min_protocol_version and max_protocol_version (libpq 18): values 3.0, 3.2
 * and latest, in strings, URIs, the object form and PG*PROTOCOLVERSION
 * variables; our default maximum is 3.2 (libpq's is 3.0); min above max is
 * a ConfigurationError.
 */
import { ConfigurationError } from '../../src/errors/base';
import { resolveConfig } from '../../src/dsn/resolve';
import type { ConnectInput } from '../../src/dsn/params';

const opts = { osUser: 'u' };
const versions = (input: string | ConnectInput, env: Record<string, string> = {}): [string, string] => {
  const p = resolveConfig(input, env, opts);
  return [p.minProtocolVersion, p.maxProtocolVersion];
};

describe('min_protocol_version and max_protocol_version', () => {
  it('default to 3.0 and 3.2: we ask for 3.2 where libpq 18 asks for 3.0', () => {
    expect(versions('')).toEqual(['3.0', '3.2']);
  });

  it.each<[string | ConnectInput, [string, string]]>([
    ['max_protocol_version=3.0', ['3.0', '3.0']],
    ['min_protocol_version=3.2', ['3.2', '3.2']],
    ['min_protocol_version=3.0 max_protocol_version=3.2', ['3.0', '3.2']],
    ['min_protocol_version=latest max_protocol_version=latest', ['3.2', '3.2']],
    ['postgres://h/db?max_protocol_version=3.0', ['3.0', '3.0']],
    ['postgres://h/db?min_protocol_version=latest', ['3.2', '3.2']],
    ["max_protocol_version=''", ['3.0', '3.2']],
    [{ max_protocol_version: '3.0' }, ['3.0', '3.0']],
    [{ min_protocol_version: 'latest' }, ['3.2', '3.2']],
    [{ maxProtocolVersion: '3.0' }, ['3.0', '3.0']],
    [{ minProtocolVersion: 'latest' }, ['3.2', '3.2']],
    [{ dsn: 'max_protocol_version=3.0', maxProtocolVersion: 'latest' }, ['3.0', '3.2']],
  ])('%j gives [min, max] %j', (input, expected) => {
    expect(versions(input)).toEqual(expected);
  });

  it('are read from PGMINPROTOCOLVERSION and PGMAXPROTOCOLVERSION, below the connection string', () => {
    expect(versions('', { PGMAXPROTOCOLVERSION: '3.0' })).toEqual(['3.0', '3.0']);
    expect(versions('', { PGMINPROTOCOLVERSION: '3.2' })).toEqual(['3.2', '3.2']);
    expect(versions('max_protocol_version=latest', { PGMAXPROTOCOLVERSION: '3.0' })).toEqual(['3.0', '3.2']);
  });

  it.each<string | ConnectInput>([
    'min_protocol_version=3.1',
    'max_protocol_version=3',
    'max_protocol_version=4.0',
    "max_protocol_version='3.2 '",
    'max_protocol_version=LATEST',
    { maxProtocolVersion: '3.1' as never },
  ])('refuse %j with a ConfigurationError naming the keyword and the values allowed', (input) => {
    expect(() => resolveConfig(input, {}, opts)).toThrow(ConfigurationError);
    expect(() => resolveConfig(input, {}, opts)).toThrow(/invalid (min|max)_protocol_version value: .* \(expected one of 3\.0, 3\.2, latest\)/);
  });

  it.each<[string | ConnectInput, Record<string, string>]>([
    ['min_protocol_version=3.2 max_protocol_version=3.0', {}],
    ['min_protocol_version=latest', { PGMAXPROTOCOLVERSION: '3.0' }],
    [{ minProtocolVersion: '3.2', max_protocol_version: '3.0' }, {}],
  ])('refuse a minimum above the maximum (%j, env %j)', (input, env) => {
    expect(() => resolveConfig(input, env, opts)).toThrow(new ConfigurationError('min_protocol_version 3.2 is greater than max_protocol_version 3.0'));
  });

  it('refuse both spellings in one object', () => {
    expect(() => resolveConfig({ maxProtocolVersion: '3.0', max_protocol_version: '3.0' }, {}, opts)).toThrow(/both "maxProtocolVersion" and "max_protocol_version"/);
  });
});
