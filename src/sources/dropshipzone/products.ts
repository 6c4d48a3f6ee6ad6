import { z } from 'zod';
import { parseQuantity, type QtyMap } from '../../domain/quantity.js';
import type { SourceRecord, SupplierItem } from '../../domain/types.js';
import { readAmounts } from '../amounts.js';

/** A count the API sends as a number (documented) or a digit string (seen in older responses). */
const Count = z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]);

/**
 * `GET /v2/products` (API_FACTS §8). Items stay `unknown` here: a malformed product is a rejected
 * row, not a failed page.
 */
export const ProductsPage = z.object({
  result: z.array(z.unknown()),
  total: Count,
  total_pages: Count,
  current_page: Count.optional(),
});
export type ProductsPage = z.infer<typeof ProductsPage>;

/** The API's own page-size bounds (`limit` 40–200). */
export const MIN_LIMIT = 40;
export const MAX_LIMIT = 200;

/** `pageSize` clamped into the API's bounds; default: the maximum (fewest requests). */
export function pageLimit(pageSize: number | undefined): number {
  return Math.min(MAX_LIMIT, Math.max(MIN_LIMIT, Math.floor(pageSize ?? MAX_LIMIT)));
}

/**
 * One product → a supplier record at position `row`. SKU trimmed; quantity = `stock_qty`, except
 * that `in_stock: "0"` means 0 whatever `stock_qty` says (the API keeps a count on products it
 * will not ship). No SKU, or a `stock_qty` that parseQuantity refuses on an in-stock product → rejected.
 */
export function productRecord(raw: unknown, row: number, qtyMap?: QtyMap, prices = false): SourceRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { kind: 'rejected', row, reason: 'not a product object' };
  }
  const p = raw as Record<string, unknown>;
  const sku = typeof p.sku === 'string' ? p.sku.trim() : '';
  if (sku === '') return { kind: 'rejected', row, reason: p.sku === undefined || p.sku === null ? 'no SKU' : 'no SKU (empty or not a string)' };
  let item: SupplierItem;
  if (isOutOfStock(p.in_stock)) item = { kind: 'item', sku, qty: 0, row };
  else {
    const q = parseQuantity(p.stock_qty, 'stock_qty', qtyMap);
    if (!q.ok) return { kind: 'rejected', row, reason: q.reason, sku };
    item = q.text === undefined ? { kind: 'item', sku, qty: q.qty, row } : { kind: 'item', sku, qty: q.qty, row, text: q.text };
  }
  if (!prices) return item;
  // SPEC §14 / API_FACTS §8: `cost` (and `price`, the same wholesale figure) is what the shop pays;
  // the RRP is both the "price" basis and the MSRP ceiling. No MAP field exists.
  const rrp = p.RrpPrice ?? (p.RRP as { Standard?: unknown } | undefined)?.Standard;
  const a = readAmounts({ cost: p.cost ?? p.price, price: rrp, msrp: rrp });
  if (!a.ok) return { kind: 'rejected', row, reason: a.reason.replace(/^price:/, 'RrpPrice:').replace(/^msrp:/, 'RrpPrice:'), sku };
  if (a.amounts) item.amounts = a.amounts;
  return item;
}

/** `in_stock` is the string "0"/"1" in responses; tolerate a boolean or number too. */
function isOutOfStock(v: unknown): boolean {
  return v === '0' || v === 0 || v === false || v === 'false';
}
