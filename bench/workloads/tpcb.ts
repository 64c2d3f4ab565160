/** Placeholder: the workloads of this file land in the next commits. */
import type { Cluster } from '../../scripts/pg-cluster';
import type { LoopTiming } from '../lib/loop';
import type { Workload } from '../lib/result';
export function tpcbWorkloads(_u: string, _c: Cluster | null, _t: LoopTiming, _s: number, _b?: string): { workloads: Workload[]; skipped: string[] } {
  return { workloads: [], skipped: [] };
}
