import type { RepoRef } from './agent.js';
import { ErrandError } from './errors.js';
import type { Principal } from './principal.js';
import { isLocalRepo } from './repo-ref.js';

/** Who is launching, as far as the server-wide launch rules care. */
export interface Launcher {
  principal: Principal;
  /** The front end vouches for a platform admin (an admin API key, the dashboard signed in with one). */
  platformAdmin: boolean;
}

/**
 * Local repositories (a path or file:// URL on the server) let an agent read and push into
 * whatever the server can reach; they are for one person on their own machine: refused unless
 * the server opts in (ERRAND_LOCAL_REPOS=allow) and the launcher holds an admin API key.
 */
export function assertRepoAllowed(repo: RepoRef, launcher: Launcher, localReposAllowed: boolean): void {
  if (!isLocalRepo(repo)) return;
  if (localReposAllowed && launcher.principal.kind === 'api' && launcher.platformAdmin) return;
  throw new ErrandError(
    'forbidden',
    'local repositories (a path or file:// URL on the Errand server) are refused: give owner/name or an https:// git URL. ' +
      'For one person on their own machine, the server can allow them with ERRAND_LOCAL_REPOS=allow, for admin API keys only',
  );
}
