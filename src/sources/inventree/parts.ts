import { z } from 'zod';
import { parseQuantity, type QtyMap } from '../../domain/quantity.js';
import type { SourceRecord } from '../../domain/types.js';

/**
 * InvenTree's part list (API_FACTS §9) as invsync reads it. Pure.
 */

/** DRF LimitOffsetPagination envelope (what `/api/part/?limit=…` returns). Rows are checked one by one. */
export const PartPage = z.object({
  count: z.number().int().min(0),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  results: z.array(z.unknown()),
});
export type PartPage = z.infer<typeof PartPage>;

/**
 * The API root `<site>/api/` from a configured url that may or may not end with `/` or `/api`
 * (`https://inv.example.com`, `https://inv.example.com/`, `https://inv.example.com/api/` all give
 * `https://inv.example.com/api/`). A sub-path install keeps its prefix
 * (`https://example.com/inventree` → `https://example.com/inventree/api/`). Query and fragment are dropped.
 */
export function apiRoot(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api$/i, '');
  return `${u.origin}${path}/api/`;
}

export interface PartFields {
  skuField: string;
  qtyField: string;
  /** The source's qtyMap (SPEC §14): text stock values it accepts. */
  qtyMap?: QtyMap;
}

/**
 * One part as a supplier record; `row` is its 1-based position in the part list. The SKU is the
 * trimmed `skuField` (text or a number); the quantity is `qtyField` read by parseQuantity (floored).
 * A part without SKU, or with a quantity parseQuantity refuses, is rejected, never turned into 0.
 */
export function partRecord(raw: unknown, row: number, fields: PartFields): SourceRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { kind: 'rejected', row, reason: 'part is not an object' };
  const part = raw as Record<string, unknown>;
  const where = typeof part.pk === 'number' || typeof part.pk === 'string' ? ` (part pk ${part.pk})` : '';
  const skuValue = part[fields.skuField];
  const sku = typeof skuValue === 'string' ? skuValue.trim() : typeof skuValue === 'number' && Number.isFinite(skuValue) ? String(skuValue) : undefined;
  if (skuValue !== null && skuValue !== undefined && sku === undefined) {
    return { kind: 'rejected', row, reason: `${fields.skuField} is not text${where}` };
  }
  if (sku === undefined || sku === '') return { kind: 'rejected', row, reason: `no ${fields.skuField}${where}` };
  // NOTE: DRF renders decimal quantities as strings ("12.50"); parseQuantity reads both forms.
  const q = parseQuantity(part[fields.qtyField], fields.qtyField, fields.qtyMap);
  if (!q.ok) return { kind: 'rejected', row, reason: `${q.reason}${where}`, sku };
  return q.text === undefined ? { kind: 'item', sku, qty: q.qty, row } : { kind: 'item', sku, qty: q.qty, row, text: q.text };
}

/** Names of `field`'s that no row of `rows` carries at all (a typo in skuField/qtyField, not bad data). */
export function absentFields(rows: unknown[], fieldNames: string[]): string[] {
  return fieldNames.filter((f) => !rows.some((r) => r !== null && typeof r === 'object' && f in (r as object)));
}
