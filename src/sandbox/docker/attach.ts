import { spawn, type SpawnOptions } from 'node:child_process';
import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import { containersOfAgent } from './agent-containers.js';
import { assertDockerReachable } from './docker-client.js';
import { dockerMessage } from './docker-errors.js';
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

/** An agent's machine, running: its container id and the user its tmux session runs as. */
export interface RunningMachine {
  containerId: string;
  user: string;
}

/**
 * Finds the agent's machine and, when it is stopped (its run ended), starts it and reopens its
 * terminals (without the agent's secrets, which only the worker holds; `start` runs again on the
 * next follow-up). Used by `errand attach` and the dashboard's web terminal.
 */
export async function startedMachine(docker: Docker, agentId: string): Promise<RunningMachine> {
  await assertDockerReachable(docker);
  // The agent's own container, not its egress sidecar.
  const info = (await containersOfAgent(docker, agentId)).find((c) => !isEgressSidecar(c));
  if (!info) throw new ErrandError('not_found', `agent ${agentId} has no container on this Docker host (it may have expired, or run on another worker)`);
  const user = info.Labels[labels.user] ?? 'errand';
  if (info.State !== 'running') {
    await docker.getContainer(info.Id).start().catch((error: unknown) => {
      // 304: another attach started it a moment ago.
      if ((error as { statusCode?: number }).statusCode !== 304) throw new ErrandError('sandbox_failed', `could not start the agent's stopped machine: ${dockerMessage(error)}`, { cause: error });
    });
    await restartTerminals({ docker, containerId: info.Id, user, workdir: '/workspace' });
  }
  return { containerId: info.Id, user };
}

/** The `docker exec` arguments that open an agent's tmux session in its container. */
export async function attachCommand(docker: Docker, agentId: string): Promise<string[]> {
  const machine = await startedMachine(docker, agentId);
  // new-session -A attaches to the session, or opens a shell if the terminals could not be reopened.
  return ['exec', '-it', '-u', machine.user, '-w', '/workspace', machine.containerId, 'tmux', 'new-session', '-A', '-s', tmuxSession];
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
