import { z } from 'zod';
import { parseQuantity, type QtyMap } from '../../domain/quantity.js';
import type { SourceRecord } from '../../domain/types.js';

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
export function productRecord(raw: unknown, row: number, qtyMap?: QtyMap): SourceRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { kind: 'rejected', row, reason: 'not a product object' };
  }
  const p = raw as Record<string, unknown>;
  const sku = typeof p.sku === 'string' ? p.sku.trim() : '';
  if (sku === '') return { kind: 'rejected', row, reason: p.sku === undefined || p.sku === null ? 'no SKU' : 'no SKU (empty or not a string)' };
  if (isOutOfStock(p.in_stock)) return { kind: 'item', sku, qty: 0, row };
  const q = parseQuantity(p.stock_qty, 'stock_qty', qtyMap);
  if (!q.ok) return { kind: 'rejected', row, reason: q.reason, sku };
  return q.text === undefined ? { kind: 'item', sku, qty: q.qty, row } : { kind: 'item', sku, qty: q.qty, row, text: q.text };
}

/** `in_stock` is the string "0"/"1" in responses; tolerate a boolean or number too. */
function isOutOfStock(v: unknown): boolean {
  return v === '0' || v === 0 || v === false || v === 'false';
}
