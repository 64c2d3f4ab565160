/**
 * Every fuzz target, in the order `npm run fuzz` runs them.
 *
 * Replication hook. The driver does not speak the streaming replication
 * protocol yet. When it does, add `fuzz/targets/replication.ts` built like
 * `copy.ts`: a machine brought into CopyBoth by START_REPLICATION (today's
 * `machineInCopy('both')` is the sub-state it will use), fed mutated
 * XLogData, primary keepalive and end-of-stream messages inside CopyData,
 * with standby status updates tried between chunks; then move its name
 * from {@link PENDING_TARGETS} into {@link TARGETS}.
 */
import type { FuzzTarget } from '../target';
import { copyTarget } from './copy';
import { decoderTarget, frontendDecoderTarget } from './decoder';
import { dsnTarget } from './dsn';
import { machineTarget } from './machine';
import { startupTarget } from './startup';
import { typesTarget } from './types';

/** The targets `npm run fuzz` runs (all of them unless `--only` picks some). */
export const TARGETS: readonly FuzzTarget[] = [
  decoderTarget,
  frontendDecoderTarget,
  machineTarget,
  copyTarget,
  startupTarget,
  dsnTarget,
  typesTarget,
];

/** Targets that will exist once the driver has what they fuzz: name to the reason. */
export const PENDING_TARGETS: Readonly<Record<string, string>> = {
  replication: 'the driver has no streaming replication protocol yet (see the hook in fuzz/targets/index.ts)',
};
