import { parseQuantity, show, type QtyMap } from '../../domain/quantity.js';
import type { AmountField } from '../../domain/price.js';
import type { SourceRecord, SupplierItem } from '../../domain/types.js';
import { readAmounts } from '../amounts.js';
import { getAt, type DotPath } from './paths.js';

export interface ItemPaths {
  sku: DotPath;
  qty: DotPath;
  /** The configured spellings, for reasons ("no value at qtyPath \"stock.available\""). */
  skuLabel: string;
  qtyLabel: string;
  /** The source's qtyMap (SPEC §14): text stock values it accepts. */
  qtyMap?: QtyMap;
  /** SPEC §14 `prices`: dot paths to the supplier amounts (pricePath, costPath, …), by field. */
  amounts?: Array<{ field: AmountField; path: DotPath; label: string }>;
}

/**
 * One JSON item → a supplier record at position `row`. `where` (e.g. "page 3, item 7") is added
 * to the reason of a rejected row so a user can find it in the API's output.
 *
 * SKU: a string (trimmed, non-empty) or a number. A numeric SKU is used as JSON.parse read it, so
 * an integer beyond Number.MAX_SAFE_INTEGER (2^53-1) is rejected: its last digits are already lost
 * (12345678901234567891 reads as 12345678901234567000) and it would match another item's SKU.
 * Quantity: parseQuantity. Anything else is rejected, never turned into 0.
 */
export function itemRecord(item: unknown, row: number, paths: ItemPaths, where?: string): SourceRecord {
  const at = where ? ` (${where})` : '';
  const rawSku = getAt(item, paths.sku);
  let sku = '';
  if (typeof rawSku === 'string') sku = rawSku.trim();
  else if (typeof rawSku === 'number' && Number.isFinite(rawSku)) {
    if (Number.isInteger(rawSku) && !Number.isSafeInteger(rawSku)) {
      return {
        kind: 'rejected', row,
        reason: `numeric SKU ${show(rawSku)} at skuPath "${paths.skuLabel}" is too large to read exactly (over 2^53): `
          + `its digits may be lost; the feed must send it as a string${at}`,
      };
    }
    sku = String(rawSku);
  }
  if (sku === '') {
    const why = rawSku === undefined || rawSku === null ? `no SKU at skuPath "${paths.skuLabel}"` : `no usable SKU at skuPath "${paths.skuLabel}" (${show(rawSku)})`;
    return { kind: 'rejected', row, reason: `${why}${at}` };
  }
  const q = parseQuantity(getAt(item, paths.qty), 'quantity', paths.qtyMap);
  if (q.ok) {
    const record: SupplierItem = q.text === undefined ? { kind: 'item', sku, qty: q.qty, row } : { kind: 'item', sku, qty: q.qty, row, text: q.text };
    if (!paths.amounts) return record;
    const values: Partial<Record<AmountField, unknown>> = {};
    for (const a of paths.amounts) values[a.field] = getAt(item, a.path);
    const read = readAmounts(values);
    if (!read.ok) {
      const label = paths.amounts.find((a) => read.reason.startsWith(`${a.field}:`))?.label;
      return { kind: 'rejected', row, reason: `${read.reason}${label ? ` at ${label}` : ''}${at}`, sku };
    }
    if (read.amounts) record.amounts = read.amounts;
    return record;
  }
  if (q.missing) return { kind: 'rejected', row, reason: `no quantity at qtyPath "${paths.qtyLabel}"${at}`, sku };
  return { kind: 'rejected', row, reason: `${q.reason}${at}`, sku };
}
