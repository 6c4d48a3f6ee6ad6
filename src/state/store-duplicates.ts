/**
 * Store SKU keys held by more than one store item (SPEC §8 "One supply, one listing"), found in
 * SQLite over the WHOLE index, so an item inside a --limit/--offset window whose twin is outside
 * it is still recognised. Only the duplicated keys reach JavaScript: memory stays flat for a
 * million-item index with few duplicates.
 */
import { DUPLICATE_HOLDERS_SHOWN, skuKey } from '../domain/sku.js';
import type { StoreSkuDuplicate } from '../domain/types.js';
import { decodeId, type Db } from './db.js';

const SKU_KEY_FUNCTION = 'invsync_sku_key';
const registered = new WeakSet<Db>();

/**
 * Make `invsync_sku_key(sku, caseSensitive)` available in SQL on this connection: the same key
 * match uses (skuKey), NULL for a SKU whose key is empty (such items are out of scope).
 */
export function registerSkuKeyFunction(db: Db): void {
  if (registered.has(db)) return;
  db.function(SKU_KEY_FUNCTION, { deterministic: true }, (sku: unknown, caseSensitive: unknown) => {
    const key = skuKey(String(sku ?? ''), caseSensitive === 1);
    return key === '' ? null : key;
  });
  registered.add(db);
}

/**
 * Every SKU key held by more than one item of the store index, with how many items hold it and
 * the first DUPLICATE_HOLDERS_SHOWN holders in store order. Empty when the index has no duplicates.
 */
export function findDuplicateStoreSkus(db: Db, caseSensitive: boolean): Map<string, StoreSkuDuplicate> {
  registerSkuKeyFunction(db);
  // One pass computes each key once; SQLite's sorter spills to temporary storage, not to our heap.
  const rows = db.prepare(`
    SELECT k, n, product_id, variation_id FROM (
      SELECT k, product_id, variation_id,
             COUNT(*) OVER (PARTITION BY k) AS n,
             ROW_NUMBER() OVER (PARTITION BY k ORDER BY ord) AS rn
      FROM (SELECT ${SKU_KEY_FUNCTION}(sku, ?) AS k, product_id, variation_id, ord FROM store_items)
      WHERE k IS NOT NULL
    ) WHERE n > 1 AND rn <= ? ORDER BY k, rn`).raw(true)
    .iterate(caseSensitive ? 1 : 0, DUPLICATE_HOLDERS_SHOWN) as IterableIterator<[string, number, string, string | null]>;
  const out = new Map<string, StoreSkuDuplicate>();
  for (const [key, count, productId, variationId] of rows) {
    let dup = out.get(key);
    if (!dup) out.set(key, dup = { count, holders: [] });
    dup.holders.push({ productId: decodeId(productId)!, variationId: decodeId(variationId) });
  }
  return out;
}
