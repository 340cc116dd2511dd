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
    /** The terminals and ready-state record still being made (see SandboxHandle.whenReady); commands wait for it. */
    readonly whenReady?: Promise<void>,
  ) {
    this.target = { docker, containerId, user, workdir, supervised };
    // Awaited by every command; a failure is the caller's to see, never an unhandled rejection.
    whenReady?.catch(() => undefined);
  }

  /** A failed command whose output shows a known cause (sudo refused, disk full, a missing tool) gets a line naming it. */
  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    await this.whenReady;
    const result = await execInContainer(this.target, command, options, { endLeftovers: true });
    if (result.exitCode === 0 || result.aborted) return result;
    const { isolation } = await engineFacts(this.docker);
    const hint = failureHint(lastLines(result.output, 20), { ...this.limits, phase: 'the command', sudo: privileges(isolation, false).sudo });
    return hint ? { ...result, output: `${result.output}${result.output.endsWith('\n') || result.output === '' ? '' : '\n'}[errand] ${hint}\n` } : result;
  }

  async terminalOutput(name: string, lines = 50): Promise<string> {
    await this.whenReady;
    return captureTerminal(this.target, name, lines);
  }

  async terminals(): Promise<string[]> {
    await this.whenReady;
    return (await listTerminals(this.target)).map((window) => window.name);
  }

  /** A tar of `path` whose owners are the container's ids (so it can be written back into a container). */
  async readArchive(path: string): Promise<NodeJS.ReadableStream> {
    await this.whenReady;
    const container = this.docker.getContainer(this.containerId);
    try {
      this.offset ??= remapOffset(container);
      const [archive, offset] = await Promise.all([container.getArchive({ path }), this.offset]);
      return offset === 0 ? archive : shiftOwners(archive, offset);
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not read ${path} from the container: ${dockerMessage(error)}`, { cause: error });
    }
  }

  async changesSinceReady(): Promise<WorkspaceChanges | null> {
    await this.whenReady;
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
