/**
 * Building the list of servers to try from the `host`, `hostaddr` and
 * `port` keywords, with libpq's rules.
 *
 * Theory of operation: each keyword is a comma list. With `hostaddr`, its
 * length sets the number of servers and `host`, when given, must have as
 * many entries; otherwise `host` sets it. `port` is one value for all
 * servers or one per server. An empty entry means the default (the default
 * host, port 5432). A host starting with '/' is a unix-socket directory.
 *
 * Limit: a list may name at most {@link MAX_HOSTS} servers. libpq sets no
 * limit, but the connector tries servers one after the other, so a list of
 * 100,000 would keep `connect()` busy for hours: a longer list is refused
 * with a ConfigurationError before it is split, in time linear in its
 * length.
 */

import { configError } from './errors';
import type { HostSpec } from './params';
import { parsePort } from './values';

/** The default host when none is given: the unix-socket directory Debian and Ubuntu compile into libpq. */
export const DEFAULT_SOCKET_DIR = '/var/run/postgresql';

/** True when `host` names a unix-socket directory rather than a TCP host. */
export function isUnixHost(host: string): boolean {
  return host.startsWith('/');
}

/** The socket file libpq connects to for a unix-socket directory and port. */
export function unixSocketPath(dir: string, port: number): string {
  return `${dir.replace(/\/+$/, '')}/.s.PGSQL.${port}`;
}

/** The most servers one connection may list (`host`, `hostaddr`, `port`, or the object form's `hosts`). */
export const MAX_HOSTS = 1000;

/** Throws a ConfigurationError when `count` servers are more than {@link MAX_HOSTS}; `what` names the list. */
export function checkHostCount(count: number, what: string): void {
  if (count > MAX_HOSTS) throw configError(`too many hosts: ${what} lists ${count}, at most ${MAX_HOSTS} are allowed`);
}

/** The entries of a comma list, refused past {@link MAX_HOSTS} before it is split. */
function entries(list: string | undefined, keyword: string): string[] {
  const text = list ?? '';
  let count = 1;
  for (let at = text.indexOf(','); at >= 0; at = text.indexOf(',', at + 1)) count++;
  checkHostCount(count, `"${keyword}"`);
  return text.split(',');
}

/** Builds one {@link HostSpec}; an empty `host` takes `defaultHost`. */
export function hostSpec(host: string, port: number, hostaddr: string, defaultHost: string): HostSpec {
  if (hostaddr !== '') {
    checkHostaddr(hostaddr);
    return { host: host === '' ? hostaddr : host, port, kind: 'tcp', hostaddr };
  }
  const name = host === '' ? defaultHost : host;
  if (isUnixHost(name)) return { host: name, port, kind: 'unix', socketPath: unixSocketPath(name, port) };
  return { host: name, port, kind: 'tcp' };
}

/** Builds the server list from raw comma lists (undefined = keyword not given). */
export function buildHosts(
  host: string | undefined,
  hostaddr: string | undefined,
  port: string | undefined,
  defaultHost: string,
): HostSpec[] {
  const hosts = entries(host, 'host');
  const addrs = hostaddr === undefined ? undefined : entries(hostaddr, 'hostaddr');
  const count = addrs?.length ?? hosts.length;
  if (addrs !== undefined && host !== undefined && hosts.length !== count) {
    throw configError(`could not match ${hosts.length} host names to ${count} hostaddr values`);
  }
  const ports = entries(port, 'port');
  if (ports.length !== 1 && ports.length !== count) {
    throw configError(`could not match ${ports.length} port numbers to ${count} hosts`);
  }
  const out: HostSpec[] = [];
  for (let i = 0; i < count; i++) {
    out.push(hostSpec((hosts[i] ?? '').trim(), parsePort(ports[ports.length === 1 ? 0 : i]), (addrs?.[i] ?? '').trim(), defaultHost));
  }
  return out;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function checkHostaddr(addr: string): void {
  const v4 = IPV4.exec(addr);
  if (v4 !== null && v4.slice(1).every((o) => Number(o) <= 255)) return;
  if (addr.includes(':') && /^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(addr)) return;
  throw configError(`could not parse network address ${JSON.stringify(addr.slice(0, 60))} (hostaddr must be a numeric IP address)`);
}

/** The password to use for `host`: its own (from the password file), else the connection's. */
export function passwordFor(params: { password?: string }, host: HostSpec): string | undefined {
  return host.password ?? params.password;
}
