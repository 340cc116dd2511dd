import { extract } from 'tar-stream';
import { artifactLimits, artifactsFolder, isArtifactName, type ArtifactFile, type SandboxHandle } from '../core/index.js';

export interface CollectedArtifacts {
  files: ArtifactFile[];
  /** Files left out, with why (too many, too big, odd names, links). */
  skipped: string[];
}

/**
 * Reads `/workspace/artifacts` out of the agent's container: regular files only (links and
 * devices are skipped, never followed), bounded by count, file size and total size. An absent
 * folder is no artifacts. Entries are read from the archive stream as they come, so nothing past
 * the bounds is buffered.
 */
export async function collectArtifacts(handle: SandboxHandle, now: Date): Promise<CollectedArtifacts> {
  const folder = `${handle.workdir}/${artifactsFolder}`;
  const probe = await handle.exec(`[ -d ${folder} ] && [ ! -L ${folder} ] && echo yes || echo no`, { cwd: '/', timeoutMs: 15_000 });
  if (probe.output.trim() !== 'yes') return { files: [], skipped: [] };
  const stream = await handle.readArchive(folder);
  const files: ArtifactFile[] = [];
  const skipped: string[] = [];
  let total = 0;
  const updatedAt = now.toISOString();
  const tar = extract();
  await new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, entry, next) => {
      // Docker's archive of `/workspace/artifacts` puts everything under `artifacts/`.
      const name = header.name.replace(/^\.?\/?[^/]+\/?/, '');
      const drain = (why?: string) => {
        if (why) skipped.push(why);
        entry.on('end', next);
        entry.resume();
      };
      if (header.type !== 'file') return drain(header.type === 'directory' || name === '' ? undefined : `${name} (not a regular file)`);
      if (!isArtifactName(name)) return drain(`${name.slice(0, 100)} (name not allowed)`);
      const size = header.size ?? 0;
      if (files.length >= artifactLimits.maxFiles) return drain(`${name} (more than ${artifactLimits.maxFiles} files)`);
      if (size > artifactLimits.maxFileBytes) return drain(`${name} (over ${artifactLimits.maxFileBytes / 1024 / 1024} MB)`);
      if (total + size > artifactLimits.maxTotalBytes) return drain(`${name} (over ${artifactLimits.maxTotalBytes / 1024 / 1024} MB in all)`);
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      entry.on('end', () => {
        const content = Buffer.concat(chunks);
        total += content.length;
        files.push({ name, size: content.length, updatedAt, content });
        next();
      });
      entry.on('error', reject);
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    stream.on('error', reject);
    stream.pipe(tar);
  });
  files.sort((a, b) => a.name.localeCompare(b.name));
  return { files, skipped };
}

/** "Artifacts: report.md (2 KB), shot.png (40 KB)" for the summary; null when there are none. */
export function artifactsLine(files: Pick<ArtifactFile, 'name' | 'size'>[], agentId: string): string | null {
  if (files.length === 0) return null;
  const shown = files.slice(0, 10).map((file) => `${file.name} (${humanSize(file.size)})`);
  const more = files.length > 10 ? `, … ${files.length - 10} more` : '';
  return `Artifacts: ${shown.join(', ')}${more}. Download links: GET /v0/agents/${agentId}/artifacts.`;
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
