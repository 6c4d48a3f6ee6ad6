import { loadConfig, type LoadedConfig } from '../config/load.js';
import { InvsyncError } from '../domain/errors.js';
import type { RunSummary } from '../domain/types.js';
import { acquireLock, type HeldLock } from '../lib/lock.js';
import { configureLogging, logger, type Logger } from '../lib/log.js';
import { redact } from '../lib/redact.js';
import { openDb, type Db } from '../state/db.js';
import { finishRun, newRunId, startRun } from '../state/runs.js';
import { EXIT, exitCodeFor, statusForExit } from './exit-codes.js';
import { renderSummary, stdoutOutput, type Output } from './render.js';
import { SummaryBuilder } from './summary.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  logLevel?: string;
  progress?: boolean;
}

export interface RunContext {
  loaded: LoadedConfig;
  db: Db;
  runId: string;
  summary: SummaryBuilder;
  log: Logger;
  out: Output;
  globals: GlobalOptions;
}

export interface CommandSpec {
  name: string;
  /** Mutating commands hold the state dir's lock for their whole run. */
  mutating: boolean;
  dryRun?: boolean;
  /** Print the diff table in human mode. */
  showChanges?: boolean;
  /** Informational commands print their own output, not a run summary. */
  quiet?: boolean;
}

/**
 * Everything a command shares: logging, config, lock, database, run record, summary and
 * rendering. `body` returns the exit code or throws a typed error; the exit code is decided
 * here from the one table in exit-codes.ts.
 */
export async function runCommand(globals: GlobalOptions, spec: CommandSpec, body: (ctx: RunContext) => Promise<number>): Promise<number> {
  configureLogging({ level: globals.logLevel });
  const out = stdoutOutput(Boolean(globals.json));
  const runId = newRunId();
  const summary = new SummaryBuilder(runId, spec.name, Boolean(spec.dryRun));
  let lock: HeldLock | undefined;
  let db: Db | undefined;
  let exitCode: number;
  try {
    const loaded = await loadConfig({ explicitPath: globals.config });
    const log = configureLogging({ level: globals.logLevel ?? loaded.config.log.level, file: loaded.config.log.file }).child({ run: runId, command: spec.name });
    for (const w of loaded.warnings) log.warn(w);
    if (spec.mutating) lock = await acquireLock(loaded.config.stateDir, spec.name, loaded.config.lock.staleMs);
    db = openDb(loaded.config.stateDir);
    if (spec.mutating) startRun(db, { id: runId, command: spec.name, dryRun: Boolean(spec.dryRun), startedAt: summary.startedAt.toISOString() });
    exitCode = await body({ loaded, db, runId, summary, log, out, globals });
  } catch (err) {
    exitCode = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    summary.message = message;
    const log = logger(spec.name);
    if (err instanceof InvsyncError) log.error({ code: err.code }, redact(message));
    else log.error({ err }, `unexpected error: ${redact(message)}`);
  }
  const result: RunSummary = summary.finish(exitCode, statusForExit(exitCode));
  try {
    if (db && spec.mutating) finishRun(db, result);
  } finally {
    db?.close();
    await lock?.release();
  }
  if (!(spec.quiet && exitCode === EXIT.ok) && (exitCode !== EXIT.usage || globals.json)) renderSummary(out, result, { showChanges: spec.showChanges });
  return exitCode;
}
