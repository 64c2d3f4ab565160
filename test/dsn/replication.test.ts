import { ConfigurationError } from '../../src/errors/base';
import { machineOptions } from '../../src/connection/session-setup';
import { parseReplication } from '../../src/dsn/replication';
import { resolveConfig } from '../../src/dsn/resolve';

const opts = { osUser: 'osuser' };

describe('the replication keyword', () => {
  test.each([
    ['database', 'database'], ['DATABASE', 'database'],
    ['true', 'true'], ['on', 'true'], ['yes', 'true'], ['1', 'true'], [' On ', 'true'],
    ['false', 'false'], ['off', 'false'], ['no', 'false'], ['0', 'false'], ['NO', 'false'],
  ])('reads %j as %j', (text, mode) => {
    expect(parseReplication(text)).toBe(mode);
    expect(resolveConfig(`replication=${text.trim()}`, {}, opts).replication).toBe(mode);
    expect(resolveConfig(`postgres://u@h/db?replication=${encodeURIComponent(text.trim())}`, {}, opts).replication).toBe(mode);
    expect(resolveConfig({ replication: text as never }, {}, opts).replication).toBe(mode);
  });

  test.each(['logical', 'physical', 'maybe', '2', 'databases'])('refuses %j with a ConfigurationError naming the keyword', (text) => {
    expect(() => resolveConfig(`replication=${text}`, {}, opts)).toThrow(ConfigurationError);
    expect(() => resolveConfig({ replication: text as never }, {}, opts)).toThrow(/invalid replication value/);
  });

  test('is absent unless given, and an empty value counts as unset', () => {
    expect(resolveConfig('', {}, opts).replication).toBeUndefined();
    expect(resolveConfig('replication=', {}, opts).replication).toBeUndefined();
  });

  test('goes to the server in the StartupMessage parameters', () => {
    const p = resolveConfig('host=h replication=yes', {}, opts);
    const m = machineOptions(p, p.hosts[0], {} as never, {});
    expect(m.startupParameters?.replication).toBe('true');
    const q = resolveConfig('host=h', {}, opts);
    expect(machineOptions(q, q.hosts[0], {} as never, {}).startupParameters).not.toHaveProperty('replication');
  });
});
