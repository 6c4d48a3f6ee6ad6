import type { SourceRecord } from '../domain/types.js';
import type { StoreConfig } from '../config/schema.js';
import type { Db } from '../state/db.js';

/**
 * A supplier catalog. `stream()` yields every row in source order, streaming (never the whole
 * catalog in memory). Bad rows are yielded as `{ kind: 'rejected' }`, never thrown.
 * Throws (rejects the iteration) when the source fails outright: unreachable after retries,
 * auth refused, invalid response. The caller then discards the whole fetch.
 */
export interface SourceAdapter {
  readonly name: string;
  readonly type: string;
  stream(signal?: AbortSignal): AsyncIterable<SourceRecord>;
  /** Read-only connectivity probe for `invsync check` (first page / file header). */
  check?(): Promise<string>;
}

/** What a source may use besides its own config. */
export interface SourceContext {
  /** Absolute state directory: token caches and persisted request budgets live here (files mode 0600). */
  stateDir: string;
  /** The state database, for sources that keep state with the fetch (the ledger). Absent outside a fetch (`check`). */
  db?: Db;
  /** Identifies the running fetch: what a source stages under it is applied when that fetch commits. */
  fetchId?: string;
  /** A configured store's keys by its name (a `store` source naming one, SPEC §9). */
  resolveStore?: (name: string) => StoreConfig | undefined;
  /**
   * SPEC §14: `prices.enabled`. Sources whose amounts come unasked (a supplier API's own price
   * fields) read them only then; sources whose amount columns or paths are configured always do.
   */
  prices?: boolean;
}
