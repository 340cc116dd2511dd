import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a worker process needs to run agents against the test's Redis, model and git server. */
export interface WorkerProcessSettings {
  redisUrl: string;
  prefix: string;
  queueName: string;
  modelUrl: string;
  gitUrl: string;
  pushToken: string;
  dataDir: string;
  stalledIntervalMs: number;
  /** This worker's host id: it records the machines it runs and takes its host queue's resumes. */
  host?: string;
  /** The Docker engine it drives (`unix:///…`); the default socket when unset. */
  dockerHost?: string;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Kills the process without letting it clean up, as a crash or `kill -9` would. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** Starts a worker process (test/support/worker-process.ts) and waits for it to take jobs. */
export async function spawnWorker(settings: WorkerProcessSettings): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, NODE_OPTIONS: '', ERRAND_TEST_WORKER: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start in 90 s (a loaded machine compiles the TypeScript slowly): ${stderr}`)), 90_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before it was ready: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  return {
    child,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
