/** Every key Errand writes lives under one prefix, so several installs (or tests) share a Redis. */
export class Keys {
  constructor(readonly prefix = 'errand:') {}

  agent = (id: string) => `${this.prefix}agent:${id}`;
  agentsAll = () => `${this.prefix}agents`;
  agentsByWorkspace = (workspace: string) => `${this.prefix}agents:ws:${workspace}`;
  agentsByOwner = (principalKey: string) => `${this.prefix}agents:owner:${principalKey}`;
  agentsByConversation = (conversationKey: string) => `${this.prefix}agents:conv:${conversationKey}`;
  events = (agentId: string) => `${this.prefix}events:${agentId}`;
  inbox = (agentId: string) => `${this.prefix}inbox:${agentId}`;
  dedup = (key: string) => `${this.prefix}dedup:${key}`;
  settings = (workspace: string) => `${this.prefix}settings:${workspace}`;
  stopChannel = () => `${this.prefix}stop`;
  eventsChannel = () => `${this.prefix}events`;
  notifyCursors = (agentId: string) => `${this.prefix}notify:${agentId}`;
  lease = (name: string) => `${this.prefix}lease:${name}`;
}

/** Records outlive their agent's expiry by a day so that `expired` can still be seen. */
export const expiryGraceSeconds = 86_400;
