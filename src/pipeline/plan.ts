import type { Config } from '../config/schema.js';
import { SnapshotError, StoreError, UnpairedFetchError } from '../domain/errors.js';
import type { Db } from '../state/db.js';
import type { ErrorTotals } from '../domain/types.js';
import { recordPlan, type MatchOutcome, type PlanArming } from '../state/plans.js';
import { getOpenOrdersMeta, openUnitsBySku } from '../state/open-orders.js';
import { findDuplicateStoreSkus } from '../state/store-duplicates.js';
import { OPEN_ORDERS_BY_STORE } from '../stores/open-orders.js';
import { countStoreItems, getIndexMeta, iterateStoreItems } from '../state/store-index.js';
import { fetchPairProblem, snapshotPath } from './fetch.js';
import { diffStore, evaluateSafety, SupplyAggregator } from './match.js';
import { loadMatchExtras } from './rules/load.js';
import { loadRewrites } from './sku-map.js';
import { openSnapshot } from './snapshot.js';

export interface Window {
  offset?: number;
  limit?: number;
}

/** What match found, with every error counted (the list itself keeps only the first ones). */
export type MatchReport = MatchOutcome & ErrorTotals;

export interface BuiltPlan extends MatchReport {
  planId: number;
  /** Number of changes (the changes themselves are in the database: plan items). */
  changeCount: number;
}

/**
 * `match`: read the snapshot and the store index (local files only, no network), apply the
 * rules, run the safety gates and record the plan. A tripped gate records the plan as
 * `blocked` (shown, never pushed) unless `force`. Changes go straight into the database as
 * they are found, so memory stays flat however large the plan.
 */
export async function buildPlan(options: {
  db: Db;
  config: Config;
  configChecksum: string;
  runId: string;
  window: Window;
  force: boolean;
  /** How the new plan may arm (a dry run never supersedes a pending plan); default 'arm'. */
  arming?: PlanArming;
}): Promise<BuiltPlan> {
  const { db, config } = options;
  const extras = loadMatchExtras(config.rules);
  const index = getIndexMeta(db);
  if (!index) throw new StoreError('the store index is empty: run `invsync fetch` first');

  const snapshot = await openSnapshot(snapshotPath(config.stateDir));
  const unpaired = fetchPairProblem(snapshot.header, index);
  if (unpaired) throw new UnpairedFetchError(unpaired);
  const enabled = config.sources.filter((s) => s.enabled).map((s) => s.name);
  const missingFromSnapshot = enabled.filter((s) => !snapshot.header.sources.includes(s));
  if (missingFromSnapshot.length > 0) {
    throw new SnapshotError(`the snapshot has no data for source(s) ${missingFromSnapshot.join(', ')} (configured since the last fetch): run \`invsync fetch\``);
  }

  const supply = new SupplyAggregator(enabled.slice(), config.rules, loadRewrites(config.sources, config.rules.skuCaseSensitive));
  for await (const record of snapshot.records()) {
    if (enabled.includes(record.source)) supply.add(record);
  }

  // Over the whole index, not the window: a twin outside the window still makes the SKU ambiguous.
  const duplicates = findDuplicateStoreSkus(db, config.rules.skuCaseSensitive);
  const openOrders = openOrdersFor(db, config, index.fetchId);
  // SPEC §12 as the open-orders step of the rule list (after kits, before minQty).
  const matchExtras = openOrders ? { ...extras, openOrders: (key: string) => openOrders.bySku.get(key) } : extras;
  let match: MatchReport | undefined;
  const planId = recordPlan(db, {
    runId: options.runId,
    snapshotChecksum: snapshot.checksum,
    indexGeneration: index.generation,
    configChecksum: options.configChecksum,
    window: options.window,
  }, (add) => {
    const diff = diffStore(supply, iterateStoreItems(db, options.window), config.rules, countStoreItems(db), add, duplicates, matchExtras);
    const safety = evaluateSafety(diff.counts, diff.newZeros, config.safety, options.force, diff.stock);
    const blocked = safety.tripped !== null && !safety.forced;
    match = {
      counts: diff.counts, safety, errors: diff.errors, errorsTotal: diff.errorsTotal, errorCounts: diff.errorCounts, sources: supply.perSource,
      ...(openOrders ? { openOrders: openOrders.meta } : {}),
    };
    return { status: blocked ? 'blocked' : diff.counts.changed === 0 ? 'empty' : 'pending', match };
  }, { arming: options.arming });
  return { planId, changeCount: match!.counts.changed, ...match! };
}

/**
 * SPEC §12: the open units per SKU key to subtract, when `rules.openOrders` is "subtract" on a
 * store whose open orders invsync reads (support "orders"); undefined otherwise (a store that
 * holds open orders back itself needs nothing subtracted). Throws UnpairedFetchError (exit 4)
 * when the fetch that wrote the index read no open orders: planning without them would put
 * sold stock back.
 */
function openOrdersFor(db: Db, config: Config, indexFetchId: string | null): { bySku: Map<string, number>; meta: { since: string; lines: number; units: number } } | undefined {
  if (config.rules.openOrders.mode !== 'subtract' || OPEN_ORDERS_BY_STORE[config.store.type]?.support !== 'orders') return undefined;
  const meta = getOpenOrdersMeta(db);
  if (!meta || meta.fetchId !== indexFetchId) {
    throw new UnpairedFetchError('rules.openOrders is "subtract", but the last fetch did not read the store\'s open orders (the setting changed since): run `invsync fetch`');
  }
  return { bySku: openUnitsBySku(db, config.rules.skuCaseSensitive), meta: { since: meta.since, lines: meta.lines, units: meta.units } };
}
