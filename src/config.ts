import { z } from 'zod';
import { Instance } from './instance.js';

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const masterKeyPattern = /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/;
const masterKeysPattern = /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)(?:\s*,\s*(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?))*$/;
const masterKeyHint = 'must be a 32-byte key as base64 (44 characters) or hex (64 digits); make one with `openssl rand -base64 32`';
const port = z.coerce.number().int().min(0).max(65535);
const bool = z.preprocess(
  (v) => (typeof v === 'string' ? (/^(1|true|yes|on)$/i.test(v) ? true : /^(0|false|no|off)$/i.test(v) ? false : v) : v),
  z.boolean(),
);

const csv = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)).optional(),
);

/**
 * A named OpenAI-compatible (or Anthropic-shaped) endpoint, so `ollama:llama3.1` can point at
 * another server than `openai:`. The key is never written here: `apiKeyEnv` names the variable
 * holding it (left out for local servers that need none).
 */
export const ModelEndpoint = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:11434/v1' }),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, e.g. OPENROUTER_API_KEY, not the key itself').optional(),
  api: z.enum(['openai', 'anthropic']).default('openai'),
  /** Models to offer in `GET /v0/models`, without the prefix. */
  models: z.array(z.string().min(1)).default([]),
});
export type ModelEndpoint = z.infer<typeof ModelEndpoint>;

export const ModelEndpoints = z.record(z.string(), ModelEndpoint).superRefine((endpoints, ctx) => {
  for (const name of Object.keys(endpoints)) {
    if (name === 'openai' || name === 'anthropic') {
      ctx.addIssue({ code: 'custom', path: [name], message: `${name} is built in: set ${name.toUpperCase()}_BASE_URL instead` });
    } else if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'endpoint names are lower-case letters, digits, - and _ (the prefix in "name:model")' });
    }
  }
});
export type ModelEndpoints = z.infer<typeof ModelEndpoints>;

const modelEndpoints = z
  .preprocess(emptyToUndefined, z.string().optional())
  .transform((text, ctx): unknown => {
    if (text === undefined) return {};
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON, expected e.g. {"ollama":{"baseUrl":"http://127.0.0.1:11434/v1"}}' });
      return z.NEVER;
    }
  })
  .pipe(ModelEndpoints);

/**
 * Every setting, from environment variables. Parsed once at boot; a wrong value stops the process
 * with one message naming the variable. Integrations left unset are off, not errors.
 */
