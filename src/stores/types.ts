import type { BatchResult, Change, StoreItem } from '../domain/types.js';

/** What a store reports for one item now. */
export interface StockReading {
  qty: number | null;
  managed: boolean;
}

export interface StoreLimits {
  /**
   * The API's largest write batch (items per request). May shrink during a run when the store
   * announces a lower cap (read it when cutting batches; `apply` still takes the larger ones).
   */
  readonly maxBatch: number;
}

/** What an adapter may use besides its config. */
export interface StoreContext {
  /** The state dir (for small per-shop facts such as a learned batch cap); none in tests that don't care. */
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
  apply(batch: Change[]): Promise<BatchResult>;
  /**
   * The current stock of these items, read in bulk with the fewest requests the API allows
   * (for read-back after a push, and for rollback's "changed since" check). Returns, per change
   * seq, what the store reports now (`qty` null when it does not manage the item's stock); an
   * item the store no longer has is absent from the map. Throws the client's `HttpError` when a
   * read request fails as a whole.
   */
  read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>>;
  /** Read-only probe for `invsync check`: authenticate and read one page. */
  check?(): Promise<string>;
}
