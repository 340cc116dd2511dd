import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** Files whose text matches, with the first matching line. */
function offenders(files: string[], pattern: RegExp): string[] {
  return files.flatMap((file) => {
    const line = readFileSync(join(root, file), 'utf8').split('\n').find((l) => pattern.test(l));
    return line ? [`${file}: ${line.trim()}`] : [];
  });
}

describe("one owner of Errand's state", () => {
  it('front ends and the engine hold no Redis client and build no key', () => {
    const files = [...sources('src/frontends'), ...sources('src/engine')];
    expect(files.length).toBeGreaterThan(50);
    expect(offenders(files, /from 'ioredis'|\bredis\s*[.(]|\bredis\??\s*:\s*(scripted)?redis\b|new Redis\b|\$\{[^}]*prefix[^}]*\}|\.(hset|hget|zadd|xadd|sadd|setex|getdel|expire|pexpire)\(/i)).toEqual([]);
  });

  it('only src/store, src/queue and src/redis import ioredis, and the engine no BullMQ type', () => {
    const outside = sources('src').filter((file) => !/^src\/(store|queue|redis)\//.test(file));
    expect(offenders(outside, /from 'ioredis'/)).toEqual([]);
    expect(offenders(sources('src/engine'), /from 'bullmq'/)).toEqual([]);
    expect(offenders(sources('src/frontends'), /from 'bullmq'/)).toEqual([]);
  });
});
