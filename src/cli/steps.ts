import { StalePlanError } from '../domain/errors.js';
import { fetchAll } from '../pipeline/fetch.js';
import { buildPlan, type Window } from '../pipeline/plan.js';
import { breakerError, createWriteGate, pushPlan } from '../pipeline/push.js';
import { createSources } from '../sources/registry.js';
import { getPlan, latestPushablePlan, planItems, type PlanRecord } from '../state/plans.js';
import { lastSuccessfulFetch, recordSourceFetches } from '../state/source-history.js';
import { getIndexMeta } from '../state/store-index.js';
import { createStore } from '../stores/registry.js';
import type { StoreAdapter } from '../stores/types.js';
import type { RunContext } from './context.js';
import { EXIT } from './exit-codes.js';

/**
 * The three stages as the commands compose them. Each fills the run summary and returns an
 * exit code, or throws a typed error (mapped to an exit code in one place).
 */

export async function fetchStep(ctx: RunContext, options: { force?: boolean; store?: StoreAdapter } = {}): Promise<number> {
  const { config } = ctx.loaded;
  const store = options.store ?? createStore(config.store);
  const ratios = new Map(config.sources.map((s) => [s.name, s.minItemsRatio]));
  const outcome = await fetchAll({
    stateDir: config.stateDir,
    db: ctx.db,
    sources: createSources(config.sources, { stateDir: config.stateDir }),
    store,
    shrinkGate: {
      previousItems: (source) => lastSuccessfulFetch(ctx.db, source)?.items,
      minItemsRatio: (source) => ratios.get(source) ?? 0.5,
      force: Boolean(options.force),
    },
  });
  recordSourceFetches(ctx.db, ctx.runId, outcome.snapshot.perSource);
  ctx.summary.fromFetch(outcome.snapshot.perSource, outcome.index.itemCount);
  return EXIT.ok;
}

export async function matchStep(ctx: RunContext, options: { window: Window; force: boolean }): Promise<number> {
  const plan = await buildPlan({
    db: ctx.db, config: ctx.loaded.config, configChecksum: ctx.loaded.checksum, runId: ctx.runId, window: options.window, force: options.force,
  });
  ctx.summary.fromPlan(plan);
  if (plan.safety.tripped && plan.safety.forced) {
    ctx.log.warn(`${plan.safety.message} — OVERRIDDEN by --force: the plan will be applied`);
  } else if (plan.safety.tripped) {
    ctx.log.error(plan.safety.message);
    return EXIT.blocked;
  }
  ctx.log.info({ plan: plan.planId, changes: plan.changes.length }, `plan ${plan.planId}: ${plan.changes.length} change(s)`);
  return EXIT.ok;
}

export async function pushStep(ctx: RunContext, options: { dryRun: boolean; store?: StoreAdapter; planId?: number }): Promise<number> {
  const { config } = ctx.loaded;
  const plan = options.planId !== undefined ? getPlan(ctx.db, options.planId) : latestPushablePlan(ctx.db);
  if (plan?.status === 'empty') return EXIT.ok;
  if (!plan || (plan.status !== 'pending' && plan.status !== 'partial')) {
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
  }
  const store = options.store ?? createStore(config.store);
  const gate = createWriteGate({ dryRun: options.dryRun, db: ctx.db, store, planId: plan.id, runId: ctx.runId });
  let outcome;
  try {
    outcome = await pushPlan({
      db: ctx.db, plan, store, runId: ctx.runId, gate, breaker: config.safety.breaker, concurrency: config.store.concurrency ?? 1,
    });
  } finally {
    ctx.summary.fromPush(planItems(ctx.db, plan.id), outcome ?? null, options.dryRun);
  }
  if (options.dryRun) return EXIT.ok;
  if (outcome.breakerReason && outcome.pending > 0) throw breakerError(outcome);
  return outcome.failed > 0 ? EXIT.partial : EXIT.ok;
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
