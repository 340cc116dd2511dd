/** Every key Errand writes lives under one prefix, so several installs (or tests) share a Redis. */
export class Keys {
  constructor(readonly prefix = 'errand:') {}

  agent = (id: string) => `${this.prefix}agent:${id}`;
  agentsAll = () => `${this.prefix}agents`;
  agentsByWorkspace = (workspace: string) => `${this.prefix}agents:ws:${workspace}`;
  /** A workspace's agents that are queued, preparing or running: launches count them. */
  activeAgents = (workspace: string) => `${this.prefix}agents:active:${workspace}`;
  agentsByOwner = (principalKey: string) => `${this.prefix}agents:owner:${principalKey}`;
  agentsByConversation = (conversationKey: string) => `${this.prefix}agents:conv:${conversationKey}`;
  events = (agentId: string) => `${this.prefix}events:${agentId}`;
  inbox = (agentId: string) => `${this.prefix}inbox:${agentId}`;
  /** The agent's model conversation, for resuming it (engine). */
  modelHistory = (agentId: string) => `${this.prefix}history:${agentId}`;
  dedup = (key: string) => `${this.prefix}dedup:${key}`;
  settings = (workspace: string) => `${this.prefix}settings:${workspace}`;
  stopChannel = () => `${this.prefix}stop`;
  eventsChannel = () => `${this.prefix}events`;
  runningInWorkspace = (workspace: string) => `${this.prefix}running:ws:${workspace}`;
  runningForPerson = (principalKey: string) => `${this.prefix}running:person:${principalKey}`;
  notifyCursors = (agentId: string) => `${this.prefix}notify:${agentId}`;
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
}

/** Records outlive their agent's expiry by a day so that `expired` can still be seen. */
export const expiryGraceSeconds = 86_400;
