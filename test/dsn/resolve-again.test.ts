/**
 * Resolving the same connection string again (as every connect does): each
 * resolution sees changed PG* variables and a changed string, hands out a
 * copy the caller may change, and asks the OS user afresh whenever it is
 * needed. (These guard any memoisation of the resolution; a cache of the
 * last result was tried and dropped: it saved about 1 us per warm connect.)
 */
import { resolveConfig } from '../../src/dsn/resolve';

const DSN = 'postgres://alice@db.example:5433/app?sslmode=disable';

describe('resolving the same connection string again', () => {
  it('gives equal parameters, as a fresh copy each time', () => {
    const a = resolveConfig(DSN, {});
    a.hosts[0].password = 'from-pgpass';
    a.password = 'changed';
    const b = resolveConfig(DSN, {});
    expect(b).not.toBe(a);
    expect(b.hosts[0]).not.toBe(a.hosts[0]);
    expect(b.hosts[0].password).toBeUndefined();
    expect(b.password).toBeUndefined();
    expect({ ...b, hosts: [{ ...b.hosts[0], password: 'from-pgpass' }], password: 'changed' }).toEqual(a);
  });

  it('sees a changed, added or removed environment variable', () => {
    expect(resolveConfig(DSN, {}).applicationName).toBeUndefined();
    expect(resolveConfig(DSN, { PGAPPNAME: 'one' }).applicationName).toBe('one');
    expect(resolveConfig(DSN, { PGAPPNAME: 'two' }).applicationName).toBe('two');
    expect(resolveConfig(DSN, { PGAPPNAME: 'two', PGCONNECT_TIMEOUT: '7' }).connectTimeoutMs).toBe(7000);
    expect(resolveConfig(DSN, {}).connectTimeoutMs).toBeUndefined();
    expect(resolveConfig(DSN, { PGPASSWORD: 'pw' }).password).toBe('pw');
    expect(resolveConfig(DSN, {}).password).toBeUndefined();
  });

  it('sees a changed string and default host', () => {
    expect(resolveConfig(DSN, {}).hosts[0].port).toBe(5433);
    expect(resolveConfig(DSN.replace('5433', '5434'), {}).hosts[0].port).toBe(5434);
    expect(resolveConfig('postgres://alice@/app', {}, { defaultHost: '/a' }).hosts[0].host).toBe('/a');
    expect(resolveConfig('postgres://alice@/app', {}, { defaultHost: '/b' }).hosts[0].host).toBe('/b');
  });

  it('asks for the OS user each time none is given', () => {
    let calls = 0;
    const osUser = (): string => `os${++calls}`;
    expect(resolveConfig('postgres://db.example/app', {}, { osUser }).user).toBe('os1');
    expect(resolveConfig('postgres://db.example/app', {}, { osUser }).user).toBe('os2');
  });

  it('still refuses a bad string every time', () => {
    expect(() => resolveConfig('postgres://alice@h/app?sslmode=bogus', {})).toThrow(/sslmode/);
    expect(() => resolveConfig('postgres://alice@h/app?sslmode=bogus', {})).toThrow(/sslmode/);
  });
});
