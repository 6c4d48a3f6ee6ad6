import { SafetyError, SourceShrunkError, StalePlanError, StoreError } from '../domain/errors.js';
import { fetchAll } from '../pipeline/fetch.js';
import { buildPlan, type Window } from '../pipeline/plan.js';
import { breakerError, createWriteGate, pushPlan, storeWasDown, type PushOutcome } from '../pipeline/push.js';
import { buildRollbackPlan } from '../pipeline/rollback.js';
import { readPlanFile, resolveSavedPlan, writePlanFile } from '../pipeline/saved-plan.js';
import { verifyApplied } from '../pipeline/verify.js';
import { createSources } from '../sources/registry.js';
import { getPlan, latestPushablePlan, planAgeProblem, planItems, settlePlanStatus, statusCounts, type PlanRecord } from '../state/plans.js';
import { recentItemCounts, recordSourceFetches } from '../state/source-history.js';
import { getIndexMeta } from '../state/store-index.js';
import { OPEN_ORDERS_BY_STORE } from '../stores/open-orders.js';
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
    openOrdersSince: openOrdersSince(config),
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

/**
 * `match`, or the match of `full`. `dryRun` (full --dry-run) records the plan so that a following
 * `push` applies exactly what was shown, unless another plan could still be pushed (pending or
 * partly applied, and not stale): then that one is kept and this one is a preview that `push`
 * never applies.
 */
export async function matchStep(ctx: RunContext, options: { window: Window; force: boolean; dryRun?: boolean }): Promise<number> {
  ctx.lockSignal?.throwIfAborted();
  const plan = await buildPlan({
    db: ctx.db, config: ctx.loaded.config, configChecksum: ctx.loaded.checksum, runId: ctx.runId, window: options.window, force: options.force,
    arming: options.dryRun ? 'dryRunRecord' : 'arm',
  });
  ctx.summary.fromPlan(plan, planItems(ctx.db, plan.planId, undefined, SUMMARY_MAX_CHANGES));
  const kept = getPlan(ctx.db, plan.planId)?.status === 'preview' ? latestPushablePlan(ctx.db) : undefined;
  if (kept) {
    ctx.summary.message = `plan ${kept.id} (${kept.status}, built ${kept.createdAt}) can still be pushed and is kept: this dry run's plan ${plan.planId} is a preview only, which \`invsync push\` never applies. \`invsync push\` applies plan ${kept.id}; \`invsync match\` replaces it with a new plan`;
    ctx.log.warn(ctx.summary.message);
  }
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
  /** Push a plan older than safety.maxPlanAgeMs (logged loudly). */
  force?: boolean;
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
  // A preview (a dry run's plan) is walked only by the dry run that recorded it.
  const previewed = options.dryRun && options.planId !== undefined && plan?.status === 'preview';
  if (!plan || (plan.status !== 'pending' && plan.status !== 'partial' && !previewed && !(options.planFile && plan.status === 'superseded'))) {
    ctx.log.info('no pending plan: nothing to push');
    ctx.summary.message = 'no pending plan: nothing to push (run `invsync match` to build one)';
    return EXIT.ok;
  }
  assertFresh(ctx, plan, Boolean(options.force));
  ctx.summary.planId = plan.id;
  if (ctx.summary.counts.inScope === 0) {
    ctx.summary.counts = { ...plan.match.counts };
    ctx.summary.safety = plan.match.safety;
    ctx.summary.sources = plan.match.sources;
    ctx.summary.addMatchErrors(plan.match);
  }
  const store = options.store ?? createStore(config.store, { stateDir: config.stateDir });
  // The one write gate: a dry run walks the same path and writes nothing.
  // SPEC §12: with open orders subtracted, a sale made after the fetch is checked for before writing.
  const recheck = config.rules.openOrders.mode === 'subtract' && OPEN_ORDERS_BY_STORE[config.store.type]?.support === 'orders';
  const gate = createWriteGate({ dryRun: options.dryRun, db: ctx.db, store, planId: plan.id, runId: ctx.runId, recheck });
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
        if (storeWasDown(outcome)) throw storeDownError(outcome);
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
  // Precedence: an auth refusal was thrown above (5); an open breaker with work left pending
  // is 4 (resumable); a push that applied nothing because the store could not serve a single
  // request is 5; any other failed item is 1.
  if (outcome.breakerReason && outcome.pending > 0) throw breakerError(outcome);
  if (storeWasDown(outcome)) throw storeDownError(outcome);
  return ctx.summary.counts.failed > 0 ? EXIT.partial : EXIT.ok;
}

