/**
 * The object form of connection parameters: every key is either used or
 * refused with an error naming it (never silently dropped), libpq keywords
 * and a few node-postgres spellings are accepted deliberately, and values of
 * the wrong type are refused with a ConfigurationError naming the key.
 */
import { ConfigurationError, InterfaceError } from '../../src/errors/base';
import { resolveConfig } from '../../src/dsn/resolve';
import type { ConnectInput } from '../../src/dsn/params';

const opts = { osUser: 'osuser' };
const SECRET = 'S3cr3t-Pw';

/** Resolves `input` (typed loosely: these tests pass what JavaScript callers might). */
const resolve = (input: unknown, env: Record<string, string> = {}) => resolveConfig(input as ConnectInput, env, opts);

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('the object form refuses what it would otherwise drop', () => {
  it.each<[Record<string, unknown>, RegExp]>([
    [{ foo: 1 }, /unknown connection option "foo"/],
    [{ user: 'u', types: {} }, /unknown connection option "types"/],
    [{ idleTimeoutMillis: 1000 }, /unknown connection option "idleTimeoutMillis"/],
  ])('refuses %j with a ConfigurationError naming the key', (input, message) => {
    const err = thrown(() => resolve(input));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).code).toBe('ERR_INVALID_CONFIG');
    expect(err.message).toMatch(message);
  });

  it('says that a server setting such as statement_timeout goes in "options"', () => {
    expect(() => resolve({ statement_timeout: 5000 })).toThrow(
      /"statement_timeout" is a server setting, not a connection option; set it with options: '-c statement_timeout=5000'/,
    );
    expect(() => resolve({ search_path: 'app' })).toThrow(/"search_path" is a server setting.*options: '-c search_path=<value>'/);
    expect(() => resolve({ lock_timeout: 100 })).toThrow(/-c lock_timeout=100/);
    expect(() => resolve({ idle_in_transaction_session_timeout: 10 })).toThrow(/server setting/);
  });

  it('points node-postgres options that mean something else here to our spelling', () => {
    expect(() => resolve({ query_timeout: 1 })).toThrow(/"query_timeout".*per-query "timeout" option/);
    expect(() => resolve({ connectionTimeoutMillis: 1 })).toThrow(/"connectionTimeoutMillis".*connectTimeoutMs/);
    expect(() => resolve({ keepAlive: true })).toThrow(/"keepAlive".*keepalives/);
    expect(() => resolve({ keepAliveInitialDelayMillis: 1 })).toThrow(/keepalivesIdleMs/);
    expect(() => resolve({ username: 'u' })).toThrow(/"username".*use "user"/);
  });

  it('suggests the spelling meant for a near miss', () => {
    expect(() => resolve({ sslMode: 'require' })).toThrow(/unknown connection option "sslMode" \(did you mean "sslmode"\?\)/);
    expect(() => resolve({ pasword: 'x' })).toThrow(/did you mean "password"\?/);
    expect(() => resolve({ applicationname: 'x' })).toThrow(/did you mean "applicationName" or "application_name"\?/);
  });

  it('never shows the value of an unknown key', () => {
    expect(thrown(() => resolve({ passwd: SECRET })).message).not.toContain(SECRET);
    expect(thrown(() => resolve({ statement_timeout: SECRET })).message).not.toContain(SECRET);
  });

  it('ignores keys whose value is undefined', () => {
    expect(resolve({ user: 'u', host: undefined, foo: undefined }).hosts[0].host).toBe('/var/run/postgresql');
  });
});

