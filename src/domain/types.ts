/**
 * The data that flows through invsync: supplier records → snapshot → plan → store.
 * Pure types only; no I/O here.
 */
import type { Amounts } from './price.js';

/** One supplier row as a source read it. `qty` is the raw number (may be fractional or negative: rules normalise it). */
export interface SupplierItem {
  kind: 'item';
  sku: string;
  qty: number;
  /** 1-based position in the source (CSV line number, JSON item index…), for error reports. */
  row: number;
  /** The stock text as listed when the source's qtyMap turned it into `qty` (SPEC §14), for the diff and `explain`. */
  text?: string;
  /** SPEC §14 `prices`: the supplier's price, cost, MAP and MSRP in integer cents, when the source gives any. */
  amounts?: Amounts;
}

/** A supplier row that could not be used (no SKU, non-numeric quantity…). Never fatal, never turned into 0. */
export interface RejectedRow {
  kind: 'rejected';
  /** The row (line or record) of the input; 0 for a problem that is no one row (a ledger balance below 0). */
  row: number;
  reason: string;
  sku?: string;
  /** A short, value-free class of `reason` for the per-reason counts (derived from `reason` when absent). */
  code?: string;
}

export type SourceRecord = SupplierItem | RejectedRow;

/** A record as stored in the snapshot: the same, tagged with the source name. */
export type SnapshotRecord = (SupplierItem | RejectedRow) & { source: string };

/** Store ids are numbers for most REST stores and strings for GraphQL ones (Shopify gids, Vendure ids). */
export type StoreId = number | string;

/**
 * A sellable unit that carries stock: a simple product or a variation.
 * A variable product's parent is never a StoreItem.
 */
export interface StoreItem {
  sku: string;
  productId: StoreId;
  /** null for a simple product. */
  variationId: StoreId | null;
  /** Current stock; null when the store does not manage stock for this item yet. */
  qty: number | null;
  managed: boolean;
  name?: string;
  /** Adapter-specific ids the write needs (e.g. Shopify inventory item id). Opaque to the engine. */
  ref?: Record<string, unknown>;
  /**
   * Set for an item the store lists but invsync never writes, with the reason reported
   * (`fulfilled by Amazon`): it is indexed, never planned, and never counted as missing.
   */
  notWritten?: string;
  /**
   * SPEC §12, stores that report it with the listing: units of this item held by placed,
   * unfulfilled orders (Vendure `stockAllocated`, Medusa `reserved_quantity`). Not kept in the store index: the fetch stages
   * it with the open orders.
   */
  held?: number;
  /** SPEC §14: the item's current (regular) price as a two-decimal string; null when it has none; absent when the store does not report prices. */
  price?: string | null;
  /** What the store shows of the listing (SPEC §14 `rules.status`), when the adapter reads it. */
  visibility?: ItemVisibility;
}

/**
 * A listing's visibility as the store has it (SPEC §14 `rules.status`): whether it is out of the
 * catalogue, whether a status field marks it out of stock, and the raw values of the fields
 * invsync may write (by the store's own field names), which are what a restore puts back.
 */
export interface ItemVisibility {
  hidden: boolean;
  outOfStock: boolean;
  values: Record<string, string | boolean | number>;
}

/**
 * A status action carried by a change (SPEC §14): `set` are the store's fields to write (the
 * platform's own names and values), `from` the values they replace (what rollback and restore
 * put back). `alone`: the change writes no stock, only these fields. `of`: for a restore, the
 * action it undoes.
 */
export interface StatusAction {
  to: 'outofstock' | 'hide' | 'restore';
  set: Record<string, string | boolean | number>;
  from: Record<string, string | boolean | number>;
  alone?: boolean;
  of?: 'outofstock' | 'hide';
}

/** A store item with its position in store order (product id, then variation id), as kept in the store index. */
export interface IndexedStoreItem extends StoreItem {
  ord: number;
}

/** One planned stock write. */
export interface Change {
  /** Position in the plan (store order); stable id for the journal. */
  seq: number;
  sku: string;
  productId: StoreId;
  variationId: StoreId | null;
  from: number | null;
  to: number;
  ref?: Record<string, unknown>;
  /**
   * A status write (SPEC §14 `rules.status`) going with, or instead of (`alone`), the stock write.
   * (Not `status`: a plan item's `status` is its journal state.)
   */
  statusAction?: StatusAction;
  /**
   * SPEC §14: a price write (two-decimal strings), with the stock write or alone. A price-only
   * change has `from === to` (the level the fetch saw): the store writes no stock for it (see `writesStock`).
   */
  price?: PriceChange;
}

/** A planned price write: the price now (null: none) and the price to write, as two-decimal strings. */
export interface PriceChange {
  from: string | null;
  to: string;
}

/**
 * Whether a change writes stock: every change does, except a price-only one (`from === to`) and a
 * status write alone (`statusAction.alone`, whose `to` is not written).
 */
export function writesStock(change: Pick<Change, 'from' | 'to' | 'statusAction'>): boolean {
  return change.from !== change.to && !change.statusAction?.alone;
}

export type ChangeStatus = 'planned' | 'applied' | 'failed' | 'pending';

/** What one write request achieved, per item. Items absent from `failed` were applied. */
export interface BatchResult {
  failed: Array<{ seq: number; message: string }>;
  /**
   * The store accepted the batch but is still processing it (an Amazon feed past
   * `feedWaitMinutes`): its items are neither applied nor failed yet (`failed` is empty).
   */
  inFlight?: boolean;
}

