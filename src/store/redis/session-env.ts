import { ErrandError, type Agent, type SessionEnvStore } from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import { open, seal, type KeyProvider, type SecretContext } from '../../secrets/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/**
 * Launch `envVars`, one sealed envelope per agent (the JSON of the whole map, under a data key
 * bound to the agent), beside the agent's record and living as long as it; `forget` deletes it
 * with the agent's other keys. Every value read back is taught to the scrubber.
 */
export class RedisSessionEnvStore implements SessionEnvStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly keyProvider: KeyProvider,
    private readonly scrubber: Scrubber | undefined,
  ) {}

  async assertAvailable(): Promise<void> {
    if ((await this.keyProvider.currentKeyId()) === null) {
      throw new ErrandError('not_configured', 'this server cannot keep envVars: it has no master key. Ask its admin to set ERRAND_MASTER_KEY (`openssl rand -base64 32`), or launch without envVars');
    }
  }

  async set(agent: Agent, vars: Record<string, string>): Promise<void> {
    for (const value of Object.values(vars)) this.scrubber?.add(value);
    const sealed = await seal(JSON.stringify(vars), context(agent), this.keyProvider);
    const fallbackMs = Math.max(1000, Date.parse(agent.expiresAt) - Date.now()) + expiryGraceSeconds * 1000;
    const tx = multi(this.redis);
    tx.set(this.keys.sessionEnv(agent.id), sealed);
    await tx.errandFollowAgent(...withKeys([this.keys.agent(agent.id), this.keys.sessionEnv(agent.id)], fallbackMs)).exec();
  }

  async get(agent: Agent): Promise<Record<string, string>> {
    const sealed = await this.redis.get(this.keys.sessionEnv(agent.id));
    if (sealed === null) {
      if (agent.envVarNames?.length) throw new ErrandError('secret_unreadable', `the envVars of agent ${agent.id} are gone from the store`);
      return {};
    }
    const parsed: unknown = JSON.parse(await open(sealed, context(agent), this.keyProvider));
    const vars: Record<string, string> = {};
    if (typeof parsed === 'object' && parsed !== null) {
      for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') vars[name] = value;
    }
    for (const value of Object.values(vars)) this.scrubber?.add(value);
    return vars;
  }
}

function context(agent: Agent): SecretContext {
  return { workspace: agent.workspace, repo: null, name: `env:${agent.id}` };
}
