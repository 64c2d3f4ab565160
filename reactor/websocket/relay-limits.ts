/**
 * Connection limits of the ws relay: in total and per client address.
 *
 * Theory of operation. The relay counts TCP connections from the moment it
 * accepts them (before any byte of the handshake) until they close, so a
 * client that opens sockets and never completes a handshake is counted like
 * one with an open session. {@link ConnectionLimiter.acquire} refuses a
 * connection when its address already holds `maxPerAddress` connections, or
 * the relay `maxTotal`. Addresses are grouped by {@link addressKey}: an IPv4
 * address is its own group, an IPv6 address counts for its /64 network,
 * since one host commonly owns a whole /64 and could otherwise dodge the
 * limit by changing address.
 */
import { clientAddress } from './relay-refusals';

/** Counts open connections and refuses those over the limits. */
export class ConnectionLimiter {
  private readonly perKey = new Map<string, number>();
  private count = 0;

  /**
   * @param maxTotal - the most connections open at once.
   * @param maxPerAddress - the most connections open at once from one address group.
   */
  constructor(readonly maxTotal: number, readonly maxPerAddress: number) {}

  /** Connections open now. */
  get total(): number {
    return this.count;
  }

  /** Counts a new connection from `address`, or says which limit refuses it (then nothing is counted). */
  acquire(address: string): 'ok' | 'ERR_RELAY_ADDRESS_LIMIT' | 'ERR_RELAY_CAPACITY' {
    const key = addressKey(address);
    const held = this.perKey.get(key) ?? 0;
    if (held >= this.maxPerAddress) return 'ERR_RELAY_ADDRESS_LIMIT';
    if (this.count >= this.maxTotal) return 'ERR_RELAY_CAPACITY';
    this.perKey.set(key, held + 1);
    this.count++;
    return 'ok';
  }

  /** Forgets one connection from `address` (one that {@link acquire} counted). */
  release(address: string): void {
    const key = addressKey(address);
    const held = this.perKey.get(key) ?? 0;
    if (held <= 0) return;
    if (held === 1) this.perKey.delete(key);
    else this.perKey.set(key, held - 1);
    this.count--;
  }
}

/** The group an address is counted in: IPv4 as is, IPv6 as its /64 prefix (e.g. `2001:db8:0:1::/64`). */
export function addressKey(address: string): string {
  const plain = clientAddress(address).split('%')[0];
  if (!plain.includes(':')) return plain;
  const groups = expandIpv6(plain);
  return groups ? `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64` : plain;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is malformed. */
function expandIpv6(address: string): string[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parts = halves.map((half) => (half === '' ? [] : half.split(':').flatMap(dottedToGroups)));
  const missing = 8 - parts.reduce((n, p) => n + p.length, 0);
  const groups = halves.length === 2 ? [...parts[0], ...Array<string>(missing).fill('0'), ...parts[1]] : parts[0];
  const valid = groups.length === 8 && groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g));
  return valid && (halves.length === 1 || missing >= 1) ? groups : undefined;
}

/** An embedded dotted IPv4 tail (`1.2.3.4`) as its two groups; any other group as itself. */
function dottedToGroups(group: string): string[] {
  if (!group.includes('.')) return [group];
  const octets = group.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return ['x'];
  return [((octets[0] << 8) | octets[1]).toString(16), ((octets[2] << 8) | octets[3]).toString(16)];
}
