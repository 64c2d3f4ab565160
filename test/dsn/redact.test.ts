import { describeTarget, redactDsn } from '../../src/dsn/redact';
import { resolveConfig } from '../../src/dsn/resolve';

const SECRET = 'S3cr3t-Pw';

describe('redactDsn', () => {
  it.each<[string, string]>([
    [`postgres://u:${SECRET}@h:5432/db`, 'postgres://u:***@h:5432/db'],
    [`postgresql://u:${SECRET}@h1,h2/db?sslmode=require`, 'postgresql://u:***@h1,h2/db?sslmode=require'],
    [`postgres://u:p@ss@h/db`, 'postgres://u:***@h/db'],
    [`postgres://h/db?user=u&password=${SECRET}&sslmode=require`, 'postgres://h/db?user=u&password=***&sslmode=require'],
    [`postgres://h/db?sslpassword=${SECRET}`, 'postgres://h/db?sslpassword=***'],
    ['postgres://u@h/db', 'postgres://u@h/db'],
    ['postgres://h:5432/db', 'postgres://h:5432/db'],
    [`host=h password=${SECRET} user=u`, 'host=h password=*** user=u'],
    [`host=h password = '${SECRET} with space' user=u`, "host=h password = *** user=u"],
    [`password='it\\'s ${SECRET}'`, 'password=***'],
    [`password='unterminated ${SECRET}`, 'password=***'],
    [`password=a\\ ${SECRET} user=u`, 'password=*** user=u'],
    [`sslpassword=${SECRET}`, 'sslpassword=***'],
    ['host=h user=u', 'host=h user=u'],
  ])('masks %j as %j', (dsn, expected) => {
    expect(redactDsn(dsn)).toBe(expected);
  });

  it('masks passwords even in malformed connection strings', () => {
    expect(redactDsn(`postgres://u:${SECRET}@[::1/db`)).not.toContain(SECRET);
    expect(redactDsn(`postgres://u:${SECRET}%zz@h/db`)).not.toContain(SECRET);
  });
});

describe('describeTarget', () => {
  it('names user, hosts, database and sslmode, never the password', () => {
    const p = resolveConfig(`postgres://alice:${SECRET}@db1:5432,[::1]:5433,%2Ftmp/app`, {}, { osUser: 'x' });
    const text = describeTarget(p);
    expect(text).toBe('alice@db1:5432,[::1]:5433,/tmp/.s.PGSQL.5432/app (sslmode=prefer)');
    expect(text).not.toContain(SECRET);
  });

  it('shows the numeric address when it differs from the host name', () => {
    const p = resolveConfig('host=db hostaddr=10.0.0.1 user=u dbname=d sslmode=require', {}, {});
    expect(describeTarget(p)).toBe('u@db:5432 (10.0.0.1)/d (sslmode=require)');
  });
});
