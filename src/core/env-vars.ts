import { ErrandError } from './errors.js';

/** Session environment variables given at launch: bounded, and never named like Errand's own. */
export const envVarLimits = {
  maxCount: 50,
  maxNameChars: 128,
  maxValueBytes: 16 * 1024,
  maxTotalBytes: 64 * 1024,
} as const;

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks launch `envVars`: names like shell variables, none starting with `ERRAND_` (Errand's own
 * configuration and the machine's), bounded count and sizes. Messages name the variable, never
 * its value.
 */
export function assertEnvVars(vars: Record<string, string>): void {
  const entries = Object.entries(vars);
  if (entries.length > envVarLimits.maxCount) {
    throw new ErrandError('invalid_request', `envVars: at most ${envVarLimits.maxCount} variables, got ${entries.length}`);
  }
  let total = 0;
  for (const [name, value] of entries) {
    if (name.length > envVarLimits.maxNameChars || !namePattern.test(name)) {
      throw new ErrandError('invalid_request', `envVars: \`${name.slice(0, 64)}\` is not a valid variable name (letters, digits and _, not starting with a digit)`);
    }
    if (name.toUpperCase().startsWith('ERRAND_')) {
      throw new ErrandError('invalid_request', `envVars: \`${name}\` is refused: names starting with ERRAND_ are reserved for Errand`);
    }
    if (typeof value !== 'string') throw new ErrandError('invalid_request', `envVars: the value of \`${name}\` must be a string`);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > envVarLimits.maxValueBytes) {
      throw new ErrandError('invalid_request', `envVars: the value of \`${name}\` is ${bytes} bytes; at most ${envVarLimits.maxValueBytes}`);
    }
    total += bytes + name.length;
  }
  if (total > envVarLimits.maxTotalBytes) {
    throw new ErrandError('invalid_request', `envVars: ${total} bytes in all; at most ${envVarLimits.maxTotalBytes}`);
  }
}
