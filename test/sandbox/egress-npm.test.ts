import { newAgentId } from '../../src/core/ids.js';
import { proxyBed, startDestinations, type Destinations, type ProxyBed } from '../support/egress.js';
import { recordingSpec, sandboxTestBed, testSandbox } from '../support/docker.js';
import { buildNodeImage } from '../support/node-image.js';
import { startVerdaccio, type LocalRegistry } from '../support/verdaccio.js';

const { docker, repo, gitRepo } = sandboxTestBed('egress-npm');
let destinations: Destinations;
let registry: LocalRegistry;
let bed: ProxyBed;
let image: string;

beforeAll(async () => {
  [destinations, registry, image] = await Promise.all([startDestinations(), startVerdaccio(), buildNodeImage(docker, repo)]);
  await registry.publish('errand-egress-tiny', '1.0.0', 'installed through the egress proxy');
  bed = proxyBed(destinations, { allowPrivate: [`127.0.0.1:${registry.port}`] });
}, 180_000);
afterAll(async () => {
  await bed?.close();
  await registry?.close();
  await destinations?.close();
});

describe('npm install inside an agent container', () => {
  it('installs from a real registry through the egress proxy, with only that registry allowed', async () => {
    const agentId = newAgentId();
    const session = await bed.open(agentId, { install: 'allowlist', agent: 'none', allowlist: ['registry.test'] });
    const registryUrl = `http://registry.test:${registry.port}/`;
    const project = gitRepo({
      'package.json': JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
      '.npmrc': `registry=${registryUrl}\n`,
      '.gitignore': 'node_modules\n',
      '.errand/environment.json': JSON.stringify({ install: 'npm install errand-egress-tiny@1.0.0 --no-audit --no-fund' }),
    });
    const sandbox = testSandbox(docker, { baseImage: image });
    const spec = recordingSpec(project.dir, repo, { agentId, egress: { socketDir: session.socketDir, enterAgentPhase: () => session.setPhase('agent') } });
    const handle = await sandbox.prepare(spec);
    expect(spec.recorded.text('install')).toMatch(/added 1 package/);
    const run = await handle.exec(`node -e "console.log(require('errand-egress-tiny').message)"`);
    expect(run.output.trim()).toBe('installed through the egress proxy');
    const installs = bed.events.filter((event) => event.host === 'registry.test' && event.phase === 'install');
    expect(installs.length).toBeGreaterThanOrEqual(2);
    expect(installs.every((event) => event.allowed)).toBe(true);
    // The agent phase has no network: npm now gets the proxy's explanation.
    const again = await handle.exec('npm view errand-egress-tiny version 2>&1', { timeoutMs: 60_000 });
    expect(again.exitCode).not.toBe(0);
    expect(again.output).toContain('403');
  }, 180_000);
});
