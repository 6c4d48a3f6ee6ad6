import pLimit from 'p-limit';
import { isMultiStore } from '../config/stores.js';
import { UsageError } from '../domain/errors.js';
import { crashPoint } from '../lib/faults.js';
import { readPlanFile } from './saved-plan.js';
import { getPlan } from '../state/plans.js';
import { lastAppliedRunId, resolveRunId, storesAppliedBy } from '../state/runs.js';
import type { Window } from './plan.js';
import type { SharedSupply } from './plan.js';
import { fetchStep, matchStep, pushStep, rollbackStep, savePlanStep, type PipelineContext, type StepOutcome, type StoreRun } from './steps.js';
import type { SummaryBuilder } from './summary.js';

/**
 * The one entry point below every front end (SPEC §9, STYLE "one entry per store"): a command
 * for the selected stores, returning each store's result. The CLI, `serve` and the tests call
 * this; none re-implements a step, and this module knows no exit code.
 */
export type PipelineRequest =
  | { command: 'fetch'; force?: boolean }
  | { command: 'match'; window: Window; force?: boolean; out?: string }
  | { command: 'push'; dryRun: boolean; planFile?: string; planId?: number; verify?: boolean; canary?: number; force?: boolean }
  | { command: 'full'; window: Window; dryRun: boolean; force?: boolean; verify?: boolean; canary?: number }
  | { command: 'rollback'; run: string; dryRun: boolean; verify?: boolean };

/** How one store fared: the stage outcome, or the error that stopped it (the other stores went on). */
export interface StoreResult {
  name: string;
  outcome?: StepOutcome;
  error?: unknown;
  summary: SummaryBuilder;
}

/**
 * Run `request` for `stores` (already selected, in config order). Every store gets its result; a
 * store that fails or trips a gate does not stop the others. A fetch failure (a source failing,
 * every listing failing) is every store's result. Only a lost lock is thrown: nothing more may
 * be written then, for any store.
 *
 * `summary` is the run's own summary: fetch fills it with what the sources delivered. With one
 * store it is that store's summary.
 */
export async function runPipeline(ctx: PipelineContext, stores: StoreRun[], request: PipelineRequest, summary?: SummaryBuilder): Promise<StoreResult[]> {
  const results = new Map<string, StoreResult>(stores.map((s) => [s.setup.name, { name: s.setup.name, summary: s.summary }]));
  const settle = async (store: StoreRun, step: () => Promise<StepOutcome>): Promise<void> => {
    const r = results.get(store.setup.name)!;
    try {
      r.outcome = await step();
    } catch (err) {
      if (ctx.lockSignal?.aborted) throw err;
      r.error = err;
      if (isMultiStore(ctx.config)) ctx.log.error({ store: store.setup.name }, `store "${store.setup.name}": ${(err as Error)?.message ?? String(err)}`);
    }
  };
  const limit = pLimit(ctx.config.storeConcurrency);
  const eachConcurrently = (list: StoreRun[], step: (s: StoreRun) => Promise<StepOutcome>) =>
    Promise.all(list.map((s) => limit(() => settle(s, () => step(s)))));
  const live = (list: StoreRun[]) => list.filter((s) => results.get(s.setup.name)!.error === undefined);

  switch (request.command) {
    case 'fetch':
    case 'full': {
      let fetched;
      try {
        fetched = await fetchStep(ctx, stores, { force: request.force, summary });
      } catch (err) {
        if (ctx.lockSignal?.aborted) throw err;
        for (const r of results.values()) r.error = err;
        break;
      }
      for (const [name, f] of fetched) {
        if (f.ok) results.get(name)!.outcome = 'ok';
        else results.get(name)!.error = f.error;
      }
      if (request.command === 'fetch') break;
      crashPoint('full:after-fetch');
      const matched = await matchAll(ctx, live(stores), settle, { window: request.window, force: Boolean(request.force), dryRun: request.dryRun });
      await eachConcurrently(matched, (s) => pushStep(ctx, s, {
        dryRun: request.dryRun, planId: s.summary.planId ?? undefined, verify: request.verify, canary: request.canary,
      }));
      break;
    }
    case 'match': {
      if (request.out !== undefined && stores.length > 1) {
        throw new UsageError(`--out: saves the plan of one store; pick it with --store (configured: ${stores.map((s) => s.setup.name).join(', ')})`);
      }
      await matchAll(ctx, stores, settle, { window: request.window, force: Boolean(request.force) });
      if (request.out !== undefined && results.get(stores[0]!.setup.name)!.error === undefined) savePlanStep(ctx, stores[0]!, request.out);
      break;
    }
    case 'push': {
      let targets = stores;
      if ((request.planFile !== undefined || request.planId !== undefined) && stores.length > 1) {
        // A saved or named plan is one store's: push it there only.
        const planStore = getPlan(ctx.db, request.planId ?? readPlanFile(request.planFile!).planId)?.store;
        targets = stores.filter((s) => s.setup.name === planStore);
        if (targets.length === 0) targets = [stores[0]!];
        for (const s of stores) if (!targets.includes(s)) results.delete(s.setup.name);
      }
      await eachConcurrently(targets, (s) => pushStep(ctx, s, request));
      break;
    }
    case 'rollback': {
      if (!isMultiStore(ctx.config)) {
        await settle(stores[0]!, () => rollbackStep(ctx, stores[0]!, request.run, request));
        break;
      }
      // One run to roll back for every selected store it changed.
      const names = stores.map((s) => s.setup.name);
      const target = request.run === 'last' ? lastAppliedRunId(ctx.db, names) : resolveRunId(ctx.db, request.run);
      if (!target) {
        throw new UsageError(request.run === 'last' ? 'no run has applied a change yet: nothing to roll back' : `no run "${request.run}" (see \`invsync runs\`)`);
      }
      const touched = new Set(storesAppliedBy(ctx.db, target));
      const targets = stores.filter((s) => touched.has(s.setup.name));
      if (targets.length === 0) throw new UsageError(`run ${target} applied no change${stores.length < names.length ? '' : ` to ${names.join(', ')}`}: nothing to roll back`);
      for (const s of stores) if (!touched.has(s.setup.name)) results.delete(s.setup.name);
      await eachConcurrently(targets, (s) => rollbackStep(ctx, s, target, request));
      break;
    }
  }
  return [...results.values()];
}

/**
 * Match every store, one after another (match is local and CPU-bound), sharing one aggregated
 * supply between consecutive stores fed by the same sources. Returns the stores whose plan may
 * be pushed (not blocked, no error).
 */
async function matchAll(
  ctx: PipelineContext, stores: StoreRun[], settle: (s: StoreRun, step: () => Promise<StepOutcome>) => Promise<void>,
  options: { window: Window; force: boolean; dryRun?: boolean },
): Promise<StoreRun[]> {
  // Grouped by source set, so only one aggregated supply is held at a time.
  const key = (s: StoreRun) => s.setup.sources.join('\u0000');
  const ordered = [...stores].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const pushable: StoreRun[] = [];
  let shared: { key: string; supply: SharedSupply } | undefined;
  for (const s of ordered) {
    if (shared?.key !== key(s)) shared = { key: key(s), supply: {} };
    let outcome: StepOutcome | undefined;
    await settle(s, async () => (outcome = await matchStep(ctx, s, { ...options, supply: shared!.supply })));
    if (outcome === 'ok') pushable.push(s);
  }
  return stores.filter((s) => pushable.includes(s));
}
