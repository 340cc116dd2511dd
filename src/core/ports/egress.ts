import type { EgressEvent } from '../events.js';
import type { NetworkPhase, NetworkPolicy } from '../network.js';

export interface EgressSession {
  /** Host directory holding the agent's proxy socket (`proxy.sock`), mounted into its sidecar only. */
  socketDir: string;
  /** Switches the policy in force from the install phase to the agent phase. */
  setPhase(phase: NetworkPhase): void;
  close(): Promise<void>;
}

/** The egress proxy: one listener per agent, applying the workspace's policy to every connection. */
export interface EgressGateway {
  open(agentId: string, options: { policy: NetworkPolicy; phase?: NetworkPhase; onEvent: (event: EgressEvent) => void }): Promise<EgressSession>;
  close(agentId: string): Promise<void>;
  /** Closes every listener (worker shutdown). */
  closeAll(): Promise<void>;
}