export const Config = z.object({
  role: z.enum(['all', 'web', 'worker']).default('all'),
  host: z.string().default('127.0.0.1'),
  port: port.default(3000),
  /** The address people and platforms reach Errand at, for links in Slack and GitHub. */
  publicUrl: z.preprocess(emptyToUndefined, z.url().optional()),
  redisUrl: z.preprocess(emptyToUndefined, z.url({ protocol: /^rediss?$/ }).optional()),
  dataDir: z.string().default('.errand-data'),
  /** This install's name: Redis key prefix and container label; unset, derived (see instance.ts). */
  instance: z.preprocess(emptyToUndefined, Instance.optional()),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines on a terminal, JSON otherwise. */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Bearer token `/metrics` asks for; unset, only loopback clients may scrape. */
  metricsToken: optionalString,
  /** The worker role's port for /healthz, /readyz and /metrics (the web role uses PORT). */
  healthPort: port.default(3001),
  retentionDays: z.coerce.number().int().min(1).max(365).default(3),
  workerConcurrency: z.coerce.number().int().min(1).max(64).default(2),
  /** How often workers look for runs whose worker died; a run lease lives as long. */
  stalledIntervalMs: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** API requests per key and window (v0 and v1); 0 turns the limit off. */
  apiRateLimit: z.coerce.number().int().min(0).max(1_000_000).default(600),
  apiRateWindowSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
  dockerHost: optionalString,
  /** This worker's host name among several sharing one Redis; unset: the machine's hostname (plus DOCKER_HOST's hash when set). */
  workerHost: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" and "-", at most 64').optional()),
  baseImage: z.string().default('errand-machine:bookworm'),
  defaultModel: optionalString,
  openaiApiKey: optionalString,
  openaiBaseUrl: z.preprocess(emptyToUndefined, z.url().optional()),
  anthropicApiKey: optionalString,
  anthropicBaseUrl: z.preprocess(emptyToUndefined, z.url().optional()),
  /** Extra model endpoints by provider name; see docs/models.md. */
  modelEndpoints,
  /** `provider:model` names offered in `GET /v0/models`, besides the default. */
  models: csv.default([]),
  /** Retries of a model call on 429, 5xx and connection errors. */
  modelMaxRetries: z.coerce.number().int().min(0).max(10).default(4),
  /** Time allowed for one model call attempt. */
  modelTimeoutMs: z.coerce.number().int().min(1000).default(600_000),
  slackBotToken: z.preprocess(emptyToUndefined, z.string().regex(/^xoxb-/, 'must start with xoxb-').optional()),
  slackSigningSecret: optionalString,
  slackAppToken: z.preprocess(emptyToUndefined, z.string().regex(/^xapp-/, 'must start with xapp-').optional()),
  slackApiUrl: z.preprocess(emptyToUndefined, z.url().optional()),
  githubAppId: optionalString,
  githubPrivateKey: optionalString,
  githubWebhookSecret: optionalString,
  githubApiUrl: z.preprocess(emptyToUndefined, z.url().optional()),
  githubTrigger: z.string().default('@errand'),
  /** A token for plain git remotes (not GitHub App repos), sent only to URLs under gitTokenUrl. */
  gitToken: optionalString,
  gitTokenUrl: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  gitTokenUser: optionalString,
  /** Repositories of plain git hosts to list in `GET /v0|v1/repositories` (https URLs, comma-separated): such hosts have no listing API. */
  gitRepos: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z.array(z.url({ protocol: /^https?$/ }).refine((url) => !new URL(url).username && !new URL(url).password, 'must not carry credentials (the token goes in ERRAND_GIT_TOKEN)')).default([]),
  ),
  /** `allow`: admin API keys may launch agents on a path or file:// URL of this server (one person, own machine). */
  localRepos: z.preprocess(emptyToUndefined, z.enum(['allow', 'refuse']).default('refuse')),
  masterKey: z.preprocess(emptyToUndefined, z.string().trim().regex(masterKeyPattern, masterKeyHint).optional()),
  /** A file holding the master key (wins over masterKey); retired keys may follow, one per line. */
  masterKeyFile: optionalString,
  /** Retired master keys still accepted for decryption while rotating, comma-separated. */
  masterKeyPrevious: z.preprocess(emptyToUndefined, z.string().trim().regex(masterKeysPattern, masterKeyHint).optional()),
  /** Bootstrap admins: principal keys (`slack:T1:U2`) or bare ids/logins, comma-separated; seeds every workspace's `admins`. */
  admins: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string()).default([])),
  sandboxMemoryMb: z.coerce.number().int().min(64).default(4096),
  sandboxCpus: z.coerce.number().min(0.1).default(2),
  sandboxPids: z.coerce.number().int().min(16).default(1024),
  /** Size of /tmp (a tmpfs, also capped at half the memory) and, where the engine can, of the machine's disk. */
  sandboxDiskMb: z.coerce.number().int().min(64).default(10240),
  /** `none` (the default: agents reach the internet only through the egress proxy), `bridge` or a named network; `host` needs unsafeHostNetwork. */
  sandboxNetwork: z.string().default('none'),
  /** Seconds an agent's machine stays running after its run ends, so a follow-up finds it as it was; 0 stops it at once. */
  machineIdleSeconds: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Idle machines a worker keeps running at once; beyond it the one idle longest is stopped. */
  machineWarmMax: z.coerce.number().int().min(0).max(1000).default(10),
  /** Pre-started machines kept per workspace, repository, image and user, so a launch skips create and start; 0 turns the pool off. */
  machinePoolSize: z.coerce.number().int().min(0).max(20).default(1),
  /** Unclaimed pool machines of this install at most (all repositories together). */
  machinePoolMax: z.coerce.number().int().min(0).max(200).default(4),
  /** Seconds an unclaimed pool machine may wait before the reaper removes it. */
  machinePoolIdleSeconds: z.coerce.number().int().min(60).max(86_400).default(1800),
  /** Lets ERRAND_SANDBOX_NETWORK=host through: agents then reach everything the host reaches, Errand's Redis included. */
  unsafeHostNetwork: bool.default(false),
  /** Image of the egress sidecar (needs socat); empty: the base image. */
  egressImage: optionalString,
  /** `host:port` pairs (IP or name) on private networks agents may reach, e.g. a self-hosted registry. */
  egressAllowPrivate: csv.default([]),
  /** Connections one agent may hold open through the egress proxy at once. */
  egressMaxConnections: z.coerce.number().int().min(1).max(10_000).default(64),
  /** Seconds without traffic after which an egress connection is closed. */
  egressIdleTimeoutSeconds: z.coerce.number().int().min(1).max(24 * 3600).default(120),
  snapshotsKept: z.coerce.number().int().min(1).default(3),
  redisAutostart: bool.default(true),
  /** Refuse to start when a production check fails (Redis may evict keys or does not persist) instead of warning. */
  strict: bool.default(false),
  /** Model calls an agent may make in one run before it stops with `limit_reached`. */
  maxSteps: z.coerce.number().int().min(1).max(10_000).default(60),
  /** Wall-clock minutes one run of the agent loop may take. */
  maxMinutes: z.coerce.number().min(1).max(24 * 60).default(60),
  /** Input plus output tokens one run may use; unset means no token limit. */
  maxTokens: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1000).optional()),
  /** Longest a single `run` tool command may take, in seconds (the model may ask for less). */
  commandTimeoutSeconds: z.coerce.number().int().min(5).max(24 * 3600).default(600),
  /** The identity of Errand's commits (author and committer); the requester is a co-author. */
  gitAuthorName: z.string().min(1).default('Errand'),
  gitAuthorEmail: z.string().min(3).default('errand@users.noreply.github.com'),
});
export type Config = z.infer<typeof Config>;

