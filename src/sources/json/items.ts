import type { SourceRecord } from '../../domain/types.js';
import { getAt, type DotPath } from './paths.js';

/** Optional sign, digits, optional fraction. No thousands separators, exponents, NaN or Infinity. */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

export interface ItemPaths {
  sku: DotPath;
  qty: DotPath;
  /** The configured spellings, for reasons ("no value at qtyPath \"stock.available\""). */
  skuLabel: string;
  qtyLabel: string;
}

/**
 * One JSON item → a supplier record at position `row`. `where` (e.g. "page 3, item 7") is added
 * to the reason of a rejected row so a user can find it in the API's output.
 *
 * SKU: a string (trimmed, non-empty) or a finite number (as written). Quantity: a finite number
 * or a string holding a plain number. Anything else is rejected, never turned into 0.
 */
export function itemRecord(item: unknown, row: number, paths: ItemPaths, where?: string): SourceRecord {
  const at = where ? ` (${where})` : '';
  const rawSku = getAt(item, paths.sku);
  let sku = '';
  if (typeof rawSku === 'string') sku = rawSku.trim();
  else if (typeof rawSku === 'number' && Number.isFinite(rawSku)) sku = String(rawSku);
  if (sku === '') {
    const why = rawSku === undefined || rawSku === null ? `no SKU at skuPath "${paths.skuLabel}"` : `no usable SKU at skuPath "${paths.skuLabel}" (${show(rawSku)})`;
    return { kind: 'rejected', row, reason: `${why}${at}` };
  }
  const q = getAt(item, paths.qty);
  if (typeof q === 'number' && Number.isFinite(q)) return { kind: 'item', sku, qty: q === 0 ? 0 : q, row };
  if (typeof q === 'string' && PLAIN_NUMBER.test(q.trim())) {
    const qty = Number(q.trim());
    return { kind: 'item', sku, qty: qty === 0 ? 0 : qty, row };
  }
  if (q === undefined || q === null || q === '') return { kind: 'rejected', row, reason: `no quantity at qtyPath "${paths.qtyLabel}"${at}`, sku };
  return { kind: 'rejected', row, reason: `non-numeric quantity ${show(q)}${at}`, sku };
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
