import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { isErrandError } from '../../src/core/errors.js';
import { loadEnvironment } from '../../src/environment/load-environment.js';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/environment-json', import.meta.url));
const fixtures = readdirSync(fixturesDir).filter((name) => name.endsWith('.json'));

/** Warnings each real-world file should produce; files not listed produce none. */
const ports = (list: string) => `ports are kept but not forwarded (processes reach them inside the machine): ${list}`;
const expectedWarnings: Record<string, string[]> = {
  '0xPlaygrounds__playgrounds-website.json': [
    'unknown key "env" is kept but not used by Errand',
    'persistedDirectories is kept but not needed: an agent keeps its whole machine (stopped) between runs',
  ],
  '0rl4nd0l__tenn.json': [ports('backend-api 8000, ollama-api 11434')],
  '0venBurn__coin-catcher.json': [ports('timescaledb 5432')],
  '41agent41__tradingapp.json': [ports('frontend 3000, backend 4000, broker_service 8000')],
  'langfuse__langfuse.json': [ports('Langfuse web 3000, Langfuse worker health 3030')],
};

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((repo) => repo.remove()));

function repoWith(files: Record<string, string>): TestRepo {
  const repo = makeGitRepo(files);
  repos.push(repo);
  return repo;
}

function loadError(repo: TestRepo): Error {
  try {
    loadEnvironment(repo.dir);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected loadEnvironment to throw');
}

describe('environment files', () => {
  it('finds the real-world fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixtures)('loads %s from .cursor/environment.json with the expected warnings', (fixture) => {
    const text = readFileSync(join(fixturesDir, fixture), 'utf8');
    const repo = repoWith({ '.cursor/environment.json': text });
    const environment = loadEnvironment(repo.dir);
    expect(environment.source).toBe('.cursor/environment.json');
    expect(environment.warnings).toEqual(expectedWarnings[fixture] ?? []);
    const raw = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(environment.file).sort()).toEqual(Object.keys(raw).sort());
    expect(environment.install).toBe(typeof raw.install === 'string' ? raw.install.trim() : null);
  });

  it('reads terminals, user, start and a build with paths relative to the file folder', () => {
    const repo = repoWith({
      '.cursor/environment.json': readFileSync(join(fixturesDir, 'langfuse__langfuse.json'), 'utf8'),
    });
    const environment = loadEnvironment(repo.dir);
    expect(environment.user).toBe('ubuntu');
    expect(environment.start).toBe('bash scripts/agents/start-cursor-cloud.sh');
    expect(environment.build).toEqual({ dockerfile: join(repo.dir, '.cursor/Dockerfile'), context: repo.dir });
  });

  it('names terminals that have no name and skips those without a command', () => {
    const repo = repoWith({
      '.errand/environment.json': JSON.stringify({ terminals: [{ command: 'npm run dev' }, { name: 'empty' }, { name: 'watch', command: 'npm run watch' }] }),
    });
    const environment = loadEnvironment(repo.dir);
    expect(environment.terminals).toEqual([
      { name: 'terminal-1', command: 'npm run dev' },
      { name: 'watch', command: 'npm run watch' },
    ]);
    expect(environment.warnings).toEqual(['terminals[1] has no command and is skipped']);
  });

  it('accepts comments and trailing commas', () => {
    const repo = repoWith({
      '.errand/environment.json': '{\n  // set up\n  "install": "npm ci", /* fast */\n  "terminals": [{ "name": "dev", "command": "npm run dev", },],\n}\n',
    });
    expect(loadEnvironment(repo.dir)).toMatchObject({ source: '.errand/environment.json', install: 'npm ci', warnings: [] });
  });

  it('prefers .errand/environment.json over .cursor/environment.json and says so', () => {
    const repo = repoWith({
      '.errand/environment.json': '{ "install": "make errand" }',
      '.cursor/environment.json': '{ "install": "make cursor" }',
    });
    const environment = loadEnvironment(repo.dir);
    expect(environment.install).toBe('make errand');
    expect(environment.warnings).toEqual(['.cursor/environment.json ignored: .errand/environment.json takes precedence']);
  });

  it('uses defaults when the repository has no environment file', () => {
    const repo = repoWith({});
    expect(loadEnvironment(repo.dir)).toMatchObject({ source: null, install: null, user: null, build: null, terminals: [], warnings: [] });
  });

  it('finds a Dockerfile named relative to the build context, with a warning', () => {
    const repo = repoWith({
      '.cursor/environment.json': readFileSync(join(fixturesDir, '514-labs__moose.json'), 'utf8'),
      '.cursor/Dockerfile': 'FROM errand-base:bookworm\n',
    });
    const environment = loadEnvironment(repo.dir);
    expect(environment.build).toEqual({ dockerfile: join(repo.dir, '.cursor/Dockerfile'), context: repo.dir });
    expect(environment.warnings).toEqual(['build.dockerfile ".cursor/Dockerfile" is read relative to build.context (.), not to .cursor/']);
  });

  it('refuses invalid JSON naming the file, the place and the fix', () => {
    const error = loadError(repoWith({ '.cursor/environment.json': '{\n  "install": "npm ci"\n  "start": "x"\n}' }));
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect(error.message).toMatch(/^\.cursor\/environment\.json is not valid JSON: CommaExpected at line 3, column 3; fix: /);
  });

  it('refuses a build context outside the repository', () => {
    const error = loadError(repoWith({ '.errand/environment.json': '{ "build": { "context": "../.." } }' }));
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect(error.message).toMatch(/^\.errand\/environment\.json field "build\.context" points outside the repository .*; fix: use a path inside the repository/);
  });

  it('refuses a Dockerfile outside the repository', () => {
    const error = loadError(repoWith({ '.errand/environment.json': '{ "build": { "dockerfile": "/etc/Dockerfile" } }' }));
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect(error.message).toContain('field "build.dockerfile" points outside the repository');
  });

  it('refuses wrong types for fields Errand uses, naming each field', () => {
    const error = loadError(repoWith({ '.errand/environment.json': '{ "install": ["npm", "ci"], "terminals": [{ "name": "a", "command": 3 }] }' }));
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect(error.message).toContain('field "install"');
    expect(error.message).toContain('field "terminals[0].command"');
    expect(error.message).toContain('fix: ');
  });

  it.each([
    ['a list of numbers and strings', [3000, '8080:80', '5432/tcp'], [{ name: null, port: 3000 }, { name: null, port: 80 }, { name: null, port: 5432 }], ports('3000, 80, 5432')],
    ['a name to port map', { web: 3000, api: '4000' }, [{ name: 'web', port: 3000 }, { name: 'api', port: 4000 }], ports('web 3000, api 4000')],
    ['objects with string ports', [{ name: 'web', port: '3000' }], [{ name: 'web', port: 3000 }], ports('web 3000')],
  ])('keeps ports given as %s and lists them in a warning', (_shape, value, expected, warning) => {
    const environment = loadEnvironment(repoWith({ '.cursor/environment.json': JSON.stringify({ ports: value }) }).dir);
    expect(environment.ports).toEqual(expected);
    expect(environment.warnings).toEqual([warning]);
  });

  it('warns about ports it cannot read instead of refusing the file', () => {
    const environment = loadEnvironment(repoWith({ '.cursor/environment.json': JSON.stringify({ ports: [{ name: 'web' }, 'http'], install: 'true' }) }).dir);
    expect(environment.install).toBe('true');
    expect(environment.ports).toEqual([]);
    expect(environment.warnings).toEqual(['ports[0] is not a port number and is ignored', 'ports[1] is not a port number and is ignored']);
  });

  it('reads repositoryDependencies given as strings or objects', () => {
    const environment = loadEnvironment(repoWith({
      '.cursor/environment.json': JSON.stringify({ repositoryDependencies: ['acme/lib', { url: 'https://github.com/acme/tools' }, 42, 'acme/lib'] }),
    }).dir);
    expect(environment.dependencies).toEqual(['acme/lib', 'https://github.com/acme/tools']);
    expect(environment.warnings).toEqual(['repositoryDependencies[2] names no repository and is ignored']);
  });

  it('refuses a file that is not an object', () => {
    const error = loadError(repoWith({ '.errand/environment.json': '["npm ci"]' }));
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect(error.message).toContain('must hold one JSON object');
  });
});
