import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchLine } from '../../bench/support/bench-line.js';
import { benchLinePrefix } from '../../bench/support/report.js';

const benchDir = join(process.cwd(), 'bench');
/** Every benchmark that has a short mode (BENCH_QUICK=1). Speed is not checked here: only that it runs and reports. */
const quickBenches = readdirSync(benchDir).filter((file) => file.endsWith('.ts') && file !== 'run.ts' && readFileSync(join(benchDir, file), 'utf8').includes('BENCH_QUICK'));

function runQuick(file: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(benchDir, file)], {
      env: { ...process.env, BENCH_QUICK: '1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('benchmarks (short mode)', () => {
  it('has the acknowledgement, search and memory benchmarks in short mode', () => {
    expect(quickBenches).toEqual(expect.arrayContaining(['api-ack.ts', 'github-ack.ts', 'search.ts', 'slack-ack.ts', 'web-memory.ts']));
  });

  it.each(quickBenches)('%s runs and prints valid BENCH lines', async (file) => {
    const { status, stdout, stderr } = await runQuick(file);
    expect({ status, stderr: status === 0 ? '' : stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
    const lines = stdout.split('\n').filter((line) => line.startsWith(benchLinePrefix));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(BenchLine.safeParse(JSON.parse(line.slice(benchLinePrefix.length))).success).toBe(true);
  }, 600_000);
});
