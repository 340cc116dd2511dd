import type { Config } from '../config.js';
import { attach } from '../sandbox/docker/attach.js';
import { createDockerClient } from '../sandbox/docker/docker-client.js';

/**
 * `errand attach <agent-id>`: opens the agent container's tmux session in this terminal (detach
 * with Ctrl-b d; the agent's machine keeps running). Resolves with the exit code to exit with.
 */
export function attachToAgent(agentId: string, config: Pick<Config, 'dockerHost'>): Promise<number> {
  return attach({ docker: createDockerClient(config.dockerHost), agentId });
}
