import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { HttpError, InvsyncError, SourceError, SourceShrunkError, StoreError } from '../domain/errors.js';
import type { SnapshotRecord, StoreItem } from '../domain/types.js';
import { crashPoint } from '../lib/faults.js';
import { logger } from '../lib/log.js';
import type { SourceAdapter } from '../sources/types.js';
import type { Db } from '../state/db.js';
import { applyStagedLedger } from '../state/ledger.js';
import { commitOpenOrders, heldStager, stageOpenOrders } from '../state/open-orders.js';
import { commitStagedIndexes, DEFAULT_STORE, stageStoreIndex, type IndexMeta, type StagedIndex } from '../state/store-index.js';
import type { StoreAdapter } from '../stores/types.js';
import { writeSnapshot, type SnapshotInfo } from './snapshot.js';

export const SNAPSHOT_FILE = 'snapshot.json';

export function snapshotPath(stateDir: string): string {
  return path.join(stateDir, SNAPSHOT_FILE);
}

export interface FetchOutcome {
  snapshot: SnapshotInfo;
  /** The first (with `store`: the only) store's new index. */
  index: IndexMeta;
  /** Per store name: its new index, or why its listing failed (the other stores committed). */
  stores: Map<string, { index: IndexMeta } | { error: unknown }>;
  /** Names this fetch in the snapshot header and in the store index (SPEC §8). */
  fetchId: string;
}

/**
 * Stream every source (config order) into a new snapshot and list every store into a new store
 * index, in parallel, and commit them as one unit (SPEC §8 "Fetch is one unit", §9):
 *
 * 1. each listing is staged beside its live index and the snapshot is written to a temporary file;
 * 2. the snapshot replaces the previous one (atomic rename) only once every listing has settled;
 * 3. the staged listings are swapped in (one transaction for all stores) only after that rename.
 *
 * A failure anywhere before step 2 (a source failing, empty or shrunk; the snapshot write
 * failing; every listing failing) leaves the previous snapshot and every previous index,
 * generation included, untouched. With several stores, one store's failed listing does not stop
 * the others: that store keeps its previous index (which no longer pairs with the new snapshot,
 * so its `match` refuses it) and its error is returned in `stores`. Snapshot and indexes carry
 * the same fetch id, so a crash between steps 2 and 3 (new snapshot, old indexes) is caught by
 * `match` as a mismatched pair, never silently combined.
 */
