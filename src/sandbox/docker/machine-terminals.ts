import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { MachineTerminal, MachineTerminals, TerminalOpenOptions } from '../../core/ports/terminal.js';
import { startedMachine } from './attach.js';
import { dockerMessage } from './docker-errors.js';
import { tmuxSession } from './terminals.js';
import { workdir } from './workspace.js';

/** The tmux client a web terminal runs: the session itself, or a read-only client that leaves its size alone. */
export function tmuxClientCommand(readOnly: boolean): string[] {
  return readOnly
    ? ['tmux', 'attach-session', '-t', tmuxSession, '-f', 'read-only,ignore-size']
    : // -A attaches to the session, or opens a shell if the terminals could not be reopened.
      ['tmux', 'new-session', '-A', '-s', tmuxSession];
}

/**
 * The web terminal's way into a machine: `docker exec` with a TTY running a tmux client, as
 * `errand attach` does, but with the TTY's bytes handed to the caller. Needs the Docker engine
 * that runs the agents (DOCKER_HOST), like snapshots.
 */
export class DockerMachineTerminals implements MachineTerminals {
  constructor(private readonly docker: Docker) {}

  async open(agentId: string, options: TerminalOpenOptions): Promise<MachineTerminal> {
    const machine = await startedMachine(this.docker, agentId);
    const container = this.docker.getContainer(machine.containerId);
    // The client's pid, so closing can end it: Docker keeps an exec running after its connection goes.
    const pidPath = `/tmp/.errand-web-terminal-${randomBytes(6).toString('hex')}.pid`;
    let exec: Docker.Exec;
    let stream: Duplex;
    try {
      exec = await container.exec({
        Cmd: ['sh', '-c', 'echo $$ > "$1"; shift; exec "$@"', 'errand-terminal', pidPath, ...tmuxClientCommand(options.readOnly)],
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
        User: machine.user,
        WorkingDir: workdir,
        Env: ['TERM=xterm-256color', 'LANG=C.UTF-8'],
      });
      stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not open a terminal in the agent's machine: ${dockerMessage(error)}`, { cause: error });
    }
    const hangUp = async () => {
      const kill = await container.exec({ Cmd: ['sh', '-c', 'kill -HUP "$(cat "$1")" 2>/dev/null; rm -f "$1"', 'errand-terminal-close', pidPath], User: machine.user, AttachStdout: true, AttachStderr: true });
      const out = await kill.start({});
      out.resume();
    };
    const terminal = new ExecTerminal(exec, stream, () => void hangUp().catch(() => undefined));
    await terminal.resize(options.cols, options.rows);
    return terminal;
  }
}

class ExecTerminal implements MachineTerminal {
  private ended = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(
    private readonly exec: Docker.Exec,
    private readonly stream: Duplex,
    private readonly hangUp: () => void,
  ) {
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      for (const listener of this.endListeners) listener();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.stream.on('data', listener);
  }

  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  write(data: Buffer): void {
    if (!this.ended) this.stream.write(data);
  }

  async resize(cols: number, rows: number): Promise<void> {
    if (this.ended) return;
    // The exec may have ended between the check and the call: a failed resize changes nothing.
    await this.exec.resize({ w: clamp(cols, 2, 500), h: clamp(rows, 1, 300) }).catch(() => undefined);
  }

  close(): void {
    // Ends this tmux client only; the session and the agent's processes stay.
    const wasOpen = !this.ended;
    this.stream.destroy();
    if (wasOpen) this.hangUp();
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(Number.isFinite(value) ? value : min)));
}
