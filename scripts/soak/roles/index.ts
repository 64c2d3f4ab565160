/** Every role of the matrix, by name; replication is listed but not built. */
import { listenerRole } from './listener';
import { pipelineRole } from './pipeline';
import { poolRole } from './pool';
import type { Role, RoleName } from './role';
import { workerRole } from './worker';

/** A replication stream (ReplicationConnection) does not exist in the driver yet: listed, never faked. */
const replicationRole: Role = {
  name: 'replication',
  built: false,
  description: 'a logical replication stream (ReplicationConnection): not built in the driver yet',
  start: () => Promise.reject(new Error('the replication role is not built')),
};

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
