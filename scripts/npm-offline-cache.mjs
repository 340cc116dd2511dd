#!/usr/bin/env node
// Writes npm-cache.tar: the package tarballs package-lock.json names, taken from this machine's npm
// cache (run `npm ci` first), so `docker build` can run `npm ci --offline` where build containers
// have no network. Only for offline builds: on a machine whose builds reach the npm registry, the
// Dockerfile's `npm ci` downloads as usual and this file is not needed.
// Usage: node scripts/npm-offline-cache.mjs [--cache DIR] [--out FILE]
//        node scripts/npm-offline-cache.mjs --fill-resolved LOCKFILE   (the Dockerfile's offline step)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * npm finds a tarball in the cache by its integrity only when the lockfile also says where it comes
 * from (`resolved`); lockfiles written without it would make `npm ci --offline` ask the registry
 * for each package's metadata. This fills in the registry's tarball URL for every such entry.
 */
function fillResolved(lockfile) {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8'));
  const registry = 'https://registry.npmjs.org';
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path || entry.resolved || entry.link || !entry.integrity || !entry.version) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    entry.resolved = `${registry}/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
  }
  writeFileSync(lockfile, `${JSON.stringify(lock, null, 2)}\n`);
}

const fill = process.argv.indexOf('--fill-resolved');
if (fill >= 0) {
  fillResolved(resolve(process.argv[fill + 1]));
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const npmCache = () => spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim() || join(homedir(), '.npm');
const cache = resolve(option('--cache', npmCache()), '_cacache');
const out = resolve(option('--out', join(root, 'npm-cache.tar')));

const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const subset = mkdtempSync(join(tmpdir(), 'errand-npm-cache-'));
let copied = 0;
const missing = [];
try {
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!entry.integrity) continue;
    // npm finds a tarball by its integrity (cacache content-v2/<algo>/<hex digest split 2/2/rest>).
    const [algorithm, base64] = entry.integrity.split(/\s+/)[0].split(/-(.*)/s);
    const hex = Buffer.from(base64, 'base64').toString('hex');
    const file = join('content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    if (existsSync(join(subset, '_cacache', file))) continue;
    if (!existsSync(join(cache, file))) {
      // Optional packages for other platforms are never downloaded here, and never needed.
      if (!entry.optional) missing.push(path);
      continue;
    }
    mkdirSync(dirname(join(subset, '_cacache', file)), { recursive: true });
    cpSync(join(cache, file), join(subset, '_cacache', file));
    copied += 1;
  }
  if (missing.length > 0) {
    console.error(`${missing.length} packages are not in ${cache} (e.g. ${missing.slice(0, 3).join(', ')}): run \`npm ci\` first`);
    process.exit(1);
  }
  // Same content, same bytes: Docker reuses the `npm ci` layer while package-lock.json is unchanged.
  const tar = spawnSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', out, '-C', subset, '.'], { stdio: 'inherit' });
  if (tar.status !== 0) process.exit(tar.status ?? 1);
  console.log(`wrote ${out}: ${copied} package tarballs`);
} finally {
  rmSync(subset, { recursive: true, force: true });
}
