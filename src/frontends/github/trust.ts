import type { Log } from '../../core/index.js';
import type { GitHubClient } from './github-client.js';

const writeRoles = new Set(['admin', 'maintain', 'write']);
/** Only these author associations can come with write access; others need no lookup. */
const maybeWriter = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/**
 * Answers "may this login direct the agent?" for one webhook: write access to the repo (GitHub's
 * permission API) or a listed login. Lookups are cached for the delivery and capped, so a long
 * thread costs a handful of calls; anyone not confirmed is untrusted.
 */
export class Trust {
  private readonly cache = new Map<string, Promise<boolean>>();
  private lookups = 0;

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: string,
    private readonly listed: (login: string) => boolean,
    private readonly log: Log,
    private readonly maxLookups = 10,
  ) {}

  /** Starts a lookup early (while other work is in flight); `mayDirect` then uses its answer. */
  prime(login: string, role: Promise<string>): void {
    this.lookups++;
    this.cache.set(login.toLowerCase(), role.then((r) => writeRoles.has(r), (error: unknown) => {
      this.log.warn({ err: error, repo: this.repo, login }, 'permission lookup failed; treating as untrusted');
      return false;
    }));
  }

  /** The commenter who triggered: always asks GitHub (or the list). */
  async mayDirect(login: string): Promise<boolean> {
    if (this.listed(login)) return true;
    return this.lookup(login);
  }

  /** Someone else in the thread: trusted only if their association allows it and GitHub confirms. */
  async isTrusted(login: string, association: string): Promise<boolean> {
    if (this.listed(login)) return true;
    if (!maybeWriter.has(association.toUpperCase())) return false;
    if (!this.cache.has(login.toLowerCase()) && this.lookups >= this.maxLookups) return false;
    return this.lookup(login);
  }

  private lookup(login: string): Promise<boolean> {
    const key = login.toLowerCase();
    let answer = this.cache.get(key);
    if (!answer) {
      this.lookups++;
      answer = this.client.permission(this.repo, login).then(
        (role) => writeRoles.has(role),
        (error: unknown) => {
          this.log.warn({ err: error, repo: this.repo, login }, 'permission lookup failed; treating as untrusted');
          return false;
        },
      );
      this.cache.set(key, answer);
    }
    return answer;
  }
}
