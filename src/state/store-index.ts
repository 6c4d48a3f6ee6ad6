import type { IndexedStoreItem, ItemVisibility, StoreItem } from '../domain/types.js';
import { decodeId, encodeId, type Db } from './db.js';

/** The store named "store" (the singular `store` config, and all state written before SPEC §9). */
export const DEFAULT_STORE = 'store';

export interface IndexMeta {
  generation: number;
  refreshedAt: string;
  itemCount: number;
  store: string;
  /** The fetch that wrote this index (the snapshot header names the same id); null for an index written before fetch ids existed. */
  fetchId: string | null;
}

type RawRow = [number, string, string, string | null, number | null, number, string | null, string | null, string | null, string | null, string | null];

interface Row {
  ord: number; sku: string; product_id: string; variation_id: string | null;
  qty: number | null; managed: number; name: string | null; ref: string | null; not_written: string | null;
  /** Migration 11: NULL not reported, '' no price, else "12.99". */
  price: string | null;
  /** Migration 12: JSON ItemVisibility, NULL when the store does not say. */
  visibility: string | null;
}

/**
 * Where a store's index lives: slot 1 (the store named "store") in `store_items`, every other
 * slot in `store_items_<slot>`. Slots are allocated once per store name and kept.
 */
export function storeItemsTable(slot: number): string {
  return slot === 1 ? 'store_items' : `store_items_${slot}`;
}

/** The store's slot, allocated on first use when `create`; undefined for a store never fetched. */
export function storeSlot(db: Db, name: string, create = false): number | undefined {
  const get = () => db.prepare('SELECT id FROM store_slots WHERE name = ?').pluck().get(name) as number | undefined;
  const found = get();
  if (found !== undefined || !create) return found;
  db.prepare('INSERT INTO store_slots (name) VALUES (?)').run(name);
  return get();
}

/** The table holding this store's index; undefined when the store has none yet. */
export function storeTableOf(db: Db, name: string = DEFAULT_STORE): string | undefined {
  const slot = storeSlot(db, name);
  if (slot === undefined) return undefined;
  const table = storeItemsTable(slot);
  return tableExists(db, table) ? table : undefined;
}

