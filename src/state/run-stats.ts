/**
 * Read-only figures for the `serve` page's pictures (SPEC §13): the recent runs' counts for the
 * runs chart, and one SKU's levels over the recent plans for its explanation. Both read a bounded
 * window (the newest `limit` runs or plans), so they stay cheap however long the history grows.
 */
import { skuKey } from '../domain/sku.js';
import type { Db } from './db.js';
import { registerSkuKeyFunction } from './store-duplicates.js';

export interface RunStat {
  runId: string;
  command: string;
  dryRun: boolean;
  status: string;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** From the stored summary; null while the run is still running (no summary yet). */
  changed: number | null;
  applied: number | null;
  failed: number | null;
  durationMs: number | null;
}

export const MAX_STATS = 500;

/** The newest `limit` runs with the counts the chart draws, newest first. */
export function runStats(db: Db, limit: number): RunStat[] {
  // json_extract reads the three numbers inside SQLite: a summary can list thousands of changes,
  // and parsing each one whole in JS only to draw three bars would cost far more.
  const rows = db.prepare(`SELECT id, command, dry_run, status, exit_code, started_at, finished_at,
      json_extract(summary, '$.counts.changed') AS changed, json_extract(summary, '$.counts.applied') AS applied,
      json_extract(summary, '$.counts.failed') AS failed, json_extract(summary, '$.durationMs') AS duration_ms
    FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`).all(clamp(limit)) as Array<{
    id: string; command: string; dry_run: number; status: string; exit_code: number | null; started_at: string; finished_at: string | null;
    changed: number | null; applied: number | null; failed: number | null; duration_ms: number | null;
  }>;
  return rows.map((r) => ({
    runId: r.id, command: r.command, dryRun: r.dry_run === 1, status: r.status, exitCode: r.exit_code,
    startedAt: r.started_at, finishedAt: r.finished_at,
    changed: num(r.changed), applied: num(r.applied), failed: num(r.failed), durationMs: num(r.duration_ms),
  }));
}

/** One planned change of a SKU: the store's level when the plan was built, the target, and what became of it. */
export interface SkuLevel {
  planId: number;
  runId: string;
  /** When the plan was built. */
  at: string;
  store: string;
  dryRun: boolean;
  productId: string;
  variationId: string | null;
  from: number | null;
  to: number;
  /** planned | sent | applied | failed */
  status: string;
}

/**
 * The SKU's changes in the newest `limit` plans, oldest first (the order a chart reads). A plan
 * holds only what changes, so a run that left the SKU alone adds no point: its level then was the
 * previous point's. SKUs compare by match's own key (trimmed, NFKC, case-folded unless
 * `rules.skuCaseSensitive`).
 */
export function skuLevels(db: Db, sku: string, options: { limit: number; caseSensitive: boolean }): SkuLevel[] {
  // Match's own key in SQL: SQLite's NOCASE folds ASCII only and knows nothing of match's trimming and NFKC forms.
  registerSkuKeyFunction(db);
  const rows = db.prepare(`SELECT p.id AS plan_id, p.run_id, p.created_at, p.store, COALESCE(r.dry_run, 0) AS dry_run,
      i.product_id, i.variation_id, i.from_qty, i.to_qty, i.status
    FROM (SELECT id, run_id, created_at, store FROM plans ORDER BY id DESC LIMIT ?) AS p
    JOIN plan_items AS i ON i.plan_id = p.id
    LEFT JOIN runs AS r ON r.id = p.run_id
    WHERE invsync_sku_key(i.sku, ?) = ?
    ORDER BY p.id ASC, i.seq ASC`).all(clamp(options.limit), options.caseSensitive ? 1 : 0, skuKey(sku, options.caseSensitive)) as Array<{
    plan_id: number; run_id: string; created_at: string; store: string; dry_run: number;
    product_id: string; variation_id: string | null; from_qty: number | null; to_qty: number; status: string;
  }>;
  return rows.map((r) => ({
    planId: r.plan_id, runId: r.run_id, at: r.created_at, store: r.store, dryRun: r.dry_run === 1,
    productId: r.product_id, variationId: r.variation_id, from: r.from_qty, to: r.to_qty, status: r.status,
  }));
}

function clamp(limit: number): number {
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_STATS) : 30;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
