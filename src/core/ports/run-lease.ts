/**
 * Proof that a worker process is alive and running an agent. The worker renews its lease every
 * few seconds; when the process dies the lease lapses, and only then may another worker take the
 * agent over (or a stop end it without that worker).
 */
export interface RunLeases {
  /** Takes the agent's lease; null while another live worker holds it. */
  acquire(agentId: string, ttlMs: number): Promise<string | null>;
  /** Extends the lease; false when it lapsed or someone else holds it now. */
  renew(agentId: string, token: string, ttlMs: number): Promise<boolean>;
  release(agentId: string, token: string): Promise<void>;
  /** Whether a live worker holds the agent's lease. */
  held(agentId: string): Promise<boolean>;
}
