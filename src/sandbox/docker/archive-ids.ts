import type Docker from 'dockerode';
import { extract, pack } from 'tar-stream';

/**
 * Under Docker's user-namespace remapping (20.10), `GET /containers/{id}/archive` reports owners as
 * host ids (the container's uid 1000 comes back as 101000), while `PUT …/archive` expects the
 * container's own ids and refuses the host ones ("Container ID 101000 cannot be mapped"). The offset
 * is read once per container from a file that is root's in every image.
 */
export async function remapOffset(container: Docker.Container): Promise<number> {
  const archive = await container.getArchive({ path: '/etc/passwd' }).catch(() => null);
  if (!archive) return 0;
  return new Promise<number>((resolve, reject) => {
    const reader = extract();
    let offset = 0;
    reader.on('entry', (header, stream, next) => {
      offset = header.uid ?? 0;
      stream.resume();
      next();
    });
    reader.on('finish', () => resolve(offset));
    reader.on('error', reject);
    archive.pipe(reader);
  });
}

/** Re-writes a tar stream's owners from host ids back to the container's (ids below the offset are kept). */
export function shiftOwners(archive: NodeJS.ReadableStream, offset: number): NodeJS.ReadableStream {
  const reader = extract();
  const writer = pack();
  const shift = (id = 0) => (id >= offset ? id - offset : id);
  reader.on('entry', (header, stream, next) => {
    const entry = writer.entry({ ...header, uid: shift(header.uid), gid: shift(header.gid) }, next);
    stream.pipe(entry);
  });
  reader.on('finish', () => writer.finalize());
  reader.on('error', (error) => writer.destroy(error));
  archive.on('error', (error: Error) => writer.destroy(error));
  archive.pipe(reader);
  return writer as unknown as NodeJS.ReadableStream;
}
