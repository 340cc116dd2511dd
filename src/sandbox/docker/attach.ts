import { spawn, type SpawnOptions } from 'node:child_process';
import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import { assertDockerReachable } from './docker-client.js';
import { isEgressSidecar } from './egress-sidecar.js';
import { labels } from './labels.js';
import { restartTerminals } from './restart.js';
import { tmuxSession } from './terminals.js';

export interface AttachOptions {
  docker: Docker;
  agentId: string;
  /** The docker CLI (default `docker`, which honours DOCKER_HOST). */
  dockerCli?: string;
  spawnOptions?: SpawnOptions;
}

/** The `docker exec` arguments that open an agent's tmux session in its container. */
export async function attachCommand(docker: Docker, agentId: string): Promise<string[]> {
  await assertDockerReachable(docker);
  // The agent's own container, not its egress sidecar.
  const info = (await docker.listContainers({ all: true, filters: { label: [`${labels.agent}=${agentId}`] } })).find((c) => !isEgressSidecar(c));
  if (!info) throw new ErrandError('not_found', `agent ${agentId} has no container on this Docker host (it may have expired, or run on another worker)`);
  const user = info.Labels[labels.user] ?? 'errand';
  if (info.State !== 'running') {
    // A finished agent's machine is stopped: start it and reopen its terminals (without the
    // agent's secrets, which only the worker holds; `start` runs again on the next follow-up).
    await docker.getContainer(info.Id).start();
    await restartTerminals({ docker, containerId: info.Id, user, workdir: '/workspace' });
  }
  // new-session -A attaches to the session, or opens a shell if the terminals could not be reopened.
  return ['exec', '-it', '-u', user, '-w', '/workspace', info.Id, 'tmux', 'new-session', '-A', '-s', tmuxSession];
}

/**
 * `errand attach <agent-id>`: takes over the agent's machine by attaching this terminal to the
 * container's tmux session (detach with Ctrl-b d). Resolves with the docker CLI's exit code.
 */
export async function attach(options: AttachOptions): Promise<number> {
  const args = await attachCommand(options.docker, options.agentId);
  const child = spawn(options.dockerCli ?? 'docker', args, { stdio: 'inherit', ...options.spawnOptions });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new ErrandError('unavailable', `could not run the docker CLI (${error.message}); fix: install it or put it on PATH`, { cause: error })));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
