import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { isErrandError } from '../../src/core/errors.js';
import { loadEnvironment } from '../../src/environment/load-environment.js';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/environment-json', import.meta.url));
const fixtures = readdirSync(fixturesDir).filter((name) => name.endsWith('.json'));

/** Warnings each real-world file should produce; files not listed produce none. */
const expectedWarnings: Record<string, string[]> = {
  '0xPlaygrounds__playgrounds-website.json': [
    'unknown key "env" is kept but not used by Errand',
    'unknown key "persistedDirectories" is kept but not used by Errand',
  ],
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

  it('refuses a file that is not an object', () => {
    const error = loadError(repoWith({ '.errand/environment.json': '["npm ci"]' }));
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect(error.message).toContain('must hold one JSON object');
  });
});
