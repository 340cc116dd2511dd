import { loadConfig } from '../src/config.js';
import { resolveInstance } from '../src/instance.js';

describe('ERRAND_INSTANCE', () => {
  it('is taken as given when set', () => {
    expect(resolveInstance(loadConfig({ ERRAND_INSTANCE: 'errand-staging' }))).toBe('errand-staging');
  });

  it('refuses a name that cannot be a key prefix or label, naming the variable', () => {
    expect(() => loadConfig({ ERRAND_INSTANCE: 'Prod:1' })).toThrow(/ERRAND_INSTANCE: must be 1 to 40 lower-case letters, digits or dashes/);
  });

  it('differs between two installs with their own data directories, so they never share one by accident', () => {
    const one = resolveInstance(loadConfig({ ERRAND_DATA_DIR: '/srv/errand-prod/.errand-data' }));
    const two = resolveInstance(loadConfig({ ERRAND_DATA_DIR: '/home/dev/errand/.errand-data' }));
    expect(one).toMatch(/^errand-[0-9a-f]{10}$/);
    expect(two).not.toBe(one);
  });

  it('is the same for every process of one install on a shared Redis, whatever its password or data dir', () => {
    const web = resolveInstance(loadConfig({ REDIS_URL: 'redis://:secret1@redis.internal:6379/0', ERRAND_DATA_DIR: '/a' }));
    const worker = resolveInstance(loadConfig({ REDIS_URL: 'redis://redis.internal:6379', ERRAND_DATA_DIR: '/b' }));
    const otherDb = resolveInstance(loadConfig({ REDIS_URL: 'redis://redis.internal:6379/1' }));
    expect(worker).toBe(web);
    expect(otherDb).not.toBe(web);
  });
});
