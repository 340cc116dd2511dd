/**
 * Starts the ack benchmarks' worker side (trigger-worker.ts) in a second process, as Errand's
 * worker role runs beside the web role: the benchmark's process keeps the web front end and its
 * client, the child runs the trigger jobs and the fake platform API they call.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToWorker } from './worker-messages.js';

type Payload<T> = T extends unknown ? Omit<T, 'seq'> : never;

export interface TriggerWorker<Ready> {
  ready: Ready;
  /** CPU time the worker process has used so far, in ms (user + system, from /proc). */
  cpuMs(): number;
  /** Whether the child runs the trigger jobs (off: the benchmark's own process runs them, as role `all`). */
  jobs(on: boolean): Promise<void>;
  comments(comments: { id: number; number: number; body: string }[]): Promise<void>;
  /** How many calls the fake platform API has answered. */
  calls(): Promise<number>;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function startTriggerWorker<Ready>(platform: 'slack' | 'github', redisUrl: string): Promise<TriggerWorker<Ready>> {
  // fork keeps this process's execArgv (--import tsx).
  const child = fork(join(here, 'trigger-worker.ts'), [platform], { env: { ...process.env, BENCH_REDIS_URL: redisUrl }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let seq = 0;
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`trigger worker exited (${code})`))));
  exited.catch(() => undefined);
  const ready = await Promise.race([
    new Promise<Ready>((resolve) => {
      child.on('message', (message: Record<string, unknown>) => {
        if (message['type'] === 'ready') resolve(message[platform] as Ready);
        if (message['type'] !== 'done') return;
        const entry = waiting.get(message['seq'] as number);
        waiting.delete(message['seq'] as number);
        if (message['error']) entry?.reject(new Error(String(message['error'])));
        else entry?.resolve(message);
      });
    }),
    exited,
  ]);
  const ask = (message: Payload<ToWorker>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve, reject });
      child.send({ ...message, seq: id });
    });
  return {
    ready,
    cpuMs: () => processCpuMs(child.pid!),
    jobs: async (on) => void (await ask({ type: 'jobs', on })),
    comments: async (comments) => void (await ask({ type: 'comments', comments })),
    calls: async () => (await ask({ type: 'calls' }))['calls'] as number,
    close: async () => {
      await ask({ type: 'close' });
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    },
  };
}

/** utime + stime of a process, in ms (Linux; clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
