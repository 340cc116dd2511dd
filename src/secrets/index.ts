import { EnvKeyProvider } from './env-key-provider.js';
import { FileKeyProvider } from './file-key-provider.js';
import type { KeyProvider } from './key-provider.js';

export { EnvKeyProvider, splitKeys } from './env-key-provider.js';
export { Envelope, envelopeKeyId, open, rewrap, seal, type SecretContext } from './envelope.js';
export { FileKeyProvider } from './file-key-provider.js';
export { LocalKeyProvider, type KeyProvider, type MasterKeys, type WrappedKey } from './key-provider.js';
export { masterKeyId, parseMasterKey } from './master-key.js';
export { signingKey } from './signing-key.js';

/** ERRAND_MASTER_KEY_FILE wins over ERRAND_MASTER_KEY; with neither, secrets are off (and fail closed). */
export function keyProviderFromConfig(config: { masterKey?: string | undefined; masterKeyFile?: string | undefined; masterKeyPrevious?: string | undefined }): KeyProvider {
  if (config.masterKeyFile) return new FileKeyProvider(config.masterKeyFile);
  return new EnvKeyProvider({ ERRAND_MASTER_KEY: config.masterKey, ERRAND_MASTER_KEY_PREVIOUS: config.masterKeyPrevious });
}
