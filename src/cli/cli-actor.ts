import { userInfo } from 'node:os';
import { ErrandError, type Principal } from '../core/index.js';

/**
 * Who the CLI acts as. It runs on the server host, next to Redis and the master key, so it acts as
 * a platform admin (like the API admin key) and is recorded in the audit log as `api:<ws>:cli`.
 */
export function cliActor(workspace: string): Principal {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container running as an arbitrary uid): keep "unknown".
  }
  return { kind: 'api', workspace, id: 'cli', name: `${user} (errand CLI)` };
}

/** `--workspace`, else the default the lead wires in (ERRAND_WORKSPACE), else a fix-it message. */
export function pickWorkspace(given: string | undefined, fallback: string | undefined): string {
  const workspace = given?.trim() || fallback?.trim();
  if (!workspace) {
    throw new ErrandError('invalid_request', 'which workspace? pass --workspace <id> (a Slack team id, a GitHub installation id or an API tenant)');
  }
  return workspace;
}
