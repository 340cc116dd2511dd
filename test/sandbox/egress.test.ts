import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NetworkPolicy, SandboxHandle } from '../../src/core/index.js';
import { newAgentId } from '../../src/core/ids.js';
import { attachCommand } from '../../src/sandbox/docker/attach.js';
import { testRedisUrl } from '../support/redis.js';
import { proxyBed, startDestinations, type Destinations, type ProxyBed } from '../support/egress.js';
import { recordingSpec, sandboxTestBed } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

const { docker, repo, sandbox, gitRepo } = sandboxTestBed('egress');
let destinations: Destinations;
let bed: ProxyBed;
let errandHttp: Server;
let errandHttpPort: number;
const redisPort = Number(new URL(testRedisUrl()).port);

beforeAll(async () => {
  destinations = await startDestinations();
  errandHttp = createServer((_req, res) => res.end('errand itself\n'));
  errandHttpPort = await new Promise<number>((resolve) => errandHttp.listen(0, '127.0.0.1', () => resolve((errandHttp.address() as AddressInfo).port)));
  bed = proxyBed(destinations, {
    protectedEndpoints: [{ address: '127.0.0.1', port: redisPort }, { address: '127.0.0.1', port: errandHttpPort }],
  });
});
afterAll(async () => {
  await bed.close();
  await destinations.close();
  await new Promise((resolve) => errandHttp.close(resolve));
});

/** An agent container on network none whose only way out is the egress proxy with this policy. */
async function agentWith(policy: Partial<NetworkPolicy>, environment: Record<string, unknown> = {}): Promise<{ handle: SandboxHandle; agentId: string; install: string }> {
  const agentId = newAgentId();
  const session = await bed.open(agentId, policy);
  const project = gitRepo({ '.errand/environment.json': JSON.stringify(environment) });
  const spec = recordingSpec(project.dir, repo, { agentId, egress: { socketDir: session.socketDir, enterAgentPhase: () => session.setPhase('agent') } });
  const handle = await sandbox.prepare(spec);
  return { handle, agentId, install: spec.recorded.text('install') };
}

async function sh(handle: SandboxHandle, command: string): Promise<string> {
  return (await handle.exec(command, { timeoutMs: 60_000 })).output.trim();
}

/** HTTP status of a GET from inside the container (000: no connection at all); the proxy's answer to CONNECT with --proxytunnel. */
const status = (url: string, flags = '') => `curl -s -o /dev/null -w '${flags.includes('--proxytunnel') ? '%{http_connect}' : '%{http_code}'}' --max-time 10 ${flags} '${url}'`;

