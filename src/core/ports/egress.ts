import type { EgressEvent } from '../events.js';
import type { NetworkPhase, NetworkPolicy } from '../network.js';

export interface EgressSession {
  /** Host directory holding the agent's proxy socket (`proxy.sock`), mounted into its sidecar only. */
  socketDir: string;
  /**
   * The directory was there already (kept from the agent's last run while its machine stayed
   * warm): a sidecar that still runs has it mounted and need not be restarted.
   */
  kept: boolean;
  /** Switches the policy in force from the install phase to the agent phase. */
  setPhase(phase: NetworkPhase): void;
  /** `keepDir`: the agent's machine stays running (warm), its sidecar keeps the directory mounted. */
  close(options?: { keepDir?: boolean }): Promise<void>;
}

/** The egress proxy: one listener per agent, applying the workspace's policy to every connection. */
export interface EgressGateway {
  open(agentId: string, options: { policy: NetworkPolicy; phase?: NetworkPhase; onEvent: (event: EgressEvent) => void }): Promise<EgressSession>;
  close(agentId: string, options?: { keepDir?: boolean }): Promise<void>;
  /** Closes every listener (worker shutdown). */
  closeAll(): Promise<void>;
}
