import { ConfigurationError } from '../../src/errors/base';
import { DEFAULT_SOCKET_DIR, fromEnv, resolveConfig } from '../../src/dsn/resolve';

const SECRET = 'S3cr3t-Pw';
const opts = { osUser: 'osuser' };

describe('resolveConfig defaults', () => {
  it('uses the default socket directory, port 5432, the OS user, database = user, sslmode prefer, protocol 3.0 to 3.2', () => {
    expect(resolveConfig(undefined, {}, opts)).toEqual({
      hosts: [{ host: DEFAULT_SOCKET_DIR, port: 5432, kind: 'unix', socketPath: '/var/run/postgresql/.s.PGSQL.5432' }],
      user: 'osuser',
      database: 'osuser',
      sslmode: 'prefer',
      sslsni: true,
      sslnegotiation: 'postgres',
      targetSessionAttrs: 'any',
      channelBinding: 'prefer',
      loadBalanceHosts: false,
      keepalives: true,
      minProtocolVersion: '3.0',
      maxProtocolVersion: '3.2',
    });
  });

  it('lets the caller choose the default host', () => {
    expect(resolveConfig('', {}, { ...opts, defaultHost: 'localhost' }).hosts).toEqual([{ host: 'localhost', port: 5432, kind: 'tcp' }]);
  });

  it('makes the database default to the user actually chosen, not the OS user', () => {
    expect(resolveConfig('user=alice', {}, opts).database).toBe('alice');
    expect(resolveConfig({ user: 'bob' }, { PGUSER: 'alice' }, opts).database).toBe('bob');
  });

  it('asks a function osUser only when no user was given (the lookup reads the user database)', () => {
    const osUser = jest.fn(() => 'fromos');
    expect(resolveConfig('postgres://alice@db/app', {}, { osUser }).user).toBe('alice');
    expect(resolveConfig('postgres://db/app', { PGUSER: 'bob' }, { osUser }).user).toBe('bob');
    expect(osUser).not.toHaveBeenCalled();
    expect(resolveConfig('postgres://db', {}, { osUser })).toMatchObject({ user: 'fromos', database: 'fromos' });
    expect(osUser).toHaveBeenCalledTimes(1);
  });

  it('refuses to guess when no user name is known', () => {
    expect(() => resolveConfig('host=h', {})).toThrow(/no user name/);
  });
});

describe('resolveConfig precedence', () => {
  const env = {
    PGHOST: 'envhost', PGPORT: '6000', PGDATABASE: 'envdb', PGUSER: 'envuser', PGPASSWORD: 'envpw',
    PGAPPNAME: 'envapp', PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '7', PGOPTIONS: '-c x=1',
    PGTARGETSESSIONATTRS: 'read-only', PGSSLROOTCERT: '/ca.pem', PGSSLCERT: '/c.pem', PGSSLKEY: '/k.pem',
    PGPASSFILE: '/pgpass', PGCLIENTENCODING: 'UTF8', PGCHANNELBINDING: 'require', PGHOSTADDR: undefined,
  };

  it('takes every PG* variable when nothing else is given', () => {
    expect(resolveConfig(undefined, env, opts)).toMatchObject({
      hosts: [{ host: 'envhost', port: 6000, kind: 'tcp' }],
      user: 'envuser', password: 'envpw', database: 'envdb', applicationName: 'envapp', sslmode: 'require',
      connectTimeoutMs: 7000, options: '-c x=1', targetSessionAttrs: 'read-only', sslrootcert: '/ca.pem',
      sslcert: '/c.pem', sslkey: '/k.pem', passfile: '/pgpass', clientEncoding: 'UTF8', channelBinding: 'require',
    });
  });

  it('lets the connection string beat the environment keyword by keyword', () => {
    const p = resolveConfig('postgres://u@dsnhost/dsndb?sslmode=disable', env, opts);
    expect(p).toMatchObject({
      hosts: [{ host: 'dsnhost', port: 6000 }], user: 'u', password: 'envpw', database: 'dsndb', sslmode: 'disable', applicationName: 'envapp',
    });
  });

  it('lets explicit fields beat the connection string', () => {
    const p = resolveConfig({ dsn: 'postgres://u:pw@dsnhost:1/dsndb', port: 2, user: 'x', sslmode: 'verify-ca', connectTimeoutMs: 1500 }, env, opts);
    expect(p).toMatchObject({ hosts: [{ host: 'dsnhost', port: 2 }], user: 'x', password: 'pw', database: 'dsndb', sslmode: 'verify-ca', connectTimeoutMs: 1500 });
  });

  it('lets explicit hosts replace every host from the string and environment', () => {
    const p = resolveConfig({ dsn: 'host=a,b', hosts: [{ host: 'c', port: 7 }, { host: '/sock' }] }, env, opts);
    expect(p.hosts).toEqual([
      { host: 'c', port: 7, kind: 'tcp' },
      { host: '/sock', port: 5432, kind: 'unix', socketPath: '/sock/.s.PGSQL.5432' },
    ]);
  });

  it('treats empty environment variables as unset', () => {
    expect(fromEnv({ PGHOST: '', PGUSER: 'u', HOME: '/h' })).toEqual({ user: 'u' });
  });

  it('does not let PGPASSWORD stand in for an explicitly empty password', () => {
    expect(resolveConfig("password=''", { PGPASSWORD: 'envpw' }, opts).password).toBeUndefined();
  });
});

