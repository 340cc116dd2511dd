import { assertArtifactName, type Agent, type ArtifactFile, type ArtifactInfo, type ArtifactStore } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/**
 * The files an agent left under `artifacts/`: a hash of name → `{size, updatedAt}` and a hash of
 * name → bytes, both living as long as the agent's record and deleted by `forget`. The worker's
 * collection bounds their count and size (core/artifacts.ts), so they fit Redis comfortably.
 */
export class RedisArtifactStore implements ArtifactStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  async replace(agent: Agent, files: ArtifactFile[]): Promise<void> {
    const index = this.keys.artifacts(agent.id);
    const data = this.keys.artifactData(agent.id);
    const fallbackMs = Math.max(1000, Date.parse(agent.expiresAt) - Date.now()) + expiryGraceSeconds * 1000;
    const tx = multi(this.redis);
    tx.del(index, data);
    for (const file of files) {
      tx.hset(index, file.name, JSON.stringify({ size: file.size, updatedAt: file.updatedAt }));
      tx.hset(data, file.name, file.content);
    }
    if (files.length > 0) tx.errandFollowAgent(...withKeys([this.keys.agent(agent.id), index, data], fallbackMs));
    await tx.exec();
  }

  async list(agentId: string): Promise<ArtifactInfo[]> {
    const raw = await this.redis.hgetall(this.keys.artifacts(agentId));
    return Object.entries(raw)
      .map(([name, json]) => ({ name, ...meta(json) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async read(agentId: string, name: string): Promise<ArtifactFile | null> {
    assertArtifactName(name);
    const [json, content] = await Promise.all([this.redis.hget(this.keys.artifacts(agentId), name), this.redis.hgetBuffer(this.keys.artifactData(agentId), name)]);
    if (json === null || content === null) return null;
    return { name, ...meta(json), content };
  }
}

function meta(json: string): { size: number; updatedAt: string } {
  try {
    const parsed = JSON.parse(json) as { size?: unknown; updatedAt?: unknown };
    return { size: typeof parsed.size === 'number' ? parsed.size : 0, updatedAt: typeof parsed.updatedAt === 'string' ? parsed.updatedAt : '' };
  } catch {
    return { size: 0, updatedAt: '' };
  }
}
