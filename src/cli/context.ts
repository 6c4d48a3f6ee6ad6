import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { configuredStores } from '../config/stores.js';
import { loadSourceAdapters } from '../sources/registry.js';
import { loadStoreAdapters } from '../stores/registry.js';
import { InvsyncError } from '../domain/errors.js';
import type { RunSummary } from '../domain/types.js';
import { acquireLock, type HeldLock } from '../lib/lock.js';
import { configureLogging, logger, type Logger } from '../lib/log.js';
import { redact } from '../lib/redact.js';
import { restrictNewFiles } from '../lib/owner-only.js';
import { openDb, type Db } from '../state/db.js';
import { finishRun, newRunId, startRun } from '../state/runs.js';
import { exitCodeFor, statusForExit } from './exit-codes.js';
import { createRunProgress, type RunProgress } from '../lib/progress.js';
import { outputMode, renderSummary, stderrOutput, stdoutOutput, type Output } from './render.js';
import { loggingOptions, operatorHooks, type OperatorHooks } from './run-hooks.js';
import { SummaryBuilder } from './summary.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  logLevel?: string;
  progress?: boolean;
  /** Print the human diff and summary on stdout even when it is not a terminal. */
  verbose?: boolean;
}

export interface RunContext {
  loaded: LoadedConfig;
  db: Db;
  runId: string;
  summary: SummaryBuilder;
  log: Logger;
  out: Output;
  globals: GlobalOptions;
  /** Progress bars on stderr (no-ops unless stderr is a terminal and --no-progress is absent). */
  progress: RunProgress;
  /** Mutating commands: aborted (reason: LockedError) when the state dir's lock is lost; checked before every write. */
  lockSignal?: AbortSignal;
}

export interface CommandSpec<A = undefined> {
  name: string;
  /**
   * Parse the command's own options (pure; throws UsageError). Runs before the config is
   * read, the lock taken, the run recorded or any hook pinged: a usage error leaves no trace
   * (SPEC §2: exit 2, nothing was done).
   */
  parse?: () => A;
  /** Mutating commands hold the state dir's lock for their whole run. */
  mutating: boolean;
  dryRun?: boolean;
  /** Print the diff table in human mode. */
  showChanges?: boolean;
  /** Informational commands print their own output, not a run summary. */
  quiet?: boolean;
  /**
   * Check the parsed options against the configuration (e.g. `--store` names), after the config
   * is read but before the lock is taken or the run recorded: a usage error still leaves no trace.
   */
  check?: (loaded: LoadedConfig, args: A) => void;
  /**
   * Mutating commands: a last check under the lock, before the run is recorded as started
   * (serve: is the plan to apply still applicable). A throw ends the run like any error, and
   * `RunEvents.refused` gets it.
   */
  preflight?: (loaded: LoadedConfig, db: Db, args: A) => void;
}

/**
 * What a front end other than the terminal (serve's run child) learns of a run as it goes.
 * Exactly one of `started` and `refused` is called.
 */
export interface RunEvents {
  /** The run holds the lock and its row is recorded: from now on it is in the run history. */
  started?(runId: string): void;
  /** The run never started (usage, config, lock, preflight): the error that stopped it. */
  refused?(err: unknown): void;
  /** Replaces the terminal's progress bars. */
  progress?: RunProgress;
}

/**
 * Everything a command shares: logging, config, lock, database, run record, summary and
 * rendering. `body` returns the exit code or throws a typed error; the exit code is decided
 * here from the one table in exit-codes.ts.
 */
export async function runCommand<A = undefined>(
  globals: GlobalOptions, spec: CommandSpec<A>, body: (ctx: RunContext, args: A) => Promise<number>, events: RunEvents = {},
): Promise<number> {
  restrictNewFiles();
  configureLogging(loggingOptions(globals.logLevel));
  const out = stdoutOutput(Boolean(globals.json));
  const progress = events.progress ?? createRunProgress({ enabled: globals.progress !== false && Boolean(process.stderr.isTTY) });
  let started = false;
  let hooks: OperatorHooks | undefined;
  const runId = newRunId();
  const summary = new SummaryBuilder(runId, spec.name, Boolean(spec.dryRun));
  let lock: HeldLock | undefined;
  let db: Db | undefined;
  let exitCode: number;
  try {
    const args = spec.parse ? spec.parse() : (undefined as A);
    const loaded = await loadConfig({ explicitPath: globals.config });
    await loadAdapters(loaded.config);
    const log = configureLogging(loggingOptions(globals.logLevel, loaded.config.log)).child({ run: runId, command: spec.name });
    hooks = operatorHooks(loaded, spec);
    for (const w of loaded.warnings) log.warn(w);
    spec.check?.(loaded, args);
    if (spec.mutating) lock = await acquireLock(loaded.config.stateDir, spec.name, loaded.config.lock.staleMs);
    db = openDb(loaded.config.stateDir);
    if (spec.mutating) {
      spec.preflight?.(loaded, db, args);
      startRun(db, { id: runId, command: spec.name, dryRun: Boolean(spec.dryRun), startedAt: summary.startedAt.toISOString() });
    }
    started = true;
    events.started?.(runId);
    hooks.started();
    exitCode = await body({ loaded, db, runId, summary, log, out, globals, progress, lockSignal: lock?.signal }, args);
    // A run that lost its lock cannot vouch for what it did: another run may have written too.
    lock?.signal.throwIfAborted();
  } catch (caught) {
    // Lost the lock: whatever failed after that (an aborted request) is reported as the lost lock (exit 3).
    const err: unknown = lock?.signal.aborted ? lock.signal.reason : caught;
    if (!started) events.refused?.(err);
    exitCode = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    summary.message = message;
    const log = logger(spec.name);
    if (err instanceof InvsyncError) log.error({ code: err.code }, redact(message));
    else log.error({ err }, `unexpected error: ${redact(message)}`);
  }
  progress.stop();
  const result: RunSummary = summary.finish(exitCode, statusForExit(exitCode));
  hooks?.annotate(result);
  try {
    // A run refused before it started (usage error, preflight) leaves no run record (SPEC §2: exit 2, nothing done).
    if (db && spec.mutating && started) {
      finishRun(db, result);
      if (!lock?.signal.aborted) hooks?.recordMetrics(db, result);
    }
  } finally {
    db?.close();
    await lock?.release();
  }
  const mode = outputMode({
    json: Boolean(globals.json), verbose: Boolean(globals.verbose), stdoutIsTTY: Boolean(process.stdout.isTTY),
    command: spec.name, dryRun: Boolean(spec.dryRun), exitCode, quiet: Boolean(spec.quiet),
  });
  if (mode === 'json' || mode === 'human') renderSummary(out, result, { showChanges: spec.showChanges });
  else if (mode === 'stderr') renderSummary(stderrOutput(), result, { showChanges: false });
  await hooks?.notify(result);
  return exitCode;
}

/** Load the store and source adapters `config` names, and only those (see the registries). */
export async function loadAdapters(config: Config): Promise<void> {
  const storeTypes = configuredStores(config).map((s) => s.config.type as string);
  // A `store` source names a configured store or carries its own store config.
  for (const s of config.sources) if (s.type === 'store' && typeof s.store !== 'string') storeTypes.push(s.store.type);
  await loadStoreAdapters(storeTypes);
  await loadSourceAdapters(config.sources.map((s) => s.type));
}
