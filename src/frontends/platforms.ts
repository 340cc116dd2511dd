import type { CoreContext } from '../context.js';
import { GitHubTriggerQueue } from '../queue/github-trigger-queue.js';
import { SlackTriggerQueue } from '../queue/slack-trigger-queue.js';
import { GitHubFrontend } from './github/frontend.js';
import { createSlackFrontend, type SlackFrontend } from './slack/slack-frontend.js';

/**
 * The Slack and GitHub front ends as configured, with their trigger queues: the web role answers
 * requests with them, the worker role runs the queued jobs with them (both need the same
 * SLACK_* / GITHUB_* settings), `all` does both. Each is null when its platform is not configured.
 */
export interface Platforms {
  slack: { frontend: SlackFrontend; triggers: SlackTriggerQueue } | null;
  github: { frontend: GitHubFrontend; triggers: GitHubTriggerQueue } | null;
}

/** `jobConcurrency`: trigger jobs run at once per platform in this process (queue defaults when unset). */
export async function createPlatforms(errand: CoreContext, options: { jobConcurrency?: number } = {}): Promise<Platforms> {
  const { config, stores } = errand;
  const prefix = stores.keys.queuePrefix();
  const concurrency = options.jobConcurrency !== undefined ? { concurrency: options.jobConcurrency } : {};
  let slack: Platforms['slack'] = null;
  if (config.slackBotToken && (config.slackSigningSecret || config.slackAppToken)) {
    const triggers = new SlackTriggerQueue(errand.redis, prefix, concurrency);
    const frontend = await createSlackFrontend({
      botToken: config.slackBotToken,
      signingSecret: config.slackSigningSecret,
      appToken: config.slackAppToken,
      apiUrl: config.slackApiUrl,
      publicUrl: config.publicUrl,
      agents: errand.agents,
      settings: stores.settings,
      settingsAdmin: errand.settings,
      dedup: stores.dedup,
      state: stores.slack,
      triggers,
      log: errand.log,
      metrics: errand.metrics,
    }).catch(async (error: unknown) => {
      await triggers.close();
      throw error;
    });
    slack = { frontend, triggers };
  }
  let github: Platforms['github'] = null;
  if (config.githubAppId && config.githubPrivateKey && config.githubWebhookSecret) {
    const triggers = new GitHubTriggerQueue(errand.redis, prefix, concurrency);
    const frontend = new GitHubFrontend({
      triggers,
      appId: config.githubAppId,
      privateKey: config.githubPrivateKey,
      webhookSecret: config.githubWebhookSecret,
      apiUrl: config.githubApiUrl,
      trigger: config.githubTrigger,
      agents: errand.agents,
      dedup: stores.dedup,
      settings: stores.settings,
      tracking: stores.githubTracking,
      claims: stores.leases,
      scrubber: errand.scrubber,
      log: errand.log,
      publicUrl: config.publicUrl,
      metrics: errand.metrics,
    });
    github = { frontend, triggers };
  }
  return { slack, github };
}

/** Runs the platforms' queued trigger jobs in this process (the worker role, or `all`). */
export async function startTriggerJobs(platforms: Platforms): Promise<void> {
  await platforms.slack?.frontend.startJobs();
  await platforms.github?.frontend.startJobs();
}

/**
 * The platforms' shutdown steps, in the order they are registered with `onClose` (which runs them
 * newest first): each trigger worker stops taking jobs and lets the ones in hand finish, then
 * the writes they started finish, and the queues close.
 */
export function platformStops(platforms: Platforms): (() => Promise<void>)[] {
  const stops: (() => Promise<void>)[] = [];
  if (platforms.slack) {
    const { frontend, triggers } = platforms.slack;
    stops.push(() => frontend.stop(), () => triggers.close());
  }
  if (platforms.github) {
    const { frontend, triggers } = platforms.github;
    stops.push(() => frontend.idle(), () => triggers.close());
  }
  return stops;
}
