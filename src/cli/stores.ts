import type { LoadedConfig } from '../config/load.js';
import { configuredStores, isMultiStore, selectStores } from '../config/stores.js';
import type { StepOutcome, StoreRun } from '../pipeline/steps.js';
import { runPipeline, type PipelineRequest, type StoreResult } from '../pipeline/run.js';
import { SummaryBuilder } from '../pipeline/summary.js';
import { keepRunStores, recordRunStores } from '../state/runs.js';
import type { RunContext } from './context.js';
import { EXIT, exitCodeFor, statusForExit } from './exit-codes.js';

/** `--store <name>` (repeatable): commander collects the values. */
export function collectStore(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The `check` of a command taking `--store`: unknown names are a usage error (exit 2) before anything is done. */
export function checkStoreNames(loaded: LoadedConfig, names: readonly string[] | undefined): void {
  selectStores(configuredStores(loaded.config), names);
}

function exitForOutcome(outcome: StepOutcome | undefined): number {
  return outcome === 'blocked' ? EXIT.blocked : outcome === 'partial' ? EXIT.partial : EXIT.ok;
}

/**
 * options → pipeline → exit code: run `request` on the selected stores through the pipeline's one
 * entry point. With the singular `store`, the store's summary is the run's and its error is
 * thrown (mapped once, in runCommand). With `stores`, every store gets its exit code from the one
 * table, the summary lists them (`stores`), and the run's exit code is the highest.
 */
export async function runOnStores(ctx: RunContext, names: readonly string[] | undefined, request: PipelineRequest): Promise<number> {
  const { config } = ctx.loaded;
  const multi = isMultiStore(config);
  const selected = selectStores(configuredStores(config), names);
  const dryRun = 'dryRun' in request && request.dryRun;
  const stores: StoreRun[] = selected.map((setup) => ({
    setup,
    checksum: ctx.loaded.storeChecksum(setup.name),
    summary: multi ? new SummaryBuilder(ctx.runId, request.command, dryRun) : ctx.summary,
  }));
  recordRunStores(ctx.db, ctx.runId, selected.map((s) => s.name));
  const results = await runPipeline({
    config, db: ctx.db, runId: ctx.runId, log: ctx.log, progress: ctx.progress, lockSignal: ctx.lockSignal,
  }, stores, request, ctx.summary);
  keepRunStores(ctx.db, ctx.runId, results.map((r) => r.name));
  if (!multi) {
    const only = results[0]!;
    if (only.error !== undefined) throw only.error;
    return exitForOutcome(only.outcome);
  }
  return combine(ctx, results);
}

function combine(ctx: RunContext, results: StoreResult[]): number {
  let exitCode: number = EXIT.ok;
  const parts = results.map((r) => {
    const code = r.error !== undefined ? exitCodeFor(r.error) : exitForOutcome(r.outcome);
    if (r.error !== undefined) r.summary.message = r.error instanceof Error ? r.error.message : String(r.error);
    exitCode = Math.max(exitCode, code);
    return { name: r.name, summary: r.summary, exitCode: code, status: statusForExit(code) };
  });
  ctx.summary.combine(parts);
  const failed = parts.filter((p) => p.exitCode !== EXIT.ok);
  if (failed.length > 0) {
    ctx.summary.message = failed.map((p) => `store "${p.name}": exit ${p.exitCode}${p.summary.message ? ` (${p.summary.message})` : ''}`).join('; ');
  }
  return exitCode;
}
