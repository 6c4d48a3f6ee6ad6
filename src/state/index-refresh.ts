import type { ItemVisibility, StoreItem } from '../domain/types.js';
import type { ListedProduct } from '../stores/types.js';
import type { Db } from './db.js';
import { DEFAULT_STORE, ITEM_STATE_COLUMNS, iterateStoreItems, itemStateValues, storeItemsTable, storeSlot, tableExists, type StagedIndex } from './store-index.js';

/**
 * Issue 19, the state of incremental index refreshes. Per store slot:
 *
 * - `index_refresh`: when the last FULL refresh ran (invsync's clock, for `fullEvery`), the store's
 *   clock when the last refresh began (the next one lists what changed after it), and a fingerprint
 *   of the store's config (a changed URL or key means another shop: full refresh);
 * - `store_products_<slot>`: every product the index's listing visited, items or not (grouped
 *   products, variable ones without variations), so the index can be counted the way the store
 *   counts (`X-WP-Total`) and its variable products re-listed.
 *
 * Both are created on first use (like `store_items_<slot>`), not by a migration: they exist only for
 * stores with `index.incremental`, and they commit in the same transaction as the index swap.
 */

export interface RefreshState {
  /** ISO 8601, invsync's clock: when the last full refresh began. */
  fullAt: string;
  /** ISO 8601: when the last refresh (full or incremental) began. */
  watermark: string;
  /** "server": the store's Date header; "local": invsync's clock (the store sent none). */
  watermarkSource: 'server' | 'local';
  fingerprint: string;
  kind: 'full' | 'incremental';
  /** The fetch that wrote the index this state describes: another id means a refresh without the option replaced it since. */
  fetchId: string;
}

const REFRESH_TABLE = `CREATE TABLE IF NOT EXISTS index_refresh (
    id               INTEGER PRIMARY KEY,  -- the store's slot (store_slots.id)
    full_at          TEXT NOT NULL,
    watermark        TEXT NOT NULL,
    watermark_source TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    fetch_id         TEXT NOT NULL
  )`;

const PRODUCT_COLUMNS = `(
    product_id INTEGER PRIMARY KEY,
    variable   INTEGER NOT NULL,
    name       TEXT
  )`;

/** Delta items keyed in store order; vid 0 stands for "no variation" so the key sorts and stays unique. */
const DELTA_ITEM_COLUMNS = `(
    pid         INTEGER NOT NULL,
    vid         INTEGER NOT NULL,
    sku         TEXT NOT NULL,
    ${ITEM_STATE_COLUMNS},
    PRIMARY KEY (pid, vid)
  ) WITHOUT ROWID`;

const CHUNK = 2000;

export function productsTable(slot: number): string {
  return `store_products_${slot}`;
}

/** The last refresh of this store's index, or undefined when it never ran with `index.incremental`. */
export function getRefreshState(db: Db, name: string = DEFAULT_STORE): RefreshState | undefined {
  const slot = storeSlot(db, name);
  if (slot === undefined || !tableExists(db, 'index_refresh') || !tableExists(db, productsTable(slot))) return undefined;
  const row = db.prepare('SELECT full_at, watermark, watermark_source, fingerprint, kind, fetch_id FROM index_refresh WHERE id = ?').get(slot) as
    { full_at: string; watermark: string; watermark_source: string; fingerprint: string; kind: string; fetch_id: string } | undefined;
  return row && {
    fullAt: row.full_at, watermark: row.watermark, watermarkSource: row.watermark_source === 'server' ? 'server' : 'local',
    fingerprint: row.fingerprint, kind: row.kind === 'incremental' ? 'incremental' : 'full', fetchId: row.fetch_id,
  };
}

