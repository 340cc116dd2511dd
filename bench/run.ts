/**
 * `npm run bench [name…]`: runs every benchmark in bench/ (or the named ones) one after another,
 * each in its own process so they don't disturb each other's timings or memory figures, then
 * prints one table of the `BENCH {json}` lines they wrote (bench/support/report.ts): metric, goal,
 * measured (median, p99, n), baseline, ratio, pass/fail. Timings on shared machines are noisy, so a
 * missed goal is printed, not an exit status: the exit status says only whether a benchmark crashed.
 * BENCH_QUICK=1 is passed on to the benchmarks (short runs).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchLine } from './support/bench-line.js';
import { benchLinePrefix, type BenchMetric } from './support/report.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs one benchmark file, passing its output through; resolves to its BENCH lines and exit status. */
function runBench(file: string): Promise<{ metrics: BenchMetric[]; status: number | null; invalid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, file)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const metrics: BenchMetric[] = [];
    let invalid = 0;
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith(benchLinePrefix)) continue;
        const parsed = BenchLine.safeParse(JSON.parse(line.slice(benchLinePrefix.length)));
        if (parsed.success) metrics.push(parsed.data as BenchMetric);
        else invalid++;
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ metrics, status, invalid }));
  });
}

function table(rows: (BenchMetric & { bench: string })[]): string {
  const header = ['metric', 'goal', 'median', 'p99', 'n', 'baseline', 'ratio', 'result'];
  const body = rows.map((r) => [
    r.metric, r.goal, `${r.median} ${r.unit}`, `${r.p99} ${r.unit}`, String(r.n),
    r.baseline !== undefined ? `${r.baseline} ${r.unit}${r.baselineName ? ` (${r.baselineName})` : ''}` : '—',
    r.ratio !== undefined ? `${r.ratio}×` : '—', r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)));

const rows: (BenchMetric & { bench: string })[] = [];
const crashed: string[] = [];
for (const file of benches) {
  process.stdout.write(`\n== ${file}\n`);
  const { metrics, status, invalid } = await runBench(file);
  rows.push(...metrics.map((m) => ({ ...m, bench: file })));
  if (status !== 0 || invalid > 0) crashed.push(`${file}${invalid ? ` (${invalid} invalid BENCH lines)` : ` (exit ${status})`}`);
}
process.stdout.write(`\n${table(rows)}\n`);
if (crashed.length) process.stdout.write(`\nBenchmarks that crashed: ${crashed.join(', ')}\n`);
process.exitCode = crashed.length ? 1 : 0;
