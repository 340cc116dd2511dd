import { ErrandError, type Agent } from '../../core/index.js';
import { open, seal, type KeyProvider, type SecretContext } from '../../secrets/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/**
 * Webhook signing secrets, one per agent. The HMAC needs the secret in clear when a webhook is
 * sent, so it cannot be hashed: it is sealed with the secrets module's envelope encryption (a data
 * key wrapped by the master key, bound to the agent) and kept beside, never inside, the agent
 * record; it expires with the agent. Without a master key, a launch with a secret is refused.
 */
export class WebhookSecretStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly keyProvider: KeyProvider,
  ) {}

  /** Throws not_configured with a fix-it message when secrets cannot be sealed on this server. */
  async assertAvailable(): Promise<void> {
    if ((await this.keyProvider.currentKeyId()) === null) {
      throw new ErrandError(
        'not_configured',
        'this server cannot keep webhook secrets: it has no master key. Ask its admin to set ERRAND_MASTER_KEY (`openssl rand -base64 32`), or launch without webhook.secret (deliveries are then unsigned)',
      );
    }
  }

  async set(agent: Agent, secret: string): Promise<void> {
    const sealed = await seal(secret, context(agent), this.keyProvider);
    // Lives as long as the agent's record; until that is stored, as long as the agent will.
    const fallbackMs = Math.max(1000, Date.parse(agent.expiresAt) - Date.now()) + expiryGraceSeconds * 1000;
    const tx = multi(this.redis);
    tx.set(this.key(agent.id), sealed);
    await tx.errandFollowAgent(...withKeys([this.keys.agent(agent.id), this.key(agent.id)], fallbackMs)).exec();
  }

  async get(agent: Agent): Promise<string | null> {
    const sealed = await this.redis.get(this.key(agent.id));
    return sealed === null ? null : open(sealed, context(agent), this.keyProvider);
  }

  async remove(agentId: string): Promise<void> {
    await this.redis.del(this.key(agentId));
  }

  private key(agentId: string): string {
    return this.keys.webhookSecret(agentId);
  }
}

function context(agent: Agent): SecretContext {
  return { workspace: agent.workspace, repo: null, name: `webhook:${agent.id}` };
}
