import { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';
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
  /** `auto` (default): readable lines when stdout is a terminal, JSON lines otherwise. */
  format?: 'auto' | 'json' | 'pretty';
  /** Whether stdout is a terminal (tests pass it). */
  isTty?: boolean;
}

/** The stream `format` asks for: pino-pretty for people, JSON (pino's default) for machines. */
export function logDestination(format: LoggerSetup['format'] = 'auto', isTty = Boolean(process.stdout.isTTY), output: NodeJS.WritableStream = process.stdout): DestinationStream | undefined {
  const pretty = format === 'pretty' || (format === 'auto' && isTty);
  if (!pretty) return undefined;
  return PinoPretty({ colorize: isTty, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', destination: output, sync: true });
}

/**
 * pino with `redact` for known paths and a hook that scrubs token shapes and registered secret
 * values from messages and string fields (a token pasted into an error message, say).
 */
export function createLogger({ level = 'info', scrubber, destination: given, format, isTty }: LoggerSetup): Logger {
  const destination = given ?? logDestination(format, isTty);
  const options: LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubber.scrub(arg) : scrubFields(scrubber, arg))) as typeof args);
      },
    },
    serializers: {
      err: (err: unknown) => scrubber.scrubDeep(pino.stdSerializers.err(err as Error)),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Scrubs a log call's fields, except HTTP requests and responses (pino-http passes them whole):
 * those are no data to copy but live objects, and their serializers keep only safe fields.
 */
function scrubFields(scrubber: Scrubber, arg: unknown): unknown {
  if (!arg || typeof arg !== 'object' || Object.getPrototypeOf(arg) !== Object.prototype) return scrubber.scrubDeep(arg);
  return Object.fromEntries(Object.entries(arg).map(([key, value]) => [key, value instanceof IncomingMessage || value instanceof ServerResponse ? value : scrubber.scrubDeep(value)]));
}
