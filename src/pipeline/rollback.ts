import { UsageError } from '../domain/errors.js';
import { emptyCounts, type Change, type SummaryError } from '../domain/types.js';
import { decodeId, type Db } from '../state/db.js';
import { createPlan, type MatchOutcome } from '../state/plans.js';
import { resolveRunId } from '../state/runs.js';
import { getIndexMeta } from '../state/store-index.js';

export interface AppliedChange {
  sku: string;
  productId: number | string;
  variationId: number | string | null;
  /** The level the run replaced. */
  from: number | null;
  /** The level the run wrote. */
  to: number;
}

/**
 * Pure: what putting back one applied change means now. An item changed since the run (a sale,
 * another sync) is left alone: rollback restores the run's own writes, never overwrites newer ones.
 */
export function rollbackDecision(change: AppliedChange, current: { qty: number | null; managed: boolean } | undefined):
  { restore: number } | { skip: string } {
  if (change.from === null) return { skip: 'stock was not managed before that run: left as it is (invsync does not turn stock management off)' };
  if (!current) return { skip: 'no longer in the store index' };
  if (!current.managed || current.qty !== change.to) {
    return { skip: `changed since that run (the run set ${change.to}, the store now has ${current.managed ? current.qty : 'unmanaged stock'}): left as it is` };
  }
  if (change.to === change.from) return { skip: 'nothing to put back' };
  return { restore: change.from };
}

export interface RollbackPlan {
  planId: number;
  rolledBackRun: string;
  changes: Change[];
  skipped: SummaryError[];
  match: MatchOutcome;
}

/**
 * Build (and record as pending) a plan that puts back the stock levels run `runSpec` replaced,
 * from the journal. The current levels come from the store index, so run `invsync fetch` first
 * when the store may have changed (a stale index makes rollback skip, never overwrite).
 */
export function buildRollbackPlan(db: Db, runSpec: string, options: { runId: string; configChecksum: string }): RollbackPlan {
  const target = resolveRunId(db, runSpec);
  if (!target) throw new UsageError(`no run "${runSpec}" (see \`invsync runs\`)`);
  const index = getIndexMeta(db);
  if (!index) throw new UsageError('the store index is empty: run `invsync fetch` first');
  const rows = db.prepare(`SELECT pi.sku, pi.product_id, pi.variation_id, pi.from_qty, pi.to_qty, si.qty AS cur_qty, si.managed AS cur_managed, si.ord AS ord, COALESCE(si.ref, pi.ref) AS ref
    FROM plan_items pi LEFT JOIN store_items si ON si.product_id = pi.product_id AND si.variation_id IS pi.variation_id
    WHERE pi.applied_run_id = ? AND pi.status = 'applied' ORDER BY si.ord, pi.plan_id, pi.seq`).all(target) as Array<{
      sku: string; product_id: string; variation_id: string | null; from_qty: number | null; to_qty: number;
      cur_qty: number | null; cur_managed: number | null; ord: number | null; ref: string | null;
    }>;
  if (rows.length === 0) throw new UsageError(`run ${target} applied no change: nothing to roll back`);
  const changes: Array<Change & { reason: string }> = [];
  const skipped: SummaryError[] = [];
  for (const r of rows) {
    const applied: AppliedChange = { sku: r.sku, productId: decodeId(r.product_id)!, variationId: decodeId(r.variation_id), from: r.from_qty, to: r.to_qty };
    const current = r.cur_managed === null ? undefined : { qty: r.cur_qty, managed: r.cur_managed === 1 };
    const decision = rollbackDecision(applied, current);
    if ('skip' in decision) {
      skipped.push({ sku: r.sku, source: null, message: decision.skip });
      continue;
    }
    changes.push({
      seq: changes.length, sku: r.sku, productId: applied.productId, variationId: applied.variationId, from: r.to_qty, to: decision.restore,
      reason: 'rollback', ...(r.ref ? { ref: JSON.parse(r.ref) as Record<string, unknown> } : {}),
    });
  }
  const counts = { ...emptyCounts(), storeItems: index.itemCount, inScope: rows.length, matched: rows.length, changed: changes.length, pending: changes.length, unchanged: skipped.length };
  const match: MatchOutcome = { counts, safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: skipped, sources: {} };
  const planId = createPlan(db, {
    runId: options.runId, status: changes.length ? 'pending' : 'empty', snapshotChecksum: `rollback:${target}`,
    indexGeneration: index.generation, configChecksum: options.configChecksum, window: {}, match,
  }, changes);
  return { planId, rolledBackRun: target, changes, skipped, match };
}

