import type { CoreContext } from '../context.js';
import { egressFromConfig } from '../egress/from-config.js';
import { repoHostsFromConfig } from '../git/repo-hosts.js';
import { createDockerSandbox } from '../sandbox/docker/index.js';
import type { EngineDeps } from './agent-run.js';
import { ProviderRegistry } from './providers/index.js';
import { measuredModels } from './providers/measured.js';
import { WarmRuns } from './warm-runs.js';

/**
 * The worker's engine from configuration: model providers (checked now, so a wrong ERRAND_MODEL
 * stops the boot with a fix-it message), the Docker sandbox, repo hosts and the secret store.
 * Every model key and push token is registered with the scrubber.
 */
export function createEngine(core: CoreContext): EngineDeps {
  const { config, log, scrubber, stores } = core;
  const models = new ProviderRegistry({ config, log: log.child({ component: 'models' }) });
  models.check();
  for (const key of models.apiKeys()) scrubber.add(key);
  const sandbox = createDockerSandbox(config, log, core.instance);
  const egress = egressFromConfig(config, core.redisUrl, log);
  const warmRuns = new WarmRuns({ dataDir: config.dataDir, egress: egress.egress, log });
  sandbox.onIdleStopped((agentId) => warmRuns.stopped(agentId));
  return {
    agents: core.agents,
    store: stores.agents,
    events: stores.events,
    inbox: stores.inbox,
    history: stores.history,
    diffs: stores.diffs,
    models: measuredModels(models, core.metrics),
    metrics: core.metrics,
    sandbox,
    warmRuns,
    repoHosts: repoHostsFromConfig(config, { log, clock: core.clock, onToken: (token) => scrubber.add(token), metrics: core.metrics }),
    secrets: stores.secrets ?? null,
    sessionEnv: stores.sessionEnv ?? null,
    artifacts: stores.artifacts,
    runLeases: stores.runLeases,
    workspaceSettings: stores.settings,
    ...egress,
    scrubber,
    settings: {
      dataDir: config.dataDir,
      limits: { maxSteps: config.maxSteps, maxMs: config.maxMinutes * 60_000, maxTokens: config.maxTokens ?? null },
      commandTimeoutMs: config.commandTimeoutSeconds * 1000,
      bot: { name: config.gitAuthorName, email: config.gitAuthorEmail },
      publicUrl: config.publicUrl,
      leaseMs: config.stalledIntervalMs,
    },
  };
}
