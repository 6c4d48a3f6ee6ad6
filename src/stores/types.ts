import type { BatchResult, Change, ItemVisibility, StoreId, StoreItem } from '../domain/types.js';

/**
 * One line of an open order (SPEC §12): units the store has already taken off the item's level
 * that the supplier has not seen leave yet.
 */
export interface OpenOrderLine {
  /** The order's id, for logs and reports. */
  orderId: StoreId;
  /** The SKU on the order line (may be empty or outdated: the ids are what match the listing). */
  sku: string;
  productId: StoreId;
  /** null for a simple product. */
  variationId: StoreId | null;
  /** Units ordered, a whole number > 0. */
  qty: number;
}

/** What a store reports for one item now. */
export interface StockReading {
  qty: number | null;
  managed: boolean;
  /** SPEC §14: the item's price now (two decimals; null: none), from stores that sync prices. */
  price?: string | null;
  /** The listing's visibility, from stores that can change it (SPEC §14 `rules.status`). */
  visibility?: ItemVisibility;
}

/**
 * What the push journal offers a store whose writes are accepted now and processed later (Amazon
 * feeds): the store names its submission, and the journal records it durably before the store
 * does anything else, so a run killed after submitting resumes by asking about that submission
 * instead of submitting again.
 */
export interface SubmissionJournal {
  /** Record (synchronously, durably) that the batch was submitted as `externalId`. */
  submitted(externalId: string): void;
}

export interface StoreLimits {
  /**
   * The API's largest write batch (items per request). May shrink during a run when the store
   * announces a lower cap (read it when cutting batches; `apply` still takes the larger ones).
   */
  readonly maxBatch: number;
}

/**
 * One product of an incremental-capable listing with the sellable items it contributes (none for
 * a grouped product or a variable one without variations), so an index can replace a product's
 * items as a whole and count the products the store counts.
 */
export interface ListedProduct {
  /** A positive integer: incremental listings run in numeric id order. */
  productId: number;
  /** Its items are its variations: re-listed every incremental refresh (see IncrementalListing). */
  variable: boolean;
  name: string | null;
  items: StoreItem[];
}

/** What the store says about itself in one cheap request. */
export interface StoreProbe {
  /** Products the listing visits (every type), as the store counts them; null when it did not say. */
  products: number | null;
  /** The store's clock (its HTTP `Date` header), ISO 8601; null when it sent none. */
  serverTime: string | null;
}

/**
 * Stores with a trustworthy modification filter (issue 19): list only the products changed after
 * a time of the store's own clock. Everything is yielded in numeric product id order.
 */
export interface IncrementalListing {
  /** The filter parameter, for logs ("modified_after"). */
  readonly filter: string;
  probe(signal?: AbortSignal): Promise<StoreProbe>;
  /** Every product (since null), or those modified strictly after `since` (ISO 8601, the store's clock). */
  products(since: string | null, signal?: AbortSignal): AsyncIterable<ListedProduct>;
  /**
   * The current items of a variable product that the filter did not return: a variation's edit
   * need not move its parent's modification date, so these are re-listed every time.
   */
  variations(product: { productId: number; name: string | null }, signal?: AbortSignal): Promise<StoreItem[]>;
}

/** What an adapter may use besides its config. */
export interface StoreContext {
  /** The state dir: token caches and small per-shop facts such as a learned batch cap (files 0600); none in tests that do not care. */
  stateDir?: string;
}

/**
 * A store. The engine never knows which one it talks to.
 *
 * - `list()` yields every sellable item (simple products and variations, never a variable
 *   parent) in store order: by product id, then variation id. Throws on outright failure.
 * - `batchKey(change)` groups changes that may share one write request (e.g. WooCommerce:
 *   one parent per variation batch). Changes with equal keys are chunked by `limits.maxBatch`.
 * - `apply(batch)` sends ONE write request (after retries) for changes of one key, at most
 *   `limits.maxBatch` of them, and reports per-item failures. It throws an `HttpError` when
 *   the whole request failed (auth errors with `details.auth`).
 * - `read(changes)` reads current levels back (every store has it: verification and rollback
 *   depend on it).
 */
export interface StoreAdapter {
  readonly type: string;
  readonly limits: StoreLimits;
  list(signal?: AbortSignal): AsyncIterable<StoreItem>;
  batchKey(change: Change): string;
  apply(batch: Change[], journal?: SubmissionJournal): Promise<BatchResult>;
  /**
   * Stores with asynchronous writes only: the outcome of a batch submitted earlier as
   * `externalId` (journaled through `SubmissionJournal`), waiting as long as `apply` would.
   * `inFlight` when it is still being processed; never submits anything.
   */
  settle?(externalId: string, batch: Change[], signal?: AbortSignal): Promise<BatchResult>;
  /**
   * The current stock of these items, read in bulk with the fewest requests the API allows
   * (for read-back after a push, and for rollback's "changed since" check). Returns, per change
   * seq, what the store reports now (`qty` null when it does not manage the item's stock); an
   * item the store no longer has is absent from the map. Throws the client's `HttpError` when a
   * read request fails as a whole.
   */
  read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>>;
  /**
   * Stores whose `OPEN_ORDERS_BY_STORE` support is `orders`: every line of the open orders
   * (placed, stock already reduced, not shipped, not cancelled) created at or after `sinceIso`,
   * streamed page by page in the fewest requests the API allows. Throws the client's `HttpError`
   * when a request fails as a whole; never yields a line of an order that is not open.
   */
  openOrders?(sinceIso: string, signal?: AbortSignal): AsyncIterable<OpenOrderLine>;
  /** Read-only probe for `invsync check`: authenticate and read one page. */
  check?(): Promise<string>;
  /** Stores that can refresh their index incrementally (`index.incremental`). */
  incremental?: IncrementalListing;
}
