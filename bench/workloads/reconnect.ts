/**
 * W9: reconnection. Measured only when the DeadConnectionDetector exists
 * (src/detector.ts); otherwise the run prints why it was skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Cluster } from '../../scripts/pg-cluster';
import type { Workload } from '../lib/result';

/** The W9 workload, or the reason it is skipped. */
export function reconnectWorkload(_url: string, _cluster: Cluster | null): { workload: Workload | null; skipped: string } {
  if (!fs.existsSync(path.join(__dirname, '../../src/detector.ts'))) {
    return { workload: null, skipped: 'W9/W10 (reconnection) skipped: src/detector.ts (DeadConnectionDetector) does not exist yet' };
  }
  return { workload: null, skipped: 'W9/W10 (reconnection) skipped: DeadConnectionDetector exists but the bench for it is not written yet' };
}
