import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** Agent ids look like `ag_7k2m9x4p1q3r`: short enough to type into `errand attach`. */
export function newAgentId(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = random(12);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return `ag_${id}`;
}

export function isAgentId(value: string): boolean {
  return /^ag_[0-9a-hjkmnp-tv-z]{12}$/.test(value);
}

/** The part of the id that goes into branch names. */
export function shortId(agentId: string): string {
  return agentId.replace(/^ag_/, '').slice(0, 6);
}