/** Environment variable for each config key: `redisUrl` ← `REDIS_URL`, most others `ERRAND_*`. */
export const configEnv: Record<keyof Config, string> = {
  role: 'ERRAND_ROLE',
  host: 'ERRAND_HOST',
  port: 'PORT',
  publicUrl: 'ERRAND_PUBLIC_URL',
  redisUrl: 'REDIS_URL',
  dataDir: 'ERRAND_DATA_DIR',
  instance: 'ERRAND_INSTANCE',
  logLevel: 'LOG_LEVEL',
  logFormat: 'LOG_FORMAT',
  metricsToken: 'ERRAND_METRICS_TOKEN',
  healthPort: 'ERRAND_HEALTH_PORT',
  retentionDays: 'ERRAND_RETENTION_DAYS',
  workerConcurrency: 'ERRAND_WORKER_CONCURRENCY',
  stalledIntervalMs: 'ERRAND_STALLED_INTERVAL_MS',
  apiRateLimit: 'ERRAND_API_RATE_LIMIT',
  apiRateWindowSeconds: 'ERRAND_API_RATE_WINDOW_SECONDS',
  dockerHost: 'DOCKER_HOST',
  workerHost: 'ERRAND_WORKER_HOST',
  baseImage: 'ERRAND_BASE_IMAGE',
  defaultModel: 'ERRAND_MODEL',
  openaiApiKey: 'OPENAI_API_KEY',
  openaiBaseUrl: 'OPENAI_BASE_URL',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  anthropicBaseUrl: 'ANTHROPIC_BASE_URL',
  modelEndpoints: 'ERRAND_MODEL_ENDPOINTS',
  models: 'ERRAND_MODELS',
  modelMaxRetries: 'ERRAND_MODEL_MAX_RETRIES',
  modelTimeoutMs: 'ERRAND_MODEL_TIMEOUT_MS',
  slackBotToken: 'SLACK_BOT_TOKEN',
  slackSigningSecret: 'SLACK_SIGNING_SECRET',
  slackAppToken: 'SLACK_APP_TOKEN',
  slackApiUrl: 'SLACK_API_URL',
  githubAppId: 'GITHUB_APP_ID',
  githubPrivateKey: 'GITHUB_PRIVATE_KEY',
  githubWebhookSecret: 'GITHUB_WEBHOOK_SECRET',
  githubApiUrl: 'GITHUB_API_URL',
  githubTrigger: 'ERRAND_GITHUB_TRIGGER',
  gitToken: 'ERRAND_GIT_TOKEN',
  gitTokenUrl: 'ERRAND_GIT_TOKEN_URL',
  gitTokenUser: 'ERRAND_GIT_TOKEN_USER',
  gitRepos: 'ERRAND_GIT_REPOS',
  localRepos: 'ERRAND_LOCAL_REPOS',
  masterKey: 'ERRAND_MASTER_KEY',
  masterKeyFile: 'ERRAND_MASTER_KEY_FILE',
  masterKeyPrevious: 'ERRAND_MASTER_KEY_PREVIOUS',
  admins: 'ERRAND_ADMINS',
  sandboxMemoryMb: 'ERRAND_SANDBOX_MEMORY_MB',
  sandboxCpus: 'ERRAND_SANDBOX_CPUS',
  sandboxPids: 'ERRAND_SANDBOX_PIDS',
  sandboxDiskMb: 'ERRAND_SANDBOX_DISK_MB',
  sandboxNetwork: 'ERRAND_SANDBOX_NETWORK',
  machineIdleSeconds: 'ERRAND_MACHINE_IDLE_SECONDS',
  machineWarmMax: 'ERRAND_MACHINE_WARM_MAX',
  machinePoolSize: 'ERRAND_MACHINE_POOL_SIZE',
  machinePoolMax: 'ERRAND_MACHINE_POOL_MAX',
  machinePoolIdleSeconds: 'ERRAND_MACHINE_POOL_IDLE_SECONDS',
  unsafeHostNetwork: 'ERRAND_UNSAFE_HOST_NETWORK',
  egressImage: 'ERRAND_EGRESS_IMAGE',
  egressAllowPrivate: 'ERRAND_EGRESS_ALLOW_PRIVATE',
  egressMaxConnections: 'ERRAND_EGRESS_MAX_CONNECTIONS',
  egressIdleTimeoutSeconds: 'ERRAND_EGRESS_IDLE_TIMEOUT_SECONDS',
  snapshotsKept: 'ERRAND_SNAPSHOTS_KEPT',
  redisAutostart: 'ERRAND_REDIS_AUTOSTART',
  strict: 'ERRAND_STRICT',
  maxSteps: 'ERRAND_MAX_STEPS',
  maxMinutes: 'ERRAND_MAX_MINUTES',
  maxTokens: 'ERRAND_MAX_TOKENS',
  commandTimeoutSeconds: 'ERRAND_COMMAND_TIMEOUT_SECONDS',
  gitAuthorName: 'ERRAND_GIT_AUTHOR_NAME',
  gitAuthorEmail: 'ERRAND_GIT_AUTHOR_EMAIL',
};

