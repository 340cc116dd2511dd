import { cpSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';

/**
 * A test image with node and npm: the base image plus this machine's own node binary and npm,
 * copied in through the build context (no network needed). Labelled with the test's repository so
 * the test bed removes it.
 */
export async function buildNodeImage(docker: Docker, repo: string): Promise<string> {
  const tag = `errand-test-node:${repo.split('-').pop()}`;
  const context = mkdtempSync(join(tmpdir(), 'errand-node-image-'));
  try {
    cpSync(process.execPath, join(context, 'node'));
    const npmCli = realpathSync(join(dirname(process.execPath), 'npm'));
    cpSync(join(dirname(npmCli), '..'), join(context, 'npm'), { recursive: true });
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        'FROM errand-base:bookworm',
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version && npm --version',
        '',
      ].join('\n'),
    );
    const stream = await docker.buildImage(tar.pack(context) as unknown as NodeJS.ReadableStream, { t: tag, networkmode: 'none', labels: { 'errand.repo': repo } });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
        const failed = error ?? output.find((entry) => entry.error);
        if (failed) reject(failed instanceof Error ? failed : new Error(failed.error));
        else resolve();
      }),
    );
    return tag;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
