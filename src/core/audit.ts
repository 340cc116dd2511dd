import { z } from 'zod';

/** What an audit entry records. Names only: a setting's or secret's value never enters the log. */
export const AuditAction = z.enum([
  'agent.launch',
  'agent.follow_up',
  'agent.stop',
  'agent.delete',
  'agent.snapshot',
  /** Someone opened the web terminal into the agent's machine (`terminal.mode` says whether they could type). */
  'agent.terminal_open',
  /** …and closed it (`terminal.seconds` says how long it was open). */
  'agent.terminal_close',
  'settings.update',
  'secret.set',
  'secret.remove',
]);
export type AuditAction = z.infer<typeof AuditAction>;

/** One thing someone did in a workspace. */
export const AuditEntry = z.object({
  workspace: z.string().min(1),
  /** The principal key of who did it (`slack:T1:U2`, `api:default:cli`). */
  actor: z.string().min(1),
  /** A display name, for people reading the log. */
  actorName: z.string(),
  action: AuditAction,
  /** An agent id, the names of the settings changed, or a secret's name. Never a value. */
  target: z.array(z.string()),
  /** The repository a repo-level secret belongs to. */
  repo: z.string().optional(),
  /** Web terminal sessions: whether the person could type, and (on close) how long it was open. */
  terminal: z.object({ mode: z.enum(['type', 'watch']), seconds: z.number().nonnegative().optional() }).optional(),
  at: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * An entry as read back. Tolerant: an action or field written by a newer Errand is kept, not
 * refused, so an older CLI can still show the log.
 */
export const StoredAuditEntry = AuditEntry.extend({ id: z.string(), action: z.string() }).loose();
export type StoredAuditEntry = z.infer<typeof StoredAuditEntry>;
