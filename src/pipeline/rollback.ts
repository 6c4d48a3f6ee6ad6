import { UsageError } from '../domain/errors.js';
import { emptyCounts, type Change, type PriceChange, type StatusAction, type SummaryError } from '../domain/types.js';
import type { Db } from '../state/db.js';
import { changesAppliedBy, createPlan, refreshIndexedLevels, type AppliedItem, type MatchOutcome } from '../state/plans.js';
import { lastAppliedRunId, resolveRunId, storesAppliedBy } from '../state/runs.js';
import { DEFAULT_STORE, getIndexMeta } from '../state/store-index.js';
import type { StockReading, StoreAdapter } from '../stores/types.js';

export type AppliedChange = Pick<AppliedItem, 'sku' | 'productId' | 'variationId' | 'from' | 'to' | 'statusAction'> & { price?: PriceChange };

/** What the store reports for an item now; undefined when the store no longer has it. */
export type CurrentLevel = StockReading | undefined;

/** Pure: whether deciding about this change needs the item's current level from the store. */
export function needsCurrentLevel(change: AppliedChange): boolean {
  return change.statusAction !== undefined || (change.from !== null && change.from !== change.to) || change.price !== undefined;
}

/**
 * SPEC §14, pure: what putting back a change's status action means now. The fields the run wrote
 * go back to the values they replaced, unless the store shows other values now (changed since:
 * left as it is). A hide's undo is a restore, a restore's undo hides again.
 */
export function rollbackStatus(action: StatusAction, current: CurrentLevel): { action: StatusAction } | { skip: string } {
  if (!current) return { skip: 'no longer in the store: left as it is' };
  if (!current.visibility) return { skip: 'the store did not report the listing\'s status: left as it is' };
  for (const [k, v] of Object.entries(action.set)) {
    if (current.visibility.values[k] !== v) {
      return { skip: `status changed since that run (the run set ${k} ${JSON.stringify(v)}, the store now has ${JSON.stringify(current.visibility.values[k])}): left as it is` };
    }
  }
  const undo: StatusAction = action.to === 'restore'
    ? { to: action.of ?? 'hide', set: { ...action.from }, from: { ...action.set } }
    : { to: 'restore', of: action.to, set: { ...action.from }, from: { ...action.set } };
  return { action: undo };
}

/**
 * The read-back probe for one applied change. It carries the run's price write so that stores
 * which read a price only for changes with one (BigCommerce variants, Shopify, Vendure, Medusa,
 * Magento 2) report the current price; without it rollback would see no price and skip it.
 */
export function rollbackProbe(a: AppliedChange & { ref?: Change['ref'] | null }, seq: number): Change {
  return {
    seq, sku: a.sku, productId: a.productId, variationId: a.variationId, from: a.to, to: a.from ?? a.to,
    ...(a.ref ? { ref: a.ref } : {}), ...(a.price ? { price: a.price } : {}),
    // Likewise the status action: Magento 2 reads a product's status only for changes with one.
    ...(a.statusAction ? { statusAction: a.statusAction } : {}),
  };
}

/**
 * Pure: what putting back one applied change means now, given the level the store reports now
 * (never the local index: the run's own push wrote its target there). An item changed since the
 * run (a sale, another sync) is left alone: rollback restores the run's own writes, never
 * overwrites newer ones. The same holds for a price the run wrote (SPEC §14): it is put back only
 * while the store still shows it; a price the item did not have before is left (invsync never
 * clears a price). `restore` is the stock to write; `from` the level now when only the price is
 * put back (`from === restore`: no stock write).
 */
export function rollbackDecision(change: AppliedChange, current: CurrentLevel): { restore: number; from?: number; price?: PriceChange } | { skip: string } {
  const stock = stockDecision(change, current);
  if (!change.price) return stock;
  const price = priceDecision(change.price, current);
  if ('restore' in stock) return 'price' in price ? { ...stock, price: price.price } : stock;
  if ('price' in price && current && current.managed && current.qty !== null) return { restore: current.qty, from: current.qty, price: price.price };
  return { skip: 'skip' in price ? `${stock.skip}; price: ${price.skip}` : stock.skip };
}

function stockDecision(change: AppliedChange, current: CurrentLevel): { restore: number } | { skip: string } {
  if (change.from === null) return { skip: 'stock was not managed before that run: left as it is (invsync does not turn stock management off)' };
  if (change.to === change.from) return { skip: 'nothing to put back' };
  if (!current) return { skip: 'no longer in the store: left as it is' };
  if (!current.managed || current.qty !== change.to) {
    return { skip: `changed since that run (the run set ${change.to}, the store now has ${current.managed ? current.qty : 'unmanaged stock'}): left as it is` };
  }
  return { restore: change.from };
}

function priceDecision(price: PriceChange, current: CurrentLevel): { price: PriceChange } | { skip: string } {
  if (price.from === null) return { skip: 'the item had no price before that run: left as it is' };
  if (!current) return { skip: 'no longer in the store: left as it is' };
  if (current.price === undefined) return { skip: 'the store did not report the price: left as it is' };
  if (current.price !== price.to) return { skip: `changed since that run (the run set ${price.to}, the store now has ${current.price ?? 'none'}): left as it is` };
  return { price: { from: price.to, to: price.from } };
}

export interface RollbackPlan {
  planId: number;
  rolledBackRun: string;
  changes: Change[];
  skipped: SummaryError[];
  match: MatchOutcome;
}

/**
 * The run `rollback <runSpec>` would undo on the named stores, checked before the run starts:
 * an unknown run, or one that changed none of these stores, is a usage error (exit 2) that must
 * leave no trace — no run record, no healthcheck ping (SPEC §2). `multi`: the config lists `stores`
 * (the message then names them).
 */
