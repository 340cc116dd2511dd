import { readFileSync } from 'node:fs';
import { z } from 'zod';

const PackageJson = z.looseObject({ version: z.string() });

/** Errand's version from package.json, which sits two levels up from both src/cli and dist/cli. */
export function errandVersion(): string {
  return PackageJson.parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))).version;
}
