import type { Agent } from '../agent.js';
import type { ArtifactFile, ArtifactInfo } from '../artifacts.js';

/**
 * An agent's session environment variables (launch `envVars`): sealed like secrets, bound to the
 * agent, living and forgotten with it. Only the engine reads the values back.
 */
export interface SessionEnvStore {
  /** Throws not_configured (with its fix) when this server cannot seal values. */
  assertAvailable(): Promise<void>;
  set(agent: Agent, vars: Record<string, string>): Promise<void>;
  /** The variables in clear; empty when none were given. */
  get(agent: Agent): Promise<Record<string, string>>;
}

/** Files an agent left under `artifacts/`, collected by the worker after each run. */
export interface ArtifactStore {
  /** Replaces what is kept of the agent with these files (the folder as it is now). */
  replace(agent: Agent, files: ArtifactFile[]): Promise<void>;
  list(agentId: string): Promise<ArtifactInfo[]>;
  read(agentId: string, name: string): Promise<ArtifactFile | null>;
}
