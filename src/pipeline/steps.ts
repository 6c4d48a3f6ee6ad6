import { configuredStores, type StoreSetup } from '../config/stores.js';
import type { Config } from '../config/schema.js';
import { SafetyError, SourceShrunkError, StalePlanError, StoreError } from '../domain/errors.js';
import { releaseHeapTuning } from '../lib/heap.js';
import type { Logger } from '../lib/log.js';
import { createSources } from '../sources/registry.js';
import type { Db } from '../state/db.js';
import { getPlan, iteratePlanItems, latestPushablePlan, planAgeProblem, planItems, settlePlanStatus, statusCounts, type PlanRecord } from '../state/plans.js';
import { recentItemCounts, recordSourceFetches } from '../state/source-history.js';
import { getIndexMeta } from '../state/store-index.js';
import { openOrdersReads } from './open-orders.js';
import { createStore } from '../stores/registry.js';
import type { StoreAdapter } from '../stores/types.js';
import { fetchAll, type FetchOutcome } from './fetch.js';
import { stageRefresh, storeFingerprint, type RefreshReport } from './index-refresh.js';
import type { StagedIndex } from '../state/store-index.js';
import { buildPlan, type SharedSupply, type Window } from './plan.js';
import { breakerError, createWriteGate, pushPlan, storeWasDown, type PushOutcome } from './push.js';
import { buildRollbackPlan } from './rollback.js';
import { readPlanFile, resolveSavedPlan, writePlanFile } from './saved-plan.js';
import { SUMMARY_MAX_CHANGES, type SummaryBuilder } from './summary.js';
import { verifyApplied } from './verify.js';

/**
 * The stages of the pipeline for one store, as the entry point (run.ts) composes them. Each fills
 * its store's summary and returns how the stage ended, or throws a typed error; front ends map
 * both to exit codes (the pipeline knows none).
 */
export type StepOutcome = 'ok' | 'partial' | 'blocked';

/** What every stage of one run shares: no front end in it (the CLI, `serve` and tests build one). */
export interface PipelineContext {
  config: Config;
  db: Db;
  runId: string;
  log: Logger;
  /** Progress callbacks (no-ops when nobody watches). */
  progress: { sourceItem(): void; batch(done: number, total: number): void; stop(): void };
  /** Mutating commands: aborted (reason: LockedError) when the state dir's lock is lost; checked before every write. */
  lockSignal?: AbortSignal;
}

/** One store inside a run: what it is, the checksum its plans carry, and what the run learned about it. */
export interface StoreRun {
  setup: StoreSetup;
  /** What a plan for this store depends on (see configChecksum); a plan built under another is stale. */
  checksum: string;
  summary: SummaryBuilder;
  /** The adapter; created on first use (tests may inject one). */
  adapter?: StoreAdapter;
  /** Issue 19: how this run's fetch refreshed the store's index (stores with `index.incremental`). */
  refresh?: RefreshReport;
}

export function adapterOf(store: StoreRun, stateDir: string): StoreAdapter {
  return (store.adapter ??= createStore(store.setup.config, { stateDir }));
}

/** How one store fared in a fetch: its index was refreshed, or its listing failed (the others went on). */
export type FetchedStores = Map<string, { ok: true } | { ok: false; error: unknown }>;

/**
 * `fetch`: every source feeding one of `stores` read once into the snapshot, every store's listing
 * staged, all committed as one unit (SPEC §8, §9). A source failing fails the whole fetch (thrown);
 * a store whose listing fails is reported in the result while the others commit, unless every
 * listing failed (then that error is thrown and nothing changes).
 */
