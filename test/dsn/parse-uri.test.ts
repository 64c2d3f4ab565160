import { ConfigurationError } from '../../src/errors/base';
import { parseDsn } from '../../src/dsn/parse';
import { isUri, parseUri } from '../../src/dsn/parse-uri';

const SECRET = 'S3cr3t-Pw';

describe('parseUri', () => {
  // Most rows are libpq's own URI regression cases (src/interfaces/libpq/test) and documented examples.
  it.each<[string, Record<string, string>]>([
    ['postgresql://uri-user:secret@host:12345/db', { user: 'uri-user', password: 'secret', host: 'host', port: '12345', dbname: 'db' }],
    ['postgresql://uri-user@host:12345/db', { user: 'uri-user', host: 'host', port: '12345', dbname: 'db' }],
    ['postgresql://uri-user@host/db', { user: 'uri-user', host: 'host', dbname: 'db' }],
    ['postgresql://host:12345/db', { host: 'host', port: '12345', dbname: 'db' }],
    ['postgresql://uri-user@host:12345/', { user: 'uri-user', host: 'host', port: '12345' }],
    ['postgresql://uri-user@', { user: 'uri-user' }],
    ['postgresql://host:12345', { host: 'host', port: '12345' }],
    ['postgresql://host', { host: 'host' }],
    ['postgresql://', {}],
    ['postgres://', {}],
    ['postgres:///', {}],
    ['postgres:///db', { dbname: 'db' }],
    ['postgres://uri-user@/db', { user: 'uri-user', dbname: 'db' }],
    ['postgresql://localhost/mydb', { host: 'localhost', dbname: 'mydb' }],
    ['postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp',
      { user: 'other', host: 'localhost', dbname: 'otherdb', connect_timeout: '10', application_name: 'myapp' }],
    ['postgresql:///mydb?host=localhost&port=5433', { dbname: 'mydb', host: 'localhost', port: '5433' }],
    ['postgresql://?hostaddr=127.0.0.1', { hostaddr: '127.0.0.1' }],
    ['postgresql://example.com?hostaddr=63.1.2.4', { host: 'example.com', hostaddr: '63.1.2.4' }],
    ['postgresql://%68ost/', { host: 'host' }],
    ['postgresql://host/db?user=uri-user&port=12345', { host: 'host', dbname: 'db', user: 'uri-user', port: '12345' }],
    ['postgresql://host/db?u%73er=someotheruser&port=12345', { host: 'host', dbname: 'db', user: 'someotheruser', port: '12345' }],
    ['postgresql://host?user=uri-user', { host: 'host', user: 'uri-user' }],
    ['postgresql://host?', { host: 'host' }],
    ['postgresql://[::1]:12345/db', { host: '::1', port: '12345', dbname: 'db' }],
    ['postgresql://[::1]/db', { host: '::1', dbname: 'db' }],
    ['postgresql://[2001:db8::1234]/database', { host: '2001:db8::1234', dbname: 'database' }],
    ['postgresql://[::1]', { host: '::1' }],
    ['postgres://@host', { host: 'host' }],
    ['postgres://host:/', { host: 'host' }],
    ['postgres://:12345/', { port: '12345' }],
    ['postgres://otheruser@?host=/no/such/directory', { user: 'otheruser', host: '/no/such/directory' }],
    ['postgres://otheruser@:12345/db?host=/path/to/socket', { user: 'otheruser', port: '12345', dbname: 'db', host: '/path/to/socket' }],
    ['postgresql://%2Fvar%2Flib%2Fpostgresql/dbname', { host: '/var/lib/postgresql', dbname: 'dbname' }],
    ['postgresql:///dbname?host=/var/lib/postgresql', { dbname: 'dbname', host: '/var/lib/postgresql' }],
    ['postgres://host?ssl=true', { host: 'host', sslmode: 'require' }],
    ['postgres://u:p%40ss%3Aw%2Fd@host/db', { user: 'u', password: 'p@ss:w/d', host: 'host', dbname: 'db' }],
    ['postgres://us%C3%A9r@host/d%C3%A9b', { user: 'usér', host: 'host', dbname: 'déb' }],
    ['postgres://u@host/db?options=-c%20search_path%3Dapp', { user: 'u', host: 'host', dbname: 'db', options: '-c search_path=app' }],
    ['postgres://a+b@host', { user: 'a+b', host: 'host' }],
  ])('parses %s', (uri, expected) => {
    expect(parseUri(uri)).toEqual(expected);
  });

  it.each<[string, Record<string, string>]>([
    ['postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp',
      { host: 'host1,host2', port: '123,456', dbname: 'somedb', target_session_attrs: 'any', application_name: 'myapp' }],
    ['postgres://h1,h2,h3/db', { host: 'h1,h2,h3', dbname: 'db' }],
    ['postgres://h1:5432,h2/db', { host: 'h1,h2', port: '5432,', dbname: 'db' }],
    ['postgres://[::1]:5432,[fe80::2]:5433,h3/db', { host: '::1,fe80::2,h3', port: '5432,5433,', dbname: 'db' }],
    ['postgres://u:pw@%2Ftmp,db.example:6432/app', { user: 'u', password: 'pw', host: '/tmp,db.example', port: ',6432', dbname: 'app' }],
  ])('parses the multi-host URI %s into comma lists', (uri, expected) => {
    expect(parseUri(uri)).toEqual(expected);
  });

  it('lets a query parameter override the authority part', () => {
    expect(parseUri('postgres://a:1/db?host=b&port=2&dbname=other')).toEqual({ host: 'b', port: '2', dbname: 'other' });
  });

  it.each<[string, RegExp]>([
    ['postgresql://host/db?u%7aer=someotheruser', /invalid URI query parameter "uzer"/],
    ['postgresql://host?uzer=', /invalid URI query parameter "uzer"/],
    ['postgres://[::1', /end of IPv6 host address not found/],
    ['postgres://[]', /IPv6 host address may not be empty/],
    ['postgres://[::1]z', /unexpected character "z" after IPv6/],
    ['postgresql://host?zzz', /missing key\/value separator "=" in URI query parameter "zzz"/],
    ['postgresql://host?value1&value2', /missing key\/value separator/],
    ['postgresql://host?key=key=value', /extra key\/value separator "=" in URI query parameter "key"/],
    ['postgres://host?dbname=%XXfoo', /invalid percent-encoded token/],
    ['postgresql://a%00b', /forbidden value %00/],
    ['postgresql://%zz', /invalid percent-encoded token in host/],
    ['postgresql://%1', /invalid percent-encoded token/],
    ['postgresql://%', /invalid percent-encoded token/],
    ['postgresql://%C3%28', /not valid UTF-8/],
    ['postgresql://host:54x2/db', /invalid port number in connection URI/],
  ])('refuses %s with a ConfigurationError', (uri, message) => {
    const err = catchError(() => parseUri(uri));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.code).toBe('ERR_INVALID_CONFIG');
    expect(err.message).toMatch(message);
  });

  it.each([
    `postgres://user:${SECRET}%zz@host/db`,
    `postgres://user:${SECRET}%00@host/db`,
    `postgres://user:${SECRET}@[::1/db`,
    `postgres://user:${SECRET}@host/db?password=${SECRET}%zz`,
    `postgres://user:${SECRET}@host/db?password=${SECRET}=x`,
    `postgres://user:${SECRET}@host/db?bogus=1`,
    `postgres://user:${SECRET}@host:bad/db?x`,
    `postgres://user:${SECRET}/x@host/db`,
    `postgres://user:${SECRET}?x@host/db`,
    `postgres://user:${SECRET}@host/db?sslpassword=${SECRET}%1`,
  ])('never puts the password in the message when refusing %s', (uri) => {
    const err = catchError(() => parseUri(uri));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).not.toContain(SECRET);
    expect(String(err.stack)).not.toContain(SECRET);
  });

  it('refuses a string with an unknown scheme as a key=value string, naming it', () => {
    expect(() => parseDsn('postgre://')).toThrow(/missing "=" after "postgre:\/\/"/);
    expect(() => parseUri('mysql://x')).toThrow(/must start with "postgresql:\/\/"/);
  });

  it('recognises both URI schemes', () => {
    expect(isUri('postgresql://x')).toBe(true);
    expect(isUri('postgres://x')).toBe(true);
    expect(isUri('host=x')).toBe(false);
  });
});

function catchError(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
}
