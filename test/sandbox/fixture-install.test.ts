import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/redis/local-server.js';
import { newAgentId } from '../../src/core/ids.js';
import { proxyBed, startDestinations, type Destinations, type ProxyBed } from '../support/egress.js';
import { recordingSpec, sandboxTestBed, testSandbox } from '../support/docker.js';
import { startVerdaccio, type LocalRegistry } from '../support/verdaccio.js';

/**
 * A real environment file from a public repository, unchanged, on the default machine image: its
 * install reaches a real npm registry (Verdaccio on this machine) only through the egress proxy.
 */
const { docker, repo, gitRepo } = sandboxTestBed('fixture-install');
const fixture = (name: string) => readFileSync(join('test', 'fixtures', 'environment-json', name), 'utf8');
let destinations: Destinations;
let registry: LocalRegistry;
let bed: ProxyBed;
let index: { server: Server; port: number; dir: string };

/** Builds a small `pyyaml` wheel (a `yaml` module with a version) with the host's Python. */
function buildWheel(dir: string): string {
  const name = 'pyyaml-6.0.2-py3-none-any.whl';
  const script = [
    'import base64, hashlib, sys, zipfile',
    "files = {'yaml/__init__.py': \"__version__ = '6.0.2'\\n\", 'pyyaml-6.0.2.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: PyYAML\\nVersion: 6.0.2\\n', 'pyyaml-6.0.2.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: errand-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}",
    "digest = lambda text: 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()",
    "record = ''.join(f'{path},{digest(text)},{len(text.encode())}\\n' for path, text in files.items()) + 'pyyaml-6.0.2.dist-info/RECORD,,\\n'",
    'with zipfile.ZipFile(sys.argv[1], "w") as wheel:',
    '    [wheel.writestr(path, text) for path, text in {**files, "pyyaml-6.0.2.dist-info/RECORD": record}.items()]',
  ].join('\n');
  execFileSync('python3', ['-c', script, join(dir, name)]);
  return name;
}

/** A PEP 503 simple index on 127.0.0.1 serving that one wheel. */
async function startIndex(): Promise<{ server: Server; port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'errand-pypi-'));
  const wheel = buildWheel(dir);
  const port = await freePort();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://index').pathname;
    if (path === '/simple/pyyaml/') {
      res.setHeader('content-type', 'text/html').end(`<!DOCTYPE html><html><body><a href="/files/${wheel}">${wheel}</a></body></html>`);
    } else if (path === `/files/${wheel}`) {
      res.setHeader('content-type', 'application/octet-stream').end(readFileSync(join(dir, wheel)));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, dir };
}

beforeAll(async () => {
  [destinations, registry, index] = await Promise.all([startDestinations(), startVerdaccio(), startIndex()]);
  await registry.publish('errand-fixture-dep', '1.0.0', 'installed by pnpm through the egress proxy');
  bed = proxyBed(destinations, { allowPrivate: [`127.0.0.1:${registry.port}`, `127.0.0.1:${index.port}`] });
}, 180_000);
afterAll(async () => {
  await bed?.close();
  await new Promise((resolve) => index?.server.close(resolve));
  if (index) rmSync(index.dir, { recursive: true, force: true });
  await registry?.close();
  await destinations?.close();
});

describe("a real repository's environment file on the machine image", () => {
  it('000alen/compute (a snapshot id, `pnpm install`, `pnpm run build`) reaches environment_ready through the proxy', async () => {
    const agentId = newAgentId();
    const session = await bed.open(agentId, { install: 'allowlist', agent: 'allowlist', allowlist: ['registry.test'] });
    const project = gitRepo({
      '.cursor/environment.json': fixture('000alen__compute.json'),
      'package.json': JSON.stringify({
        name: 'compute',
        version: '1.0.0',
        private: true,
        dependencies: { 'errand-fixture-dep': '1.0.0' },
        scripts: { build: "node -e \"require('fs').writeFileSync('built.txt', require('errand-fixture-dep').message)\"" },
      }),
      '.npmrc': `registry=http://registry.test:${registry.port}/\n`,
      '.gitignore': 'node_modules\nbuilt.txt\n',
    });
    const sandbox = testSandbox(docker, { baseImage: 'errand-machine:bookworm', memoryMb: 1024, pids: 512 });
    const spec = recordingSpec(project.dir, repo, { agentId, egress: { socketDir: session.socketDir, enterAgentPhase: () => session.setPhase('agent') } });
    const handle = await sandbox.prepare(spec);
    expect(spec.recorded.milestones.map((m) => m.name)).toContain('environment_ready');
    expect(spec.recorded.text('environment')).toMatch(/snapshot/);
    expect((await handle.exec('cat built.txt')).output).toBe('installed by pnpm through the egress proxy');
    expect(bed.events.some((event) => event.host === 'registry.test' && event.phase === 'install' && event.allowed)).toBe(true);
  }, 240_000);

  it('1-TB/selfhosted-catalog (`pip install --user pyyaml`, PEP 668 fallback) reaches environment_ready through the proxy', async () => {
    const agentId = newAgentId();
    const session = await bed.open(agentId, { install: 'allowlist', agent: 'none', allowlist: ['pypi.test'] });
    const project = gitRepo({ '.cursor/environment.json': fixture('1-TB__selfhosted-catalog.json') });
    const sandbox = testSandbox(docker, { baseImage: 'errand-machine:bookworm', memoryMb: 1024, pids: 512 });
    // A team points pip at its index with install-phase secrets, as it would at a private mirror.
    const installEnv = { PIP_INDEX_URL: `http://pypi.test:${index.port}/simple/`, PIP_TRUSTED_HOST: 'pypi.test' };
    const spec = recordingSpec(project.dir, repo, { agentId, installEnv, egress: { socketDir: session.socketDir, enterAgentPhase: () => session.setPhase('agent') } });
    const handle = await sandbox.prepare(spec);
    expect(spec.recorded.milestones.map((m) => m.name)).toContain('environment_ready');
    expect((await handle.exec(`python3 -c "import yaml; print(yaml.__version__)"`)).output.trim()).toBe('6.0.2');
    expect(bed.events.some((event) => event.host === 'pypi.test' && event.phase === 'install' && event.allowed)).toBe(true);
  }, 240_000);
});
