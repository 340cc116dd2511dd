import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { Log } from '../../src/core/ports/runtime.js';
import type { SandboxSpec } from '../../src/core/ports/sandbox.js';
import { newAgentId } from '../../src/core/ids.js';
import { DockerSandbox, type DockerSandboxOptions } from '../../src/sandbox/docker/docker-sandbox.js';
import { makeGitRepo, type TestRepo } from './git-repo.js';

/** The machine's Docker engine; a test that needs it fails (never skips) when it is missing. */
export function testDocker(): Docker {
  return new Docker();
}

export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
};

/** A repository label unique to one test file: every container and image it makes carries it. */
export function uniqueRepo(label: string): string {
  return `test/${label}-${randomBytes(4).toString('hex')}`;
}

export function testSandbox(docker: Docker, overrides: Partial<DockerSandboxOptions> = {}): DockerSandbox {
  return new DockerSandbox({
    docker,
    log: silentLog,
    baseImage: 'errand-base:bookworm',
    network: 'none',
    snapshotsKept: 3,
    memoryMb: 512,
    cpus: 1,
    pids: 256,
    ...overrides,
  });
}

/** What a prepare reported, for assertions on milestones and logs rather than on timing. */
export interface Recorded {
  logs: { phase: string; stream: string; text: string }[];
  milestones: { name: string; text: string }[];
  text(phase: string): string;
}

export function recordingSpec(repoDir: string, repo: string, extra: Partial<SandboxSpec> = {}): SandboxSpec & { recorded: Recorded } {
  const recorded: Recorded = {
    logs: [],
    milestones: [],
    text: (phase) => recorded.logs.filter((entry) => entry.phase === phase).map((entry) => entry.text).join(''),
  };
  return {
    agentId: newAgentId(),
    workspace: 'T-test',
    repoDir,
    repo,
    network: 'none',
    onLog: (phase, stream, text) => recorded.logs.push({ phase, stream, text }),
    onMilestone: (name, text) => recorded.milestones.push({ name, text }),
    ...extra,
    recorded,
  };
}

/** Removes every container and image labelled with this test repository. */
export async function removeByRepo(docker: Docker, repo: string): Promise<void> {
  const filter = { label: [`errand.repo=${repo}`] };
  for (const container of await docker.listContainers({ all: true, filters: filter })) {
    await docker.getContainer(container.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
  for (const image of await docker.listImages({ filters: filter })) {
    await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
}

/**
 * What a sandbox test file needs: a Docker client, a repository label of its own, a sandbox, and
 * git repos it makes on the way. Everything is removed after the file.
 */
export function sandboxTestBed(label: string): { docker: Docker; repo: string; sandbox: DockerSandbox; gitRepo: (files: Record<string, string>) => TestRepo } {
  const docker = testDocker();
  const repo = uniqueRepo(label);
  const repos: TestRepo[] = [];
  afterAll(async () => {
    await removeByRepo(docker, repo);
    repos.forEach((r) => r.remove());
  });
  return {
    docker,
    repo,
    sandbox: testSandbox(docker),
    gitRepo: (files) => {
      const created = makeGitRepo(files);
      repos.push(created);
      return created;
    },
  };
}
