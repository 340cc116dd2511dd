// Cold start (install runs, snapshot saved) vs warm start (install snapshot reused) of a sandbox,
// against a bare `docker run` of the same image in the same run, and the cost of the engine's
// isolation: a container with user namespaces remapped (the engine's default here) vs one started
// with `--userns=host` (only measurable when the engine runs with userns-remap).
// Usage: npx tsx bench/sandbox-start.ts [runs=5]
// The install is synthetic (no network here): it writes a few thousand small files, as a package
// manager filling node_modules would, then spends a second as a download would.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { Log } from '../src/core/ports/runtime.js';
import { newAgentId } from '../src/core/ids.js';
import { DockerSandbox } from '../src/sandbox/docker/docker-sandbox.js';
import { detectIsolation } from '../src/sandbox/docker/isolation.js';
import { makeGitRepo } from '../test/support/git-repo.js';
import { percentile, reportMetric, round } from './support/report.js';

const runs = Number(process.argv[2] ?? 5);
const docker = new Docker();
const silent: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };
const repo = `bench/sandbox-start-${randomBytes(3).toString('hex')}`;
const image = process.env.ERRAND_BASE_IMAGE ?? 'errand-base:bookworm';
const sandbox = new DockerSandbox({ docker, log: silent, baseImage: image, network: 'none', snapshotsKept: runs + 1, memoryMb: 1024, cpus: 2, pids: 512 });
const install = 'mkdir -p node_modules && for d in $(seq 1 60); do mkdir -p node_modules/pkg$d; for f in $(seq 1 50); do head -c 2048 /dev/urandom > node_modules/pkg$d/f$f.js; done; done; sleep 1';
const project = makeGitRepo({
  '.errand/environment.json': JSON.stringify({ install, start: 'test -d node_modules/pkg60', terminals: [{ name: 'dev', command: 'ls node_modules | wc -l' }] }),
  'package-lock.json': '{}',
  '.gitignore': 'node_modules\n',
});

async function prepareMs(): Promise<{ ms: number; cached: boolean }> {
  const agentId = newAgentId();
  let cached = false;
  const started = performance.now();
  await sandbox.prepare({ agentId, workspace: 'bench', repoDir: project.dir, repo, network: 'none', onMilestone: (name) => (cached ||= name === 'install_cached') });
  const ms = performance.now() - started;
  await sandbox.remove(agentId);
  return { ms, cached };
}

/** `docker run --rm IMAGE true` through the API: create, start, wait, remove. */
async function dockerRunMs(userns: 'remapped' | 'host'): Promise<number> {
  const started = performance.now();
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { 'errand.repo': repo },
    HostConfig: { NetworkMode: 'none', ...(userns === 'host' ? { UsernsMode: 'host' } : {}) },
  });
  await container.start();
  await container.wait();
  await container.remove({ force: true });
  return performance.now() - started;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

try {
  const isolation = await detectIsolation(docker);
  const cold: number[] = [];
  const warm: number[] = [];
  const run: number[] = [];
  const runUsernsHost: number[] = [];
  for (let round = 0; round < runs; round++) {
    run.push(await dockerRunMs('remapped'));
    if (isolation === 'userns') runUsernsHost.push(await dockerRunMs('host'));
  }
  for (let run = 0; run < runs; run++) {
    project.commit({ 'package-lock.json': JSON.stringify({ run, nonce: randomBytes(4).toString('hex') }) }, `lockfile ${run}`);
    const first = await prepareMs();
    if (first.cached) throw new Error('a changed lockfile should not hit the snapshot');
    cold.push(first.ms);
    const second = await prepareMs();
    if (!second.cached) throw new Error('an unchanged lockfile should hit the snapshot');
    warm.push(second.ms);
  }
  const coldMedian = median(cold);
  const warmMedian = median(warm);
  const runMedian = median(run);
  const warmSorted = [...warm].sort((a, b) => a - b);
  reportMetric({
    metric: 'warm sandbox prepare (snapshot reused)',
    goal: '≤ 2× docker run --rm',
    unit: 'ms',
    median: round(warmMedian, 0),
    p99: round(percentile(warmSorted, 99), 0),
    n: warm.length,
    baseline: round(runMedian, 0),
    baselineName: 'docker run --rm (same image)',
    ratio: round(warmMedian / runMedian),
    pass: warmMedian <= 2 * runMedian,
  });
  console.log(JSON.stringify({
    runs,
    image,
    isolation,
    dockerRunMs: run.map(Math.round),
    dockerRunMedianMs: Math.round(runMedian),
    ...(runUsernsHost.length
      ? { dockerRunUsernsHostMedianMs: Math.round(median(runUsernsHost)), usernsOverHost: Number((runMedian / median(runUsernsHost)).toFixed(2)) }
      : {}),
    warmOverDockerRun: Number((median(warm) / runMedian).toFixed(2)),
    coldMs: cold.map(Math.round),
    warmMs: warm.map(Math.round),
    coldMedianMs: Math.round(coldMedian),
    warmMedianMs: Math.round(warmMedian),
    coldOverWarm: Number((coldMedian / warmMedian).toFixed(2)),
  }, null, 2));
} finally {
  for (const container of await docker.listContainers({ all: true, filters: { label: [`errand.repo=${repo}`] } })) {
    await docker.getContainer(container.Id).remove({ force: true });
  }
  for (const image of await docker.listImages({ filters: { label: [`errand.repo=${repo}`] } })) {
    await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
  project.remove();
}
