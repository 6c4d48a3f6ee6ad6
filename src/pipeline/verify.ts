import type { Db } from '../state/db.js';
import { logger } from '../lib/log.js';
import { markReadBack, planItems, type PlanItem } from '../state/plans.js';
import type { StockReading, StoreAdapter } from '../stores/types.js';
import { writesStock } from '../domain/types.js';

export interface VerifyOutcome {
  checked: number;
  mismatched: Array<{ seq: number; sku: string; reason: string }>;
}

/**
 * Pure: why an applied item did not land, or null when the store reports the target.
 */
export function readBackMismatch(
  item: Pick<PlanItem, 'to'> & Partial<Pick<PlanItem, 'from' | 'price' | 'statusAction'>>, seen: StockReading | undefined,
): string | null {
  if (!seen) return 'read-back: the item was not found in the store';
  if (item.statusAction) {
    if (!seen.visibility) return 'read-back: the store did not report the listing\'s status';
    for (const [k, v] of Object.entries(item.statusAction.set)) {
      if (seen.visibility.values[k] !== v) return `read-back: the store reports ${k} ${JSON.stringify(seen.visibility.values[k])}, expected ${JSON.stringify(v)}`;
    }
  }
  // A price-only change or a status write alone (SPEC §14) wrote no stock: the level may have moved
  // since (a sale) without anything being wrong.
  const stock = item.from === undefined ? !item.statusAction?.alone : writesStock({ from: item.from, to: item.to, statusAction: item.statusAction });
  if (stock && !seen.managed) return 'read-back: the store does not manage stock for this item (the write did not take; is stock management enabled?)';
  if (stock && seen.qty !== item.to) return `read-back: the store reports ${seen.qty}, expected ${item.to}`;
  if (item.price && seen.price !== undefined && seen.price !== item.price.to) {
    return `read-back: the store reports the price ${seen.price ?? 'none'}, expected ${item.price.to}`;
  }
  return null;
}

/**
 * Read back the items this run applied (or `only` those seqs) and compare with their targets.
 * Items whose stock did not land become failed with the reason seen; the store index learns
 * what the store really holds.
 */
export async function verifyApplied(options: { db: Db; planId: number; runId: string; store: StoreAdapter; only?: Set<number> }): Promise<VerifyOutcome> {
  const { db, planId, runId, store } = options;
  const log = logger('verify');
  const items = planItems(db, planId, ['applied']).filter((i) => i.appliedRunId === runId && (!options.only || options.only.has(i.seq)));
  if (items.length === 0) return { checked: 0, mismatched: [] };
  const seen = await store.read(items);
  const mismatched: VerifyOutcome['mismatched'] = [];
  for (const item of items) {
    const reason = readBackMismatch(item, seen.get(item.seq));
    if (reason) mismatched.push({ seq: item.seq, sku: item.sku, reason });
  }
  markReadBack(db, planId, items, seen, new Map(mismatched.map((m) => [m.seq, m.reason])));
  if (mismatched.length) log.error(`read-back: ${mismatched.length} of ${items.length} applied change(s) did not land (first: ${mismatched[0]!.sku}: ${mismatched[0]!.reason})`);
  else log.info(`read-back: all ${items.length} applied change(s) verified`);
  return { checked: items.length, mismatched };
}
