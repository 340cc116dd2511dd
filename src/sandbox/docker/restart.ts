import type { SandboxSpec } from '../../core/ports/sandbox.js';
import { readContainerFile, type ContainerFile } from './container-files.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { lastLines } from './output-buffer.js';
import { stateDir } from './ready-state.js';
import { runTerminalsScript } from './terminals.js';

const startPath = `${stateDir}/start.sh`;
const terminalsPath = `${stateDir}/terminals.sh`;

/**
 * The environment's `start` command and the terminals script, to keep in the machine (root-owned,
 * no secrets: those come in as environment variables each time), so a stopped machine can be
 * brought back as it was.
 */
export function restartScripts(start: string | null, terminals: string): ContainerFile[] {
  return [
    { path: startPath, content: start ? `${start}\n` : '', mode: 0o644, uid: 0, gid: 0 },
    { path: terminalsPath, content: terminals, mode: 0o644, uid: 0, gid: 0 },
  ];
}

/**
 * After a stopped machine starts: runs `start` again, then reopens the tmux terminals. Problems are
 * reported on the log and returned, never thrown: the agent's files are there either way.
 */
export async function restartMachine(target: ExecTarget, env: Record<string, string>, onLog?: SandboxSpec['onLog']): Promise<string | null> {
  const container = target.docker.getContainer(target.containerId);
  const [start, terminals] = await Promise.all([readContainerFile(container, startPath), readContainerFile(container, terminalsPath)]);
  if (terminals === null) {
    const problem = 'this machine has no saved terminals (it predates stopping machines between runs); its terminals were not reopened';
    onLog?.('start', 'system', problem);
    return problem;
  }
  if (start?.trim()) {
    onLog?.('start', 'system', `$ ${start.trim()} (the machine was stopped; running start again)`);
    const result = await execInContainer(target, start, { env, timeoutMs: 10 * 60_000, onOutput: (stream, text) => onLog?.('start', stream, text) });
    if (result.exitCode !== 0) {
      const problem = `start failed with exit code ${result.exitCode} after the machine restarted: ${lastLines(result.output, 10)}`;
      onLog?.('start', 'system', problem);
      return problem;
    }
  }
  try {
    await runTerminalsScript(target, terminals, env);
  } catch (error) {
    const problem = `the terminals could not be reopened after the machine restarted: ${error instanceof Error ? error.message : String(error)}`;
    onLog?.('terminal', 'system', problem);
    return problem;
  }
  return null;
}

/** Reopens the terminals of a machine that was just started, without running `start` (for attach). */
export async function restartTerminals(target: ExecTarget): Promise<void> {
  const terminals = await readContainerFile(target.docker.getContainer(target.containerId), terminalsPath);
  if (terminals) await runTerminalsScript(target, terminals, {}).catch(() => undefined);
}
