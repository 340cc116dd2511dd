import { ErrandError } from '../../core/errors.js';
import type { EnvironmentTerminal } from '../../environment/load-environment.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { lastLines } from './output-buffer.js';

/** One tmux session per container; `errand attach` opens it. */
export const tmuxSession = 'errand';
const scriptDir = '/tmp/.errand-terminals';
const tmuxConf = 'set -g history-limit 10000\nset -g remain-on-exit off\nset -g default-terminal screen-256color\n';

/**
 * Opens the tmux session with one window per terminal, each running its command in /workspace and
 * then leaving an interactive shell, so a person who attaches finds the output and a prompt.
 * Without terminals the session holds one `shell` window.
 */
export async function openTerminals(target: ExecTarget, terminals: EnvironmentTerminal[], env: Record<string, string> = {}): Promise<string> {
  const script = terminalsScript(target.workdir, terminals);
  await runTerminalsScript(target, script, env);
  return script;
}

/** Runs a script made by terminalsScript (again, after a stopped machine starts). */
export async function runTerminalsScript(target: ExecTarget, script: string, env: Record<string, string>): Promise<void> {
  const result = await execInContainer(target, script, { cwd: '/', env });
  if (result.exitCode !== 0) {
    throw new ErrandError('sandbox_failed', `could not open the terminals (exit code ${result.exitCode}): ${lastLines(result.output, 10)}${result.exitCode === 127 ? '; fix: install tmux in the image (Dockerfile or snapshot)' : ''}`);
  }
}

/** The shell script that writes each terminal's command to a file and opens the tmux session. */
export function terminalsScript(workdir: string, terminals: EnvironmentTerminal[]): string {
  const windows = terminals.length > 0 ? terminals : [{ name: 'shell', command: 'true' }];
  const lines = [
    'set -e',
    'command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed in the image" >&2; exit 127; }',
    `mkdir -p ${scriptDir}`,
    `printf '%s' ${quote(Buffer.from(tmuxConf).toString('base64'))} | base64 -d > ${scriptDir}/tmux.conf`,
  ];
  windows.forEach((terminal, index) => {
    const script = `cd ${workdir}\n${terminal.command}\n`;
    lines.push(`printf '%s' ${quote(Buffer.from(script).toString('base64'))} | base64 -d > ${scriptDir}/${index}.sh`);
    const shell = quote(`bash ${scriptDir}/${index}.sh; exec bash`);
    lines.push(
      index === 0
        ? `tmux -f ${scriptDir}/tmux.conf new-session -d -s ${tmuxSession} -n ${quote(terminal.name)} -c ${workdir} ${shell}`
        : `tmux new-window -d -t ${tmuxSession}: -n ${quote(terminal.name)} -c ${workdir} ${shell}`,
    );
  });
  return lines.join('\n');
}

/** Terminal names, in window order. */
export async function listTerminals(target: ExecTarget): Promise<{ index: number; name: string }[]> {
  const result = await execInContainer(target, `tmux list-windows -t ${tmuxSession} -F '#{window_index}\t#{window_name}'`, { cwd: '/' });
  if (result.exitCode !== 0) return [];
  return result.output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [index, ...name] = line.split('\t');
      return { index: Number(index), name: name.join('\t') };
    });
}

/** The last `lines` lines a terminal shows (scrollback included), trailing blank lines trimmed. */
export async function captureTerminal(target: ExecTarget, name: string, lines: number): Promise<string> {
  const window = (await listTerminals(target)).find((w) => w.name === name);
  if (!window) throw new ErrandError('not_found', `no terminal named "${name}"`);
  const result = await execInContainer(target, `tmux capture-pane -p -J -t ${tmuxSession}:${window.index} -S -${Math.max(lines, 1)}`, { cwd: '/' });
  if (result.exitCode !== 0) throw new ErrandError('sandbox_failed', `could not read terminal "${name}": ${lastLines(result.output, 5)}`);
  return lastLines(result.output, lines);
}

/** Single-quotes a string for sh. */
export function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