export interface RunCounts {
  sourceItems: number;
  rejected: number;
  storeItems: number;
  inScope: number;
  /** Store items rules.exclude keeps out of the sync (SPEC §14): never written, not in scope. */
  excluded: number;
  matched: number;
  missing: number;
  unchanged: number;
  changed: number;
  applied: number;
  failed: number;
  pending: number;
  /** Store items indexed but never written, by reason (`{"fulfilled by Amazon": 12}`); absent when none. */
  notWritten?: Record<string, number>;
}

export type RunStatus = 'ok' | 'partial' | 'blocked' | 'failed' | 'locked';

export interface SafetyReport {
  missingRatio: number;
  zeroRatio: number;
  /** Share of the in-scope total stock the plan removes. */
  stockDropRatio?: number;
  /** In-scope total stock after the plan ÷ before it; absent when the current total is too small to judge. */
  stockRiseRatio?: number;
  /** Feed health per source: items this fetch, the reference (median of the last five successful fetches), their ratio. */
  feed?: Record<string, { items: number; reference: number | null; ratio: number | null }>;
  /** SPEC §14 (prices enabled): share of priced items whose price changes by more than `prices.maxChangeRatio`. */
  priceChangeRatio?: number;
  /** Name of the tripped gate ("maxMissingRatio", "maxZeroRatio", "maxStockDropRatio", "maxStockRiseRatio", "maxPriceChangeRatio", "minItemsRatio", "breaker"), or null. */
  tripped: string | null;
  /** One human line: which gate, the measured value, the limit, how to override. */
  message?: string;
  forced?: boolean;
}

export interface SummaryChange {
  sku: string;
  productId: StoreId;
  variationId: StoreId | null;
  from: number | null;
  to: number;
  status: ChangeStatus;
  error: string | null;
  /** The store's product name, when known (for people reading the diff). */
  name?: string;
  /** The store the change is for (SPEC §9; only when the config lists `stores`). */
  store?: string;
  /**
   * Why the change was planned: "supplier" (a feed's level) or "missing" (in no feed, missing: zero),
   * followed by the notes of the steps that moved it, each after "; " (`supplier; open orders −2`,
   * `…; sold since the fetch −1` when the push lowered it for a sale made after the fetch).
   * A change with `from: null` also starts stock tracking. Plans recorded by earlier versions may say "unmanaged" instead.
   */
  reason?: string;
  /** SPEC §14: the price write, when the change has one. */
  price?: PriceChange;
  /** SPEC §14: the status action the change writes; with `alone`, it writes no stock (`to` is not written). */
  statusAction?: StatusAction;
}

export interface SummaryError {
  /** The store it concerns (SPEC §9; only when the config lists `stores`). */
  store?: string;
  sku: string | null;
  source: string | null;
  row?: number;
  message: string;
}

/** Every error of a run counted, though the summary lists only the first ones (SPEC §8 "Bounded reports"). */
export interface ErrorTotals {
  /** All errors of the run, listed or not. */
  errorsTotal: number;
  /** Errors per source (`"(store)"` for store-side ones) and reason. */
  errorCounts: Record<string, Record<string, number>>;
}

/** A store SKU key held by more than one store item (SPEC §8 "One supply, one listing"). */
export interface StoreSkuDuplicate {
  /** How many store items hold the key, in the whole index. */
  count: number;
  /** The first holders in store order (at most a few: enough to report). */
  holders: Array<{ productId: StoreId; variationId: StoreId | null }>;
}

export interface PerSourceCounts {
  items: number;
  rejected: number;
  matched: number;
}

/** SPEC §6: printed with --json and stored with every run. */
export interface RunSummary {
  runId: string;
  command: string;
  dryRun: boolean;
  status: RunStatus;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: RunCounts;
  safety: SafetyReport;
  changes: SummaryChange[];
  /** Set when `changes` lists only the first of more changes (huge plans); the plan holds them all. */
  changesTotal?: number;
  /** The first errors (at most 1,000); `errorsTotal` and `errorCounts` count them all. */
  errors: SummaryError[];
  errorsTotal?: number;
  errorCounts?: Record<string, Record<string, number>>;
  sources?: Record<string, PerSourceCounts>;
  /** SPEC §12: open orders subtracted by this run's plan: window start, order lines and units read. */
  openOrders?: { since: string; lines: number; units: number };
  planId?: number | null;
  message?: string;
  /** With `alerts.lowStock`: items this run sets to at or below the threshold. */
  lowStock?: LowStockItem[];
  /** SPEC §9: one entry per store the run worked on (only when the config lists `stores`). */
  stores?: StoreSummary[];
  /** Issue 19, stores with `index.incremental`: how this run's fetch refreshed the store index, and why. */
  index?: 'incremental' | 'full';
  indexReason?: string;
}

/** How one store fared in a run with several stores (SPEC §9). */
export interface StoreSummary {
  name: string;
  status: RunStatus;
  exitCode: number;
  counts: RunCounts;
  safety: SafetyReport;
  planId: number | null;
  message?: string;
  /** Issue 19: as in RunSummary. */
  index?: 'incremental' | 'full';
  indexReason?: string;
}

export interface LowStockItem {
  sku: string;
  qty: number;
  name?: string;
}

export function emptyCounts(): RunCounts {
  return {
    sourceItems: 0, rejected: 0, storeItems: 0, inScope: 0, excluded: 0, matched: 0, missing: 0,
    unchanged: 0, changed: 0, applied: 0, failed: 0, pending: 0,
  };
}