export async function fetchAll(options: {
  stateDir: string;
  db: Db;
  sources: SourceAdapter[];
  /** The one store (named "store"); or `stores`. */
  store?: StoreAdapter;
  /**
   * Several stores, by name (SPEC §9). `stage`, when given, stages that store's index instead of
   * the plain full listing (issue 19: the incremental refresh); it commits with the others.
   */
  stores?: Array<{ name: string; adapter: StoreAdapter; stage?: (signal: AbortSignal) => Promise<StagedIndex> }>;
  signal?: AbortSignal;
  /** The id sources staged their state under (the ledger); applied when this fetch commits. */
  fetchId?: string;
  onSourceItem?: () => void;
  /** The shrink gate: a source delivering fewer than `minItemsRatio` × its last successful count fails. */
  shrinkGate?: ShrinkGate;
  /**
   * SPEC §12: read the store's open orders created since this time (ISO 8601) alongside the
   * listing; they commit with the index or not at all, and a failure to read them fails the fetch.
   * Absent: none are read, and those of an earlier fetch are dropped at commit.
   */
  openOrdersSince?: string;
  /**
   * SPEC §12 with several stores: from which stores to read open orders since `since`, and how
   * (`orders`: StoreAdapter.openOrders; `listing`: the held units the listing reports). Replaces
   * `openOrdersSince` (which reads the orders of every store). A failure to read orders fails the
   * fetch; a `listing` store whose listing fails keeps its previous open orders (under the fetch
   * that read them, so match refuses to combine them with this fetch).
   */
  openOrders?: { since: string; read: ReadonlyMap<string, 'orders' | 'listing'> };
}): Promise<FetchOutcome> {
  const log = logger('fetch');
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const fetchId = options.fetchId ?? randomUUID();
  const stores: NonNullable<typeof options.stores> = options.stores ?? (options.store ? [{ name: DEFAULT_STORE, adapter: options.store }] : []);
  if (stores.length === 0) throw new Error('fetchAll: no store to list');
  // Logs name the store only when there is a name to tell apart (not the one store "store").
  const several = stores.length > 1 || stores[0]!.name !== DEFAULT_STORE;

  // SPEC §12: which stores' open orders this fetch reads, and how.
  const since = options.openOrders?.since ?? options.openOrdersSince;
  const readOrders = options.openOrders?.read
    ?? new Map(since === undefined ? [] : stores.map((s) => [s.name, 'orders' as const]));
  const held = new Map(stores.filter((s) => readOrders.get(s.name) === 'listing').map((s) => [s.name, heldStager(options.db, fetchId, s.name)]));

  const staged = new Map<string, StagedIndex>();
  const listingErrors = new Map<string, unknown>();
  // A `listing` store's held units come from a full listing: the caller never gives it a `stage` (see steps.ts).
  const listings = stores.map(({ name, adapter, stage }) =>
    (stage ? stage(signal).catch((err: unknown) => { throw asStoreError(err); }) : stageStoreIndex(options.db, { store: adapter.type, fetchId, name }, teeHeld(listStore(adapter, signal), held.get(name)))).then((s) => {
      staged.set(name, s);
      log.info({ items: s.itemCount, ...(several ? { store: name } : {}) }, `store listing staged${several ? ` (${name})` : ''}: ${s.itemCount} item(s)`);
    }, (err: unknown) => {
      listingErrors.set(name, err);
      if (several) log.error({ store: name }, `listing store "${name}" failed: ${(err as Error)?.message ?? String(err)}`);
      // The others go on; only when every listing failed is there nothing left to fetch for.
      if (listingErrors.size === stores.length) throw err;
    }));
  const indexTask = Promise.all(listings).then(() => undefined);
  // One store at a time: the orders APIs have their own rate limits, and the staging is one table.
  const orderStores = stores.filter((s) => readOrders.get(s.name) === 'orders');
  const ordersTask = since === undefined ? Promise.resolve() : (async () => {
    for (const { name, adapter } of orderStores) {
      const o = await stageOpenOrders(options.db, fetchId, readOpenOrders(adapter, since, signal), name);
      log.info({ ...o, ...(several ? { store: name } : {}) }, `open orders staged${several ? ` (${name})` : ''}: ${o.lines} line(s), ${o.units} unit(s) since ${since}`);
    }
  })();
  const snapshotTask = writeSnapshot(
    snapshotPath(options.stateDir),
    { sources: options.sources.map((s) => s.name), fetchId },
    allRecords(options.sources, signal, options.onSourceItem, options.shrinkGate),
    // Built only when called: a rejection of either side is handled below, never left unhandled here.
    // A run that lost its lock (options.signal) replaces nothing: another run may be fetching now.
    { beforeRename: () => Promise.all([indexTask, ordersTask]).then(() => options.signal?.throwIfAborted()) },
  );

  // If one side fails, stop the other instead of letting it run on for minutes, and report
  // the failure that came first, not the abort it caused on the other side.
  let firstError: unknown;
  const stopOnFailure = (err: unknown) => {
    firstError ??= err;
    controller.abort();
    throw err;
  };
  const settled = await Promise.allSettled([snapshotTask.catch(stopOnFailure), indexTask.catch(stopOnFailure), ordersTask.catch(stopOnFailure)]);
  if (firstError !== undefined) {
    // A listing may have finished before the other side failed: its staging goes, the live index stays.
    await Promise.allSettled(listings);
    for (const s of staged.values()) {
      try {
        s.discard();
      } catch (err) {
        // Harmless: the next fetch drops a leftover staging table before it stages.
        log.warn({ err }, 'could not drop the staged store listing');
      }
    }
    throw firstError;
  }
  const snapshot = (settled[0] as PromiseFulfilledResult<SnapshotInfo>).value;
  log.info({ items: snapshot.items, rejected: snapshot.rejected, perSource: snapshot.perSource }, `snapshot written: ${snapshot.items} item(s), ${snapshot.rejected} rejected row(s)`);
  crashPoint('fetch:before-index-commit');
  options.signal?.throwIfAborted();
  const committed = stores.filter((s) => staged.has(s.name));
  let metas: IndexMeta[];
  try {
    // LEDGER (SPEC §11): what ledger sources staged under this fetch id is applied in the same
    // transaction as the index swap, so a failed or killed fetch applies none.
    // OPEN ORDERS (SPEC §12) likewise: the ones this fetch read replace the previous fetch's here.
    metas = commitStagedIndexes(options.db, committed.map((s) => staged.get(s.name)!), () => {
      applyStagedLedger(options.db, fetchId);
      // A `listing` store whose listing failed is left out: what it holds now is unknown.
      const read = stores.filter((s) => readOrders.has(s.name) && (readOrders.get(s.name) === 'orders' || (staged.has(s.name) && !s.stage))).map((s) => s.name);
      commitOpenOrders(options.db, fetchId, since ?? null, read);
    });
  } catch (err) {
    throw new Error(`saving the store index failed after the new snapshot was written (${(err as Error).message}): \`invsync match\` refuses this snapshot until the next \`invsync fetch\``, { cause: err });
  }
  const out = new Map<string, { index: IndexMeta } | { error: unknown }>();
  for (const s of stores) {
    const i = committed.indexOf(s);
    if (i >= 0) {
      out.set(s.name, { index: metas[i]! });
      log.info({ items: metas[i]!.itemCount, generation: metas[i]!.generation, ...(several ? { store: s.name } : {}) }, `store index refreshed${several ? ` (${s.name})` : ''}: ${metas[i]!.itemCount} item(s)`);
    } else {
      out.set(s.name, { error: listingErrors.get(s.name) });
    }
  }
  return { snapshot, index: metas[0]!, stores: out, fetchId };
}

/**
 * Why a snapshot and a store index may not be matched together, or null when they come from the
 * same successful fetch. Pure.
 */