describe('libpq keywords in the object form', () => {
  it('accepts them with the values a connection string would hold (strings, or numbers)', () => {
    const p = resolve({
      dbname: 'app', application_name: 'job', connect_timeout: 10, target_session_attrs: 'read-write',
      keepalives_idle: '30', keepalives_count: 3, channel_binding: 'require', client_encoding: 'UTF8', user: 'u',
      load_balance_hosts: 'random', fallback_application_name: 'fb', tcp_user_timeout: 5, require_auth: 'scram-sha-256',
    });
    expect(p).toMatchObject({
      database: 'app', applicationName: 'job', connectTimeoutMs: 10_000, targetSessionAttrs: 'read-write',
      keepalivesIdleMs: 30_000, keepalivesCount: 3, channelBinding: 'require', clientEncoding: 'UTF8',
      loadBalanceHosts: true, fallbackApplicationName: 'fb', tcpUserTimeoutMs: 5, requireAuth: 'scram-sha-256',
    });
  });

  it('lets them beat the connection string and the environment, as other explicit fields do', () => {
    expect(resolve({ dsn: 'dbname=a', dbname: 'b', user: 'u' }, { PGDATABASE: 'c' }).database).toBe('b');
  });

  it('validates their values by libpq rules, naming the keyword', () => {
    expect(() => resolve({ connect_timeout: 'soon' })).toThrow(/invalid integer value "soon" for connection option "connect_timeout"/);
    expect(() => resolve({ target_session_attrs: 'primaryy' })).toThrow(/invalid target_session_attrs value/);
  });

  it('refuses two spellings of one parameter', () => {
    expect(() => resolve({ database: 'a', dbname: 'b' })).toThrow(/both "database" and "dbname" given; use one/);
    expect(() => resolve({ connectTimeoutMs: 1000, connect_timeout: 1 })).toThrow(/both "connectTimeoutMs" and "connect_timeout"/);
  });

  it('takes sslsni and keepalives as booleans or as libpq 0/1 values', () => {
    expect(resolve({ sslsni: false, keepalives: false })).toMatchObject({ sslsni: false, keepalives: false });
    expect(resolve({ sslsni: '0', keepalives: 0 })).toMatchObject({ sslsni: false, keepalives: false });
    expect(() => resolve({ sslsni: 'no' })).toThrow(/invalid sslsni value/);
  });

  it('still refuses service, as the string form does', () => {
    expect(() => resolve({ service: 'x' })).toThrow(/"service" option \(pg_service.conf\) is not supported/);
  });
});

describe('node-postgres spellings mapped deliberately', () => {
  it('parses connectionString as the connection string, with the other keys laid over it', () => {
    const p = resolve({ connectionString: 'postgres://a:pw@h:5433/db?sslmode=require&application_name=x', user: 'v', application_name: 'y' });
    expect(p).toMatchObject({ hosts: [{ host: 'h', port: 5433 }], user: 'v', password: 'pw', database: 'db', sslmode: 'require', applicationName: 'y' });
  });

  it('refuses connectionString together with dsn', () => {
    expect(() => resolve({ connectionString: 'host=a', dsn: 'host=b' })).toThrow(/both "dsn" and "connectionString" given; use one/);
  });

  it('maps ssl: true (or {} / { rejectUnauthorized: true }) to sslmode=verify-full with the system trust store', () => {
    for (const ssl of [true, {}, { rejectUnauthorized: true }]) {
      expect(resolve({ host: 'h', ssl })).toMatchObject({ sslmode: 'verify-full', sslrootcert: 'system' });
    }
  });

  it('maps ssl: false to sslmode=disable and ssl: { rejectUnauthorized: false } to sslmode=require, over the string and environment', () => {
    expect(resolve({ connectionString: 'host=h sslmode=require', ssl: false }).sslmode).toBe('disable');
    expect(resolve({ host: 'h', ssl: { rejectUnauthorized: false } }, { PGSSLMODE: 'verify-full' }).sslmode).toBe('require');
  });

  it('refuses ssl with TLS material or of another type, saying what to use instead', () => {
    expect(() => resolve({ ssl: { ca: '-----BEGIN CERTIFICATE-----' } })).toThrow(
      /"ssl\.ca" is not supported.*sslrootcert, sslcert and sslkey \(file paths\)/,
    );
    expect(() => resolve({ ssl: { rejectUnauthorized: false, key: SECRET } })).toThrow(/"ssl\.key"/);
    expect(() => resolve({ ssl: 'require' })).toThrow(/connection option "ssl" must be true, false or \{ rejectUnauthorized: boolean \}.*use sslmode/);
    expect(() => resolve({ ssl: { rejectUnauthorized: 'no' } })).toThrow(/"ssl\.rejectUnauthorized" must be a boolean/);
    expect(thrown(() => resolve({ ssl: { key: SECRET } })).message).not.toContain(SECRET);
  });

  it('refuses ssl together with sslmode or sslrootcert', () => {
    expect(() => resolve({ ssl: true, sslmode: 'require' })).toThrow(/both "ssl" and "sslmode" given; use one/);
    expect(() => resolve({ ssl: true, sslrootcert: '/ca.pem' })).toThrow(/both "ssl" and "sslrootcert" given/);
  });
});