/** Products in the store's committed product table (0 when it has none). */
export function countIndexedProducts(db: Db, name: string = DEFAULT_STORE): number {
  const slot = storeSlot(db, name);
  if (slot === undefined || !tableExists(db, productsTable(slot))) return 0;
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${productsTable(slot)}`).get() as { n: number }).n;
}

/**
 * The product table being built beside the live one (`<table>_new`), written in chunks as products
 * stream in; swapped in by `commit` inside the index swap's transaction.
 */
export class StagedProducts {
  private readonly live: string;
  private readonly staging: string;
  private readonly insert;
  private pending: Array<[number, number, string | null]> = [];
  private readonly flushRows;

  constructor(private readonly db: Db, readonly slot: number) {
    this.live = productsTable(slot);
    this.staging = `${this.live}_new`;
    db.exec(`DROP TABLE IF EXISTS ${this.staging}`);
    db.exec(`CREATE TABLE ${this.staging} ${PRODUCT_COLUMNS}`);
    this.insert = db.prepare(`INSERT OR REPLACE INTO ${this.staging} (product_id, variable, name) VALUES (?, ?, ?)`);
    this.flushRows = db.transaction((rows: Array<[number, number, string | null]>) => {
      for (const r of rows) this.insert.run(r);
    });
  }

  add(p: { productId: number; variable: boolean; name: string | null }): void {
    this.pending.push([p.productId, p.variable ? 1 : 0, p.name]);
    if (this.pending.length >= CHUNK) this.flush();
  }

  flush(): void {
    this.flushRows(this.pending);
    this.pending = [];
  }

  /** The live products minus `replaced` (a table of product ids): the ones an incremental refresh keeps. */
  keepLive(replaced: string): void {
    this.flush();
    if (!tableExists(this.db, this.live)) return;
    this.db.exec(`INSERT OR IGNORE INTO ${this.staging} (product_id, variable, name)
      SELECT product_id, variable, name FROM ${this.live} WHERE product_id NOT IN (SELECT product_id FROM ${replaced})`);
  }

  /** Every product of `table` (same columns), replacing a kept one of the same id. */
  addFrom(table: string): void {
    this.flush();
    this.db.exec(`INSERT OR REPLACE INTO ${this.staging} (product_id, variable, name) SELECT product_id, variable, name FROM ${table}`);
  }

  count(): number {
    this.flush();
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${this.staging}`).get() as { n: number }).n;
  }

  /** Inside the index swap's transaction. */
  swapIn(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.live}`);
    this.db.exec(`ALTER TABLE ${this.staging} RENAME TO ${this.live}`);
  }

  discard(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.staging}`);
  }
}

/**
 * What an incremental refresh listed: the changed products (and every re-listed variable product)
 * with their items, in two tables beside the live index. Dropped by `discard`, whatever happened.
 */
export class DeltaTables {
  readonly products: string;
  readonly items: string;
  private pendingProducts: Array<[number, number, string | null]> = [];
  private pendingItems: unknown[][] = [];
  private readonly flushRows;
  listed = 0;

