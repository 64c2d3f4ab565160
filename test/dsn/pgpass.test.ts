import { lookupPgpass, parsePgpass, pgpassHostFor } from '../../src/dsn/pgpass';

const FILE = [
  '# comment line: host:port:db:user:pw',
  '',
  'db.example:5432:app:alice:alice-app',
  'db.example:*:*:alice:alice-any',
  '*:*:*:bob:bob\\:colon\\\\slash',
  'localhost:5432:*:carol:carol-local',
  '/tmp:5433:*:carol:carol-tmp',
  'weird\\:host:5432:*:dave:dave-escaped',
  '\\*:5432:*:erin:erin-literal-star',
  'short:line:only',
  '*:*:*:frank:fr:ank:ignored',
  '*:*:*:*:fallback',
].join('\n');

describe('parsePgpass', () => {
  it('skips comments, blank lines and lines with fewer than five fields', () => {
    const entries = parsePgpass(FILE);
    expect(entries).toHaveLength(9);
    expect(entries[0]).toEqual({ host: 'db.example', port: '5432', database: 'app', user: 'alice', password: 'alice-app' });
  });

  it('treats a lone * as a wildcard and \\* as a literal star', () => {
    const entries = parsePgpass(FILE);
    expect(entries[2]).toMatchObject({ host: null, port: null, database: null, user: 'bob' });
    expect(entries[6]).toMatchObject({ host: '*', user: 'erin' });
  });

  it('unescapes \\: and \\\\ in every field, and ends the password at an unescaped colon', () => {
    const entries = parsePgpass(FILE);
    expect(entries[2].password).toBe('bob:colon\\slash');
    expect(entries[5].host).toBe('weird:host');
    expect(entries[7].password).toBe('fr');
  });

  it('accepts CRLF line endings', () => {
    expect(parsePgpass('h:1:d:u:pw\r\nh:2:d:u:pw2\r\n').map((e) => e.password)).toEqual(['pw', 'pw2']);
  });
});

describe('lookupPgpass', () => {
  const entries = parsePgpass(FILE);
  it.each<[string, string | number, string, string, string | undefined]>([
    ['db.example', 5432, 'app', 'alice', 'alice-app'],
    ['db.example', 6000, 'other', 'alice', 'alice-any'],
    ['anything', '1', 'x', 'bob', 'bob:colon\\slash'],
    ['localhost', 5432, 'x', 'carol', 'carol-local'],
    ['/var/run/postgresql', 5432, 'x', 'carol', 'carol-local'],
    ['', 5432, 'x', 'carol', 'carol-local'],
    ['/tmp', 5433, 'x', 'carol', 'carol-tmp'],
    ['/tmp', 5432, 'x', 'carol', 'fallback'],
    ['weird:host', 5432, 'x', 'dave', 'dave-escaped'],
    ['*', 5432, 'x', 'erin', 'erin-literal-star'],
    ['other', 5432, 'x', 'erin', 'fallback'],
    ['h', 5432, 'x', 'nobody', 'fallback'],
  ])('finds the password for host %j port %j db %j user %j: %j', (host, port, database, user, expected) => {
    expect(lookupPgpass(entries, { host, port, database, user })).toBe(expected);
  });

  it('returns the first matching line', () => {
    const e = parsePgpass('*:*:*:u:first\n*:*:*:u:second');
    expect(lookupPgpass(e, { host: 'h', port: 1, database: 'd', user: 'u' })).toBe('first');
  });

  it('returns undefined when no line matches', () => {
    expect(lookupPgpass(parsePgpass('h:1:d:u:pw'), { host: 'h', port: 2, database: 'd', user: 'u' })).toBeUndefined();
    expect(lookupPgpass([], { host: 'h', port: 2, database: 'd', user: 'u' })).toBeUndefined();
  });

  it('maps only the default socket directory (or no host) to localhost', () => {
    expect(pgpassHostFor('/var/run/postgresql')).toBe('localhost');
    expect(pgpassHostFor('')).toBe('localhost');
    expect(pgpassHostFor('/tmp')).toBe('/tmp');
    expect(pgpassHostFor('/tmp', '/tmp')).toBe('localhost');
  });
});
