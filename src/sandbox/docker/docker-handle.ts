import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { ExecOptions, ExecResult, PreparedFacts, SandboxHandle, WorkspaceChanges } from '../../core/ports/sandbox.js';
import { remapOffset, shiftOwners } from './archive-ids.js';
import { dockerMessage } from './docker-errors.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { failureHint, type FailureContext } from './failure-hint.js';
import { privileges } from './hardening.js';
import { engineFacts } from './isolation.js';
import { lastLines } from './output-buffer.js';
import { changesSinceReady } from './ready-state.js';
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
    supervised = false,
    /** The machine's limits, named when a command hits one. */
    private readonly limits: Pick<FailureContext, 'diskMb' | 'tmpMb' | 'pids'> = {},
    readonly preparedFacts?: PreparedFacts,
    /** Found running (kept warm): nothing was started or rerun. */
    readonly warm = false,
  ) {
    this.target = { docker, containerId, user, workdir, supervised };
  }

  /** A failed command whose output shows a known cause (sudo refused, disk full, a missing tool) gets a line naming it. */
  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    const result = await execInContainer(this.target, command, options, { endLeftovers: true });
    if (result.exitCode === 0 || result.aborted) return result;
    const { isolation } = await engineFacts(this.docker);
    const hint = failureHint(lastLines(result.output, 20), { ...this.limits, phase: 'the command', sudo: privileges(isolation, false).sudo });
    return hint ? { ...result, output: `${result.output}${result.output.endsWith('\n') || result.output === '' ? '' : '\n'}[errand] ${hint}\n` } : result;
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
