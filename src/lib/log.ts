import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pino, type Logger, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';
import { openRotatingFile, type RotationOptions } from './log-file.js';
import { clearProgressLine } from './progress.js';
import { redact } from './redact.js';

export type { Logger };

/**
 * pino-pretty only when stderr is a terminal: it and its dependencies cost ≈ 5 MB of memory that
 * a cron run (plain JSON logs) never needs (issue 19).
 */
const loadPretty = (): typeof PinoPretty => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export interface LogOptions {
  level?: string;
  /** Extra JSON-lines log file (appended, rotated by size). */
  file?: string;
  /** Rotation of `file` (default 10 MB, 5 old files). */
  rotation?: RotationOptions;
  /** Level for stderr only (cron: "warn", so a good run prints nothing); default `level`. */
  stderrLevel?: string;
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
    // Messages carry what a person needs; the structured fields stay in JSON logs (and at debug level).
    ? loadPretty()({ destination: 2, sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname,module', messageFormat: '{if module}[{module}] {end}{msg}', hideObject: !['trace', 'debug'].includes(options.stderrLevel ?? level) })
    : pino.destination({ fd: 2, sync: true });
  streams.push({ stream: stderr, level: (options.stderrLevel ?? level) as pino.Level });
  if (options.file) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    streams.push({ stream: openRotatingFile(options.file, options.rotation), level: level as pino.Level });
  }
  root = pino({
    level: lowestLevel(streams.map((s) => s.level)),
    base: undefined,
    hooks: {
      // A progress bar on screen is erased first, so log lines and the bar never mix.
      streamWrite: (s: string) => { clearProgressLine(); return redact(s); },
    },
  }, pino.multistream(streams));
  return root;
}

/** A child logger for one module, e.g. `logger('push')`. */
export function logger(module: string): Logger {
  return root.child({ module });
}

function lowestLevel(levels: string[]): string {
  return levels.reduce((low, l) => ((pino.levels.values[l] ?? Infinity) < (pino.levels.values[low] ?? Infinity) ? l : low), levels[0] ?? 'info');
}
