import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { ExecOptions, ExecResult, SandboxHandle, WorkspaceChanges } from '../../core/ports/sandbox.js';
import { dockerMessage } from './docker-errors.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { changesSinceReady } from './ready-state.js';
import { captureTerminal, listTerminals } from './terminals.js';
import { workdir } from './workspace.js';

/** A running agent container. */
export class DockerSandboxHandle implements SandboxHandle {
  readonly workdir = workdir;
  private readonly target: ExecTarget;

  constructor(
    private readonly docker: Docker,
    readonly agentId: string,
    readonly containerId: string,
    readonly user: string,
  ) {
    this.target = { docker, containerId, user, workdir };
  }

  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return execInContainer(this.target, command, options);
  }

  terminalOutput(name: string, lines = 50): Promise<string> {
    return captureTerminal(this.target, name, lines);
  }

  async terminals(): Promise<string[]> {
    return (await listTerminals(this.target)).map((window) => window.name);
  }

  async readArchive(path: string): Promise<NodeJS.ReadableStream> {
    try {
      return await this.docker.getContainer(this.containerId).getArchive({ path });
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not read ${path} from the container: ${dockerMessage(error)}`, { cause: error });
    }
  }

  changesSinceReady(): Promise<WorkspaceChanges | null> {
    return changesSinceReady(this.target);
  }

  async writeArchive(path: string, tar: NodeJS.ReadableStream | Buffer): Promise<void> {
    try {
      await this.docker.getContainer(this.containerId).putArchive(tar, { path });
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not write into ${path} in the container: ${dockerMessage(error)}`, { cause: error });
    }
  }
}
