import type { Config } from '../config/schema.js';
import { configuredStores, isMultiStore, type StoreSetup } from '../config/stores.js';
import { SnapshotError, UnpairedFetchError } from '../domain/errors.js';
import type { Db } from '../state/db.js';
import type { ErrorTotals } from '../domain/types.js';
import { recordPlan, type MatchOutcome, type PlanArming } from '../state/plans.js';
import { getOpenOrdersMeta, openUnitsBySku } from '../state/open-orders.js';
import { findDuplicateStoreSkus } from '../state/store-duplicates.js';
import { openOrdersRole } from '../stores/open-orders.js';
import { openOrdersReads } from './open-orders.js';
import { countStoreItems, DEFAULT_STORE, getIndexMeta, iterateStoreItems, type IndexMeta } from '../state/store-index.js';
import { fetchPairProblem, snapshotPath } from './fetch.js';
import { diffStore, evaluatePriceGate, evaluateSafety, SupplyAggregator, type MatchExtras } from './match.js';
import { priceSettings } from '../domain/price.js';
import { loadMatchExtras } from './rules/load.js';
import { loadRewrites } from './sku-map.js';
import { statusContext } from './status-context.js';
import { openSnapshot } from './snapshot.js';

/**
 * A supply shared by the stores of one run that are fed by the same sources: aggregated from the
 * snapshot once, not once per store. Filled by the first buildPlan that uses it.
 */
export interface SharedSupply {
  checksum?: string;
  sources?: string[];
  aggregator?: SupplyAggregator;
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

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
  /**
   * The store to plan for (SPEC §9): its name, the sources feeding it, its rules and gates.
   * Default: the one store named "store" with every enabled source and the shared rules.
   */
  store?: StoreSetup;
  /** A supply already aggregated from this snapshot for the same sources (several stores share one). */
  supply?: SharedSupply;
  /** The run's lock (HeldLock.signal): a run that lost it records no plan, another run may be matching now. */
  signal?: AbortSignal;
}): Promise<BuiltPlan> {
  const { db, config } = options;
  const setup = options.store ?? configuredStores(config)[0]!;
  const rules = setup.rules;
  const index = getIndexMeta(db, setup.name);
  // Nothing fetched yet is the extreme of an unpaired snapshot and index (SPEC §8): refused, exit 4.
  if (!index) throw new UnpairedFetchError(`the store index${setup.name === DEFAULT_STORE ? '' : ` of store "${setup.name}"`} is empty: run \`invsync fetch\` first`);

  const snapshot = await openSnapshot(snapshotPath(config.stateDir));
  const unpaired = fetchPairProblem(snapshot.header, index);
  if (unpaired) throw new UnpairedFetchError(unpaired);
  const enabled = setup.sources;
  const missingFromSnapshot = enabled.filter((s) => !snapshot.header.sources.includes(s));
  if (missingFromSnapshot.length > 0) {
    throw new SnapshotError(`the snapshot has no data for source(s) ${missingFromSnapshot.join(', ')} (configured since the last fetch): run \`invsync fetch\``);
  }

  let supply: SupplyAggregator;
  if (options.supply?.aggregator && options.supply.checksum === snapshot.checksum && sameList(options.supply.sources, enabled)) {
    supply = options.supply.aggregator;
    supply.resetMatched();
  } else {
    supply = new SupplyAggregator(enabled.slice(), config.rules, loadRewrites(config.sources, config.rules.skuCaseSensitive));
    const wanted = new Set(enabled);
    for await (const record of snapshot.records()) {
      if (wanted.has(record.source)) supply.add(record);
    }
    if (options.supply) Object.assign(options.supply, { checksum: snapshot.checksum, sources: enabled.slice(), aggregator: supply });
  }

  // Over the whole index, not the window: a twin outside the window still makes the SKU ambiguous.
  const duplicates = findDuplicateStoreSkus(db, rules.skuCaseSensitive, setup.name);
  // SPEC §14: only a real run remembers when an item came back (a dry run changes no state).
  const { extras: matchExtras, openOrders } = storeMatchExtras(db, config, setup, index, (options.arming ?? 'arm') === 'arm');
  let match: MatchReport | undefined;
  // Checked after the snapshot was read (the lock's refresh timer ran meanwhile); recording is synchronous.
  options.signal?.throwIfAborted();
  const planId = recordPlan(db, {
    store: setup.name,
    runId: options.runId,
    snapshotChecksum: snapshot.checksum,
    indexGeneration: index.generation,
    configChecksum: options.configChecksum,
    window: options.window,
  }, (add) => {
    const diff = diffStore(supply, iterateStoreItems(db, { ...options.window, store: setup.name }), rules, countStoreItems(db, setup.name), add, duplicates, matchExtras);
    let safety = evaluateSafety(diff.counts, diff.newZeros, setup.safety, options.force, diff.stock);
    if (diff.prices) {
      safety = evaluatePriceGate(safety, diff.prices, { maxPriceChangeRatio: setup.safety.maxPriceChangeRatio, maxChangeRatio: config.prices.maxChangeRatio }, options.force);
    }
    const blocked = safety.tripped !== null && !safety.forced;
    match = {
      // A copy: a shared supply's counts are reset for the next store.
      counts: diff.counts, safety, errors: diff.errors, errorsTotal: diff.errorsTotal, errorCounts: diff.errorCounts, ...(diff.shared ? { shared: diff.shared } : {}), sources: structuredClone(supply.perSource),
      ...(openOrders ? { openOrders: openOrders.meta } : {}),
    };
    return { status: blocked ? 'blocked' : diff.counts.changed === 0 ? 'empty' : 'pending', match };
  }, { arming: options.arming });
  return { planId, changeCount: match!.counts.changed, ...match! };
}

