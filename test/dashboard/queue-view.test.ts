import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'bullmq';
import { join } from 'node:path';
import { dashboardHarness, resultsDir, type DashboardHarness } from './harness.js';
import { waitFor } from '../support/wait.js';

let h: DashboardHarness;
beforeAll(async () => {
  h = await dashboardHarness();
});
afterAll(async () => {
  await h.close();
});

/** A run job that failed for good: a worker whose handler throws takes it once. */
async function failedJob(agentId: string): Promise<void> {
  const queue = h.errand.queue.queue;
  await queue.add('run', { agentId }, { jobId: agentId, attempts: 1 });
  const worker = new Worker(queue.name, async () => {
    throw new Error('docker engine went away');
  }, { connection: h.errand.redis, prefix: h.errand.stores.keys.queuePrefix() });
  try {
    await waitFor(async () => (await queue.getJob(agentId))?.failedReason === 'docker engine went away', { what: 'the job to fail' });
  } finally {
    await worker.close();
  }
}

describe('the queue view', () => {
  it('shows an admin the failed jobs of the run queue and retries one', async () => {
    await failedJob('agent-queue-view-1');
    const { context, page } = await h.context(h.keys.admin);
    try {
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`/admin/queues/queue/${h.errand.queue.queue.name}?status=failed`);
      await page.getByText('docker engine went away').first().waitFor();
      await page.screenshot({ path: join(resultsDir, 'queue-view-failed.png'), fullPage: true });
      await page.getByRole('button', { name: 'Retry all' }).click();
      // bull-board asks first, in a dialog of its own.
      const confirm = page.getByRole('button', { name: 'Confirm' });
      await confirm.waitFor({ state: 'visible', timeout: 5_000 }).then(() => confirm.click(), () => undefined);
      await waitFor(async () => (await (await h.errand.queue.queue.getJob('agent-queue-view-1'))?.getState()) === 'waiting', { what: 'the retried job to wait again' });
      // The webhook deliveries' queue is there too.
      await page.goto('/admin/queues');
      await page.getByText(h.errand.webhooks.queue.name).first().waitFor();
    } finally {
      await context.close();
    }
  });

  it('is refused to people who are not admins and sends signed-out visitors to sign in', async () => {
    const { context, page } = await h.context(h.keys.alice);
    try {
      const response = await page.goto('/admin/queues');
      expect(response?.status()).toBe(403);
      const api = await page.request.get('/admin/queues/api/queues');
      expect(api.status()).toBe(403);
    } finally {
      await context.close();
    }
    const signedOut = await fetch(`${h.url}/admin/queues`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toContain('/login');
  });
});