export async function fetchStep(ctx: PipelineContext, stores: StoreRun[], options: { force?: boolean; summary?: SummaryBuilder } = {}): Promise<FetchedStores> {
  const { config } = ctx;
  const wanted = new Set(stores.flatMap((s) => s.setup.sources));
  const sourceConfigs = config.sources.filter((s) => wanted.has(s.name));
  const ratios = new Map(sourceConfigs.map((s) => [s.name, s.minItemsRatio]));
  const reference = new Map(sourceConfigs.map((s) => [s.name, median(recentItemCounts(ctx.db, s.name, 5))]));
  const summaries = [...new Set([...(options.summary ? [options.summary] : []), ...stores.map((s) => s.summary)])];
  let outcome: FetchOutcome;
  try {
    outcome = await fetchAll({
      stateDir: config.stateDir,
      db: ctx.db,
      sources: createSources(sourceConfigs, {
        stateDir: config.stateDir, db: ctx.db, fetchId: ctx.runId, resolveStore: (name) => configuredStores(config).find((s) => s.name === name)?.config,
        prices: config.prices.enabled,
      }),
      stores: stores.map((s) => ({ name: s.setup.name, adapter: adapterOf(s, config.stateDir), ...incrementalStage(ctx, s) })),
      fetchId: ctx.runId,
      signal: ctx.lockSignal,
      ...openOrdersOption(config, stores.map((s) => s.setup.name)),
      onSourceItem: ctx.progress.sourceItem,
      shrinkGate: {
        previousItems: (source) => reference.get(source),
        minItemsRatio: (source) => ratios.get(source) ?? 0.5,
        force: Boolean(options.force),
      },
    });
  } catch (err) {
    if (err instanceof SourceShrunkError) {
      for (const s of summaries) s.safety = { ...s.safety, tripped: err.gate, message: err.message };
    }
    throw err;
  }
  ctx.progress.stop();
  ctx.lockSignal?.throwIfAborted();
  for (const s of stores) {
    if (s.refresh && outcome.stores.get(s.setup.name) && !('error' in outcome.stores.get(s.setup.name)!)) s.summary.index = s.refresh;
  }
  recordSourceFetches(ctx.db, ctx.runId, outcome.snapshot.perSource);
  const feed = (sources: Iterable<string>) => Object.fromEntries([...sources].filter((s) => outcome.snapshot.perSource[s]).map((source) => {
    const c = outcome.snapshot.perSource[source]!;
    const ref = reference.get(source) ?? null;
    return [source, { items: c.items, reference: ref, ratio: ref ? Math.round((c.items / ref) * 10_000) / 10_000 : null }];
  }));
  const pick = (sources: Iterable<string>) => Object.fromEntries([...sources].filter((s) => outcome.snapshot.perSource[s]).map((s) => [s, outcome.snapshot.perSource[s]!]));
  const result: FetchedStores = new Map();
  let storeItems = 0;
  for (const s of stores) {
    const listed = outcome.stores.get(s.setup.name)!;
    if ('error' in listed) {
      result.set(s.setup.name, { ok: false, error: listed.error });
      s.summary.fromFetch(pick(s.setup.sources), 0);
      continue;
    }
    result.set(s.setup.name, { ok: true });
    storeItems += listed.index.itemCount;
    s.summary.fromFetch(pick(s.setup.sources), listed.index.itemCount);
    s.summary.feed = feed(s.setup.sources);
  }
  if (options.summary && !stores.some((s) => s.summary === options.summary)) {
    options.summary.fromFetch(outcome.snapshot.perSource, storeItems);
    options.summary.feed = feed(Object.keys(outcome.snapshot.perSource));
  }
  return result;
}

/**
 * Issue 19: a store with `index.incremental` stages its index through `stageRefresh` (incremental
 * when allowed, else full with the reason, which the store's summary then shows).
 */
function incrementalStage(ctx: PipelineContext, store: StoreRun): { stage?: (signal: AbortSignal) => Promise<StagedIndex> } {
  const settings = store.setup.config.index;
  if (!settings?.incremental) return {};
  // SPEC §12: a store whose open orders come with its listing (Shopify committed, Vendure
  // stockAllocated) needs the whole listing to know them: listed in full under `subtract`.
  if (openOrdersReads(ctx.config).get(store.setup.name) === 'listing') return {};
  return {
    stage: async (signal) => {
      const { staged, report } = await stageRefresh(ctx.db, {
        name: store.setup.name, fetchId: ctx.runId, adapter: adapterOf(store, ctx.config.stateDir), settings,
        fingerprint: storeFingerprint(store.setup.config),
      }, signal);
      store.refresh = report;
      return staged;
    },
  };
}

/**
 * `match`, or the match of `full`, for one store. `dryRun` (full --dry-run) records the plan so
 * that a following `push` applies exactly what was shown, unless another plan of this store could
 * still be pushed (pending or partly applied, and not stale): then that one is kept and this one
 * is a preview that `push` never applies.
 */
