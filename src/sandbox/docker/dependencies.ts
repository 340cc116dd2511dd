import { pack } from 'tar-fs';
import { ErrandError } from '../../core/errors.js';
import { writeContainerFiles } from './container-files.js';
import { dockerMessage } from './docker-errors.js';
import type { ExecTarget } from './exec.js';
import type { ContainerUser } from './users.js';

/** Where `repositoryDependencies` land in the machine: `/workspace-deps/<name>`, beside /workspace. */
export const dependenciesDir = '/workspace-deps';

/**
 * Copies host checkouts of the environment's `repositoryDependencies` into the container, owned by
 * the environment's user. They sit outside /workspace, so nothing in them is ever committed to the
 * agent's branch.
 */
export async function copyDependencies(target: ExecTarget, dependencies: { name: string; dir: string }[], user: ContainerUser): Promise<void> {
  const container = target.docker.getContainer(target.containerId);
  await writeContainerFiles(container, [{ path: dependenciesDir, mode: 0o755, uid: user.uid, gid: user.gid }]);
  for (const dependency of dependencies) {
    if (!/^[A-Za-z0-9._-]+$/.test(dependency.name) || dependency.name.startsWith('.')) {
      throw new ErrandError('invalid_request', `"${dependency.name}" is not a usable folder name for a repository dependency`);
    }
    const root = `${dependenciesDir.slice(1)}/${dependency.name}`;
    const archive = pack(dependency.dir, {
      map: (header) => {
        if (header.name === '.') Object.assign(header, { name: root, mode: 0o755 });
        else header.name = `${root}/${header.name}`;
        Object.assign(header, { uid: user.uid, gid: user.gid, uname: '', gname: '' });
        return header;
      },
    });
    try {
      await container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: '/' });
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not copy the repository dependency ${dependency.name} into the container: ${dockerMessage(error)}`, { cause: error });
    }
  }
}
