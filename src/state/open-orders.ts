import { skuKey } from '../domain/sku.js';
import type { OpenOrderLine } from '../stores/types.js';
import { encodeId, type Db } from './db.js';

/**
 * Open orders (SPEC §12) as one fetch read them. Lines are staged under the fetch's id while the
 * listing streams in, and replace the previous fetch's only when that fetch commits (in the index
 * swap's transaction, see `commitOpenOrders`): a failed fetch leaves the previous ones in place.
 */

/** Which fetch read the open orders now held, from when, and how many. */
export interface OpenOrdersMeta {
  fetchId: string;
  /** Window start (ISO 8601). */
  since: string;
  lines: number;
  units: number;
}

/** Rows written per staging transaction (flat memory however many orders). */
const STAGE_CHUNK = 2000;

/**
 * Append `lines` under `fetchId` as they stream in; rows a killed fetch left are dropped first.
 * Returns how many lines and units were staged. A failure half-way rethrows (the staged rows stay
 * until the next fetch drops them; they are never read unless their fetch commits).
 */
export async function stageOpenOrders(db: Db, fetchId: string, lines: AsyncIterable<OpenOrderLine>): Promise<{ lines: number; units: number }> {
  db.prepare('DELETE FROM open_orders_staged').run();
  const insert = db.prepare('INSERT INTO open_orders_staged (fetch_id, order_id, product_id, variation_id, sku, qty) VALUES (?, ?, ?, ?, ?, ?)');
  const flush = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(row);
  });
  let pending: unknown[][] = [];
  let count = 0;
  let units = 0;
  for await (const line of lines) {
    pending.push([fetchId, String(line.orderId), encodeId(line.productId), encodeId(line.variationId), line.sku, line.qty]);
    count++;
    units += line.qty;
    if (pending.length >= STAGE_CHUNK) {
      flush(pending);
      pending = [];
    }
  }
  flush(pending);
  return { lines: count, units };
}

/**
 * Inside the fetch's commit transaction: make what `fetchId` staged the open orders (summed per
 * item), or, when this fetch read none (`since` null: `openOrders` is "ignore"), drop the old ones
 * so that a later `subtract` never uses orders from another fetch.
 */
export function commitOpenOrders(db: Db, fetchId: string, since: string | null): void {
  db.prepare('DELETE FROM open_orders').run();
  if (since === null) {
    db.prepare('DELETE FROM open_orders_meta').run();
  } else {
    db.prepare(`INSERT INTO open_orders (product_id, variation_id, sku, qty, lines, orders)
      SELECT product_id, variation_id, MIN(sku), SUM(qty), COUNT(*), COUNT(DISTINCT order_id)
      FROM open_orders_staged WHERE fetch_id = ? GROUP BY product_id, variation_id`).run(fetchId);
    const totals = db.prepare('SELECT COUNT(*) AS lines, COALESCE(SUM(qty), 0) AS units FROM open_orders_staged WHERE fetch_id = ?').get(fetchId) as { lines: number; units: number };
    db.prepare(`INSERT INTO open_orders_meta (id, fetch_id, since, lines, units) VALUES (1, @fetchId, @since, @lines, @units)
      ON CONFLICT(id) DO UPDATE SET fetch_id = @fetchId, since = @since, lines = @lines, units = @units`).run({ fetchId, since, ...totals });
  }
  db.prepare('DELETE FROM open_orders_staged').run();
}

export function getOpenOrdersMeta(db: Db): OpenOrdersMeta | undefined {
  return db.prepare('SELECT fetch_id AS fetchId, since, lines, units FROM open_orders_meta WHERE id = 1').get() as OpenOrdersMeta | undefined;
}

/**
 * Open units per SKU key. A line counts under the SKU of the store item it names (by ids, from
 * the index of the same fetch), so an order line with an old or empty SKU still finds its item;
 * a line whose item is no longer listed counts under the line's own SKU.
 */
export function openUnitsBySku(db: Db, caseSensitive: boolean): Map<string, number> {
  const rows = db.prepare(`SELECT COALESCE(s.sku, o.sku) AS sku, o.qty AS qty FROM open_orders o
    LEFT JOIN store_items s ON s.product_id = o.product_id AND s.variation_id IS o.variation_id`).raw(true).iterate() as IterableIterator<[string, number]>;
  const out = new Map<string, number>();
  for (const [sku, qty] of rows) {
    const key = skuKey(sku, caseSensitive);
    if (key === '') continue;
    out.set(key, (out.get(key) ?? 0) + qty);
  }
  return out;
}
