import { principalKey } from './principal.js';
import type { Admission } from './ports/admission.js';
import type { AgentStore, DedupStore, EventLog, SettingsStore } from './ports/store.js';

export interface RunAdmissionDeps {
  agents: AgentStore;
  settings: SettingsStore;
  admission: Admission;
  events: EventLog;
  dedup: DedupStore;
}

export type AdmissionDecision = { admitted: true } | { admitted: false; message: string };

/**
 * The workspace's and the person's concurrency limits, checked when a worker is about to run an
 * agent. A refused agent stays queued and says why, once per change of what it waits for.
 */
export class RunAdmission {
  constructor(private readonly deps: RunAdmissionDeps) {}

  async admit(agentId: string): Promise<AdmissionDecision> {
    const agent = await this.deps.agents.get(agentId);
    if (!agent) return { admitted: true };
    const settings = await this.deps.settings.get(agent.workspace);
    const result = await this.deps.admission.admit({
      agentId,
      workspace: agent.workspace,
      person: principalKey(agent.owner),
      maxWorkspace: settings.maxConcurrentPerWorkspace,
      maxPerson: settings.maxConcurrentPerPerson,
    });
    if (result.admitted) return result;
    const message =
      result.limit === 'person'
        ? `queued behind your ${result.running} running agent${result.running === 1 ? '' : 's'} (limit ${settings.maxConcurrentPerPerson} per person)`
        : `queued behind ${result.running} running agent${result.running === 1 ? '' : 's'} in this workspace (limit ${settings.maxConcurrentPerWorkspace})`;
    if (await this.deps.dedup.claim(`admission:${agentId}:${result.limit}:${result.running}`, 86_400)) {
      await this.deps.events.append(agentId, { type: 'status', status: agent.status, message });
    }
    return { admitted: false, message };
  }

  async release(agentId: string): Promise<void> {
    const agent = await this.deps.agents.get(agentId);
    if (!agent) return;
    await this.deps.admission.release({ agentId, workspace: agent.workspace, person: principalKey(agent.owner) });
  }
}
