import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { ExecOptions, ExecResult, SandboxHandle } from '../../core/ports/sandbox.js';
import { remapOffset, shiftOwners } from './archive-ids.js';
import { dockerMessage } from './docker-errors.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { captureTerminal, listTerminals } from './terminals.js';
import { workdir } from './workspace.js';

/** A running agent container. */
export class DockerSandboxHandle implements SandboxHandle {
  readonly workdir = workdir;
  private readonly target: ExecTarget;
  private offset: Promise<number> | null = null;

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

  /** A tar of `path` whose owners are the container's ids (so it can be written back into a container). */
  async readArchive(path: string): Promise<NodeJS.ReadableStream> {
    const container = this.docker.getContainer(this.containerId);
    try {
      this.offset ??= remapOffset(container);
      const [archive, offset] = await Promise.all([container.getArchive({ path }), this.offset]);
      return offset === 0 ? archive : shiftOwners(archive, offset);
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not read ${path} from the container: ${dockerMessage(error)}`, { cause: error });
    }
  }

  async writeArchive(path: string, tar: NodeJS.ReadableStream | Buffer): Promise<void> {
    try {
      await this.docker.getContainer(this.containerId).putArchive(tar, { path });
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not write into ${path} in the container: ${dockerMessage(error)}`, { cause: error });
    }
  }
}
