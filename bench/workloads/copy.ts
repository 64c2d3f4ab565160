/** Placeholder: the workloads of this file land in the next commits. */
import type { Workload } from '../lib/result';
export function copyWorkloads(_url: string, _inRows: number, _outRows: number): Workload[] {
  return [];
}