describe('resolveConfig hosts', () => {
  it('pairs each host with its own port', () => {
    expect(resolveConfig('postgres://h1:5433,h2:5434,[::1]/db', {}, opts).hosts).toEqual([
      { host: 'h1', port: 5433, kind: 'tcp' },
      { host: 'h2', port: 5434, kind: 'tcp' },
      { host: '::1', port: 5432, kind: 'tcp' },
    ]);
  });

  it('applies a single port to every host', () => {
    expect(resolveConfig('host=a,b port=6543', {}, opts).hosts.map((h) => h.port)).toEqual([6543, 6543]);
  });

  it('fills empty host entries with the default host', () => {
    expect(resolveConfig('host=,b', {}, { ...opts, defaultHost: '/tmp' }).hosts).toEqual([
      { host: '/tmp', port: 5432, kind: 'unix', socketPath: '/tmp/.s.PGSQL.5432' },
      { host: 'b', port: 5432, kind: 'tcp' },
    ]);
  });

  it('connects to hostaddr while keeping the host name for checks', () => {
    expect(resolveConfig('host=db.example,other hostaddr=10.0.0.1,::1', {}, opts).hosts).toEqual([
      { host: 'db.example', port: 5432, kind: 'tcp', hostaddr: '10.0.0.1' },
      { host: 'other', port: 5432, kind: 'tcp', hostaddr: '::1' },
    ]);
    expect(resolveConfig('hostaddr=127.0.0.1', {}, opts).hosts).toEqual([{ host: '127.0.0.1', port: 5432, kind: 'tcp', hostaddr: '127.0.0.1' }]);
  });

  it('builds the unix socket path from the directory and port', () => {
    expect(resolveConfig('postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db', {}, opts).hosts).toEqual([
      { host: '/var/run/postgresql', port: 5433, kind: 'unix', socketPath: '/var/run/postgresql/.s.PGSQL.5433' },
    ]);
    expect(resolveConfig('host=/tmp/', {}, opts).hosts[0].socketPath).toBe('/tmp/.s.PGSQL.5432');
  });

  it.each<[string, RegExp]>([
    ['host=a,b port=1,2,3', /could not match 3 port numbers to 2 hosts/],
    ['host=a,b hostaddr=10.0.0.1', /could not match 2 host names to 1 hostaddr values/],
    ['hostaddr=db.example', /hostaddr must be a numeric IP address/],
    ['hostaddr=300.1.1.1', /could not parse network address/],
    ['port=0', /invalid port number: "0"/],
    ['port=65536', /invalid port number: "65536"/],
    ['port=abc', /invalid port number: "abc"/],
    ['port=5432x', /invalid port number/],
  ])('refuses %j', (dsn, message) => {
    expect(() => resolveConfig(dsn, {}, opts)).toThrow(message);
  });

  it('refuses a bad port from the environment too', () => {
    expect(() => resolveConfig('', { PGPORT: 'x' }, opts)).toThrow(/invalid port number: "x"/);
  });

  it('refuses an explicit hosts list that is empty', () => {
    expect(() => resolveConfig({ hosts: [] }, {}, opts)).toThrow(/at least one host/);
  });
});