  constructor(private readonly db: Db, slot: number) {
    const live = storeItemsTable(slot);
    this.products = `${live}_delta_p`;
    this.items = `${live}_delta_i`;
    this.discard();
    db.exec(`CREATE TABLE ${this.products} ${PRODUCT_COLUMNS}`);
    db.exec(`CREATE TABLE ${this.items} ${DELTA_ITEM_COLUMNS}`);
    const insertProduct = db.prepare(`INSERT OR REPLACE INTO ${this.products} (product_id, variable, name) VALUES (?, ?, ?)`);
    const deleteItems = db.prepare(`DELETE FROM ${this.items} WHERE pid = ?`);
    const insertItem = db.prepare(`INSERT OR REPLACE INTO ${this.items} (pid, vid, sku, qty, managed, name, ref, not_written, price, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.flushRows = db.transaction((products: Array<[number, number, string | null]>, items: unknown[][]) => {
      // A product listed twice (the filter returned it, then it was re-listed) keeps its last items only.
      for (const p of products) { insertProduct.run(p); deleteItems.run(p[0]); }
      for (const i of items) insertItem.run(i);
    });
  }

  add(p: ListedProduct): void {
    this.listed++;
    this.pendingProducts.push([p.productId, p.variable ? 1 : 0, p.name]);
    for (const item of p.items) {
      this.pendingItems.push([p.productId, item.variationId === null ? 0 : Number(item.variationId), item.sku, ...itemStateValues(item)]);
    }
    if (this.pendingItems.length + this.pendingProducts.length >= CHUNK) this.flush();
  }

  flush(): void {
    this.flushRows(this.pendingProducts, this.pendingItems);
    this.pendingProducts = [];
    this.pendingItems = [];
  }

  /** Product ids of the delta, ascending, read in chunks (no statement held open between them). */
  *productIds(): Generator<number> {
    this.flush();
    const stmt = this.db.prepare(`SELECT product_id FROM ${this.products} WHERE product_id > ? ORDER BY product_id LIMIT ?`).pluck();
    let after = 0;
    for (;;) {
      const ids = stmt.all(after, CHUNK) as number[];
      if (ids.length === 0) return;
      yield* ids;
      after = ids[ids.length - 1]!;
    }
  }

  /** Delta items in store order (product id, then variation id), read in chunks. */
  *storeItems(): Generator<StoreItem> {
    this.flush();
    const stmt = this.db.prepare(`SELECT pid, vid, sku, qty, managed, name, ref, not_written, price, visibility FROM ${this.items}
      WHERE (pid, vid) > (?, ?) ORDER BY pid, vid LIMIT ?`).raw(true);
    let pid = 0;
    let vid = -1;
    for (;;) {
      const rows = stmt.all(pid, vid, CHUNK) as Array<[number, number, string, number | null, number, string | null, string | null, string | null, string | null, string | null]>;
      if (rows.length === 0) return;
      for (const r of rows) {
        yield {
          sku: r[2], productId: r[0], variationId: r[1] === 0 ? null : r[1], qty: r[3], managed: r[4] === 1,
          ...(r[5] !== null ? { name: r[5] } : {}), ...(r[6] !== null ? { ref: JSON.parse(r[6]) as Record<string, unknown> } : {}),
          ...(r[7] !== null ? { notWritten: r[7] } : {}),
          ...(r[8] !== null ? { price: r[8] === '' ? null : r[8] } : {}),
          ...(r[9] !== null ? { visibility: JSON.parse(r[9]) as ItemVisibility } : {}),
        };
      }
      const lastRow = rows[rows.length - 1]!;
      pid = lastRow[0];
      vid = lastRow[1];
    }
  }

  discard(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.products}`);
    this.db.exec(`DROP TABLE IF EXISTS ${this.items}`);
  }
}

/** Variable products of the live product table that the delta does not hold, ascending, in chunks. */
export function* liveVariableProducts(db: Db, slot: number, delta: DeltaTables): Generator<{ productId: number; name: string | null }> {
  const table = productsTable(slot);
  if (!tableExists(db, table)) return;
  const stmt = db.prepare(`SELECT product_id, name FROM ${table} WHERE variable = 1 AND product_id > ?
    AND product_id NOT IN (SELECT product_id FROM ${delta.products}) ORDER BY product_id LIMIT ?`);
  let after = 0;
  for (;;) {
    const rows = stmt.all(after, CHUNK) as Array<{ product_id: number; name: string | null }>;
    if (rows.length === 0) return;
    for (const r of rows) yield { productId: r.product_id, name: r.name };
    after = rows[rows.length - 1]!.product_id;
  }
}

/** The live index's items, in store order (read in chunks by position). */
export function liveItems(db: Db, name: string): Generator<StoreItem> {
  return iterateStoreItems(db, { store: name });
}

/**
 * Wrap a staged index so its commit also swaps the product table in and records this refresh,
 * all in the index swap's transaction (a failure anywhere keeps the old index, products and state).
 */
export function withRefreshState(db: Db, staged: StagedIndex, products: StagedProducts, state: RefreshState, cleanup: () => void = () => {}): StagedIndex {
  return {
    itemCount: staged.itemCount,
    commit(inSameTransaction) {
      const meta = staged.commit(() => {
        products.swapIn();
        db.exec(REFRESH_TABLE);
        db.prepare(`INSERT INTO index_refresh (id, full_at, watermark, watermark_source, fingerprint, kind, fetch_id)
          VALUES (@slot, @fullAt, @watermark, @watermarkSource, @fingerprint, @kind, @fetchId)
          ON CONFLICT(id) DO UPDATE SET full_at = @fullAt, watermark = @watermark, watermark_source = @watermarkSource,
            fingerprint = @fingerprint, kind = @kind, fetch_id = @fetchId`).run({ slot: products.slot, ...state });
        inSameTransaction?.();
      });
      cleanup();
      return meta;
    },
    discard() {
      staged.discard();
      products.discard();
      cleanup();
    },
  };
}