/** Everything that must stay out of reach, by name and by IP, in every mode. */
function forbidden(): string[] {
  return [
    `http://127.0.0.1:${redisPort}/`,
    `http://localhost:${redisPort}/`,
    `http://127.0.0.1:${errandHttpPort}/`,
    `http://127.0.0.1:${destinations.closedPort}/`,
    `http://other.test:${destinations.closedPort}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.test/latest/meta-data/',
    'http://10.0.0.1/',
    'http://internal.test/',
    'http://[fd00:ec2::254]/',
  ];
}

/**
 * Statuses of GETs through the proxy even for loopback (the container's NO_PROXY would otherwise
 * send those to the container's own loopback, where nothing listens: also unreachable, but not
 * what this checks).
 */
async function statuses(handle: SandboxHandle, urls: string[], flags = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of urls) out[url] = await sh(handle, status(url, `--noproxy '' ${flags}`));
  return out;
}

const all = (urls: string[], code: string) => Object.fromEntries(urls.map((url) => [url, code]));

describe('an agent container reaching the network through the egress proxy', () => {
  it('with full: fetches over HTTP and through a CONNECT tunnel, and has no other way out', async () => {
    const { handle, agentId } = await agentWith({});
    expect(await sh(handle, `curl -sS --max-time 10 http://registry.test:${destinations.httpPort}/plain`)).toBe(`hello from registry.test:${destinations.httpPort} /plain`);
    expect(await sh(handle, `curl -sS --max-time 10 --proxytunnel http://registry.test:${destinations.httpPort}/tunnelled`)).toBe(`hello from registry.test:${destinations.httpPort} /tunnelled`);
    await waitFor(() => bed.events.filter((event) => event.host === 'registry.test' && event.allowed).length >= 2, { what: 'egress events of both requests' });

    // No route and no resolver of its own; the socket is not in the agent's container.
    expect(await sh(handle, `${status(`http://127.0.0.1:${destinations.httpPort}/`, '--noproxy "*"')}; echo " exit=$?"`)).toMatch(/^000 exit=[1-9]/);
    expect(await sh(handle, 'getent hosts registry.test || echo unresolved')).toBe('unresolved');
    expect(await sh(handle, 'test -e /egress || echo no-socket-dir')).toBe('no-socket-dir');
    expect(await sh(handle, 'echo $HTTPS_PROXY $no_proxy')).toBe('http://127.0.0.1:3128 localhost,127.0.0.1,::1');

    expect(await statuses(handle, forbidden())).toEqual(all(forbidden(), '403'));
    expect(await statuses(handle, forbidden().filter((url) => !url.includes('[')), '--proxytunnel')).toEqual(all(forbidden().filter((url) => !url.includes('[')), '403'));
    expect(destinations.seen.some((seen) => seen.path.includes('meta-data'))).toBe(false);
    const found = await sandbox.find(agentId);
    expect(found?.containerId).toBe(handle.containerId);
  });

  it('with allowlist: an allowed host works, another gets the 403 explanation and an event', async () => {
    const { handle } = await agentWith({ install: 'allowlist', agent: 'allowlist', allowlist: ['registry.test'] });
    expect(await sh(handle, status(`http://registry.test:${destinations.httpPort}/`))).toBe('200');
    const denied = await sh(handle, `curl -sS --max-time 10 http://other.test:${destinations.httpPort}/`);
    expect(denied).toContain("other.test is not in the workspace's network allowlist");
    expect(denied).toContain('errand settings set networkAllowlist=');
    await waitFor(() => bed.events.find((event) => event.host === 'other.test' && event.reason === 'not_in_allowlist' && event.phase === 'agent'), { what: 'denial event' });
    expect(await statuses(handle, forbidden())).toEqual(all(forbidden(), '403'));
  });

  it('with none: nothing goes out', async () => {
    const { handle } = await agentWith({ install: 'none', agent: 'none' });
    const urls = [`http://registry.test:${destinations.httpPort}/`, ...forbidden()];
    expect(await statuses(handle, urls)).toEqual(all(urls, '403'));
    expect(await sh(handle, status(`http://registry.test:${destinations.httpPort}/`, '--proxytunnel'))).toBe('403');
  });

  it('applies the install policy to install and the agent policy to the agent’s commands', async () => {
    const url = `http://other.test:${destinations.httpPort}/during-install`;
    const { handle, install } = await agentWith({ install: 'full', agent: 'allowlist', allowlist: ['registry.test'] }, { install: `curl -sS --max-time 10 ${url}` });
    expect(install).toContain(`hello from other.test:${destinations.httpPort} /during-install`);
    expect(await sh(handle, status(url))).toBe('403');
    expect(await sh(handle, status(`http://registry.test:${destinations.httpPort}/`))).toBe('200');
  });

  it('reaches the proxy again after the worker reopens it and finds the agent (resume)', async () => {
    const { agentId } = await agentWith({});
    await bed.registry.close(agentId);
    await bed.open(agentId, { install: 'none', agent: 'full' }, 'agent');
    const found = await sandbox.find(agentId);
    expect(await sh(found!, status(`http://registry.test:${destinations.httpPort}/again`))).toBe('200');
  });

  it('attaches people to the agent’s container, not the sidecar, and removes the sidecar with the agent', async () => {
    const { agentId, handle } = await agentWith({});
    const labelled = async () => docker.listContainers({ all: true, filters: { label: [`errand.agent=${agentId}`] } });
    expect((await labelled()).map((c) => c.Labels['errand.role'] ?? 'agent').sort()).toEqual(['agent', 'egress']);
    expect(await attachCommand(docker, agentId)).toContain(handle.containerId);
    await sandbox.remove(agentId);
    expect(await labelled()).toEqual([]);
  });
});
