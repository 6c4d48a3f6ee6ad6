/**
 * SPEC §14 `rules.status`: what invsync hid (or marked out of stock) itself, per store, with the
 * values it replaced, and since when a run saw each such item back in stock. An item hidden by
 * hand never gets a row here, so restore never touches it.
 */
import type { Change, StatusAction, StoreId } from '../domain/types.js';
import type { HiddenRecord } from '../pipeline/rules/status.js';
import { encodeId, type Db } from './db.js';

type Fields = Record<string, string | boolean | number>;

/** A key column is never NULL: a simple product's variation id is ''. */
function variationKey(id: StoreId | null): string {
  return encodeId(id) ?? '';
}

/** A reader of one store's records, one indexed lookup per item (flat memory however many are hidden). */
export function hiddenRecords(db: Db, store: string): (productId: StoreId, variationId: StoreId | null) => HiddenRecord | undefined {
  const stmt = db.prepare('SELECT action, replaced, back_since FROM status_hidden WHERE store = ? AND product_id = ? AND variation_id = ?');
  return (productId, variationId) => {
    const row = stmt.get(store, encodeId(productId), variationKey(variationId)) as { action: HiddenRecord['action']; replaced: string; back_since: string | null } | undefined;
    return row && { action: row.action, replaced: JSON.parse(row.replaced) as Fields, backSince: row.back_since };
  };
}

/** Remember (or forget: null) since when a run saw the item back in stock. */
export function setBackSince(db: Db, store: string, productId: StoreId, variationId: StoreId | null, backSince: string | null): void {
  db.prepare('UPDATE status_hidden SET back_since = ? WHERE store = ? AND product_id = ? AND variation_id = ?')
    .run(backSince, store, encodeId(productId), variationKey(variationId));
}

export function forgetHidden(db: Db, store: string, productId: StoreId, variationId: StoreId | null): void {
  db.prepare('DELETE FROM status_hidden WHERE store = ? AND product_id = ? AND variation_id = ?').run(store, encodeId(productId), variationKey(variationId));
}

/**
 * A status action the store applied: a hide or out-of-stock write is remembered with the values it
 * replaced (the values of the FIRST write are kept when invsync writes again, say hide after
 * outofstock: restore puts back what the shop had, never invsync's own earlier write); a restore
 * forgets the item. Runs inside the journal's transaction.
 */
export function recordStatusApplied(db: Db, store: string, runId: string, change: Pick<Change, 'sku' | 'productId' | 'variationId'>, action: StatusAction): void {
  const pid = encodeId(change.productId);
  const vid = variationKey(change.variationId);
  if (action.to === 'restore') {
    db.prepare('DELETE FROM status_hidden WHERE store = ? AND product_id = ? AND variation_id = ?').run(store, pid, vid);
    return;
  }
  const existing = db.prepare('SELECT replaced FROM status_hidden WHERE store = ? AND product_id = ? AND variation_id = ?').pluck().get(store, pid, vid) as string | undefined;
  const replaced = { ...action.from, ...(existing ? JSON.parse(existing) as Fields : {}) };
  db.prepare(`INSERT INTO status_hidden (store, product_id, variation_id, sku, action, replaced, run_id, at, back_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
    ON CONFLICT (store, product_id, variation_id) DO UPDATE SET action = excluded.action, replaced = excluded.replaced, run_id = excluded.run_id, at = excluded.at, back_since = NULL`)
    .run(store, pid, vid, change.sku, action.to, JSON.stringify(replaced), runId, new Date().toISOString());
}