describe('resolveConfig values', () => {
  it.each(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])('accepts sslmode=%s from a string, the environment and explicitly', (mode) => {
    expect(resolveConfig(`sslmode=${mode}`, {}, opts).sslmode).toBe(mode);
    expect(resolveConfig(`postgres://h/d?sslmode=${mode}`, {}, opts).sslmode).toBe(mode);
    expect(resolveConfig(undefined, { PGSSLMODE: mode }, opts).sslmode).toBe(mode);
    expect(resolveConfig({ sslmode: mode as 'prefer' }, {}, opts).sslmode).toBe(mode);
  });

  it('refuses an unknown sslmode, listing the valid ones', () => {
    expect(() => resolveConfig('sslmode=always', {}, opts)).toThrow(/invalid sslmode value: "always" \(expected one of disable, allow, prefer, require, verify-ca, verify-full\)/);
    expect(() => resolveConfig({ sslmode: 'nope' as 'prefer' }, {}, opts)).toThrow(ConfigurationError);
  });

  it('makes sslrootcert=system imply verify-full and refuses weaker explicit modes', () => {
    expect(resolveConfig('sslrootcert=system', {}, opts).sslmode).toBe('verify-full');
    expect(() => resolveConfig('sslrootcert=system sslmode=require', {}, opts)).toThrow(/weak sslmode "require" may not be used with sslrootcert=system/);
    expect(resolveConfig('sslrootcert=system sslmode=verify-full', {}, opts).sslmode).toBe('verify-full');
  });

  it.each<[string, number | undefined]>([
    ['10', 10000],
    [' 5 ', 5000],
    ['1', 2000],
    ['2', 2000],
    ['0', undefined],
    ['-3', undefined],
    ['', undefined],
  ])('turns connect_timeout=%j into %j ms', (value, ms) => {
    expect(resolveConfig(`connect_timeout='${value}'`, {}, opts).connectTimeoutMs).toBe(ms);
  });

  it('refuses a connect_timeout that is not an integer', () => {
    expect(() => resolveConfig('connect_timeout=1.5', {}, opts)).toThrow(/invalid integer value "1.5" for connection option "connect_timeout"/);
    expect(() => resolveConfig('', { PGCONNECT_TIMEOUT: 'soon' }, opts)).toThrow(/connect_timeout/);
    expect(() => resolveConfig({ connectTimeoutMs: -1 }, {}, opts)).toThrow(/connectTimeoutMs/);
  });

  it.each(['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'])('accepts target_session_attrs=%s', (v) => {
    expect(resolveConfig(`target_session_attrs=${v}`, {}, opts).targetSessionAttrs).toBe(v);
  });

  it('refuses an unknown target_session_attrs', () => {
    expect(() => resolveConfig('target_session_attrs=master', {}, opts)).toThrow(/invalid target_session_attrs value: "master"/);
  });

  it('reads application_name, options and the TCP settings', () => {
    const p = resolveConfig(
      "application_name=app options='-c geqo=off' keepalives=0 keepalives_idle=30 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=9000 load_balance_hosts=random channel_binding=disable sslsni=0",
      {}, opts,
    );
    expect(p).toMatchObject({
      applicationName: 'app', options: '-c geqo=off', keepalives: false, keepalivesIdleMs: 30000, keepalivesIntervalMs: 5000,
      keepalivesCount: 3, tcpUserTimeoutMs: 9000, loadBalanceHosts: true, channelBinding: 'disable', sslsni: false,
    });
  });

  it('refuses the service option rather than silently ignoring it', () => {
    expect(() => resolveConfig('service=mydb', {}, opts)).toThrow(/"service" option .* not supported/);
  });

  it.each([
    `postgres://u:${SECRET}@h:99999/db`,
    `postgres://u:${SECRET}@h/db?sslmode=bogus`,
    `host=a,b port=1,2,3 password=${SECRET}`,
    `password=${SECRET} connect_timeout=x`,
    `password=${SECRET} service=x`,
  ])('never puts the password in the message when refusing %j', (dsn) => {
    expect(() => resolveConfig(dsn, {}, opts)).toThrow(ConfigurationError);
    try {
      resolveConfig(dsn, {}, opts);
    } catch (e) {
      expect((e as Error).message).not.toContain(SECRET);
    }
  });
});

describe('resolveConfig with the same connection string again (its parse is remembered)', () => {
  it('gives each call its own parameters, untouched by what a caller did to an earlier result', () => {
    const dsn = `postgres://u:${SECRET}@db.example:6543/app?sslmode=require&application_name=one`;
    const first = resolveConfig(dsn, {}, opts);
    first.hosts[0].password = 'changed';
    first.applicationName = 'changed';
    first.password = undefined;
    const second = resolveConfig(dsn, {}, opts);
    expect(second.password).toBe(SECRET);
    expect(second.applicationName).toBe('one');
    expect(second.hosts).toEqual([{ host: 'db.example', port: 6543, kind: 'tcp' }]);
    expect(resolveConfig(dsn, { PGAPPNAME: 'env' }, opts).applicationName).toBe('one');
    expect(resolveConfig(`postgres://u@h/other`, {}, opts).database).toBe('other');
    expect(resolveConfig(dsn, {}, opts).database).toBe('app');
  });

  it('throws for a bad string every time (a failed parse is not remembered)', () => {
    const bad = 'postgres://u@h/app?sslmode=bogus&nokey';
    for (let i = 0; i < 2; i++) expect(() => resolveConfig(bad, {}, opts)).toThrow(ConfigurationError);
  });
});
