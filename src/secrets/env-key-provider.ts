import { LocalKeyProvider } from './key-provider.js';
import { parseMasterKey } from './master-key.js';

/**
 * The master key from the environment: ERRAND_MASTER_KEY (current), and while rotating,
 * ERRAND_MASTER_KEY_PREVIOUS (comma-separated retired keys still accepted for decryption).
 * Without ERRAND_MASTER_KEY, storing a secret fails with a fix-it message and reading one fails closed.
 */
export class EnvKeyProvider extends LocalKeyProvider {
  // A record, not a weak type: Probot augments NodeJS.ProcessEnv, and a type with only optional keys
  // then has "no properties in common" with it.
  constructor(env: Record<string, string | undefined> = process.env) {
    const current = env.ERRAND_MASTER_KEY?.trim() ? parseMasterKey(env.ERRAND_MASTER_KEY, 'ERRAND_MASTER_KEY') : null;
    const previous = splitKeys(env.ERRAND_MASTER_KEY_PREVIOUS).map((text) => parseMasterKey(text, 'ERRAND_MASTER_KEY_PREVIOUS'));
    super(async () => ({ current, previous }), 'ERRAND_MASTER_KEY');
  }
}

export function splitKeys(text: string | undefined): string[] {
  return (text ?? '').split(/[,\s]+/).filter((part) => part.length > 0);
}
