/**
 * The figures behind the serve page's pictures: the recent runs' counts (runs chart) and one
 * SKU's levels over the recent plans (its explanation's chart).
 */
import { describe, expect, it } from '@jest/globals';
import { emptyCounts, type RunSummary } from '../../src/domain/types.js';
import type { Db } from '../../src/state/db.js';
import { recordPlan } from '../../src/state/plans.js';
import { finishRun, startRun } from '../../src/state/runs.js';
import { runStats, skuLevels } from '../../src/state/run-stats.js';
import { emptyMatch, stateDbs } from '../helpers/state.js';

const stateDb = stateDbs();

function summary(id: string, at: string, counts: { changed: number; applied: number; failed: number }, durationMs: number, dryRun = false): RunSummary {
  return {
    runId: id, command: 'full', dryRun, status: 'ok', exitCode: 0, startedAt: at, finishedAt: at, durationMs,
    counts: { ...emptyCounts(), ...counts }, safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, changes: [], errors: [],
  };
}

function plan(db: Db, runId: string, items: Array<{ sku: string; from: number | null; to: number }>): number {
  return recordPlan(db, { runId, snapshotChecksum: 's', indexGeneration: 1, configChecksum: 'c', window: {} }, (add) => {
    items.forEach((it, seq) => add({ seq, sku: it.sku, productId: seq + 1, variationId: null, from: it.from, to: it.to }));
    return { status: 'pending', match: emptyMatch };
  });
}

describe('runStats', () => {
  it('reads each run\'s changed, applied, failed and duration from its summary, newest first; a running run has nulls', () => {
    const db = stateDb();
    finishRun(db, summary('r1', '2026-01-01T00:00:00.000Z', { changed: 5, applied: 4, failed: 1 }, 1200));
    finishRun(db, summary('r2', '2026-01-02T00:00:00.000Z', { changed: 9, applied: 0, failed: 0 }, 300, true));
    startRun(db, { id: 'r3', command: 'full', dryRun: false, startedAt: '2026-01-03T00:00:00.000Z' });
    const stats = runStats(db, 10);
    expect(stats.map((s) => s.runId)).toEqual(['r3', 'r2', 'r1']);
    expect(stats[2]).toMatchObject({ changed: 5, applied: 4, failed: 1, durationMs: 1200, dryRun: false, status: 'ok', exitCode: 0 });
    expect(stats[1]).toMatchObject({ changed: 9, applied: 0, dryRun: true });
    expect(stats[0]).toMatchObject({ status: 'running', changed: null, applied: null, failed: null, durationMs: null, finishedAt: null });
  });

  it('returns at most `limit` runs', () => {
    const db = stateDb();
    for (let i = 0; i < 7; i++) finishRun(db, summary(`r${i}`, `2026-01-0${i + 1}T00:00:00.000Z`, { changed: i, applied: i, failed: 0 }, 10));
    expect(runStats(db, 3).map((s) => s.runId)).toEqual(['r6', 'r5', 'r4']);
  });
});

describe('skuLevels', () => {
  it('lists the SKU\'s planned changes in the newest plans, oldest first, with what became of each', () => {
    const db = stateDb();
    finishRun(db, summary('a', '2026-01-01T00:00:00.000Z', { changed: 2, applied: 2, failed: 0 }, 10));
    finishRun(db, summary('b', '2026-01-02T00:00:00.000Z', { changed: 1, applied: 0, failed: 0 }, 10, true));
    const first = plan(db, 'a', [{ sku: 'MUG', from: 3, to: 7 }, { sku: 'CUP', from: 1, to: 2 }]);
    db.prepare("UPDATE plan_items SET status = 'applied' WHERE plan_id = ?").run(first);
    plan(db, 'b', [{ sku: 'MUG', from: 7, to: 2 }]);
    plan(db, 'c', [{ sku: 'CUP', from: 2, to: 0 }]);
    const levels = skuLevels(db, 'MUG', { limit: 10, caseSensitive: true });
    expect(levels.map((l) => [l.runId, l.from, l.to, l.status, l.dryRun])).toEqual([['a', 3, 7, 'applied', false], ['b', 7, 2, 'planned', true]]);
    expect(skuLevels(db, 'MUG', { limit: 2, caseSensitive: true }).map((l) => l.runId)).toEqual(['b']);
  });

  it('compares SKUs by match\'s key: case-folded (non-ASCII too) and trimmed, unless rules.skuCaseSensitive', () => {
    const db = stateDb();
    plan(db, 'a', [{ sku: 'Mug-1', from: 1, to: 4 }, { sku: 'Bär-2', from: 0, to: 3 }]);
    expect(skuLevels(db, 'MUG-1', { limit: 10, caseSensitive: false })).toHaveLength(1);
    expect(skuLevels(db, ' BÄR-2 ', { limit: 10, caseSensitive: false }).map((l) => l.to)).toEqual([3]);
    expect(skuLevels(db, 'MUG-1', { limit: 10, caseSensitive: true })).toHaveLength(0);
    expect(skuLevels(db, 'Mug-1', { limit: 10, caseSensitive: true })).toHaveLength(1);
  });
});
