import { parseArgs, parseHostPort } from '../../../reactor/websocket/proxy-cli';

describe('tspostgres-ws-proxy arguments', () => {
  it('parses --listen and repeated --allow, in both spaced and = forms', () => {
    expect(parseArgs(['--listen', '0.0.0.0:9000', '--allow', 'db:5432', '--allow=[::1]:6432'])).toEqual({
      listen: { host: '0.0.0.0', port: 9000 },
      allow: [{ host: 'db', port: 5432 }, { host: '::1', port: 6432 }],
    });
  });

  it('listens on 127.0.0.1:8080 by default', () => {
    expect(parseArgs(['--allow', 'db:5432']).listen).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('refuses to start without an allowlist: the relay is never open', () => {
    expect(() => parseArgs(['--listen', '0.0.0.0:9000'])).toThrow(/--allow/);
  });

  it('rejects malformed host:port values and unknown options', () => {
    expect(() => parseHostPort('db')).toThrow(/host:port/);
    expect(() => parseHostPort('db:70000')).toThrow(/host:port/);
    expect(() => parseArgs(['--allow'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--open', 'x'])).toThrow(/unknown option/);
  });
});