/**
 * The extras match decides one store's items with (plan and explain use the same): kits and
 * excludes, the store's share (SPEC §9) and open orders (SPEC §12) as steps of the rule list,
 * prices (§14) when enabled, and the status context (§14). `persistStatus`: whether a sighting
 * back in stock is remembered (a real run only). Also returns the open orders read, for the report.
 */
export function storeMatchExtras(db: Db, config: Config, setup: StoreSetup, index: IndexMeta, persistStatus: boolean): { extras: MatchExtras; openOrders: ReturnType<typeof openOrdersFor> } {
  const rules = setup.rules;
  const openOrders = openOrdersFor(db, config, setup.name, index.fetchId);
  const share = rules.share === undefined || rules.share === 1 ? {} : { share: rules.share };
  const prices = config.prices.enabled ? { settings: priceSettings(config.prices), maxChangeRatio: config.prices.maxChangeRatio } : undefined;
  const status = statusContext(db, config.rules, { name: setup.name, type: index.store }, persistStatus);
  const extras = {
    ...loadMatchExtras(config.rules), ...share, ...(openOrders ? { openOrders: (key: string) => openOrders.bySku.get(key) } : {}), ...(prices ? { prices } : {}),
    ...(status ? { status } : {}),
  };
  return { extras, openOrders };
}

/**
 * SPEC §12: the open units per SKU key to subtract for store `name`, when `rules.openOrders` is
 * "subtract"; undefined when nothing is read (one store that holds open orders back itself).
 * With several stores (§9) the open orders of EVERY store are subtracted (a sale on one channel
 * is a sale for all), except a platform store's own held units from its own target (the platform
 * already holds them back). Throws UnpairedFetchError (exit 4) when any of them was not read by
 * the fetch that wrote this store's index: planning without them, or with another fetch's, would
 * put sold stock back.
 */
export function openOrdersFor(db: Db, config: Config, name: string, indexFetchId: string | null): { bySku: Map<string, number>; meta: { since: string; lines: number; units: number } } | undefined {
  const reads = openOrdersReads(config);
  if (reads.size === 0) return undefined;
  const shared = isMultiStore(config);
  const bySku = new Map<string, number>();
  const total = { since: '', lines: 0, units: 0 };
  let any = false;
  for (const store of configuredStores(config)) {
    if (!reads.has(store.name)) continue;
    if (store.name === name && !openOrdersRole(store.config.type, shared).subtractOwn) continue;
    const meta = getOpenOrdersMeta(db, store.name);
    if (!meta || meta.fetchId !== indexFetchId) {
      throw new UnpairedFetchError(shared
        ? `rules.openOrders is "subtract", but the fetch that wrote the index of store "${name}" did not read the open orders of store "${store.name}" (a fetch narrowed with --store, its listing failed, or the setting changed since): run \`invsync fetch\` for every store`
        : 'rules.openOrders is "subtract", but the last fetch did not read the store\'s open orders (the setting changed since): run `invsync fetch`');
    }
    openUnitsBySku(db, config.rules.skuCaseSensitive, store.name, bySku);
    any = true;
    total.since = meta.since;
    total.lines += meta.lines;
    total.units += meta.units;
  }
  return any ? { bySku, meta: total } : undefined;
}
