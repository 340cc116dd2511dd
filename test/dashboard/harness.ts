import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { systemClock, type Agent, type AgentEvent } from '../../src/core/index.js';
import { ApiKeyStore } from '../../src/frontends/http/api/index.js';
import { startErrand, type Errand } from '../../src/main.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { deleteKeys, testRedis, testRedisUrl, uniqueInstance } from '../support/redis.js';

/** Debian's chromium (scripts/setup.sh installs it); a missing browser fails the suite, it never skips. */
export const chromiumPath = process.env['ERRAND_CHROMIUM'] ?? '/usr/bin/chromium';
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const resultsDir = join(process.cwd(), 'test-results');

export interface DashboardHarness {
  errand: Errand;
  url: string;
  prefix: string;
  scrubber: Scrubber;
  browser: Browser;
  keys: { admin: string; alice: string; bob: string };
  /** A fresh browser profile (no cookies), optionally signed in with a key. */
  context(key?: string, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  /** Moves the agent through statuses and events, as the worker would. */
  drive(agentId: string, ...steps: (Agent['status'] | AgentEvent | { status: Agent['status']; patch: Partial<Agent> })[]): Promise<void>;
  close(): Promise<void>;
}

/** A real Errand (role web) on a real Redis, and a headless Chromium to drive its dashboard. */
export async function dashboardHarness(): Promise<DashboardHarness> {
  const instance = uniqueInstance('dash');
  const prefix = `${instance}:`;
  const scrubber = new Scrubber();
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    ERRAND_ROLE: 'web',
    ERRAND_HOST: '127.0.0.1',
    PORT: '0',
    ERRAND_MODEL: 'openai:test-model',
    ERRAND_MODELS: 'openai:test-large',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    // owner/name repositories pass the launch check only with a GitHub App configured (web role: no call is made).
    GITHUB_APP_ID: '1',
    GITHUB_PRIVATE_KEY: 'not-used-in-the-web-role',
    GITHUB_WEBHOOK_SECRET: 'not-used-by-these-tests',
    ERRAND_MASTER_KEY: randomBytes(32).toString('hex'),
    ERRAND_DATA_DIR: mkdtempSync(join(tmpdir(), 'errand-dash-')),
    LOG_LEVEL: 'silent',
  });
  const errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber, instance });
  const url = errand.http!.url;
  const keyStore = new ApiKeyStore(errand.stores.apiKeys, systemClock);
  const keys = {
    admin: (await keyStore.create({ name: 'root', admin: true, ownerName: 'Root Admin' })).key,
    alice: (await keyStore.create({ name: 'alice', ownerName: 'Alice' })).key,
    bob: (await keyStore.create({ name: 'bob', ownerName: 'Bob' })).key,
  };
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  mkdirSync(resultsDir, { recursive: true });

  return {
    errand, url, prefix, scrubber, browser, keys,
    async context(key, viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport, baseURL: url });
      const page = await context.newPage();
      if (key) {
        await page.goto('/login');
        await page.getByLabel('API key').fill(key);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${url}/`);
      }
      return { context, page };
    },
    async drive(agentId, ...steps) {
      for (const step of steps) {
        if (typeof step === 'string') await errand.agents.transition(agentId, step);
        else if ('status' in step && 'patch' in step) await errand.agents.transition(agentId, step.status, { patch: step.patch });
        else await errand.stores.events.append(agentId, step as AgentEvent);
      }
    },
    async close() {
      await browser.close();
      await errand.stop();
      const redis = await testRedis();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
