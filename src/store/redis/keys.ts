/**
 * The one key builder: every key Errand keeps in Redis is named here, under the instance's prefix
 * (`<ERRAND_INSTANCE>:`), so several installs (or tests) share a Redis without seeing each other.
 * Like BullMQ's QueueKeys, nothing outside `src/store` and `src/queue` knows a key's shape.
 * DESIGN.md ("Data") lists each family with its owner and lifetime; keep the two in step.
 */
export class Keys {
  constructor(readonly prefix = 'errand:') {}

  /** The prefix of an instance: `ERRAND_INSTANCE` followed by a colon. */
  static forInstance(instance: string): Keys {
    return new Keys(`${instance}:`);
  }

  /** BullMQ's own prefix (it adds the colon): queues keep their keys under the same instance. */
  queuePrefix = () => this.prefix.replace(/:$/, '');

  // Agents and their indexes (agent store).
  agent = (id: string) => `${this.prefix}agent:${id}`;
  agentsAll = () => `${this.prefix}agents`;
  agentsByWorkspace = (workspace: string) => `${this.prefix}agents:ws:${workspace}`;
  /** A workspace's agents that are queued, preparing or running: launches count them. */
  activeAgents = (workspace: string) => `${this.prefix}agents:active:${workspace}`;
  agentsByOwner = (principalKey: string) => `${this.prefix}agents:owner:${principalKey}`;
  agentsByConversation = (conversationKey: string) => `${this.prefix}agents:conv:${conversationKey}`;
  /** A workspace's agents in one status (filters, counts). */
  agentsByStatus = (workspace: string, status: string) => `${this.prefix}agents:status:${workspace}:${status}`;
  /** One person's agents that are queued, preparing or running: "queued behind N" counts them. */
  activeAgentsOfOwner = (principalKey: string) => `${this.prefix}agents:active-owner:${principalKey}`;
  /** A workspace's agents whose title, repository or branch has this word (search). */
  agentsByWord = (workspace: string, word: string) => `${this.prefix}agents:word:${workspace}:${word}`;
  /** Which version of the agent indexes the stored data has (rebuilt once when it changes). */
  agentIndexVersion = () => `${this.prefix}agents:index-version`;
  /** Every workspace's agents in one status: what /metrics counts (ZCARD, no scan of records). */
  agentsByStatusAll = (status: string) => `${this.prefix}agents:status-all:${status}`;

  // Per agent, living as long as the agent's record.
  events = (agentId: string) => `${this.prefix}events:${agentId}`;
  inbox = (agentId: string) => `${this.prefix}inbox:${agentId}`;
  /** Request ids of follow-ups already queued for the agent, so a retried delivery adds none. */
  inboxSeen = (agentId: string) => `${this.prefix}inbox-seen:${agentId}`;
  /** The agent's model conversation, for resuming it (engine). */
  modelHistory = (agentId: string) => `${this.prefix}history:${agentId}`;
  notifyCursors = (agentId: string) => `${this.prefix}notify:${agentId}`;
  /** The agent's branch against its base at its last push (dashboard diff view). */
  agentDiff = (agentId: string) => `${this.prefix}diff:${agentId}`;
  /** Slack's per-agent fields: status message per conversation, reply outcomes, reaction. */
  slackAgent = (agentId: string) => `${this.prefix}slack:agent:${agentId}`;
  /** Set for a second after a Slack message is edited: every process waits for it to lapse. */
  slackEditWindow = (agentId: string, field: string) => `${this.prefix}slack:edit:${agentId}:${field}`;
  /** GitHub's tracking comment per conversation of the agent. */
  githubTracking = (agentId: string) => `${this.prefix}github:tracking:${agentId}`;
  /** Accepted GitHub deliveries not yet on the trigger queue (a stream; entries leave once queued). */
  githubInbox = () => `${this.prefix}github:inbox`;
  /** The sealed secret that signs the agent's API webhooks. */
  webhookSecret = (agentId: string) => `${this.prefix}webhook-secret:${agentId}`;
  /** The agent's runs as API v1 shows them (a launch, then each follow-up), oldest first (list of JSON). */
  agentRuns = (agentId: string) => `${this.prefix}agent-runs:${agentId}`;
  /** Set while the agent is archived (API v1): hidden from default lists, no new runs. */
  agentArchived = (agentId: string) => `${this.prefix}archived:${agentId}`;
  /** The sealed launch `envVars` of the agent. */
  sessionEnv = (agentId: string) => `${this.prefix}session-env:${agentId}`;
  /** The agent's collected artifacts: name → size and time, and name → bytes. */
  artifacts = (agentId: string) => `${this.prefix}artifacts:${agentId}`;
  artifactData = (agentId: string) => `${this.prefix}artifacts:data:${agentId}`;
  /** The worker host whose Docker engine holds the agent's machine (resumes go there). */
  machineHost = (agentId: string) => `${this.prefix}machine-host:${agentId}`;
  /** A worker host's heartbeat, and the set of every host that announced itself. */
  workerHost = (host: string) => `${this.prefix}worker-host:${host}`;
  workerHosts = () => `${this.prefix}worker-hosts`;

