import type { Request } from 'express';
import type { z } from 'zod';
import {
  ErrandError,
  isAdmin,
  mayFollowUp,
  samePrincipal,
  type Agent,
  type ArtifactStore,
  type AgentService,
  type AuditLog,
  type EventLog,
  type Log,
  type ModelRegistry,
  type Sandbox,
  type SecretsService,
  type SettingsService,
  type NetworkSupply,
} from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import type { ApiCaller } from './auth.js';
import { invalidBody } from './errors.js';
import type { WebhookSecretStore } from '../../../store/redis/webhook-secrets.js';
import type { RedisAgentRuns } from '../../../store/redis/agent-runs.js';
import type { RepositoryLister, UnlistedHost } from './repositories.js';
import type { PullRequestLookup } from './pull-request-launch.js';
import type { WebhookUrlPolicy } from './webhook-url.js';
import type { ArtifactUrlSigner } from './artifact-urls.js';

/** What the API's routes need; all of it comes from the core or Errand's own stores. */
export interface ApiContext {
  agents: AgentService;
  events: EventLog;
  settings: SettingsService;
  /** Null when this server has no secret store. */
  secrets: SecretsService | null;
  audit: AuditLog;
  webhookSecrets: WebhookSecretStore;
  /** Null when no model registry is wired (then `model` is checked by the worker only). */
  models: ModelRegistry | null;
  scrubber: Scrubber;
  log: Log;
  /** ERRAND_PUBLIC_URL; else links use the address the request came in on. */
  publicUrl?: string;
  networkSupply: NetworkSupply;
  heartbeatMs: number;
  webhookUrlPolicy: WebhookUrlPolicy;
  /** Saves agents' machines as snapshots (`POST /v0/agents/:id/snapshot`); null without Docker access. */
  machines: Pick<Sandbox, 'snapshot'> | null;
  /** API v1's runs and archive flags. */
  runs: RedisAgentRuns;
  /** The repositories the configured hosts make available (cached). */
  repositories: RepositoryLister;
  /** Reads pull requests for `prUrl` launches; null without a GitHub App. */
  pullRequests: PullRequestLookup | null;
  /** Configured plain git hosts that cannot be listed (named in the repositories answer). */
  unlistedHosts: readonly UnlistedHost[];
  /** Signs and checks artifact download links. */
  artifactUrls: ArtifactUrlSigner;
  /** Serves artifact downloads. */
  artifactStore: ArtifactStore;
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.infer<T> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw invalidBody(result.error, where);
  return result.data;
}

export function baseUrlOf(ctx: ApiContext, req: Request): string {
  return (ctx.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
}

/** A platform admin (the key's flag) or listed in the workspace's `admins` setting. */
export async function callerIsAdmin(ctx: ApiContext, caller: ApiCaller): Promise<boolean> {
  if (caller.key.admin) return true;
  return isAdmin(caller.principal, await ctx.settings.get(caller.key.workspace));
}

export async function requireAdmin(ctx: ApiContext, caller: ApiCaller, what: string): Promise<void> {
  if (await callerIsAdmin(ctx, caller)) return;
  throw new ErrandError('forbidden', `only admins can ${what}: use an admin key (\`errand keys create --name <you> --admin\` on the server), or ask an admin to add ${caller.key.ownerId} to \`admins\``);
}

/**
 * The agent if the caller may see it: their own, or any agent of their workspace for admins.
 * Anything else is "not found", so ids of other people's agents reveal nothing.
 */
export async function visibleAgent(ctx: ApiContext, caller: ApiCaller, id: string): Promise<Agent> {
  const agent = await ctx.agents.get(id);
  if (agent && agent.workspace === caller.key.workspace && (samePrincipal(agent.owner, caller.principal) || (await callerIsAdmin(ctx, caller)))) return agent;
  throw new ErrandError('not_found', `no agent ${id} (it may have expired or been deleted, or it is not yours)`);
}

/**
 * An agent the caller may follow up on or stop: their own, an admin's pick, or a teammate's when
 * the workspace's team follow-ups setting lets them (as in a Slack thread). Anything else is
 * "not found", like `visibleAgent`; the core checks the same policy again.
 */
export async function actionableAgent(ctx: ApiContext, caller: ApiCaller, id: string): Promise<Agent> {
  const agent = await ctx.agents.get(id);
  if (agent && agent.workspace === caller.key.workspace) {
    if (samePrincipal(agent.owner, caller.principal) || (await callerIsAdmin(ctx, caller))) return agent;
    if (mayFollowUp(caller.principal, agent, await ctx.settings.get(agent.workspace), caller.key.admin)) return agent;
  }
  throw new ErrandError('not_found', `no agent ${id} (it may have expired or been deleted, or it is not yours)`);
}
