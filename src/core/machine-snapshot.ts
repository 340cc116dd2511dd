import type { Agent } from './agent.js';
import { ErrandError } from './errors.js';
import { principalKey, type Principal } from './principal.js';
import type { Sandbox } from './ports/sandbox.js';
import type { AuditLog } from './ports/store.js';
import { machineRepoLabel } from './repo-ref.js';

export interface MachineSnapshotDeps {
  /** Null when this process cannot reach the Docker host that runs agents. */
  machines: Pick<Sandbox, 'snapshot'> | null;
  audit: AuditLog;
}

/**
 * "Prepare your machine, then take a snapshot": saves the agent's machine as the snapshot its
 * repository's new agents start from, in the agent's workspace only. The caller has already
 * checked that `actor` owns the agent or is an admin.
 */
export async function snapshotMachine(deps: MachineSnapshotDeps, agent: Agent, actor: Principal): Promise<{ imageId: string; repo: string }> {
  if (!agent.repo) throw new ErrandError('invalid_request', `agent ${agent.id} has no repository, so its machine cannot be any repository's snapshot`);
  if (!deps.machines) {
    throw new ErrandError('unavailable', 'this Errand server cannot reach the Docker host that runs agents; run `errand snapshot` against a server with the worker role (or `all`)');
  }
  const repo = machineRepoLabel(agent.repo);
  const imageId = await deps.machines.snapshot(agent.id, { workspace: agent.workspace, repo });
  await deps.audit.append({ workspace: agent.workspace, actor: principalKey(actor), actorName: actor.name, action: 'agent.snapshot', target: [agent.id], repo });
  return { imageId, repo };
}
