/**
 * Which combinations a run covers: every fault x every role by default, or
 * those matching `--only <fault>:<role>` filters (either side may be `*` or
 * left out: `blackhole` is `blackhole:*`, `:pool` is `*:pool`; several
 * filters add up). Names are checked, so a typo fails loudly.
 */
import { FAULT_NAMES, type FaultName } from './faults';
import { ROLE_NAMES, type RoleName } from './roles';

/** One fault on one role. */
export interface Combination {
  readonly fault: FaultName;
  readonly role: RoleName;
}

/**
 * The short version CI runs (test/faults/soak.test.ts): every fault at
 * least once and every built role at least three times, each fault on a
 * role it is likely to hurt (the full matrix at 2 cycles takes too long for
 * CI on a small machine; `npm run soak -- --cycles 2` runs it by hand).
 */
export const CI_SELECTION: readonly string[] = [
  'terminate:pipeline',
  'terminate:pool',
  'restart-fast:listener',
  'restart-immediate:pool',
  'restart-immediate:worker',
  'blackhole:worker',
  'sigstop:pool',
  'sigstop:listener',
  'latency:listener',
  'trickle:pipeline',
  'refused-role:worker',
  'refused-tcp:pipeline',
  'terminate:replication',
  'restart-immediate:replication',
  'sigstop:replication',
];

/** Parses and checks one filter; throws naming the valid names. */
function parseFilter(filter: string): { fault: string; role: string } {
  const [f = '', r = ''] = filter.split(':');
  const fault = f === '' ? '*' : f;
  const role = r === '' ? '*' : r;
  if (fault !== '*' && !(FAULT_NAMES as readonly string[]).includes(fault)) throw new Error(`unknown fault '${fault}' in --only ${filter} (faults: ${FAULT_NAMES.join(', ')})`);
  if (role !== '*' && !(ROLE_NAMES as readonly string[]).includes(role)) throw new Error(`unknown role '${role}' in --only ${filter} (roles: ${ROLE_NAMES.join(', ')})`);
  return { fault, role };
}

/** The combinations selected by `filters` (all when empty), fault-major in table order. */
export function selectCombinations(filters: readonly string[] = []): Combination[] {
  const parsed = filters.map(parseFilter);
  const all = FAULT_NAMES.flatMap((fault) => ROLE_NAMES.map((role) => ({ fault, role })));
  if (parsed.length === 0) return all;
  return all.filter((c) => parsed.some((p) => (p.fault === '*' || p.fault === c.fault) && (p.role === '*' || p.role === c.role)));
}
