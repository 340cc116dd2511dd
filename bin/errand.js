#!/usr/bin/env node
// Runs the compiled CLI from dist/ when `npm run build` made one (production, the Docker image);
// otherwise the TypeScript sources through tsx, so `errand` works from a clone without a build step.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
