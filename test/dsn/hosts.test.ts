/**
 * The host list limit: at most MAX_HOSTS servers per connection, in every
 * spelling (URI, key=value host/hostaddr/port lists, the object form's
 * host array and hosts list); a 100,000-host input is refused with a
 * ConfigurationError naming the limit, and the limit itself is accepted.
 */
import { ConfigurationError } from '../../src/errors/base';
import { MAX_HOSTS } from '../../src/dsn/hosts';
import { resolveConfig } from '../../src/dsn/resolve';
import type { ConnectInput } from '../../src/dsn/params';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `h${i}`);
const resolve = (input: string | ConnectInput) => resolveConfig(input, {}, { osUser: 'me' });

function refusal(input: string | ConnectInput): ConfigurationError {
  try {
    resolve(input);
  } catch (e) {
    return e as ConfigurationError;
  }
  throw new Error('not refused');
}

describe(`at most ${MAX_HOSTS} hosts`, () => {
  it.each([
    ['a URI', () => `postgres://${names(100_000).join(',')}/db`, '"host" lists 100000'],
    ['a URI with ports', () => `postgres://${names(100_000).map((h) => `${h}:5432`).join(',')}/db`, '"host" lists 100000'],
    ['key=value hosts', () => `host=${names(100_000).join(',')}`, '"host" lists 100000'],
    ['key=value hostaddrs', () => `hostaddr=${Array(100_000).fill('10.0.0.1').join(',')}`, '"hostaddr" lists 100000'],
    ['key=value ports', () => `host=h port=${Array(100_000).fill('5432').join(',')}`, '"port" lists 100000'],
    ['the host array', () => ({ host: names(100_000) }), '"host" lists 100000'],
    ['the hosts list', () => ({ hosts: names(100_000).map((host) => ({ host })) }), '"hosts" lists 100000'],
  ] as const)('refuses 100,000 in %s with a ConfigurationError naming the limit', (_, make, what) => {
    const e = refusal(make());
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.code).toBe('ERR_INVALID_CONFIG');
    expect(e.message).toBe(`too many hosts: ${what}, at most ${MAX_HOSTS} are allowed`);
  });

  it(`accepts ${MAX_HOSTS} hosts, and refuses ${MAX_HOSTS + 1}`, () => {
    expect(resolve(`postgres://${names(MAX_HOSTS).join(',')}/db`).hosts).toHaveLength(MAX_HOSTS);
    expect(resolve({ hosts: names(MAX_HOSTS).map((host) => ({ host, port: 5433 })) }).hosts).toHaveLength(MAX_HOSTS);
    expect(refusal(`host=${names(MAX_HOSTS + 1).join(',')}`).message).toContain(`lists ${MAX_HOSTS + 1}`);
  });
});
