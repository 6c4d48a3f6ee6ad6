import { SafetyError, SourceShrunkError, StalePlanError } from '../domain/errors.js';
import { fetchAll } from '../pipeline/fetch.js';
import { buildPlan, type Window } from '../pipeline/plan.js';
import { breakerError, createWriteGate, pushPlan, type PushOutcome } from '../pipeline/push.js';
import { buildRollbackPlan } from '../pipeline/rollback.js';
import { readPlanFile, resolveSavedPlan, writePlanFile } from '../pipeline/saved-plan.js';
import { verifyApplied } from '../pipeline/verify.js';
import { createSources } from '../sources/registry.js';
import { getPlan, latestPushablePlan, planItems, settlePlanStatus, statusCounts, type PlanRecord } from '../state/plans.js';
import { recentItemCounts, recordSourceFetches } from '../state/source-history.js';
import { getIndexMeta } from '../state/store-index.js';
import { createStore } from '../stores/registry.js';
import type { StoreAdapter } from '../stores/types.js';
import type { RunContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { SUMMARY_MAX_CHANGES } from './summary.js';

/**
 * The three stages as the commands compose them. Each fills the run summary and returns an
 * exit code, or throws a typed error (mapped to an exit code in one place).
 */

export async function fetchStep(ctx: RunContext, options: { force?: boolean; store?: StoreAdapter } = {}): Promise<number> {
  const { config } = ctx.loaded;
  const store = options.store ?? createStore(config.store, { stateDir: config.stateDir });
  const ratios = new Map(config.sources.map((s) => [s.name, s.minItemsRatio]));
  const reference = new Map(config.sources.map((s) => [s.name, median(recentItemCounts(ctx.db, s.name, 5))]));
  let outcome;
  try {
    outcome = await fetchAll({
    stateDir: config.stateDir,
    db: ctx.db,
    sources: createSources(config.sources, { stateDir: config.stateDir, db: ctx.db, fetchId: ctx.runId }),
    store,
    fetchId: ctx.runId,
    onSourceItem: ctx.progress.sourceItem,
    shrinkGate: {
      previousItems: (source) => reference.get(source),
      minItemsRatio: (source) => ratios.get(source) ?? 0.5,
      force: Boolean(options.force),
    },
    });
  } catch (err) {
    if (err instanceof SourceShrunkError) ctx.summary.safety = { ...ctx.summary.safety, tripped: err.gate, message: err.message };
    throw err;
  }
  ctx.progress.stop();
  ctx.lockSignal?.throwIfAborted();
  recordSourceFetches(ctx.db, ctx.runId, outcome.snapshot.perSource);
  ctx.summary.fromFetch(outcome.snapshot.perSource, outcome.index.itemCount);
  ctx.summary.feed = Object.fromEntries(Object.entries(outcome.snapshot.perSource).map(([source, c]) => {
    const ref = reference.get(source) ?? null;
    return [source, { items: c.items, reference: ref, ratio: ref ? Math.round((c.items / ref) * 10_000) / 10_000 : null }];
  }));
  return EXIT.ok;
}

export async function matchStep(ctx: RunContext, options: { window: Window; force: boolean }): Promise<number> {
  ctx.lockSignal?.throwIfAborted();
  const plan = await buildPlan({
    db: ctx.db, config: ctx.loaded.config, configChecksum: ctx.loaded.checksum, runId: ctx.runId, window: options.window, force: options.force,
  });
  ctx.summary.fromPlan(plan, planItems(ctx.db, plan.planId, undefined, SUMMARY_MAX_CHANGES));
  if (plan.safety.tripped && plan.safety.forced) {
    ctx.log.warn(`${plan.safety.message} — OVERRIDDEN by --force: the plan will be applied`);
  } else if (plan.safety.tripped) {
    ctx.log.error(plan.safety.message);
    return EXIT.blocked;
  }
  ctx.log.info({ plan: plan.planId, changes: plan.changeCount }, `plan ${plan.planId}: ${plan.changeCount} change(s)`);
  return EXIT.ok;
}

export interface PushStepOptions {
  dryRun: boolean;
  store?: StoreAdapter;
  /** Push this plan (full, rollback) instead of the newest pending one. */
  planId?: number;
  /** A saved plan file (`invsync push plan.json`): applied exactly, or refused when stale. */
  planFile?: string;
  /** Read the applied items back and fail those that did not land (default true). */
  verify?: boolean;
  /** Apply and verify this many changes first; go on only if all landed. */
  canary?: number;
}

export async function pushStep(ctx: RunContext, options: PushStepOptions): Promise<number> {
  ctx.lockSignal?.throwIfAborted();
  const { config } = ctx.loaded;
  const plan = options.planFile !== undefined
    ? resolveSavedPlan(ctx.db, readPlanFile(options.planFile), options.planFile)
    : options.planId !== undefined ? getPlan(ctx.db, options.planId) : latestPushablePlan(ctx.db);
  if (plan?.status === 'empty' || plan?.status === 'applied') {
    if (plan.status === 'applied') ctx.summary.message = `plan ${plan.id} is already applied: nothing to push`;
    return EXIT.ok;
  }
  if (!plan || (plan.status !== 'pending' && plan.status !== 'partial' && !(options.planFile && plan.status === 'superseded'))) {
    ctx.log.info('no pending plan: nothing to push');
    ctx.summary.message = 'no pending plan: nothing to push (run `invsync match` to build one)';
    return EXIT.ok;
  }
  assertFresh(ctx, plan);
  ctx.summary.planId = plan.id;
  if (ctx.summary.counts.inScope === 0) {
    ctx.summary.counts = { ...plan.match.counts };
    ctx.summary.safety = plan.match.safety;
    ctx.summary.sources = plan.match.sources;
    ctx.summary.errors.push(...plan.match.errors);
  }
  const store = options.store ?? createStore(config.store, { stateDir: config.stateDir });
  // The one write gate: a dry run walks the same path and writes nothing.
  const gate = createWriteGate({ dryRun: options.dryRun, db: ctx.db, store, planId: plan.id, runId: ctx.runId });
  const verify = options.verify !== false && !options.dryRun;
  const push = (maxItems?: number) => pushPlan({
    db: ctx.db, plan, store, runId: ctx.runId, gate, breaker: config.safety.breaker, concurrency: config.store.concurrency ?? 1, maxItems,
    onBatch: ctx.progress.batch, signal: ctx.lockSignal,
  });
  let outcome: PushOutcome | undefined;
  try {
    const verified = new Set<number>();
    if (options.canary !== undefined && !options.dryRun) {
      outcome = await push(options.canary);
      const check = verify ? await verifyApplied({ db: ctx.db, planId: plan.id, runId: ctx.runId, store }) : undefined;
      for (const i of planItems(ctx.db, plan.id, ['applied', 'failed'])) verified.add(i.seq);
      const bad = outcome.failed + (check?.mismatched.length ?? 0);
      if (bad > 0 || outcome.pending > 0) {
        settlePlanStatus(ctx.db, plan.id);
        throw new SafetyError(`canary failed: ${bad} of ${outcome.attempted} canary change(s) did not land${check?.mismatched[0] ? ` (first: ${check.mismatched[0].sku}: ${check.mismatched[0].reason})` : ''}; the rest of the plan is pending — fix the cause, then run \`invsync push\``, 'canary');
      }
      ctx.log.info(`canary passed: ${outcome.applied} change(s) applied${check ? ' and verified' : ''}; pushing the rest`);
    }
    outcome = await push();
    if (verify) {
      const applied = planItems(ctx.db, plan.id, ['applied']).filter((i) => i.appliedRunId === ctx.runId && !verified.has(i.seq));
      await verifyApplied({ db: ctx.db, planId: plan.id, runId: ctx.runId, store, only: new Set(applied.map((i) => i.seq)) });
      settlePlanStatus(ctx.db, plan.id);
    }
  } finally {
    ctx.summary.fromPush(statusCounts(ctx.db, plan.id), planItems(ctx.db, plan.id, undefined, SUMMARY_MAX_CHANGES),
      planItems(ctx.db, plan.id, ['failed']), outcome ?? null, options.dryRun);
  }
  if (options.dryRun) return EXIT.ok;
  if (outcome.breakerReason && outcome.pending > 0) throw breakerError(outcome);
  return ctx.summary.counts.failed > 0 ? EXIT.partial : EXIT.ok;
}

/** `match --out`: save the plan just built to a file. */
export function savePlanStep(ctx: RunContext, file: string): void {
  if (ctx.summary.planId === null) return;
  writePlanFile(ctx.db, ctx.summary.planId, file);
  ctx.log.info(`plan ${ctx.summary.planId} saved to ${file}: apply exactly it with \`invsync push ${file}\``);
}

/** `rollback <run>`: a plan that puts back what that run replaced, pushed like any plan. */
export async function rollbackStep(ctx: RunContext, runSpec: string, options: { dryRun: boolean; verify?: boolean }): Promise<number> {
  const plan = buildRollbackPlan(ctx.db, runSpec, { runId: ctx.runId, configChecksum: ctx.loaded.checksum });
  ctx.summary.planId = plan.planId;
  ctx.summary.counts = { ...plan.match.counts };
  ctx.summary.errors.push(...plan.skipped);
  ctx.log.info({ plan: plan.planId, changes: plan.changes.length, skipped: plan.skipped.length },
    `rollback of run ${plan.rolledBackRun}: ${plan.changes.length} level(s) to put back, ${plan.skipped.length} left as they are`);
  if (plan.changes.length === 0) {
    ctx.summary.message = `nothing to put back for run ${plan.rolledBackRun}`;
    return EXIT.ok;
  }
  return pushStep(ctx, { dryRun: options.dryRun, planId: plan.planId, verify: options.verify });
}

/** A plan built from another store index or another config is not applied blindly. */
function assertFresh(ctx: RunContext, plan: PlanRecord): void {
  const index = getIndexMeta(ctx.db);
  if (!index || index.generation !== plan.indexGeneration) {
    throw new StalePlanError(`plan ${plan.id} is stale: the store index was refreshed after it was built (generation ${plan.indexGeneration} → ${index?.generation ?? 'none'}); run \`invsync match\` to build a new plan`);
  }
  if (ctx.loaded.checksum !== plan.configChecksum) {
    throw new StalePlanError(`plan ${plan.id} is stale: the configuration changed after it was built; run \`invsync match\` to build a new plan`);
  }
}

/** Median of a list of counts, or undefined for none. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}
