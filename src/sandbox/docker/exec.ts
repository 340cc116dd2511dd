import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { Writable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { ExecOptions, ExecResult } from '../../core/ports/sandbox.js';
import { dockerMessage, dockerStatus, isConnectionError } from './docker-errors.js';
import { pidFile, requestKill } from './kill-supervisor.js';
import { OutputBuffer } from './output-buffer.js';

export interface ExecTarget {
  docker: Docker;
  containerId: string;
  /** Default user for commands (the environment's user). */
  user: string;
  workdir: string;
  /** The container's main process is the kill supervisor (containers made before it run `sleep`). */
  supervised?: boolean;
}

export const defaultMaxOutputBytes = 256 * 1024;
/** How long a command has to end after SIGTERM before it gets SIGKILL. */
const termGraceMs = 2_000;
/** How long a killed command's output stream may linger before we stop reading it. */
const drainAfterKillMs = 5_000;

/**
 * The command runs under `sh` in a session (and process group) of its own, made with `setsid`,
 * whose id the wrapper writes to a file; a cancelled command's group gets SIGTERM, then SIGKILL,
 * from the machine's kill supervisor (see kill-supervisor.ts: it needs no fork, so a fork bomb
 * cannot stop it) and from a second exec (for containers without the supervisor). With `end`, or
 * when the command was killed, what it left running in its group (a fork bomb's orphans) is killed
 * when it returns. Images
 * without `setsid` run the command in the wrapper's own group, as before.
 */
const wrapper = [
  'c=sh; command -v bash >/dev/null 2>&1 && c=bash',
  'if command -v setsid >/dev/null 2>&1; then',
  // A background job's stdin is /dev/null unless redirected: hand it the exec's stdin through fd 3.
  '  exec 3<&0; setsid "$c" -c "$2" <&3 3<&- & p=$!; exec 3<&-; echo $p > "$1"; wait $p 2>/dev/null; s=$?',
  // A command killed by a signal (cancelled) takes its group with it: a fork bomb's subshells may
  // defer SIGTERM while they retry fork, so what remains gets SIGKILL.
  '  if [ "$3" = end ] || [ $s -gt 128 ]; then kill -s KILL -- -$p 2>/dev/null; fi',
  'else echo $$ > "$1"; "$c" -c "$2"; s=$?; fi',
  'rm -f "$1"; exit $s',
].join('\n');
const killer = 'p=$(cat "$1" 2>/dev/null) || exit 0; kill -TERM -$p 2>/dev/null || exit 0; i=0; while [ $i -lt 20 ] && kill -0 -$p 2>/dev/null; do sleep 0.1; i=$((i+1)); done; kill -KILL -$p 2>/dev/null; rm -f "$1"; exit 0';

/**
 * Runs a shell command in the container: cwd, env, user, timeout, output cap, streaming, abort.
 * `endLeftovers` kills what the command leaves running in its process group when it returns (the
 * agent's commands: servers belong in terminals); install and start may leave daemons.
 */
export async function execInContainer(target: ExecTarget, command: string, options: ExecOptions = {}, { endLeftovers = false } = {}): Promise<ExecResult> {
  const { docker, containerId } = target;
  const user = options.user ?? target.user;
  const output = new OutputBuffer(options.maxOutputBytes ?? defaultMaxOutputBytes);
  if (options.signal?.aborted) return { exitCode: 130, output: '', truncated: false, timedOut: false, aborted: true };

  const token = randomBytes(6).toString('hex');
  const pidPath = target.supervised ? pidFile(token) : `/tmp/.errand-exec-${token}.pid`;
  const container = docker.getContainer(containerId);
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: ['sh', '-c', wrapper, 'errand-exec', pidPath, command, endLeftovers ? 'end' : 'keep'],
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
  let killing: Promise<boolean> | null = null;
  let ended = false;
  const finished = new Promise<void>((resolve, reject) => {
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
  }).finally(() => {
    ended = true;
  });
  const kill = () => {
    killing ??= stopCommand({ target, container, user, token, pidPath, finished: finished.catch(() => undefined) }).then((stopped) => {
      if (!stopped && !ended) stream.destroy();
      return stopped;
    });
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
    await finished;
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const stopped = killing ? await killing : true;

  const info = await exec.inspect().catch(async (error: unknown) => {
    throw await execFailure(container, error);
  });
  const exitCode = info.ExitCode === null || info.Running ? 137 : info.ExitCode;
  if (exitCode !== 0 && !killing) await assertContainerAlive(container, exitCode === 137);
  return { exitCode, output: output.text(), truncated: output.truncated, timedOut, aborted, ...(stopped && !info.Running ? {} : { stillRunning: true }) };
}

interface StopRequest {
  target: ExecTarget;
  container: Docker.Container;
  user: string;
  token: string;
  pidPath: string;
  /** Settles when the command's output stream ends, i.e. when every process holding it is gone. */
  finished: Promise<void>;
}

/** SIGTERM to the command's process group, SIGKILL after a grace period; true once its output ended. */
async function stopCommand({ target, container, user, token, pidPath, finished }: StopRequest): Promise<boolean> {
  const viaSupervisor = (signal: 'TERM' | 'KILL') => (target.supervised ? requestKill(container, token, signal).catch(() => undefined) : Promise.resolve());
  // The second exec cannot start while the pid limit is used up; the supervisor needs no new process.
  const viaExec = killGroup(container, user, pidPath).catch(() => undefined);
  await viaSupervisor('TERM');
  if (await settlesWithin(finished, termGraceMs)) return true;
  await viaSupervisor('KILL');
  await Promise.race([viaExec, finished]);
  return settlesWithin(finished, drainAfterKillMs);
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
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

async function killGroup(container: Docker.Container, user: string, pidPath: string): Promise<void> {
  const exec = await container.exec({ Cmd: ['sh', '-c', killer, 'errand-kill', pidPath], User: user, AttachStdout: true, AttachStderr: true });
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
