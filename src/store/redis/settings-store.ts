import type { Redis } from 'ioredis';
import { migrateSettings, Settings, type SettingsStore } from '../../core/index.js';
import type { Keys } from './keys.js';

/** Settings per workspace. Stored values are re-parsed so that fields added later get defaults. */
export class RedisSettingsStore implements SettingsStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly defaults: Partial<Settings> = {},
  ) {}

  async get(workspace: string): Promise<Settings> {
    const raw = await this.redis.get(this.keys.settings(workspace));
    const stored = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    return Settings.parse(migrateSettings({ ...this.defaults, ...stored }));
  }

  async set(workspace: string, settings: Settings): Promise<void> {
    await this.redis.set(this.keys.settings(workspace), JSON.stringify(Settings.parse(settings)));
  }
}