/** Keys whose values are never echoed back in a configuration error. */
const secretConfigKeys = new Set<keyof Config>([
  'metricsToken', 'masterKey', 'masterKeyPrevious', 'gitToken', 'openaiApiKey', 'anthropicApiKey', 'slackBotToken', 'slackSigningSecret', 'slackAppToken', 'githubPrivateKey', 'githubWebhookSecret',
]);

export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

/** Parses the environment; throws one ConfigError listing every problem with its variable and fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(configEnv).map(([key, name]) => [key, env[name]]));
  const result = Config.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path[0] as keyof Config;
      const name = configEnv[key] ?? String(key);
      const where = issue.path.length > 1 ? ` at ${issue.path.slice(1).join('.')}` : '';
      const got = secretConfigKeys.has(key) ? 'value hidden' : `got ${JSON.stringify(env[name])}`;
      return `  ${name}${where}: ${issue.message} (${got}); fix it in the environment or .env`;
    });
    throw new ConfigError(`Errand's configuration is invalid:\n${lines.join('\n')}`);
  }
  const config = result.data;
  const problems: string[] = [];
  if (config.slackBotToken && !config.slackSigningSecret && !config.slackAppToken) {
    problems.push('  SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is: set one of them');
  }
  if (config.githubAppId && (!config.githubPrivateKey || !config.githubWebhookSecret)) {
    problems.push('  GITHUB_APP_ID is set but GITHUB_PRIVATE_KEY or GITHUB_WEBHOOK_SECRET is missing: copy both from the GitHub App settings page');
  }
  if (config.gitToken && !config.gitTokenUrl) {
    problems.push('  ERRAND_GIT_TOKEN is set but ERRAND_GIT_TOKEN_URL is not: set it to the remote the token is for (e.g. https://git.example.com/), so the token is never sent to any other URL');
  }
  if (config.sandboxNetwork === 'host' && !config.unsafeHostNetwork) {
    problems.push(
      "  ERRAND_SANDBOX_NETWORK=host gives agents the host's network: Errand's Redis and HTTP port, the cloud metadata service and every private address. Leave it unset (agents then reach the internet through Errand's egress proxy, per the workspace's network policy), or set ERRAND_UNSAFE_HOST_NETWORK=true if you really mean it",
    );
  }
  for (const entry of config.egressAllowPrivate) {
    if (!/^(?:\[[0-9a-fA-F:.]+\]|[^:\s/]+):\d{1,5}$/.test(entry)) problems.push(`  ERRAND_EGRESS_ALLOW_PRIVATE: "${entry}" is not host:port (e.g. 10.1.2.3:4873 or npm.internal:4873)`);
  }
  if (problems.length > 0) throw new ConfigError(`Errand's configuration is incomplete:\n${problems.join('\n')}`);
  return config;
}

/** Integrations and whether they are configured, for the start-up banner. */
export function integrations(config: Config): { name: string; on: boolean; hint: string }[] {
  return [
    { name: 'Slack', on: Boolean(config.slackBotToken), hint: 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN); see docs/slack.md' },
    { name: 'GitHub App', on: Boolean(config.githubAppId), hint: 'set GITHUB_APP_ID, GITHUB_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET; see docs/github.md' },
    {
      name: 'Models',
      on: Boolean(config.openaiApiKey || config.openaiBaseUrl || config.anthropicApiKey || Object.keys(config.modelEndpoints).length > 0),
      hint: 'set OPENAI_API_KEY / OPENAI_BASE_URL (any OpenAI-compatible server) or ANTHROPIC_API_KEY, and ERRAND_MODEL',
    },
    { name: 'Secrets', on: Boolean(config.masterKey || config.masterKeyFile), hint: 'set ERRAND_MASTER_KEY (32 bytes, base64) or ERRAND_MASTER_KEY_FILE to store encrypted secrets' },
  ];
}
