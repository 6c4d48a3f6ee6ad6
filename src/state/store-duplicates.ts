/**
 * Store SKU keys held by more than one store item (SPEC §8 "One supply, one listing"), found in
 * SQLite over the WHOLE index, so an item inside a --limit/--offset window whose twin is outside
 * it is still recognised. Only the duplicated keys reach JavaScript: memory stays flat for a
 * million-item index with few duplicates.
 */
import { DUPLICATE_HOLDERS_SHOWN, skuKey } from '../domain/sku.js';
import type { StoreSkuDuplicate } from '../domain/types.js';
import { decodeId, type Db } from './db.js';
import { DEFAULT_STORE, storeTableOf } from './store-index.js';

const SKU_KEY_FUNCTION = 'invsync_sku_key';

/**
 * skuKey in SQL. Pure-ASCII SKUs (byte length = character length) are keyed natively, as skuKey
 * keys them (trim of ASCII whitespace, ASCII lower-casing); only the others call into JavaScript.
 * NOTE: a JS call per row costs ~1 µs, which a million-item index would feel.
 */
function keyExpression(caseSensitive: 0 | 1): string {
  const trimmed = "trim(sku, ' ' || char(9, 10, 11, 12, 13))";
  return `NULLIF(CASE WHEN length(CAST(sku AS BLOB)) = length(sku) THEN ${caseSensitive ? trimmed : `lower(${trimmed})`}
    ELSE ${SKU_KEY_FUNCTION}(sku, ${caseSensitive}) END, '')`;
}
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
export function findDuplicateStoreSkus(db: Db, caseSensitive: boolean, store: string = DEFAULT_STORE): Map<string, StoreSkuDuplicate> {
  const out = new Map<string, StoreSkuDuplicate>();
  const table = storeTableOf(db, store);
  if (!table) return out;
  registerSkuKeyFunction(db);
  const cs = caseSensitive ? 1 : 0;
  const key = keyExpression(cs);
  // Pass 1 groups the whole index (SQLite's sorter, not our heap) and returns only the duplicated keys.
  const groups = db.prepare(`SELECT ${key} AS k, COUNT(*) FROM ${table} GROUP BY k HAVING COUNT(*) > 1 AND k IS NOT NULL`)
    .raw(true).iterate() as IterableIterator<[string, number]>;
  for (const [k, count] of groups) out.set(k, { count, holders: [] });
  if (out.size === 0) return out;
  // Pass 2, only when there are duplicates: their first holders in store order.
  const holders = db.prepare(`SELECT k, product_id, variation_id FROM (SELECT ${key} AS k, product_id, variation_id, ord FROM ${table})
    WHERE k IN (SELECT value FROM json_each(?)) ORDER BY ord`).raw(true);
  for (const [k, productId, variationId] of holders.iterate(JSON.stringify([...out.keys()])) as IterableIterator<[string, string, string | null]>) {
    const dup = out.get(k)!;
    if (dup.holders.length < DUPLICATE_HOLDERS_SHOWN) dup.holders.push({ productId: decodeId(productId)!, variationId: decodeId(variationId) });
  }
  return out;
}