function storeDownError(outcome: PushOutcome): StoreError {
  return new StoreError(`the store failed outright: none of ${outcome.failed} change(s) could be applied (first: ${outcome.batchErrors[0]?.message ?? 'request failed'}); they stay retryable — run \`invsync push\` when the store is back`);
}

/** `match --out`: save the plan just built to a file. */
export function savePlanStep(ctx: RunContext, file: string): void {
  if (ctx.summary.planId === null) return;
  writePlanFile(ctx.db, ctx.summary.planId, file);
  ctx.log.info(`plan ${ctx.summary.planId} saved to ${file}: apply exactly it with \`invsync push ${file}\``);
}

/** `rollback <run>`: a plan that puts back what that run replaced, pushed like any plan. */
export async function rollbackStep(ctx: RunContext, runSpec: string, options: { dryRun: boolean; verify?: boolean; store?: StoreAdapter }): Promise<number> {
  const store = options.store ?? createStore(ctx.loaded.config.store);
  const plan = await buildRollbackPlan(ctx.db, store, runSpec, { runId: ctx.runId, configChecksum: ctx.loaded.checksum, dryRun: options.dryRun });
  ctx.summary.planId = plan.planId;
  ctx.summary.counts = { ...plan.match.counts };
  ctx.summary.addErrors(plan.skipped, 'rollback skipped');
  ctx.summary.message = plan.changes.length === 0
    ? `nothing to put back for run ${plan.rolledBackRun}`
    : `rollback of run ${plan.rolledBackRun}: ${plan.changes.length} level(s) to put back, ${plan.skipped.length} left as they are${options.dryRun ? ' (dry run: nothing written, nothing left for `invsync push`)' : ''}`;
  ctx.log.info({ plan: plan.planId, changes: plan.changes.length, skipped: plan.skipped.length }, ctx.summary.message);
  if (plan.changes.length === 0) return EXIT.ok;
  return pushStep(ctx, { dryRun: options.dryRun, planId: plan.planId, verify: options.verify, store });
}

/**
 * A plan built from another store index or another config is not applied blindly, nor one
 * older than safety.maxPlanAgeMs (its levels come from an old fetch) unless `force`.
 */
function assertFresh(ctx: RunContext, plan: PlanRecord, force: boolean): void {
  const index = getIndexMeta(ctx.db);
  if (!index || index.generation !== plan.indexGeneration) {
    throw new StalePlanError(`plan ${plan.id} is stale: the store index was refreshed after it was built (generation ${plan.indexGeneration} → ${index?.generation ?? 'none'}); run \`invsync match\` to build a new plan`);
  }
  if (ctx.loaded.checksum !== plan.configChecksum) {
    throw new StalePlanError(`plan ${plan.id} is stale: the configuration changed after it was built; run \`invsync match\` to build a new plan`);
  }
  const tooOld = planAgeProblem(plan.createdAt, Date.now(), ctx.loaded.config.safety.maxPlanAgeMs);
  if (tooOld && !force) {
    throw new StalePlanError(`plan ${plan.id} is stale: ${tooOld}; run \`invsync match\` to build a new plan, or \`invsync push --force\` to push it anyway`);
  }
  if (tooOld) ctx.log.warn(`plan ${plan.id}: ${tooOld} — OVERRIDDEN by --force: pushing it anyway`);
}

/**
 * SPEC §12: the start of the open-orders window when this fetch must read open orders (the rule
 * is "subtract" and the store is one whose orders invsync reads), else undefined.
 */
export function openOrdersSince(config: RunContext['loaded']['config'], nowMs = Date.now()): string | undefined {
  const rule = config.rules.openOrders;
  if (rule.mode !== 'subtract' || OPEN_ORDERS_BY_STORE[config.store.type]?.support !== 'orders') return undefined;
  return new Date(nowMs - rule.lookbackHours * 3_600_000).toISOString();
}

/** Median of a list of counts, or undefined for none. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}
