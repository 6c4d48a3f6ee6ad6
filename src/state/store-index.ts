import type { IndexedStoreItem, StoreItem } from '../domain/types.js';
import { decodeId, encodeId, type Db } from './db.js';

export interface IndexMeta {
  generation: number;
  refreshedAt: string;
  itemCount: number;
  store: string;
}

type RawRow = [number, string, string, string | null, number | null, number, string | null, string | null];

interface Row {
  ord: number; sku: string; product_id: string; variation_id: string | null;
  qty: number | null; managed: number; name: string | null; ref: string | null;
}

/**
 * Replace the whole store index with `items` (in store order) inside one transaction: a
 * listing that fails half-way leaves the previous index untouched. Bumps the generation,
 * which makes plans built on the old index stale.
 */
export async function replaceStoreIndex(db: Db, store: string, items: AsyncIterable<StoreItem>, onItem?: (n: number) => void): Promise<IndexMeta> {
  const insert = db.prepare(
    'INSERT INTO store_items (ord, sku, product_id, variation_id, qty, managed, name, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('DELETE FROM store_items');
    let ord = 0;
    for await (const item of items) {
      insert.run(ord, item.sku, encodeId(item.productId), encodeId(item.variationId), item.qty, item.managed ? 1 : 0,
        item.name ?? null, item.ref ? JSON.stringify(item.ref) : null);
      ord++;
      onItem?.(ord);
    }
    const previous = getIndexMeta(db);
    const meta: IndexMeta = {
      generation: (previous?.generation ?? 0) + 1, refreshedAt: new Date().toISOString(), itemCount: ord, store,
    };
    db.prepare(`INSERT INTO index_meta (id, generation, refreshed_at, item_count, store) VALUES (1, @generation, @refreshedAt, @itemCount, @store)
      ON CONFLICT(id) DO UPDATE SET generation = @generation, refreshed_at = @refreshedAt, item_count = @itemCount, store = @store`).run(meta);
    db.exec('COMMIT');
    return meta;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

export function getIndexMeta(db: Db): IndexMeta | undefined {
  const row = db.prepare('SELECT generation, refreshed_at, item_count, store FROM index_meta WHERE id = 1').get() as
    { generation: number; refreshed_at: string; item_count: number; store: string } | undefined;
  return row && { generation: row.generation, refreshedAt: row.refreshed_at, itemCount: row.item_count, store: row.store };
}

/**
 * Store items in store order, restricted to a window (offset/limit over the sellable items).
 * Reads in chunks by position, never holding a statement open between chunks, so the caller may
 * write to the database while iterating (better-sqlite3 allows no other statement meanwhile).
 */
export function* iterateStoreItems(db: Db, window: { offset?: number; limit?: number } = {}, chunk = 5000): Generator<IndexedStoreItem> {
  // Raw rows (arrays) are several times cheaper to materialise than objects for a million items.
  const stmt = db.prepare('SELECT ord, sku, product_id, variation_id, qty, managed, name, ref FROM store_items WHERE ord >= ? ORDER BY ord LIMIT ?').raw(true);
  let remaining = window.limit ?? Number.POSITIVE_INFINITY;
  // Positions are 0..n-1 in store order, so the window's offset is a position.
  let next = window.offset ?? 0;
  while (remaining > 0) {
    const rows = stmt.all(next, Math.min(chunk, remaining)) as RawRow[];
    if (rows.length === 0) return;
    for (const r of rows) {
      yield toItem({ ord: r[0], sku: r[1], product_id: r[2], variation_id: r[3], qty: r[4], managed: r[5], name: r[6], ref: r[7] });
    }
    remaining -= rows.length;
    next = rows[rows.length - 1]![0] + 1;
  }
}

export function countStoreItems(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM store_items').get() as { n: number }).n;
}

/** Record a confirmed write, so the index stays true without a re-listing. */
export function updateIndexedQty(db: Db, productId: number | string, variationId: number | string | null, qty: number): void {
  db.prepare('UPDATE store_items SET qty = ?, managed = 1 WHERE product_id = ? AND variation_id IS ?')
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
  };
}
