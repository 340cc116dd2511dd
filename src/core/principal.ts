/** Someone (or something) acting on Errand: a Slack user, a GitHub login, an API key holder. */
export type PrincipalKind = 'slack' | 'github' | 'api';

export interface Principal {
  kind: PrincipalKind;
  /** Slack team id, GitHub installation id, or API tenant id. */
  workspace: string;
  /** Slack user id, GitHub login, API key owner id. */
  id: string;
  /** A name fit for display and for the Co-authored-by trailer. */
  name: string;
  email?: string;
  /** A bot or service account, as the platform reports it. */
  isBot?: boolean;
}

/** One string that names a principal across the store: `slack:T123:U456`. */
export function principalKey(principal: Pick<Principal, 'kind' | 'workspace' | 'id'>): string {
  return `${principal.kind}:${principal.workspace}:${principal.id}`;
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return principalKey(a) === principalKey(b);
}
