import { ConfigurationError } from '../../src/errors/base';
import { parseDsn } from '../../src/dsn/parse';
import { parseKeyValue } from '../../src/dsn/parse-keyvalue';

const SECRET = 'S3cr3t-Pw';

describe('parseKeyValue', () => {
  it.each<[string, Record<string, string>]>([
    ['host=localhost port=5432 dbname=mydb connect_timeout=10', { host: 'localhost', port: '5432', dbname: 'mydb', connect_timeout: '10' }],
    ['', {}],
    ['   ', {}],
    ['host = localhost   port= 5433\tuser =alice', { host: 'localhost', port: '5433', user: 'alice' }],
    ["password='' user=bob", { password: '', user: 'bob' }],
    ["application_name='my app'", { application_name: 'my app' }],
    ["password='it\\'s a \\\\ secret'", { password: "it's a \\ secret" }],
    ['password=a\\ b\\\\c', { password: 'a b\\c' }],
    ["options='-c search_path=app -c statement_timeout=5s'", { options: '-c search_path=app -c statement_timeout=5s' }],
    ['host=/var/run/postgresql dbname=x', { host: '/var/run/postgresql', dbname: 'x' }],
    ['host=h1,h2,h3 port=5432,5433,5434 hostaddr=10.0.0.1,10.0.0.2,10.0.0.3', { host: 'h1,h2,h3', port: '5432,5433,5434', hostaddr: '10.0.0.1,10.0.0.2,10.0.0.3' }],
    ['user=a user=b', { user: 'b' }],
    ['sslmode=verify-full sslrootcert=system target_session_attrs=read-write', { sslmode: 'verify-full', sslrootcert: 'system', target_session_attrs: 'read-write' }],
    ["dbname='x=y'", { dbname: 'x=y' }],
    ['host=localhost\nport=1', { host: 'localhost', port: '1' }],
  ])('parses %j', (text, expected) => {
    expect(parseKeyValue(text)).toEqual(expected);
  });

  it('is what parseDsn uses for anything that is not a URI', () => {
    expect(parseDsn('  host=a dbname=b  ')).toEqual({ host: 'a', dbname: 'b' });
  });

  it.each<[string, RegExp]>([
    ['bogus=1', /invalid connection option "bogus"/],
    ['host=a colour=blue', /invalid connection option "colour"/],
    ['host', /missing "=" after "host"/],
    ['host localhost', /missing "=" after "host"/],
    ['mydb', /missing "=" after "mydb"/],
    ["application_name='unterminated", /unterminated quoted string in connection string \(value of "application_name"\)/],
  ])('refuses %j with a ConfigurationError', (text, message) => {
    let err: unknown;
    try {
      parseKeyValue(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).code).toBe('ERR_INVALID_CONFIG');
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    `password='${SECRET}`,
    `password=${SECRET} ${SECRET}`,
    `password=two ${SECRET}`,
    `user=u password=${SECRET} bogus=1`,
    `sslpassword=x ${SECRET}`,
    `password = ${SECRET} port`,
  ])('never puts the password in the message when refusing %j', (text) => {
    expect(() => parseKeyValue(text)).toThrow(ConfigurationError);
    try {
      parseKeyValue(text);
    } catch (e) {
      expect((e as Error).message).not.toContain(SECRET);
    }
  });
});
