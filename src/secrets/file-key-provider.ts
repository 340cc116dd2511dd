import { readFile } from 'node:fs/promises';
import { ErrandError } from '../core/index.js';
import { LocalKeyProvider } from './key-provider.js';
import { masterKeyBytes, parseMasterKey } from './master-key.js';

/**
 * The master key from a file (a Docker or Kubernetes secret mount, say): 32 raw bytes, or the key
 * as base64 or hex text. Retired keys for rotation may follow on further lines, one per line:
 * the first line is the current key. Read on first use; a missing file fails closed.
 */
export class FileKeyProvider extends LocalKeyProvider {
  constructor(readonly path: string) {
    super(() => loadKeyFile(path), `the key file ${path} (ERRAND_MASTER_KEY_FILE)`);
  }
}

async function loadKeyFile(path: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ErrandError('not_configured', `cannot read the master key file ${path}: check ERRAND_MASTER_KEY_FILE and the file's permissions`, { cause: error });
  }
  const source = `the master key file ${path}`;
  if (bytes.length === masterKeyBytes && !/^[\x20-\x7e]+$/.test(bytes.toString('latin1'))) return { current: bytes, previous: [] };
  const [first, ...rest] = bytes
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  if (!first) throw new ErrandError('not_configured', `${source} is empty; write a key into it with \`openssl rand -base64 32 > ${path}\``);
  return { current: parseMasterKey(first, source), previous: rest.map((line) => parseMasterKey(line, source)) };
}
