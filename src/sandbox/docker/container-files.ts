import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { extract, pack } from 'tar-fs';

/** Reads one file from a container (created or running) through Docker's archive API; null if absent. */
export async function readContainerFile(container: Docker.Container, path: string): Promise<string | null> {
  const dir = await mkdtemp(join(tmpdir(), 'errand-read-'));
  try {
    const archive = await container.getArchive({ path }).catch(() => null);
    if (!archive) return null;
    await new Promise<void>((resolve, reject) => {
      const sink = extract(dir, { ignore: (_name, header) => header?.type !== 'file' });
      archive.pipe(sink).on('finish', resolve).on('error', reject);
      archive.on('error', reject);
    });
    return await readFile(join(dir, path.split('/').pop()!), 'utf8').catch(() => null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ContainerFile {
  /** Absolute path in the container. */
  path: string;
  /** Content for a file; absent for a directory. */
  content?: string;
  mode: number;
  uid: number;
  gid: number;
}

/** Writes files and directories into a container with the given owners, without running anything in it. */
export async function writeContainerFiles(container: Docker.Container, files: ContainerFile[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'errand-write-'));
  try {
    const byName = new Map<string, ContainerFile>();
    for (const file of files) {
      const name = file.path.replace(/^\/+/, '');
      byName.set(name, file);
      const local = join(dir, name);
      if (file.content === undefined) {
        await mkdir(local, { recursive: true });
      } else {
        await mkdir(dirname(local), { recursive: true });
        await writeFile(local, file.content);
      }
    }
    const archive = pack(dir, {
      entries: [...byName.keys()],
      map: (header) => {
        const file = byName.get(header.name);
        if (file) Object.assign(header, { mode: file.mode, uid: file.uid, gid: file.gid, uname: '', gname: '' });
        return header;
      },
    });
    await container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: '/' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
