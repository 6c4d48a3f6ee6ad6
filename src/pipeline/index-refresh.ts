import { createHash } from 'node:crypto';
import type { IndexSettings, StoreConfig } from '../config/schema.js';
import type { StoreItem } from '../domain/types.js';
import { parseDuration } from '../lib/duration.js';
import { logger } from '../lib/log.js';
import type { Db } from '../state/db.js';
import {
  DeltaTables, getRefreshState, liveItems, liveVariableProducts, StagedProducts, withRefreshState, type RefreshState,
} from '../state/index-refresh.js';
import { getIndexMeta, stageStoreIndex, storeSlot, storeTableOf, type StagedIndex } from '../state/store-index.js';
import type { IncrementalListing, ListedProduct, StoreAdapter } from '../stores/types.js';

/**
 * Issue 19, point 4: refresh a store's index with only what changed since the last refresh, where
 * the store has a trustworthy modification filter, and fall back to the full listing on any doubt.
 *
 * The watermark is the store's own clock (its `Date` header, read before the listing starts): the
 * filter compares the store's modification dates, so invsync's clock, however right, is the wrong
 * one. The next refresh starts OVERLAP_MS earlier: the filter is a strict "later than" at whole
 * seconds, and a save that committed after its page was read may carry an earlier timestamp.
 * Without a Date header invsync's clock is used with SKEW_MS more margin.
 *
 * Deletions are invisible to a modification filter: after the delta is merged the index's product
 * count must equal the store's; any difference means a full refresh in the same fetch.
 */
export const OVERLAP_MS = 5 * 60_000;
export const SKEW_MS = 15 * 60_000;

export type RefreshDecision =
  | { kind: 'full'; reason: string }
  | { kind: 'incremental'; since: string; reason: string };

/** What the summary says about a store's index refresh. */
export interface RefreshReport {
  kind: 'full' | 'incremental';
  reason: string;
}

/** Why this refresh must be full, or from when an incremental one lists. Pure. */
export function decideRefresh(input: {
  storeType: string;
  supported: boolean;
  state: RefreshState | undefined;
  /** The live index exists (a state row without it is not a baseline). */
  hasIndex: boolean;
  /** The fetch id of the live index (index_meta). */
  indexFetchId: string | null;
  fingerprint: string;
  fullEveryMs: number;
  nowMs: number;
}): RefreshDecision {
  const { state } = input;
  if (!input.supported) return { kind: 'full', reason: `the ${input.storeType} store has no incremental listing: full refresh` };
  if (!state || !input.hasIndex) return { kind: 'full', reason: 'first refresh with index.incremental: full refresh' };
  if (state.fetchId !== input.indexFetchId) return { kind: 'full', reason: 'the index was refreshed without index.incremental since the last incremental-capable refresh: full refresh' };
  if (state.fingerprint !== input.fingerprint) return { kind: 'full', reason: "the store's config changed since the last refresh: full refresh" };
  const fullAt = Date.parse(state.fullAt);
  const age = input.nowMs - fullAt;
  if (!Number.isFinite(fullAt) || age >= input.fullEveryMs || age < 0) {
    return { kind: 'full', reason: `the last full refresh (${state.fullAt}) is older than fullEvery (${formatMs(input.fullEveryMs)}): full refresh` };
  }
  const watermark = Date.parse(state.watermark);
  if (!Number.isFinite(watermark)) return { kind: 'full', reason: 'the last refresh left no usable watermark: full refresh' };
  const since = new Date(watermark - OVERLAP_MS - (state.watermarkSource === 'local' ? SKEW_MS : 0)).toISOString();
  return {
    kind: 'incremental', since,
    reason: `changes since ${since} (${state.watermarkSource === 'server' ? "the store's clock" : "invsync's clock, the store sent no Date"}, minus the overlap); last full refresh ${formatMs(age)} ago, fullEvery ${formatMs(input.fullEveryMs)}`,
  };
}

/**
 * The new index: the live items in store order, each product the delta holds replaced by the
 * delta's items for it (none when it now has none), new products put in place. All three inputs
 * are in store order (numeric product id, then variation id); only one item of each is held. Pure.
 */
