import { writesStock, type LowStockItem, type SummaryChange } from '../domain/types.js';

/**
 * `alerts.lowStock`: the items this run sets to at or below `threshold` (planned, applied or
 * pending; a failed write did not happen). Only changes count: an item that already sat at 0
 * and stays there is reported once, when it got there, not by every run. Lowest first.
 */
export function lowStockItems(changes: SummaryChange[], threshold: number): LowStockItem[] {
  return changes
    // A status write alone or a price-only change (SPEC §14) sets no level.
    .filter((c) => c.status !== 'failed' && c.to <= threshold && writesStock(c))
    .map((c) => ({ sku: c.sku, qty: c.to, ...(c.name ? { name: c.name } : {}) }))
    .sort((a, b) => a.qty - b.qty || a.sku.localeCompare(b.sku));
}
