import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../logger.js';

/** Bolt and the Web API client log through Errand's pino logger (one child, `component: slack`). */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'slack' });
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  return {
    debug: (...parts: unknown[]) => child.debug({ detail: text(parts) }, 'slack sdk'),
    info: (...parts: unknown[]) => child.info({ detail: text(parts) }, 'slack sdk'),
    warn: (...parts: unknown[]) => child.warn({ detail: text(parts) }, 'slack sdk'),
    error: (...parts: unknown[]) => child.error({ detail: text(parts) }, 'slack sdk'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.DEBUG,
    setName: () => undefined,
  };
}
