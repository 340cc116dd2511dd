import type { Log } from '../../core/index.js';
import { statusOf, type GitHubClient } from './github-client.js';

/** Write access, none, or unknown: GitHub could not be asked (a 5xx, a timeout). */
export type Access = 'write' | 'none' | 'unknown';

const writeRoles = new Set(['admin', 'maintain', 'write']);
/** Only these author associations can come with write access; others need no lookup. */
const maybeWriter = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/**
 * Answers "may this login direct the agent?" for one webhook: write access to the repo (GitHub's
 * permission API) or a listed login. Lookups are cached for the delivery and capped, so a long
 * thread costs a handful of calls; anyone not confirmed is untrusted.
 */
export class Trust {
  private readonly cache = new Map<string, Promise<Access>>();
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
    this.cache.set(login.toLowerCase(), this.answer(login, role));
  }

  /**
   * The commenter who triggered: always asks GitHub (or the list). `unknown` when GitHub could not
   * answer: nobody may be told they lack access on that basis.
   */
  async access(login: string): Promise<Access> {
    if (this.listed(login)) return 'write';
    return this.lookup(login);
  }

  /** Someone else in the thread: trusted only if their association allows it and GitHub confirms. */
  async isTrusted(login: string, association: string): Promise<boolean> {
    if (this.listed(login)) return true;
    if (!maybeWriter.has(association.toUpperCase())) return false;
    if (!this.cache.has(login.toLowerCase()) && this.lookups >= this.maxLookups) return false;
    return (await this.lookup(login)) === 'write';
  }

  private lookup(login: string): Promise<Access> {
    const key = login.toLowerCase();
    let answer = this.cache.get(key);
    if (!answer) {
      this.lookups++;
      answer = this.answer(login, this.client.permission(this.repo, login));
      this.cache.set(key, answer);
    }
    return answer;
  }

  /** A 4xx means GitHub knows no such access; anything else (5xx, no answer) leaves it unknown. */
  private answer(login: string, role: Promise<string>): Promise<Access> {
    return role.then(
      (r): Access => (writeRoles.has(r) ? 'write' : 'none'),
      (error: unknown): Access => {
        const status = statusOf(error);
        const known = status !== null && status >= 400 && status < 500;
        this.log.warn({ err: error, repo: this.repo, login, status }, known ? 'permission lookup refused; treating as untrusted' : 'permission lookup failed; access unknown');
        return known ? 'none' : 'unknown';
      },
    );
  }
}