export async function matchStep(ctx: PipelineContext, store: StoreRun, options: { window: Window; force: boolean; dryRun?: boolean; supply?: SharedSupply }): Promise<StepOutcome> {
  // The plan holds both sides in memory: V8's own heap sizing serves that better (src/lib/heap.ts).
  releaseHeapTuning();
  ctx.lockSignal?.throwIfAborted();
  const name = store.setup.name;
  const plan = await buildPlan({
    db: ctx.db, config: ctx.config, configChecksum: store.checksum, runId: ctx.runId, window: options.window, force: options.force,
    arming: options.dryRun ? 'dryRunRecord' : 'arm', store: store.setup, supply: options.supply, signal: ctx.lockSignal,
  });
  const summary = store.summary;
  summary.fromPlan(plan, planItems(ctx.db, plan.planId, undefined, SUMMARY_MAX_CHANGES));
  const kept = getPlan(ctx.db, plan.planId)?.status === 'preview' ? latestPushablePlan(ctx.db, name) : undefined;
  const log = storeLog(ctx, name);
  if (kept) {
    summary.message = `plan ${kept.id} (${kept.status}, built ${kept.createdAt}) can still be pushed and is kept: this dry run's plan ${plan.planId} is a preview only, which \`invsync push\` never applies. \`invsync push\` applies plan ${kept.id}; \`invsync match\` replaces it with a new plan`;
    log.warn(summary.message);
  }
  if (plan.safety.tripped && plan.safety.forced) {
    log.warn(`${plan.safety.message} — OVERRIDDEN by --force: the plan will be applied`);
  } else if (plan.safety.tripped) {
    log.error(plan.safety.message);
    return 'blocked';
  }
  log.info({ plan: plan.planId, changes: plan.changeCount }, `plan ${plan.planId}: ${plan.changeCount} change(s)`);
  return 'ok';
}

