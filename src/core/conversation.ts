/** Where an agent was asked for, and where its progress goes back to. */
export type Conversation = SlackThread | GitHubThread | ApiConversation;

export interface SlackThread {
  kind: 'slack';
  teamId: string;
  channelId: string;
  /** The thread's root message ts: the agent's status message. */
  threadTs: string;
  /** A Slack Connect or otherwise externally shared channel. */
  external: boolean;
}

export interface GitHubThread {
  kind: 'github';
  installationId: number;
  /** owner/name */
  repo: string;
  /** Issue or pull-request number. */
  number: number;
  isPullRequest: boolean;
  /** Set when the agent was asked for in a pull-request review thread. */
  reviewCommentId?: number;
}

export interface ApiConversation {
  kind: 'api';
  /** Receives signed statusChange webhooks. The secret itself lives in the SecretStore. */
  webhookUrl?: string;
}

/** A stable key for looking an agent up by the conversation it lives in. */
export function conversationKey(conversation: Conversation): string {
  switch (conversation.kind) {
    case 'slack':
      return `slack:${conversation.teamId}:${conversation.channelId}:${conversation.threadTs}`;
    case 'github':
      return `github:${conversation.repo.toLowerCase()}#${conversation.number}`;
    case 'api':
      return 'api';
  }
}

/** External destinations are those outside the team: Slack Connect channels, for now. */
export function isExternal(conversation: Conversation): boolean {
  return conversation.kind === 'slack' && conversation.external;
}
