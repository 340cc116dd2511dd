import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { ErrandError } from '../../core/errors.js';
import { dockerMessage } from './docker-errors.js';
import { execInContainer, type ExecTarget } from './exec.js';
import type { ContainerUser } from './users.js';

export const workdir = '/workspace';

/**
 * The image may already hold a /workspace (a snapshot after install, or a Dockerfile that copied
 * the repo) with install artefacts such as node_modules or .venv. The fresh checkout overlays it:
 * first the files the old checkout's git tracked are deleted (so files removed upstream do not
 * linger) along with its .git, then the checkout, .git included, is unpacked on top. Untracked
 * and ignored files (the install's output) stay.
 */
export async function copyWorkspace(target: ExecTarget, repoDir: string, user: ContainerUser, { cleared = false }: { cleared?: boolean } = {}): Promise<void> {
  if (!cleared) await clearWorkspace(target, user);
  const archive = pack(repoDir, {
    map: (header) => {
      if (header.name === '.') Object.assign(header, { name: 'workspace', mode: 0o755 });
      else header.name = `workspace/${header.name}`;
      Object.assign(header, { uid: user.uid, gid: user.gid, uname: '', gname: '' });
      return header;
    },
  });
  await putArchive(target.docker.getContainer(target.containerId), archive, '/');
}

/** Deletes what the image's old checkout tracked, and its .git (a pool machine does this before it is claimed). */
export async function clearWorkspace(target: ExecTarget, user: ContainerUser): Promise<void> {
  const clear = `cd ${workdir} 2>/dev/null || exit 0; [ -d .git ] || exit 0; if command -v git >/dev/null 2>&1; then git -c safe.directory='*' ls-files -z | xargs -0 rm -f -- 2>/dev/null; fi; rm -rf .git; exit 0`;
  await execInContainer(target, clear, { user: String(user.uid), cwd: '/' });
}

async function putArchive(container: Docker.Container, archive: NodeJS.ReadableStream | object, path: string): Promise<void> {
  try {
    await container.putArchive(archive as NodeJS.ReadableStream, { path });
  } catch (error) {
    throw new ErrandError('sandbox_failed', `could not copy the repository into the container: ${dockerMessage(error)}`, { cause: error });
  }
}