export function* mergeIndex(live: Iterable<StoreItem>, replacedIds: Iterable<number>, replacement: Iterable<StoreItem>): Generator<StoreItem> {
  const ids = replacedIds[Symbol.iterator]();
  const rep = replacement[Symbol.iterator]();
  let id = ids.next();
  let r = rep.next();
  for (const item of live) {
    const pid = Number(item.productId);
    while (!r.done && Number(r.value.productId) < pid) {
      yield r.value;
      r = rep.next();
    }
    while (!id.done && id.value < pid) id = ids.next();
    if (!id.done && id.value === pid) continue;
    yield item;
  }
  while (!r.done) {
    yield r.value;
    r = rep.next();
  }
}

/** What identifies the shop and how it is read: every store key but `index` (hashed: it holds secrets). */
export function storeFingerprint(config: StoreConfig): string {
  const { index: _index, ...rest } = config as StoreConfig & { index?: unknown };
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

export function fullEveryMs(settings: IndexSettings): number {
  // The schema refuses anything parseDuration does not read.
  return parseDuration(settings.fullEvery)!;
}

function formatMs(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round((ms / 3_600_000) * 10) / 10}h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 1000)}s`;
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** Incremental refreshes that found the store differs from the index: a full one follows. */
class CountMismatch extends Error {}

/**
 * Stage the store's index for this fetch: incrementally when `decideRefresh` allows and the count
 * check passes, else in full (with the reason). Commits nothing: the returned StagedIndex is
 * swapped in with the fetch like any other, so a failure keeps the previous index.
 */
export async function stageRefresh(db: Db, options: {
  name: string;
  fetchId: string;
  adapter: StoreAdapter;
  settings: IndexSettings;
  fingerprint: string;
  now?: () => number;
  onItem?: (n: number) => void;
}, signal: AbortSignal): Promise<{ staged: StagedIndex; report: RefreshReport }> {
  const log = logger('index');
  const now = options.now ?? Date.now;
  const listing = options.adapter.incremental;
  const decision = decideRefresh({
    storeType: options.adapter.type, supported: listing !== undefined, state: getRefreshState(db, options.name),
    hasIndex: storeTableOf(db, options.name) !== undefined, indexFetchId: getIndexMeta(db, options.name)?.fetchId ?? null, fingerprint: options.fingerprint, fullEveryMs: fullEveryMs(options.settings), nowMs: now(),
  });
  const tag = options.name === 'store' ? '' : ` (${options.name})`;
  if (!listing) {
    log.info(`index refresh${tag}: ${decision.reason}`);
    const staged = await stageStoreIndex(db, { store: options.adapter.type, fetchId: options.fetchId, name: options.name, onItem: options.onItem }, options.adapter.list(signal));
    return { staged, report: { kind: 'full', reason: decision.reason } };
  }
  let reason = decision.reason;
  if (decision.kind === 'incremental') {
    try {
      const staged = await stageIncremental(db, listing, { ...options, since: decision.since, now }, signal);
      log.info(`index refresh${tag}: incremental, ${decision.reason}`);
      return { staged, report: { kind: 'incremental', reason: decision.reason } };
    } catch (err) {
      if (!(err instanceof CountMismatch)) throw err;
      reason = `${err.message}: full refresh`;
    }
  }
  log.info(`index refresh${tag}: ${reason}`);
  return { staged: await stageFull(db, listing, options, now, signal), report: { kind: 'full', reason } };
}

interface StageOptions { name: string; fetchId: string; adapter: StoreAdapter; fingerprint: string; onItem?: (n: number) => void }

/** The store's clock now (from the probe) or invsync's, and where it came from. */
function watermarkOf(serverTime: string | null, now: () => number): Pick<RefreshState, 'watermark' | 'watermarkSource'> {
  return serverTime !== null ? { watermark: serverTime, watermarkSource: 'server' } : { watermark: new Date(now()).toISOString(), watermarkSource: 'local' };
}

async function stageFull(db: Db, listing: IncrementalListing, options: StageOptions, now: () => number, signal: AbortSignal): Promise<StagedIndex> {
  const startedAt = new Date(now()).toISOString();
  // Read before the listing: whatever changes while it pages is after the watermark.
  const probe = await listing.probe(signal);
  const slot = storeSlot(db, options.name, true)!;
  const products = new StagedProducts(db, slot);
  async function* items(): AsyncGenerator<StoreItem> {
    for await (const p of listing.products(null, signal)) {
      products.add(p);
      yield* p.items;
    }
    products.flush();
  }
  let staged: StagedIndex;
  try {
    staged = await stageStoreIndex(db, { store: options.adapter.type, fetchId: options.fetchId, name: options.name, onItem: options.onItem }, items());
  } catch (err) {
    products.discard();
    throw err;
  }
  return withRefreshState(db, staged, products, {
    fullAt: startedAt, ...watermarkOf(probe.serverTime, now), fingerprint: options.fingerprint, kind: 'full', fetchId: options.fetchId,
  });
}

async function stageIncremental(db: Db, listing: IncrementalListing, options: StageOptions & { since: string; now: () => number }, signal: AbortSignal): Promise<StagedIndex> {
  const log = logger('index');
  const state = getRefreshState(db, options.name)!;
  const probe = await listing.probe(signal);
  const slot = storeSlot(db, options.name, true)!;
  const delta = new DeltaTables(db, slot);
  const products = new StagedProducts(db, slot);
  let staged: StagedIndex | undefined;
  try {
    let changed = 0;
    for await (const p of listing.products(options.since, signal)) {
      delta.add(p);
      changed++;
    }
    delta.flush();
    // The product set is complete now (re-listing variable products below changes no product):
    // check the count before spending a request per variable product on a refresh that cannot stand.
    products.keepLive(delta.products);
    products.addFrom(delta.products);
    const count = products.count();
    if (probe.products === null || count !== probe.products) {
      throw new CountMismatch(probe.products === null
        ? 'the store sent no product count (X-WP-Total) to check the merged index against'
        : `count check failed: the merged index has ${count} product(s), the store reports ${probe.products} (a deletion, or a write the ${listing.filter} filter does not show)`);
    }
    // A variation's sale moves the variation's modification date, not always its parent's: every
    // variable product the filter did not return is re-listed (one request per 100 variations, as
    // the full listing does), which also sees variations added or deleted.
    let relisted = 0;
    const batch: Array<{ productId: number; name: string | null }> = [];
    const drain = async () => {
      // The HTTP client bounds concurrency; a batch bounds what is held in memory.
      const lists = await Promise.all(batch.map((v) => listing.variations(v, signal)));
      batch.forEach((v, i) => delta.add({ productId: v.productId, variable: true, name: v.name, items: lists[i]! } satisfies ListedProduct));
      relisted += batch.length;
      batch.length = 0;
    };
    // Read in chunks by id (no statement open across the awaits); a product added to the delta
    // meanwhile is behind the cursor already.
    for (const v of liveVariableProducts(db, slot, delta)) {
      batch.push(v);
      if (batch.length >= 20) await drain();
    }
    await drain();
    delta.flush();
    log.info({ changed, relisted, products: count }, `incremental listing: ${changed} product(s) ${listing.filter} ${options.since}, ${relisted} variable product(s) re-listed; ${count} product(s), as the store counts`);
    staged = await stageStoreIndex(db, { store: options.adapter.type, fetchId: options.fetchId, name: options.name, onItem: options.onItem },
      toAsync(mergeIndex(liveItems(db, options.name), delta.productIds(), delta.storeItems())));
    return withRefreshState(db, staged, products, {
      fullAt: state.fullAt, ...watermarkOf(probe.serverTime, options.now), fingerprint: options.fingerprint, kind: 'incremental', fetchId: options.fetchId,
    }, () => delta.discard());
  } catch (err) {
    if (!staged) {
      products.discard();
      delta.discard();
    }
    throw err;
  }
}
