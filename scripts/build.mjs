#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json) and copies every file that
// is read at run time by path (anything under src/ that is not TypeScript, e.g. the dashboard's
// assets) next to the compiled code, so `node bin/errand.js` runs from dist/ alone.
// Usage: node scripts/build.mjs [--out-dir DIR] [other tsc flags, e.g. --noCheck]
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--out-dir');
const outDir = resolve(at >= 0 ? args.splice(at, 2)[1] : join(root, 'dist'));

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, ...args], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const src = join(root, 'src');
let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(outDir, relative(src, from)));
  copied += 1;
}
console.log(`built ${relative(process.cwd(), outDir) || '.'} (${copied} asset files copied)`);