/** Whether the table exists: per-store tables are created on first use, not by a migration. */
export function tableExists(db: Db, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/**
 * What the index keeps of an item beyond its ids and SKU, in this order. Shared with the
 * incremental refresh's delta table (index-refresh.ts), so a column added here reaches both.
 */
export const ITEM_STATE_COLUMNS = `qty INTEGER, managed INTEGER NOT NULL, name TEXT, ref TEXT, not_written TEXT, price TEXT, visibility TEXT`;

/** An item's values for ITEM_STATE_COLUMNS, in that order (price: NULL not reported, '' no price). */
export function itemStateValues(item: StoreItem): unknown[] {
  return [item.qty, item.managed ? 1 : 0, item.name ?? null, item.ref ? JSON.stringify(item.ref) : null, item.notWritten ?? null,
    item.price === undefined ? null : item.price ?? '', item.visibility ? JSON.stringify(item.visibility) : null];
}

/**
 * The columns of `store_items` (migration 1, `not_written` from migration 7, `price` from migration 11, `visibility` from 12). The staging table is created from this and renamed
 * over `store_items`, so the two must stay equal: a test compares them.
 */
export const STORE_ITEMS_COLUMNS = `(
    ord          INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    variation_id TEXT,
    ${ITEM_STATE_COLUMNS}
  )`;

/** Rows written per staging transaction: bounds the rows held in memory while the listing streams in. */
const STAGE_CHUNK = 2000;

/** A complete store listing, staged beside the live index; nothing a reader sees has changed yet. */
export interface StagedIndex {
  readonly itemCount: number;
  /**
   * Swap the staged listing in as the store index under the fetch id, in one transaction; bumps the
   * generation, which makes plans built on the old index stale. `inSameTransaction` runs inside that
   * transaction (the ledger applies what it staged there), so both commit or neither does.
   */
  commit(inSameTransaction?: () => void): IndexMeta;
  /** Drop the staged listing; the live index stays exactly as it was. Safe to call more than once. */
  discard(): void;
}

/**
 * Stream `items` (in store order) into a staging table. The live index is not touched until
 * `commit()`, so a fetch that fails after the listing (a source, the snapshot) keeps the previous
 * index and generation (SPEC §8 "Fetch is one unit"). A listing that fails half-way drops what it
 * staged and rethrows.
 *
 * Rows are buffered at most STAGE_CHUNK at a time and each chunk is written in its own synchronous
 * transaction, so memory stays flat and no transaction is held open across an await (other code may
 * use the connection meanwhile). A staging table left by a killed fetch is dropped here first.
 */
export async function stageStoreIndex(
  db: Db,
  options: { store: string; fetchId: string; onItem?: (n: number) => void; /** The store's name (SPEC §9); default "store". */ name?: string },
  items: AsyncIterable<StoreItem>,
): Promise<StagedIndex> {
  const slot = storeSlot(db, options.name ?? DEFAULT_STORE, true)!;
  const LIVE = storeItemsTable(slot);
  const STAGING = `${LIVE}_new`;
  // SQLite cannot rename an index, and index names are unique per database: the staging table's
  // indexes take whichever of two suffixes the live table's do not use (they are dropped with it).
  let suffix = 'a';
  db.transaction(() => {
    db.exec(`DROP TABLE IF EXISTS ${STAGING}`);
    db.exec(`CREATE TABLE ${STAGING} ${STORE_ITEMS_COLUMNS}`);
    const live = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").pluck().all(LIVE);
    if (live.includes(`${LIVE}_sku_a`) || live.includes(`${LIVE}_ids_a`)) suffix = 'b';
  })();
  const insert = db.prepare(
    `INSERT INTO ${STAGING} (ord, sku, product_id, variation_id, qty, managed, name, ref, not_written, price, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let pending: unknown[][] = [];
  const flush = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(row);
  });
  let ord = 0;
  let open = true;
  const discard = () => {
    if (!open) return;
    open = false;
    db.exec(`DROP TABLE IF EXISTS ${STAGING}`);
  };
  try {
    for await (const item of items) {
      pending.push([ord, item.sku, encodeId(item.productId), encodeId(item.variationId), ...itemStateValues(item)]);
      ord++;
      options.onItem?.(ord);
      if (pending.length >= STAGE_CHUNK) {
        flush(pending);
        pending = [];
      }
    }
    flush(pending);
    pending = [];
    // Built once over the whole table (a sorted build) rather than row by row during the listing.
    db.transaction(() => {
      db.exec(`CREATE INDEX ${LIVE}_sku_${suffix} ON ${STAGING} (sku)`);
      db.exec(`CREATE INDEX ${LIVE}_ids_${suffix} ON ${STAGING} (product_id, variation_id)`);
    })();
  } catch (err) {
    try {
      discard();
    } catch {
      // The listing's error is the one to report; a leftover staging table is dropped by the next fetch.
    }
    throw err;
  }
  const itemCount = ord;
  return {
    itemCount,
    discard,
    commit(inSameTransaction?: () => void): IndexMeta {
      if (!open) throw new Error('store index: the staged listing was already committed or discarded');
      const meta = db.transaction((): IndexMeta => {
        const previous = getIndexMeta(db, options.name ?? DEFAULT_STORE);
        const next: IndexMeta = {
          generation: (previous?.generation ?? 0) + 1, refreshedAt: new Date().toISOString(), itemCount, store: options.store,
          fetchId: options.fetchId,
        };
        db.exec(`DROP TABLE IF EXISTS ${LIVE}`);
        db.exec(`ALTER TABLE ${STAGING} RENAME TO ${LIVE}`);
        db.prepare(`INSERT INTO index_meta (id, generation, refreshed_at, item_count, store, fetch_id)
          VALUES (@slot, @generation, @refreshedAt, @itemCount, @store, @fetchId)
          ON CONFLICT(id) DO UPDATE SET generation = @generation, refreshed_at = @refreshedAt, item_count = @itemCount,
            store = @store, fetch_id = @fetchId`).run({ ...next, slot });
        inSameTransaction?.();
        return next;
      })();
      open = false;
      return meta;
    },
  };
}

/**
 * Swap several staged listings in (one per store) in ONE transaction, with `inSameTransaction`
 * (the ledger) inside it: every store index of a fetch commits, or none does (SPEC §8, §9).
 */
export function commitStagedIndexes(db: Db, staged: StagedIndex[], inSameTransaction?: () => void): IndexMeta[] {
  // Each commit is itself a transaction: nested here, better-sqlite3 runs it as a savepoint.
  return db.transaction(() => {
    const metas = staged.map((s) => s.commit());
    inSameTransaction?.();
    return metas;
  })();
}

export function getIndexMeta(db: Db, name: string = DEFAULT_STORE): IndexMeta | undefined {
  const row = db.prepare(`SELECT m.generation, m.refreshed_at, m.item_count, m.store, m.fetch_id FROM index_meta m
    JOIN store_slots s ON s.id = m.id WHERE s.name = ?`).get(name) as
    { generation: number; refreshed_at: string; item_count: number; store: string; fetch_id: string | null } | undefined;
  return row && { generation: row.generation, refreshedAt: row.refreshed_at, itemCount: row.item_count, store: row.store, fetchId: row.fetch_id };
}

/**
 * Store items in store order, restricted to a window (offset/limit over the sellable items).
 * Reads in chunks by position, never holding a statement open between chunks, so the caller may
 * write to the database while iterating (better-sqlite3 allows no other statement meanwhile).
 */
export function* iterateStoreItems(db: Db, window: { offset?: number; limit?: number; store?: string } = {}, chunk = 5000): Generator<IndexedStoreItem> {
  const table = storeTableOf(db, window.store);
  if (!table) return;
  // Raw rows (arrays) are several times cheaper to materialise than objects for a million items.
  // A store's table from before migration 11 (recreated by its next fetch) has no prices; migration 12
  // gave every existing index table its visibility column.
  const price = hasColumn(db, table, 'price') ? 'price' : 'NULL';
  const stmt = db.prepare(`SELECT ord, sku, product_id, variation_id, qty, managed, name, ref, not_written, ${price}, visibility FROM ${table} WHERE ord >= ? ORDER BY ord LIMIT ?`).raw(true);
  let remaining = window.limit ?? Number.POSITIVE_INFINITY;
  // Positions are 0..n-1 in store order, so the window's offset is a position.
  let next = window.offset ?? 0;
  while (remaining > 0) {
    const rows = stmt.all(next, Math.min(chunk, remaining)) as RawRow[];
    if (rows.length === 0) return;
    for (const r of rows) {
      yield toItem({ ord: r[0], sku: r[1], product_id: r[2], variation_id: r[3], qty: r[4], managed: r[5], name: r[6], ref: r[7], not_written: r[8], price: r[9], visibility: r[10] });
    }
    remaining -= rows.length;
    next = rows[rows.length - 1]![0] + 1;
  }
}

export function countStoreItems(db: Db, name: string = DEFAULT_STORE): number {
  const table = storeTableOf(db, name);
  return table ? (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n : 0;
}

/** Record a confirmed write, so the index stays true without a re-listing. */
export function updateIndexedQty(db: Db, productId: number | string, variationId: number | string | null, qty: number, name: string = DEFAULT_STORE): void {
  const table = storeTableOf(db, name);
  if (!table) return;
  db.prepare(`UPDATE ${table} SET qty = ?, managed = 1 WHERE product_id = ? AND variation_id IS ?`)
    .run(qty, encodeId(productId), encodeId(variationId));
}

function toItem(row: Row): IndexedStoreItem {
  return {
    ord: row.ord,
    sku: row.sku,
    productId: decodeId(row.product_id)!,
    variationId: decodeId(row.variation_id),
    qty: row.qty,
    managed: row.managed === 1,
    name: row.name ?? undefined,
    ref: row.ref ? (JSON.parse(row.ref) as Record<string, unknown>) : undefined,
    ...(row.not_written !== null ? { notWritten: row.not_written } : {}),
    ...(row.price !== null ? { price: row.price === '' ? null : row.price } : {}),
    ...(row.visibility !== null ? { visibility: JSON.parse(row.visibility) as ItemVisibility } : {}),
  };
}

function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
}