export function rollbackTarget(db: Db, storeNames: readonly string[], runSpec: string, multi: boolean): string {
  const target = runSpec === 'last' ? lastAppliedRunId(db, storeNames) : resolveRunId(db, runSpec);
  if (!target) {
    throw new UsageError(runSpec === 'last' ? 'no run has applied a change yet: nothing to roll back' : `no run "${runSpec}" (see \`invsync runs\`)`);
  }
  const touched = new Set(storesAppliedBy(db, target));
  if (!storeNames.some((name) => touched.has(name))) {
    throw new UsageError(`run ${target} applied no change${multi ? ` to ${storeNames.join(', ')}` : ''}: nothing to roll back`);
  }
  return target;
}

/**
 * Build and record a plan that puts back the stock levels run `runSpec` replaced (a run id, a
 * unique prefix, or "last": the newest run that applied a change). Before deciding, the
 * current level of every item it would touch is read from the store (`store.read`, in the
 * fewest requests the adapter allows) and the store index takes those levels; an item whose
 * level is no longer what the run wrote is skipped, never overwritten.
 *
 * `dryRun` records the plan as a `preview`: never pushable, superseding nothing (nor does a
 * plan with nothing to put back).
 * Throws UsageError for an unknown run or one that applied nothing, and the adapter's error when
 * the read fails (every store reads back: `StoreAdapter.read` is required).
 */
export async function buildRollbackPlan(
  db: Db, store: StoreAdapter, runSpec: string,
  options: { runId: string; configChecksum: string; dryRun: boolean; /** The store's name (SPEC §9); default "store". */ storeName?: string },
): Promise<RollbackPlan> {
  const storeName = options.storeName ?? DEFAULT_STORE;
  const target = runSpec === 'last' ? lastAppliedRunId(db, [storeName]) : resolveRunId(db, runSpec);
  if (!target) {
    throw new UsageError(runSpec === 'last' ? 'no run has applied a change yet: nothing to roll back' : `no run "${runSpec}" (see \`invsync runs\`)`);
  }
  const index = getIndexMeta(db, storeName);
  if (!index) throw new UsageError('the store index is empty: run `invsync fetch` first');
  const applied = changesAppliedBy(db, target, storeName);
  if (applied.length === 0) throw new UsageError(`run ${target} applied no change: nothing to roll back`);

  // seq = position in `applied`: the key the adapter's read answers by.
  const probes: Change[] = [];
  applied.forEach((a, seq) => {
    if (needsCurrentLevel(a)) probes.push(rollbackProbe(a, seq));
  });
  let current = new Map<number, StockReading>();
  if (probes.length > 0) {
    current = await store.read(probes);
    refreshIndexedLevels(db, probes, current, storeName);
  }

  const changes: Array<Change & { reason: string }> = [];
  const skipped: SummaryError[] = [];
  applied.forEach((a, seq) => {
    const now = current.get(seq);
    const alone = a.statusAction?.alone === true;
    // A status write alone wrote no stock: only its price (if any) and status are put back.
    const decision = rollbackDecision(alone ? { ...a, from: a.to } : a, now);
    const status = a.statusAction ? rollbackStatus(a.statusAction, now) : undefined;
    const statusUndo = status && 'action' in status ? status.action : undefined;
    const stockWhy = 'skip' in decision && (!alone || a.price) ? decision.skip : '';
    if ('skip' in decision && !statusUndo) {
      const why = [stockWhy, status && 'skip' in status ? status.skip : ''].filter(Boolean).join('; ');
      skipped.push({ sku: a.sku, source: null, message: why });
      return;
    }
    if (status && 'skip' in status) skipped.push({ sku: a.sku, source: null, message: status.skip });
    const restore = 'restore' in decision ? decision.restore : null;
    const price = 'restore' in decision ? decision.price : undefined;
    // The level is put back unless the decision only restores the price (`from === restore`).
    const writesLevel = restore !== null && 'restore' in decision && decision.from === undefined;
    // Otherwise the level is left as it is (status and/or price alone).
    const level = restore ?? (now?.qty ?? a.to);
    const reason = [
      'rollback',
      statusUndo ? ` → ${statusUndo.to === 'restore' ? 'restore' : statusUndo.to} ${Object.entries(statusUndo.set).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}` : '',
      price ? `; price ${price.from} → ${price.to}` : '',
    ].join('');
    changes.push({
      seq: changes.length, sku: a.sku, productId: a.productId, variationId: a.variationId, from: writesLevel ? a.to : level, to: level,
      reason, ...(a.ref ? { ref: a.ref } : {}),
      ...(price ? { price } : {}),
      ...(statusUndo ? { statusAction: writesLevel ? statusUndo : { ...statusUndo, alone: true } } : {}),
    });
  });
  const counts = { ...emptyCounts(), storeItems: index.itemCount, inScope: applied.length, matched: applied.length, changed: changes.length, pending: changes.length, unchanged: skipped.length };
  const match: MatchOutcome = { counts, safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: skipped, sources: {} };
  const planId = createPlan(db, {
    runId: options.runId, store: storeName, status: changes.length ? 'pending' : 'empty', snapshotChecksum: `rollback:${target}`,
    indexGeneration: index.generation, configChecksum: options.configChecksum, window: {}, match,
  // Nothing to put back supersedes nothing: a pending sync plan stays pushable.
  }, changes, { arming: options.dryRun || changes.length === 0 ? 'preview' : 'arm' });
  return { planId, rolledBackRun: target, changes, skipped, match };
}