describe('values of the wrong type', () => {
  it.each<[Record<string, unknown>, RegExp]>([
    [{ host: 5 }, /connection option "host" must be a string or an array of them, got number/],
    [{ host: { name: 'h' } }, /"host" must be a string or an array of them, got object/],
    [{ host: ['a', 5] }, /"host\[1\]" must be a string, got number/],
    [{ port: {} }, /"port" must be a port number or string or an array of them, got object/],
    [{ port: true }, /"port" must be a port number/],
    [{ hostaddr: 1 }, /"hostaddr" must be a string or an array of them/],
    [{ user: 42 }, /"user" must be a string, got number/],
    [{ user: null }, /"user" must be a string, got null/],
    [{ database: ['a'] }, /"database" must be a string, got array/],
    [{ sslmode: 1 }, /"sslmode" must be a string/],
    [{ loadBalanceHosts: 'random' }, /"loadBalanceHosts" must be a boolean, got string/],
    [{ connectTimeoutMs: '5000' }, /"connectTimeoutMs" must be a finite number >= 0 \(milliseconds\), got string/],
    [{ keepalivesIdleMs: -1 }, /"keepalivesIdleMs" must be a finite number >= 0 \(milliseconds\), got -1/],
    [{ keepalivesCount: 1.5 }, /"keepalivesCount" must be an integer >= 0/],
    [{ dbname: {} }, /"dbname" must be a string or a number, got object/],
    [{ connect_timeout: NaN }, /"connect_timeout" must be a string or a number/],
    [{ dsn: 5 }, /"dsn" must be a string/],
    [{ hosts: 'a' }, /"hosts" must be an array of \{ host, port\?, hostaddr\? \}/],
    [{ hosts: [{ host: 1 }] }, /connection option "hosts\[0\]\.host" must be a string, got number/],
    [{ hosts: [{ host: 'a' }, { host: 'b', foo: 1 }] }, /unknown key "hosts\[1\]\.foo"/],
    [{ hosts: [{ host: 'a', port: {} }] }, /"hosts\[0\]\.port" must be a port number or string/],
    [{ sslnegotiation: 'fast' }, /invalid sslnegotiation value: "fast"/],
    [{ sslcertmode: 'always' }, /invalid sslcertmode value: "always"/],
    [{ targetSessionAttrs: 'primaryy' }, /invalid target_session_attrs value/],
  ])('refuses %j with a ConfigurationError naming the key', (input, message) => {
    const err = thrown(() => resolve(input));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(message);
  });

  it('never shows a secret given with the wrong type', () => {
    const err = thrown(() => resolve({ password: [SECRET] }));
    expect(err.message).toMatch(/"password" must be a string, got array/);
    expect(err.message).not.toContain(SECRET);
  });
});

describe('host lists as arrays', () => {
  it('takes host, hostaddr and port arrays as libpq comma lists', () => {
    expect(resolve({ host: ['a', 'b'], port: [5433, '5434'] }).hosts).toEqual([
      { host: 'a', port: 5433, kind: 'tcp' },
      { host: 'b', port: 5434, kind: 'tcp' },
    ]);
    expect(resolve({ host: ['a', 'b'], hostaddr: ['10.0.0.1', '10.0.0.2'], port: 6000 }).hosts.map((h) => [h.hostaddr, h.port])).toEqual([
      ['10.0.0.1', 6000],
      ['10.0.0.2', 6000],
    ]);
  });

  it('refuses an empty array, an entry holding a comma, and arrays of different lengths', () => {
    expect(() => resolve({ host: [] })).toThrow(/"host" must not be an empty array/);
    expect(() => resolve({ host: ['a,b'] })).toThrow(/an entry of "host" may not contain ","/);
    expect(() => resolve({ host: ['a', 'b'], port: [1, 2, 3] })).toThrow(/could not match 3 port numbers to 2 hosts/);
  });
});

describe('input that is neither a string, an object nor undefined', () => {
  it.each<[string, unknown, RegExp]>([
    ['null', null, /got null/],
    ['a number', 123, /got a number/],
    ['a boolean', true, /got a boolean/],
    ['an array', ['postgres://h'], /got an array/],
    ['a function', () => 'x', /got a function/],
    ['a URL object', new URL('postgres://h/db'), /got a URL object; pass its string \(url\.href\)/],
  ])('refuses %s with InterfaceError ERR_INVALID_ARGUMENT', (_, input, message) => {
    const err = thrown(() => resolve(input));
    expect(err).toBeInstanceOf(InterfaceError);
    expect((err as InterfaceError).code).toBe('ERR_INVALID_ARGUMENT');
    expect(err.message).toMatch(/connection parameters must be a connection string, a parameter object or undefined/);
    expect(err.message).toMatch(message);
  });

  it('still reads the PG* variables for undefined', () => {
    expect(resolve(undefined, { PGHOST: 'envhost', PGUSER: 'u' })).toMatchObject({ hosts: [{ host: 'envhost' }], user: 'u' });
  });
});
