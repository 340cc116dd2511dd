import type { Redis } from 'ioredis';
import { ErrandError, type Agent } from '../../core/index.js';
import { open, seal, type KeyProvider, type SecretContext } from '../../secrets/index.js';

/** Records outlive their agent by a day; so does the secret that signs its webhooks. */
const graceSeconds = 86_400;

/**
 * Webhook signing secrets, one per agent. The HMAC needs the secret in clear when a webhook is
 * sent, so it cannot be hashed: it is sealed with the secrets module's envelope encryption (a data
 * key wrapped by the master key, bound to the agent) and kept beside, never inside, the agent
 * record; it expires with the agent. Without a master key, a launch with a secret is refused.
 */
export class WebhookSecretStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
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
    const ttl = Math.max(1, Math.ceil((Date.parse(agent.expiresAt) - Date.now()) / 1000)) + graceSeconds;
    await this.redis.set(this.key(agent.id), sealed, 'EX', ttl);
  }

  async get(agent: Agent): Promise<string | null> {
    const sealed = await this.redis.get(this.key(agent.id));
    return sealed === null ? null : open(sealed, context(agent), this.keyProvider);
  }

  async remove(agentId: string): Promise<void> {
    await this.redis.del(this.key(agentId));
  }

  private key(agentId: string): string {
    return `${this.prefix}webhook-secret:${agentId}`;
  }
}

function context(agent: Agent): SecretContext {
  return { workspace: agent.workspace, repo: null, name: `webhook:${agent.id}` };
}
