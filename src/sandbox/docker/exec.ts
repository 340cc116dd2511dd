import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { Writable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { ExecOptions, ExecResult } from '../../core/ports/sandbox.js';
import { dockerMessage, dockerStatus, isConnectionError } from './docker-errors.js';
import { OutputBuffer } from './output-buffer.js';

export interface ExecTarget {
  docker: Docker;
  containerId: string;
  /** Default user for commands (the environment's user). */
  user: string;
  workdir: string;
}

export const defaultMaxOutputBytes = 256 * 1024;
/** How long a killed command's output stream may linger before we stop reading it. */
const drainAfterKillMs = 5_000;

/**
 * The command runs under `sh`, which first writes its pid (= its process group, since every
 * `docker exec` starts a new session) to a file; a cancelled command is ended by a second exec that
 * signals that group (TERM, then KILL), so the container and its other processes live on.
 */
const wrapper = 'echo $$ > "$1"; if command -v bash >/dev/null 2>&1; then bash -c "$2"; else sh -c "$2"; fi; s=$?; rm -f "$1"; exit $s';
const killer = 'p=$(cat "$1" 2>/dev/null) || exit 0; kill -TERM -$p 2>/dev/null || exit 0; i=0; while [ $i -lt 20 ] && kill -0 -$p 2>/dev/null; do sleep 0.1; i=$((i+1)); done; kill -KILL -$p 2>/dev/null; rm -f "$1"; exit 0';

/** Runs a shell command in the container: cwd, env, user, timeout, output cap, streaming, abort. */
export async function execInContainer(target: ExecTarget, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const { docker, containerId } = target;
  const user = options.user ?? target.user;
  const output = new OutputBuffer(options.maxOutputBytes ?? defaultMaxOutputBytes);
  if (options.signal?.aborted) return { exitCode: 130, output: '', truncated: false, timedOut: false, aborted: true };

  const pidFile = `/tmp/.errand-exec-${randomBytes(6).toString('hex')}.pid`;
  const container = docker.getContainer(containerId);
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: ['sh', '-c', wrapper, 'errand-exec', pidFile, command],
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: options.stdin !== undefined,
      Tty: false,
      User: user,
      WorkingDir: options.cwd ?? target.workdir,
      Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
    });
    stream = (await exec.start({ hijack: true, stdin: options.stdin !== undefined })) as Duplex;
  } catch (error) {
    throw await execFailure(container, error);
  }

  let timedOut = false;
  let aborted = false;
  let killing: Promise<void> | null = null;
  const kill = () => {
    killing ??= killGroup(docker, containerId, user, pidFile).catch(() => undefined);
    setTimeout(() => stream.destroy(), drainAfterKillMs).unref();
  };
  const onAbort = () => {
    aborted = true;
    kill();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs)
    : null;

  try {
    await new Promise<void>((resolve, reject) => {
      const sink = (name: 'stdout' | 'stderr') => {
        const decoder = new StringDecoder('utf8');
        return new Writable({
          write(chunk: Buffer, _encoding, done) {
            output.push(chunk);
            if (options.onOutput) {
              const text = decoder.write(chunk);
              if (text) options.onOutput(name, text);
            }
            done();
          },
        });
      };
      docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', (error) => (killing ? resolve() : reject(error)));
      if (options.stdin !== undefined) stream.end(options.stdin);
    });
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (killing) await killing;

  const info = await exec.inspect().catch(async (error: unknown) => {
    throw await execFailure(container, error);
  });
  const exitCode = info.ExitCode === null || info.Running ? 137 : info.ExitCode;
  if (exitCode !== 0 && !killing) await assertContainerAlive(container, exitCode === 137);
  return { exitCode, output: output.text(), truncated: output.truncated, timedOut, aborted };
}

/**
 * A command that ends with a non-zero code may have been cut short by the container's own death.
 * A SIGKILL exit (137) is how that looks, and the container's state trails it by a moment.
 */
async function assertContainerAlive(container: Docker.Container, mayBeDying: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const state = await container.inspect().then((c) => c.State, () => null);
    if (!state?.Running) {
      throw new ErrandError('sandbox_failed', `container exited (${state ? `status ${state.Status}, exit code ${state.ExitCode}` : 'removed'}) while running a command`);
    }
    if (!mayBeDying || attempt >= 10) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function killGroup(docker: Docker, containerId: string, user: string, pidFile: string): Promise<void> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', killer, 'errand-kill', pidFile], User: user, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  stream.resume();
  await new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', resolve);
  });
}

async function execFailure(container: Docker.Container, error: unknown): Promise<ErrandError> {
  if (isConnectionError(error)) return new ErrandError('unavailable', `Docker stopped answering: ${dockerMessage(error)}`, { cause: error });
  const status = dockerStatus(error);
  if (status === 404 || status === 409 || status === 500) {
    const state = await container.inspect().then((c) => c.State, () => null);
    if (!state?.Running) {
      return new ErrandError('sandbox_failed', `container exited (${state ? `status ${state.Status}, exit code ${state.ExitCode}` : 'removed'}); the agent's machine is gone`, { cause: error });
    }
  }
  return new ErrandError('sandbox_failed', `could not run a command in the container: ${dockerMessage(error)}`, { cause: error });
}