export interface PushStepOptions {
  dryRun: boolean;
  /** Push this plan (full, rollback) instead of the store's newest pending one. */
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

/** `push` for one store: its newest pending plan (or the one named), behind its own breaker. */
export async function pushStep(ctx: PipelineContext, store: StoreRun, options: PushStepOptions): Promise<StepOutcome> {
  ctx.lockSignal?.throwIfAborted();
  const summary = store.summary;
  const name = store.setup.name;
  const log = storeLog(ctx, name);
  const plan = options.planFile !== undefined
    ? resolveSavedPlan(ctx.db, readPlanFile(options.planFile), options.planFile)
    : options.planId !== undefined ? getPlan(ctx.db, options.planId) : latestPushablePlan(ctx.db, name);
  if (plan?.status === 'empty' || plan?.status === 'applied') {
    if (plan.status === 'applied') summary.message = `plan ${plan.id} is already applied: nothing to push`;
    return 'ok';
  }
  // A preview (a dry run's plan) is walked only by the dry run that recorded it.
  const previewed = options.dryRun && options.planId !== undefined && plan?.status === 'preview';
  if (!plan || (plan.status !== 'pending' && plan.status !== 'partial' && !previewed && !(options.planFile && plan.status === 'superseded'))) {
    log.info('no pending plan: nothing to push');
    summary.message = 'no pending plan: nothing to push (run `invsync match` to build one)';
    return 'ok';
  }
  assertFresh(ctx, store, plan, Boolean(options.force));
  summary.planId = plan.id;
  if (summary.counts.inScope === 0) {
    summary.counts = { ...plan.match.counts };
    summary.safety = plan.match.safety;
    summary.sources = plan.match.sources;
    summary.addMatchErrors(plan.match);
  }
  const adapter = adapterOf(store, ctx.config.stateDir);
  // The one write gate: a dry run walks the same path and writes nothing.
  // SPEC §12: with open orders subtracted, a sale made after the fetch is checked for before writing.
  const recheck = openOrdersSince(ctx.config) !== undefined;
  const gate = createWriteGate({ dryRun: options.dryRun, db: ctx.db, store: adapter, planId: plan.id, runId: ctx.runId, recheck });
  const verify = options.verify !== false && !options.dryRun;
  const push = (maxItems?: number) => pushPlan({
    db: ctx.db, plan, store: adapter, runId: ctx.runId, gate, breaker: store.setup.safety.breaker, concurrency: store.setup.config.concurrency ?? 1, maxItems,
    onBatch: ctx.progress.batch, signal: ctx.lockSignal,
  });
  let outcome: PushOutcome | undefined;
  try {
    const verified = new Set<number>();
    if (options.canary !== undefined && !options.dryRun) {
      outcome = await push(options.canary);
      const check = verify ? await verifyApplied({ db: ctx.db, planId: plan.id, runId: ctx.runId, store: adapter }) : undefined;
      for (const i of planItems(ctx.db, plan.id, ['applied', 'failed'])) verified.add(i.seq);
      const bad = outcome.failed + (check?.mismatched.length ?? 0);
      if (bad > 0 || outcome.pending > 0) {
        settlePlanStatus(ctx.db, plan.id);
        if (storeWasDown(outcome)) throw storeDownError(outcome);
        throw new SafetyError(`canary failed: ${bad} of ${outcome.attempted} canary change(s) did not land${check?.mismatched[0] ? ` (first: ${check.mismatched[0].sku}: ${check.mismatched[0].reason})` : ''}; the rest of the plan is pending — fix the cause, then run \`invsync push\``, 'canary');
      }
      log.info(`canary passed: ${outcome.applied} change(s) applied${check ? ' and verified' : ''}; pushing the rest`);
    }
    outcome = await push();
    if (verify) {
      const applied = planItems(ctx.db, plan.id, ['applied']).filter((i) => i.appliedRunId === ctx.runId && !verified.has(i.seq));
      await verifyApplied({ db: ctx.db, planId: plan.id, runId: ctx.runId, store: adapter, only: new Set(applied.map((i) => i.seq)) });
      settlePlanStatus(ctx.db, plan.id);
    }
  } finally {
    summary.fromPush(statusCounts(ctx.db, plan.id), planItems(ctx.db, plan.id, undefined, SUMMARY_MAX_CHANGES),
      iteratePlanItems(ctx.db, plan.id, 5000, ['failed']), outcome ?? null, options.dryRun);
  }
  if (options.dryRun) return 'ok';
  // Precedence: an auth refusal was thrown above (5); an open breaker with work left pending
  // is 4 (resumable); a push that applied nothing because the store could not serve a single
  // request is 5; any other failed item is 1.
  if (outcome.breakerReason && outcome.pending > 0) throw breakerError(outcome);
  if (storeWasDown(outcome)) throw storeDownError(outcome);
  return summary.counts.failed > 0 ? 'partial' : 'ok';
}

function storeDownError(outcome: PushOutcome): StoreError {
  return new StoreError(`the store failed outright: none of ${outcome.failed} change(s) could be applied (first: ${outcome.batchErrors[0]?.message ?? 'request failed'}); they stay retryable — run \`invsync push\` when the store is back`);
}

/** `match --out`: save the plan just built to a file. */
export function savePlanStep(ctx: PipelineContext, store: StoreRun, file: string): void {
  const planId = store.summary.planId;
  if (planId === null) return;
  writePlanFile(ctx.db, planId, file);
  ctx.log.info(`plan ${planId} saved to ${file}: apply exactly it with \`invsync push ${file}\``);
}

/** `rollback <run>` for one store: a plan that puts back what that run replaced there, pushed like any plan. */
export async function rollbackStep(ctx: PipelineContext, store: StoreRun, runSpec: string, options: { dryRun: boolean; verify?: boolean }): Promise<StepOutcome> {
  const summary = store.summary;
  const plan = await buildRollbackPlan(ctx.db, adapterOf(store, ctx.config.stateDir), runSpec, {
    runId: ctx.runId, configChecksum: store.checksum, dryRun: options.dryRun, storeName: store.setup.name,
  });
  summary.planId = plan.planId;
  summary.counts = { ...plan.match.counts };
  summary.addErrors(plan.skipped, 'rollback skipped');
  summary.message = plan.changes.length === 0
    ? `nothing to put back for run ${plan.rolledBackRun}`
    : `rollback of run ${plan.rolledBackRun}: ${plan.changes.length} level(s) to put back, ${plan.skipped.length} left as they are${options.dryRun ? ' (dry run: nothing written, nothing left for `invsync push`)' : ''}`;
  storeLog(ctx, store.setup.name).info({ plan: plan.planId, changes: plan.changes.length, skipped: plan.skipped.length }, summary.message);
  if (plan.changes.length === 0) return 'ok';
  return pushStep(ctx, store, { dryRun: options.dryRun, planId: plan.planId, verify: options.verify });
}

/**
 * Whether plan `planId` may be applied exactly (serve's "apply this plan"), checked before the
 * run starts: it exists, is still pending or partly applied (not superseded by a newer plan,
 * a preview, blocked by a gate, or done), and is fresh by the rules `push` applies.
 * Returns the plan; throws StalePlanError (or SafetyError for a gate-blocked plan) naming why.
 */
export function assertApplicable(ctx: Pick<PipelineContext, 'db' | 'log' | 'config'>, store: StoreRun, planId: number): PlanRecord {
  const plan = getPlan(ctx.db, planId);
  if (!plan) throw new StalePlanError(`no plan ${planId} in this state directory`);
  if (plan.status === 'blocked') {
    throw new SafetyError(`plan ${plan.id} was blocked by a safety gate (${plan.match.safety.tripped}): ${plan.match.safety.message ?? ''}`.trim(), plan.match.safety.tripped ?? 'safety');
  }
  if (plan.status !== 'pending' && plan.status !== 'partial') {
    const newer = plan.status === 'superseded' || plan.status === 'preview' ? latestPushablePlan(ctx.db, plan.store) : undefined;
    const why = plan.status === 'applied' ? 'it is already applied'
      : plan.status === 'empty' ? 'it has no change to apply'
        : plan.status === 'superseded' ? `a newer plan replaced it${newer ? ` (plan ${newer.id})` : ''}`
          : `it is a dry run's preview, kept apart because plan ${newer?.id ?? '?'} could still be pushed`;
    throw new StalePlanError(`plan ${plan.id} cannot be applied: ${why}`);
  }
  assertFresh(ctx, store, plan, false);
  return plan;
}

/**
 * A plan built from another store index or another config is not applied blindly, nor one
 * older than safety.maxPlanAgeMs (its levels come from an old fetch) unless `force`.
 */
function assertFresh(ctx: Pick<PipelineContext, 'db' | 'log' | 'config'>, store: StoreRun, plan: PlanRecord, force: boolean): void {
  const index = getIndexMeta(ctx.db, plan.store);
  if (plan.store !== store.setup.name) {
    throw new StalePlanError(`plan ${plan.id} is for store "${plan.store}", not "${store.setup.name}"`);
  }
  if (!index || index.generation !== plan.indexGeneration) {
    throw new StalePlanError(`plan ${plan.id} is stale: the store index was refreshed after it was built (generation ${plan.indexGeneration} → ${index?.generation ?? 'none'}); run \`invsync match\` to build a new plan`);
  }
  if (store.checksum !== plan.configChecksum) {
    throw new StalePlanError(`plan ${plan.id} is stale: the configuration changed after it was built; run \`invsync match\` to build a new plan`);
  }
  const tooOld = planAgeProblem(plan.createdAt, Date.now(), store.setup.safety.maxPlanAgeMs);
  if (tooOld && !force) {
    throw new StalePlanError(`plan ${plan.id} is stale: ${tooOld}; run \`invsync match\` to build a new plan, or \`invsync push --force\` to push it anyway`);
  }
  if (tooOld) storeLog(ctx, store.setup.name).warn(`plan ${plan.id}: ${tooOld} — OVERRIDDEN by --force: pushing it anyway`);
}

/** The run's logger, naming the store when there are several (the one store "store" is not named). */
function storeLog(ctx: Pick<PipelineContext, 'log' | 'config'>, name: string): Logger {
  return ctx.config.stores ? ctx.log.child({ store: name }) : ctx.log;
}

/**
 * SPEC §12: the start of the open-orders window when a fetch must read open orders (the rule is
 * "subtract" and some store reports them), else undefined.
 */
export function openOrdersSince(config: Config, nowMs = Date.now()): string | undefined {
  const rule = config.rules.openOrders;
  if (rule.mode !== 'subtract' || openOrdersReads(config).size === 0) return undefined;
  return new Date(nowMs - rule.lookbackHours * 3_600_000).toISOString();
}

/** fetchAll's `openOrders` for the stores this fetch lists (a `--store` fetch reads only theirs). */
function openOrdersOption(config: Config, names: string[]): { openOrders?: { since: string; read: Map<string, 'orders' | 'listing'> } } {
  const since = openOrdersSince(config);
  if (since === undefined) return {};
  const all = openOrdersReads(config);
  return { openOrders: { since, read: new Map(names.filter((n) => all.has(n)).map((n) => [n, all.get(n)!])) } };
}

/** Median of a list of counts, or undefined for none. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

