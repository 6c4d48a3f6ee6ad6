import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import { redact } from './redact.js';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Extra JSON-lines log file (appended). */
  file?: string;
  /** Force pretty (TTY) or plain JSON; default: pretty when stderr is a TTY. */
  pretty?: boolean;
}

let root: Logger = pino({ level: process.env.INVSYNC_LOG_LEVEL ?? 'info' }, pino.destination({ fd: 2, sync: true }));

/**
 * Configure the process logger. Logs go to stderr only (stdout is for --json results),
 * pretty on a TTY; every line passes through `redact` so a secret never reaches a log.
 */
export function configureLogging(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.INVSYNC_LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const streams: Array<{ stream: DestinationStream; level: pino.Level }> = [];
  const stderr: DestinationStream = usePretty
    ? pretty({ destination: 2, sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname,module', messageFormat: '{if module}[{module}] {end}{msg}' })
    : pino.destination({ fd: 2, sync: true });
  streams.push({ stream: stderr, level: level as pino.Level });
  if (options.file) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    streams.push({ stream: pino.destination({ dest: options.file, sync: true, append: true, mkdir: true }), level: level as pino.Level });
  }
  root = pino({
    level,
    base: undefined,
    hooks: {
      streamWrite: (s: string) => redact(s),
    },
  }, pino.multistream(streams));
  return root;
}

/** A child logger for one module, e.g. `logger('push')`. */
export function logger(module: string): Logger {
  return root.child({ module });
}
