import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import type { Scrubber } from './redact/scrubber.js';

export type { Logger } from 'pino';

/** Paths whose values are never logged, whatever they hold. */
export const redactPaths = [
  'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'apiKey', '*.apiKey',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'req.headers.cookie', 'req.headers["x-slack-signature"]', 'req.headers["x-hub-signature-256"]',
  'privateKey', '*.privateKey', 'masterKey', '*.masterKey', 'value', '*.value', 'env', '*.env',
];

export interface LoggerSetup {
  level?: string;
  scrubber: Scrubber;
  destination?: DestinationStream;
}

/**
 * pino with `redact` for known paths and a hook that scrubs token shapes and registered secret
 * values from messages and string fields (a token pasted into an error message, say).
 */
export function createLogger({ level = 'info', scrubber, destination }: LoggerSetup): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubber.scrub(arg) : scrubber.scrubDeep(arg))) as typeof args);
      },
    },
    serializers: {
      err: (err: unknown) => scrubber.scrubDeep(pino.stdSerializers.err(err as Error)),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
