import { skuKey } from '../domain/sku.js';
import type { StoreItem } from '../domain/types.js';
import type { OpenOrderLine } from '../stores/types.js';
import { encodeId, type Db } from './db.js';
import { DEFAULT_STORE, storeTableOf } from './store-index.js';

/**
 * Open orders (SPEC §12) as one fetch read them. Lines are staged under the fetch's id while the
 * listing streams in, and replace the previous fetch's only when that fetch commits (in the index
 * swap's transaction, see `commitOpenOrders`): a failed fetch leaves the previous ones in place.
 */

/** Which fetch read the open orders now held for one store, from when, and how many. */
export interface OpenOrdersMeta {
  fetchId: string;
  /** Window start (ISO 8601). */
  since: string;
  lines: number;
  units: number;
}

/** Rows written per staging transaction (flat memory however many orders). */
const STAGE_CHUNK = 2000;

/** One staged row: [fetch_id, store, order_id, product_id, variation_id, sku, qty]. */
type StagedRow = [string, string, string, string, string | null, string, number];

/**
 * Staged rows of one fetch, written in chunks as they come (flat memory however many), counted in
 * lines and units. Rows staged by any other fetch (one that was killed) are never committed: they
 * are dropped first.
 */
function stager(db: Db, fetchId: string) {
  db.prepare('DELETE FROM open_orders_staged WHERE fetch_id != ?').run(fetchId);
  const insert = db.prepare('INSERT INTO open_orders_staged (fetch_id, store, order_id, product_id, variation_id, sku, qty) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const flush = db.transaction((rows: StagedRow[]) => {
    for (const row of rows) insert.run(row);
  });
  let pending: StagedRow[] = [];
  let lines = 0;
  let units = 0;
  return {
    add(row: StagedRow): void {
      pending.push(row);
      lines++;
      units += row[6];
      if (pending.length >= STAGE_CHUNK) {
        flush(pending);
        pending = [];
      }
    },
    /** Write the rest; how many lines and units were staged. */
    finish(): { lines: number; units: number } {
      flush(pending);
      pending = [];
      return { lines, units };
    },
    /** Forget what is not written yet. */
    drop(): void {
      pending = [];
    },
  };
}

/**
 * Append `lines` of `store` under `fetchId` as they stream in; rows a killed fetch left are dropped
 * first. Returns how many lines and units were staged. A failure half-way rethrows (the staged rows
 * stay until the next fetch drops them; they are never read unless their fetch commits).
 */
export async function stageOpenOrders(db: Db, fetchId: string, lines: AsyncIterable<OpenOrderLine>, store: string = DEFAULT_STORE): Promise<{ lines: number; units: number }> {
  const staged = stager(db, fetchId);
  for await (const line of lines) {
    staged.add([fetchId, store, String(line.orderId), encodeId(line.productId)!, encodeId(line.variationId), line.sku, line.qty]);
  }
  return staged.finish();
}

/**
 * SPEC §12 with several stores: the units a platform store reports as held (`StoreItem.held`,
 * Vendure stockAllocated) while its listing streams in, staged like order lines (order id
 * "held") so the other stores subtract them. Written in chunks: flat memory.
 */
export function heldStager(db: Db, fetchId: string, store: string) {
  const staged = stager(db, fetchId);
  return {
    add(item: StoreItem): void {
      const held = item.held ?? 0;
      if (!(held > 0)) return;
      staged.add([fetchId, store, 'held', encodeId(item.productId)!, encodeId(item.variationId), item.sku, held]);
    },
    /** The listing is complete: write the rest. */
    finish: (): { lines: number; units: number } => staged.finish(),
    /** The listing failed: what it held is unknown, nothing of it may commit. */
    discard(): void {
      staged.drop();
      db.prepare('DELETE FROM open_orders_staged WHERE fetch_id = ? AND store = ?').run(fetchId, store);
    },
  };
}

/**
 * Inside the fetch's commit transaction: for each store in `stores`, make what `fetchId` staged
 * its open orders (summed per item), or, when this fetch read none (`since` null: `openOrders` is
 * "ignore"), drop every store's, so that a later `subtract` never uses orders from another fetch.
 * A store this fetch did not read (not in `stores`) keeps its previous ones under the fetch that
 * read them, which match refuses to combine with this fetch's index.
 */
export function commitOpenOrders(db: Db, fetchId: string, since: string | null, stores: readonly string[] = [DEFAULT_STORE]): void {
  if (since === null) {
    db.prepare('DELETE FROM open_orders').run();
    db.prepare('DELETE FROM open_orders_meta').run();
  } else {
    for (const store of stores) {
      db.prepare('DELETE FROM open_orders WHERE store = ?').run(store);
      db.prepare(`INSERT INTO open_orders (store, product_id, variation_id, sku, qty, lines, orders)
        SELECT store, product_id, variation_id, MIN(sku), SUM(qty), COUNT(*), COUNT(DISTINCT order_id)
        FROM open_orders_staged WHERE fetch_id = ? AND store = ? GROUP BY product_id, variation_id`).run(fetchId, store);
      const totals = db.prepare('SELECT COUNT(*) AS lines, COALESCE(SUM(qty), 0) AS units FROM open_orders_staged WHERE fetch_id = ? AND store = ?').get(fetchId, store) as { lines: number; units: number };
      db.prepare(`INSERT INTO open_orders_meta (store, fetch_id, since, lines, units) VALUES (@store, @fetchId, @since, @lines, @units)
        ON CONFLICT(store) DO UPDATE SET fetch_id = @fetchId, since = @since, lines = @lines, units = @units`).run({ store, fetchId, since, ...totals });
    }
  }
  db.prepare('DELETE FROM open_orders_staged').run();
}

export function getOpenOrdersMeta(db: Db, store: string = DEFAULT_STORE): OpenOrdersMeta | undefined {
  return db.prepare('SELECT fetch_id AS fetchId, since, lines, units FROM open_orders_meta WHERE store = ?').get(store) as OpenOrdersMeta | undefined;
}

/**
 * Open units per SKU key of one store, added into `into` when given. A line counts under the SKU
 * of the store item it names (by ids, from that store's index of the same fetch), so an order line
 * with an old or empty SKU still finds its item; a line whose item is no longer listed counts
 * under the line's own SKU.
 */
export function openUnitsBySku(db: Db, caseSensitive: boolean, store: string = DEFAULT_STORE, into = new Map<string, number>()): Map<string, number> {
  const table = storeTableOf(db, store);
  const rows = (table
    ? db.prepare(`SELECT COALESCE(s.sku, o.sku) AS sku, o.qty AS qty FROM open_orders o
      LEFT JOIN ${table} s ON s.product_id = o.product_id AND (s.variation_id IS o.variation_id OR s.variation_id IS NULL) WHERE o.store = ?`)
    : db.prepare('SELECT sku, qty FROM open_orders WHERE store = ?')).raw(true).iterate(store) as IterableIterator<[string, number]>;
  for (const [sku, qty] of rows) {
    const key = skuKey(sku, caseSensitive);
    if (key === '') continue;
    into.set(key, (into.get(key) ?? 0) + qty);
  }
  return into;
}