  /** Every key that belongs to one agent alone (what `forget` deletes besides index entries). */
  agentScoped = (agentId: string): string[] => [
    this.agent(agentId),
    this.events(agentId),
    this.inbox(agentId),
    this.inboxSeen(agentId),
    this.modelHistory(agentId),
    this.agentDiff(agentId),
    this.notifyCursors(agentId),
    this.slackAgent(agentId),
    this.githubTracking(agentId),
    this.webhookSecret(agentId),
    this.agentRuns(agentId),
    this.agentArchived(agentId),
    this.sessionEnv(agentId),
    this.artifacts(agentId),
    this.artifactData(agentId),
    this.machineHost(agentId),
    this.lease(`notify:${agentId}`),
  ];
  /** SCAN patterns of the agent's keys whose full name is not known in advance. */
  agentScopedPatterns = (agentId: string): string[] => [this.dedup(`admission:${agentId}:*`)];

  dedup = (key: string) => `${this.prefix}dedup:${key}`;
  settings = (workspace: string) => `${this.prefix}settings:${workspace}`;
  stopChannel = () => `${this.prefix}stop`;
  eventsChannel = () => `${this.prefix}events`;
  /** Workers listen here for containers to remove (a `web` process has no Docker). */
  forgetChannel = () => `${this.prefix}forget`;
  runningInWorkspace = (workspace: string) => `${this.prefix}running:ws:${workspace}`;
  runningForPerson = (principalKey: string) => `${this.prefix}running:person:${principalKey}`;
  lease = (name: string) => `${this.prefix}lease:${name}`;

  /** Hash of a workspace's own secrets: name → sealed record. */
  secretsWorkspace = (workspace: string) => `${this.prefix}secrets:ws:${workspace}`;
  /** Hash of one repository's secrets in a workspace (the repo is URI-encoded, so it holds no `:`). */
  secretsRepo = (workspace: string, repo: string) => `${this.prefix}secrets:repo:${workspace}:${encodeURIComponent(repo)}`;
  /** Set of the repositories of a workspace that have secrets. */
  secretRepos = (workspace: string) => `${this.prefix}secrets:repos:${workspace}`;
  /** Set of the workspaces that have secrets (for re-wrapping after a key rotation). */
  secretWorkspaces = () => `${this.prefix}secrets:workspaces`;
  /** Stream of a workspace's audit entries. */
  audit = (workspace: string) => `${this.prefix}audit:${workspace}`;

  /** Whether a Slack channel is shared with other organisations. */
  slackChannelExternal = (teamId: string, channelId: string) => `${this.prefix}slack:channel-external:${teamId}:${channelId}`;
  /** A dashboard session, by the SHA-256 of the cookie's id. */
  dashboardSession = (idHash: string) => `${this.prefix}dashboard:session:${idHash}`;
  /** A one-time sign-in link, by the SHA-256 of its token. */
  dashboardLogin = (tokenHash: string) => `${this.prefix}dashboard:login:${tokenHash}`;
  /** A one-time web terminal ticket, by the SHA-256 of its token. */
  terminalTicket = (tokenHash: string) => `${this.prefix}terminal:ticket:${tokenHash}`;
  /** API keys: records by id, key hash → id, id → last used. */
  apiKeys = () => `${this.prefix}apikeys`;
  apiKeysByHash = () => `${this.prefix}apikeys:hash`;
  apiKeysUsed = () => `${this.prefix}apikeys:used`;
  /** Prefix of the API's per-key request counters (rate-limiter-flexible adds `:<key id>`). */
  apiRateLimit = () => `${this.prefix}ratelimit:api`;
  /** The repositories the configured hosts make available, cached for a short while. */
  repositoryList = () => `${this.prefix}repositories`;
}

/** Records outlive their agent's expiry by a day so that `expired` can still be seen. */
export const expiryGraceSeconds = 86_400;
