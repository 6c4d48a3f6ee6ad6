import type { BatchResult, Change, StoreItem } from '../domain/types.js';

export interface StoreLimits {
  /** The API's largest write batch (items per request). */
  maxBatch: number;
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
 */
export interface StoreAdapter {
  readonly type: string;
  readonly limits: StoreLimits;
  list(signal?: AbortSignal): AsyncIterable<StoreItem>;
  batchKey(change: Change): string;
  apply(batch: Change[]): Promise<BatchResult>;
  /**
   * Read back the current stock of these items in the fewest requests the API allows (for
   * verification after a push). Returns, per change seq, what the store reports now; an item the
   * store no longer has is absent from the map. Optional: stores without it are not verified.
   */
  read?(changes: Change[], signal?: AbortSignal): Promise<Map<number, { qty: number | null; managed: boolean }>>;
  /** Read-only probe for `invsync check`: authenticate and read one page. */
  check?(): Promise<string>;
}