export function fetchPairProblem(snapshot: { fetchId?: string; createdAt: string }, index: { fetchId: string | null; refreshedAt: string }): string | null {
  const what = `the snapshot (written ${snapshot.createdAt}) and the store index (refreshed ${index.refreshedAt})`;
  if (snapshot.fetchId === undefined || index.fetchId === null) {
    const older = [snapshot.fetchId === undefined ? 'the snapshot' : null, index.fetchId === null ? 'the store index' : null].filter(Boolean).join(' and ');
    return `${what} cannot be shown to come from the same fetch: ${older} predate${older.includes(' and ') ? '' : 's'} fetch ids (written by an older invsync): run \`invsync fetch\``;
  }
  if (snapshot.fetchId !== index.fetchId) {
    return `${what} do not come from the same fetch (snapshot fetch ${snapshot.fetchId}, index fetch ${index.fetchId}; a later \`fetch --store\` left this store out, a fetch was interrupted between committing them, or one of them was replaced by hand): run \`invsync fetch\``;
  }
  return null;
}

export interface ShrinkGate {
  /** The source's usual item count (median of its last successful fetches), if any. */
  previousItems(source: string): number | undefined;
  minItemsRatio(source: string): number;
  /** --force: accept a shrunk source (logged loudly). */
  force: boolean;
}

/**
 * A source that returns far fewer items than last time is treated as failed: a half-delivered
 * catalog must not look like a discontinued half. Pure; returns the failure message or null.
 */
export function shrinkFailure(source: string, items: number, previous: number | undefined, minItemsRatio: number): string | null {
  if (previous === undefined || previous === 0 || minItemsRatio === 0) return null;
  if (items >= previous * minItemsRatio) return null;
  const pct = Math.round((items / previous) * 100);
  return `returned ${items} item(s), ${pct}% of its usual count (${previous}, median of its last successful fetches); below minItemsRatio ${minItemsRatio}: treated as a failed fetch (if the catalog really shrank, re-run with --force)`;
}

async function* allRecords(sources: SourceAdapter[], signal: AbortSignal, onItem?: () => void, gate?: ShrinkGate): AsyncGenerator<SnapshotRecord> {
  const log = logger('fetch');
  for (const source of sources) {
    let items = 0;
    let rejected = 0;
    try {
      for await (const record of source.stream(signal)) {
        if (record.kind === 'item') { items++; onItem?.(); crashPoint('fetch:item'); } else rejected++;
        // Tag in place: a spread per record costs ~1.4 s per million rows.
        (record as SnapshotRecord).source = source.name;
        yield record as SnapshotRecord;
      }
    } catch (err) {
      throw asSourceError(source.name, err);
    }
    if (items === 0) {
      throw new SourceError(source.name, rejected > 0
        ? `returned no usable item (${rejected} row(s), all rejected): refusing to use it`
        : 'returned no items: refusing an empty feed (the previous snapshot is kept)');
    }
    if (gate) {
      const failure = shrinkFailure(source.name, items, gate.previousItems(source.name), gate.minItemsRatio(source.name));
      if (failure && !gate.force) throw new SourceShrunkError(source.name, failure);
      if (failure) log.warn(`source "${source.name}" ${failure} — OVERRIDDEN by --force`);
    }
    log.info({ source: source.name, items, rejected }, `source "${source.name}": ${items} item(s), ${rejected} rejected`);
  }
}

async function* listStore(store: StoreAdapter, signal: AbortSignal) {
  try {
    yield* store.list(signal);
  } catch (err) {
    throw asStoreError(err);
  }
}

function asStoreError(err: unknown): unknown {
  if (err instanceof HttpError) return err;
  if (err instanceof InvsyncError) return err;
  return new StoreError(`listing the store failed: ${(err as Error).message}`, { cause: err });
}

/** The listing passed through, its held units (SPEC §12, `listing` stores) staged on the way. */
async function* teeHeld(items: AsyncIterable<StoreItem>, stager: ReturnType<typeof heldStager> | undefined): AsyncGenerator<StoreItem> {
  if (!stager) {
    yield* items;
    return;
  }
  let complete = false;
  try {
    for await (const item of items) {
      stager.add(item);
      yield item;
    }
    complete = true;
    stager.finish();
  } finally {
    if (!complete) stager.discard();
  }
}

async function* readOpenOrders(store: StoreAdapter, since: string, signal: AbortSignal) {
  if (!store.openOrders) throw new StoreError(`the ${store.type} store cannot list open orders (rules.openOrders "subtract")`);
  try {
    yield* store.openOrders(since, signal);
  } catch (err) {
    if (err instanceof InvsyncError) throw err;
    throw new StoreError(`reading the store's open orders failed: ${(err as Error).message}`, { cause: err });
  }
}

function asSourceError(name: string, err: unknown): InvsyncError {
  if (err instanceof SourceError) return err;
  if (err instanceof HttpError) {
    return new SourceError(name, err.message, { cause: err });
  }
  return new SourceError(name, err instanceof Error ? err.message : String(err), { cause: err });
}
