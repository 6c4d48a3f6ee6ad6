/**
 * SPEC §12, pure: which stores' open orders a fetch reads, and the push's check for sales made
 * after the fetch. (The subtraction itself is the open-orders step of the rule list:
 * rules/open-orders.ts.) No I/O.
 */
import type { Config } from '../config/schema.js';
import { configuredStores, isMultiStore } from '../config/stores.js';
import type { Change } from '../domain/types.js';
import { openOrdersRole } from '../stores/open-orders.js';
import type { StockReading } from '../stores/types.js';

/**
 * SPEC §12: which configured stores' open orders a fetch reads, and how (see `openOrdersRole`),
 * when the rule is "subtract"; empty otherwise. Pure.
 */
export function openOrdersReads(config: Config): Map<string, 'orders' | 'listing'> {
  const out = new Map<string, 'orders' | 'listing'>();
  if (config.rules.openOrders.mode !== 'subtract') return out;
  const shared = isMultiStore(config);
  for (const s of configuredStores(config)) {
    const role = openOrdersRole(s.config.type, shared);
    if (role.read !== 'none') out.set(s.name, role.read);
  }
  return out;
}

/** What the push does with one planned change after reading the item's level again. */
export type Recheck =
  | { action: 'send' }
  /** Sold since the fetch: write `to` lowered by the sale; `from` becomes the level read now. */
  | { action: 'lower'; from: number; to: number; sold: number; note: string }
  | { action: 'skip'; message: string };

/**
 * SPEC §12 "a sale made between match and push is never overwritten blindly". `change.from` is
 * the level the fetch saw (null: stock not managed then), `seen` what the store holds now.
 *
 * - unchanged, or already at the target when an earlier push may have written it
 *   (`mayHaveLanded`: the item was sent before): send as planned;
 * - lower by d (sold since the fetch): the supplier has not seen that sale either, so the target
 *   drops by d too (never below 0), and `from` becomes the level seen, so a resumed push compares
 *   with it and never subtracts the same sale twice;
 * - anything else (higher: a return, a restock, an edit; tracking switched on or off; the item
 *   gone): skipped and reported, never overwritten; the next fetch plans from the new level.
 */
export function recheckChange(change: Pick<Change, 'from' | 'to'>, seen: StockReading | undefined, mayHaveLanded = false): Recheck {
  if (!seen) return { action: 'skip', message: 'changed in store since the fetch: the item is no longer there; not written' };
  if (change.from === null) {
    if (!seen.managed) return { action: 'send' };
    return { action: 'skip', message: `changed in store since the fetch: stock tracking was switched on (level ${String(seen.qty)}); not overwritten, the next fetch plans from it` };
  }
  if (!seen.managed || seen.qty === null) {
    return { action: 'skip', message: 'changed in store since the fetch: stock tracking was switched off; not overwritten' };
  }
  if (seen.qty === change.from || (mayHaveLanded && seen.qty === change.to)) return { action: 'send' };
  if (seen.qty < change.from) {
    const sold = change.from - seen.qty;
    return { action: 'lower', from: seen.qty, to: Math.max(0, change.to - sold), sold, note: `sold since the fetch −${sold}` };
  }
  return {
    action: 'skip',
    message: `changed in store since the fetch: level ${change.from} → ${seen.qty} (a return, a restock or an edit); not overwritten, the next fetch plans from the new level`,
  };
}
