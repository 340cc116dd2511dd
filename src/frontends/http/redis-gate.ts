import type { NextFunction, Request, Response } from 'express';

/** Said to anyone calling while Redis is away: nothing was taken, so nothing is half done. */
export const redisDownMessage = 'Errand cannot reach its database (Redis) right now, so it took nothing from this request. Try again in a minute.';

/**
 * Refuses requests at once with 503 while Errand's Redis connection is down, instead of letting
 * them wait on commands queued for a reconnect (a launch used to answer 201 after 19 s). Slack and
 * GitHub see the 503 as a failed delivery and retry or show it; API clients get the message.
 */
export function redisGate(redisReady: () => boolean) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (redisReady()) {
      next();
      return;
    }
    res.status(503).set('retry-after', '10').json({ error: { message: redisDownMessage, code: 'unavailable' } });
  };
}
