import { ErrandError } from './errors.js';

/** The folder under /workspace whose files are collected after each run (never committed). */
export const artifactsFolder = 'artifacts';

/** One collected file, as listed: its path under the artifacts folder, size in bytes and time of collection. */
export interface ArtifactInfo {
  name: string;
  size: number;
  updatedAt: string;
}

export interface ArtifactFile extends ArtifactInfo {
  content: Buffer;
}

/** What one agent may keep: files past these are skipped and named in a warning. */
export const artifactLimits = {
  maxFiles: 50,
  maxFileBytes: 10 * 1024 * 1024,
  maxTotalBytes: 25 * 1024 * 1024,
} as const;

/**
 * A name an artifact may have: a relative `/`-separated path without `.` or `..` segments,
 * control characters or backslashes. Names come from the agent's container, so they are checked
 * before they become store fields or URL paths.
 */
export function isArtifactName(name: string): boolean {
  if (name.length === 0 || name.length > 300 || name.startsWith('/') || name.endsWith('/')) return false;
  if (/[\u0000-\u001f\u007f\\]/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function assertArtifactName(name: string): void {
  if (!isArtifactName(name)) throw new ErrandError('not_found', 'no such artifact');
}
