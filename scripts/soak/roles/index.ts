/** Every role of the matrix, by name. */
import { listenerRole } from './listener';
import { pipelineRole } from './pipeline';
import { poolRole } from './pool';
import { replicationRole } from './replication';
import type { Role, RoleName } from './role';
import { workerRole } from './worker';

/** Every role, by name. */
export const ROLES: Readonly<Record<RoleName, Role>> = {
  listener: listenerRole,
  worker: workerRole,
  pool: poolRole,
  pipeline: pipelineRole,
  replication: replicationRole,
};

export type { Role, RoleName, RoleRun, RoleContext, RoleVerdict } from './role';
export { ROLE_NAMES } from './role';
