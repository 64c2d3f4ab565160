/** Placeholder: the workloads of this file land in the next commits. */
import type { Cluster } from '../../scripts/pg-cluster';
import type { Workload } from '../lib/result';
export function connectWorkloads(_c: Cluster | null, _n: number): { workloads: Workload[]; skipped: string[] } {
  return { workloads: [], skipped: [] };
}
