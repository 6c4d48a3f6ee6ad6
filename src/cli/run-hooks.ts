import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { RunSummary } from '../domain/types.js';
import { logger, type LogOptions } from '../lib/log.js';
import { lowStockItems } from '../lib/low-stock.js';
import { lastSuccessAt, readLastSuccess, renderMetrics, writeTextfileAtomic } from '../lib/metrics.js';
import { createNotifier } from '../lib/notify.js';
import type { Db } from '../state/db.js';
import { listRuns } from '../state/runs.js';
import { humanSummary } from './render.js';

/**
 * What happens around a run for the people operating it: the log destinations and levels,
 * low-stock annotation, the metrics textfile and notifications. `runCommand` calls these at
 * fixed points; none of them can change a run's exit code.
 */

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Log levels and destinations. An explicit level (`--log-level`, INVSYNC_LOG_LEVEL) applies
 * everywhere. Otherwise stderr gets `log.level` (default info) on a terminal, but at least
 * "warn" when it is not one (cron): a good run then prints nothing and sends no cron mail,
 * while `log.file` still gets the full log.
 */
export function loggingOptions(cliLevel: string | undefined, settings?: Config['log'], stderrIsTTY = Boolean(process.stderr.isTTY)): LogOptions {
  const explicit = cliLevel ?? process.env.INVSYNC_LOG_LEVEL;
  const level = explicit ?? settings?.level ?? 'info';
  const quiet = !explicit && !stderrIsTTY && LEVELS.indexOf(level) < LEVELS.indexOf('warn');
  return {
    level,
    ...(quiet ? { stderrLevel: 'warn' } : {}),
    ...(settings?.file ? { file: settings.file, rotation: { maxSize: settings.maxSize, maxFiles: settings.maxFiles } } : {}),
  };
}

export interface OperatorHooks {
  /** The run holds the lock and starts: healthcheck /start. */
  started(): void;
  /** Before the summary is stored: the low-stock list. */
  annotate(summary: RunSummary): void;
  /** After the summary is stored (needs the run history): the metrics textfile. Never throws. */
  recordMetrics(db: Db, summary: RunSummary): void;
  /** After the lock is released and the output printed: webhook and healthcheck. Never throws. */
  notify(summary: RunSummary): Promise<void>;
}

export function operatorHooks(loaded: LoadedConfig, spec: { mutating: boolean; dryRun?: boolean }): OperatorHooks {
  const { config } = loaded;
  const log = logger('run');
  if (!spec.mutating) return { started() {}, annotate() {}, recordMetrics() {}, async notify() {} };
  const notifier = createNotifier(config.notify, { describe: (s) => humanSummary(s) });
  let started = false;
  const textfile = config.metrics.textfile ? path.resolve(path.dirname(loaded.filePath), config.metrics.textfile) : undefined;
  if (textfile && !textfile.endsWith('.prom')) log.warn(`metrics.textfile ${textfile} does not end in ".prom": node_exporter's textfile collector ignores it`);
  return {
    started() {
      started = true;
      // A dry run's success says nothing about whether the store is being synced.
      if (!spec.dryRun) notifier.start();
    },
    annotate(summary) {
      if (config.alerts.lowStock !== undefined) summary.lowStock = lowStockItems(summary.changes, config.alerts.lowStock);
    },
    recordMetrics(db, summary) {
      // A dry run changed nothing: it must not mask the state of the real runs.
      if (!textfile || summary.dryRun || summary.status === 'locked') return;
      try {
        const lastSuccess = lastSuccessAt(listRuns(db, 500)) ?? readLastSuccess(textfile);
        writeTextfileAtomic(textfile, renderMetrics(summary, lastSuccess));
      } catch (err) {
        log.warn(`could not write metrics.textfile ${textfile}: ${(err as Error).message}`);
      }
    },
    async notify(summary) {
      // A run refused by the lock never started: the run holding the lock reports.
      if (!started) return;
      await notifier.finish(summary);
    },
  };
}
