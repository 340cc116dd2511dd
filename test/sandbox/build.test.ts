import { isErrandError } from '../../src/core/errors.js';
import { recordingSpec, sandboxTestBed } from '../support/docker.js';

const { docker, repo, sandbox, gitRepo } = sandboxTestBed('build');

const cursorEnvironment = JSON.stringify({ build: { dockerfile: 'Dockerfile', context: '..' }, install: 'cat /etc/built-with' });

describe('environments built from a Dockerfile', () => {
  it('builds the image once and reuses it while the Dockerfile and context are unchanged', async () => {
    const project = gitRepo({
      '.cursor/environment.json': cursorEnvironment,
      '.cursor/Dockerfile': 'FROM errand-base:bookworm\nCOPY tool.txt /etc/built-with\n',
      'tool.txt': 'tool v1\n',
      '.dockerignore': 'notes/\n',
    });
    const first = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(first);
    expect(first.recorded.text('build')).toContain('building .cursor/Dockerfile');
    expect(first.recorded.text('install')).toContain('tool v1');
    const tag = /built image (errand-build:\w+)/.exec(first.recorded.text('build'))?.[1];
    expect(tag).toBeDefined();
    const image = await docker.getImage(tag!).inspect();
    expect(image.Config.Labels).toMatchObject({ 'errand.agent': first.agentId, 'errand.repo': repo });
    expect((await docker.getContainer(handle.containerId).inspect()).Config.Labels['errand.agent']).toBe(first.agentId);

    // A commit and a change in an ignored folder leave the build context as it was.
    project.commit({ 'notes/todo.md': 'later\n' }, 'notes');
    const second = recordingSpec(project.dir, repo);
    await sandbox.prepare(second);
    expect(second.recorded.text('build')).toContain(`reusing image ${tag}`);
    expect(second.recorded.text('build')).not.toContain('Step 1/');

    project.commit({ 'tool.txt': 'tool v2\n' }, 'tool v2');
    const third = recordingSpec(project.dir, repo);
    await sandbox.prepare(third);
    expect(third.recorded.text('build')).toContain('building .cursor/Dockerfile');
    expect(third.recorded.text('build')).not.toContain(tag!);
    expect(third.recorded.text('install')).toContain('tool v2');
  });

  it('reports the failing step and the last lines of a failed build', async () => {
    const project = gitRepo({
      '.cursor/environment.json': cursorEnvironment,
      '.cursor/Dockerfile': 'FROM errand-base:bookworm\nRUN echo compiling && echo "missing header foo.h" >&2 && exit 3\n',
    });
    const error = await sandbox.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'sandbox_failed')).toBe(true);
    expect((error as Error).message).toMatch(/building .cursor\/Dockerfile failed at "Step 2\/\d+ : RUN echo compiling/);
    expect((error as Error).message).toContain('\nmissing header foo.h\n');
    expect((error as Error).message).toContain('returned a non-zero code: 3');
    expect((error as Error).message).toContain('missing header foo.h');
  });

  it('names the file and field when the Dockerfile is missing', async () => {
    const project = gitRepo({ '.cursor/environment.json': cursorEnvironment });
    const error = await sandbox.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect((error as Error).message).toContain('.cursor/environment.json field "build.dockerfile": .cursor/Dockerfile does not exist');
  });
});
