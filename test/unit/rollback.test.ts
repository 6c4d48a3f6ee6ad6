/**
 * Rollback decides from what the store says now (SPEC §8), never from the local index, which
 * the run's own push set to the levels it wrote.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { SafetyError, UsageError } from '../../src/domain/errors.js';
import { emptyCounts, type BatchResult, type Change, type StoreItem } from '../../src/domain/types.js';
import { buildRollbackPlan, needsCurrentLevel, rollbackDecision } from '../../src/pipeline/rollback.js';
import { openDb, type Db } from '../../src/state/db.js';
import { getPlan, journalResult, journalSent, latestPushablePlan, recordPlan } from '../../src/state/plans.js';
import { startRun } from '../../src/state/runs.js';
import { indexStore } from '../helpers/store-index.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { tempDir } from '../helpers/cli.js';

const applied = (from: number | null, to: number) => ({ sku: 'A-1', productId: 1, variationId: null, from, to });

describe('rollbackDecision (pure)', () => {
  it('puts back the level the run replaced when the store still has what the run wrote', () => {
    expect(rollbackDecision(applied(10, 5), { qty: 5, managed: true })).toEqual({ restore: 10 });
  });

  it('leaves an item a sale changed since the run alone, saying both levels', () => {
    expect(rollbackDecision(applied(10, 5), { qty: 4, managed: true }))
      .toEqual({ skip: 'changed since that run (the run set 5, the store now has 4): left as it is' });
  });

  it('leaves items alone that are gone, no longer managed, were not managed before, or did not move', () => {
    expect(rollbackDecision(applied(10, 5), undefined)).toEqual({ skip: 'no longer in the store: left as it is' });
    expect(rollbackDecision(applied(10, 5), { qty: null, managed: false })).toEqual({ skip: expect.stringMatching(/now has unmanaged stock/) });
    expect(rollbackDecision(applied(null, 5), { qty: 5, managed: true })).toEqual({ skip: expect.stringMatching(/not managed before/) });
    expect(rollbackDecision(applied(5, 5), { qty: 5, managed: true })).toEqual({ skip: 'nothing to put back' });
  });

  it('asks the store only about items it could restore', () => {
    expect([applied(10, 5), applied(null, 5), applied(5, 5)].map(needsCurrentLevel)).toEqual([true, false, false]);
  });
});

/** An in-memory store: `levels` is what it holds now; `reads` records every read call. */
function memoryStore(levels: Map<number, number | null>): StoreAdapter & { reads: Change[][] } {
  const reads: Change[][] = [];
  const store = {
    type: 'memory',
    limits: { maxBatch: 100 },
    reads,
    async *list(): AsyncIterable<StoreItem> { /* not used here */ },
    batchKey: () => 'all',
    async apply(): Promise<BatchResult> { return { failed: [] }; },
    async read(changes: Change[]) {
      reads.push(changes);
      const out = new Map<number, { qty: number | null; managed: boolean }>();
      for (const c of changes) {
        if (!levels.has(Number(c.productId))) continue;
        const qty = levels.get(Number(c.productId))!;
        out.set(c.seq, { qty, managed: qty !== null });
      }
      return out;
    },
  };
  return store;
}

const open: Db[] = [];
afterEach(() => { for (const db of open.splice(0)) db.close(); });

/** A state db where run `run-1` applied A 10→5, B 10→5 and C (unmanaged)→3. */
async function appliedRun(): Promise<Db> {
  const db = openDb(tempDir());
  open.push(db);
  const items: StoreItem[] = [
    { sku: 'A', productId: 1, variationId: null, qty: 10, managed: true },
    { sku: 'B', productId: 2, variationId: null, qty: 10, managed: true },
    { sku: 'C', productId: 3, variationId: null, qty: null, managed: false },
  ];
  await indexStore(db, 'memory', items);
  const changes: Change[] = [
    { seq: 0, sku: 'A', productId: 1, variationId: null, from: 10, to: 5 },
    { seq: 1, sku: 'B', productId: 2, variationId: null, from: 10, to: 5 },
    { seq: 2, sku: 'C', productId: 3, variationId: null, from: null, to: 3 },
  ];
  startRun(db, { id: 'run-1', command: 'full', dryRun: false, startedAt: '2026-12-01T00:00:00.000Z' });
  const planId = recordPlan(db, { runId: 'run-1', snapshotChecksum: 's', indexGeneration: 1, configChecksum: 'c', window: {} }, (add) => {
    for (const c of changes) add(c);
    return { status: 'pending', match: { counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: [], sources: {} } };
  });
  journalSent(db, planId, 'run-1', 'all:0..2', [0, 1, 2]);
  journalResult(db, planId, 'run-1', 'all:0..2', changes, new Map());
  return db;
}

describe('buildRollbackPlan', () => {
  const options = { runId: 'run-2', configChecksum: 'c', dryRun: false };

  it('reads the current levels from the store in one call, skips what a sale changed and refreshes the index', async () => {
    const db = await appliedRun();
    // The index says A is 5 (the push wrote it there); the store says 4 (a sale since).
    const store = memoryStore(new Map([[1, 4], [2, 5], [3, 3]]));
    const plan = await buildRollbackPlan(db, store, 'last', options);
    expect(plan.rolledBackRun).toBe('run-1');
    expect(store.reads.map((r) => r.map((c) => c.sku))).toEqual([['A', 'B']]);
    expect(plan.changes.map((c) => [c.sku, c.from, c.to])).toEqual([['B', 5, 10]]);
    expect(plan.skipped.map((s) => [s.sku, s.message])).toEqual([
      ['A', 'changed since that run (the run set 5, the store now has 4): left as it is'],
      ['C', expect.stringMatching(/not managed before/)],
    ]);
    expect(db.prepare("SELECT qty FROM store_items WHERE sku = 'A'").get()).toEqual({ qty: 4 });
    expect(getPlan(db, plan.planId)?.status).toBe('pending');
  });

  it('a dry run records a preview that push never picks, superseding nothing', async () => {
    const db = await appliedRun();
    db.prepare("UPDATE plans SET status = 'partial'").run();
    const plan = await buildRollbackPlan(db, memoryStore(new Map([[1, 5], [2, 5]])), 'last', { ...options, dryRun: true });
    expect(plan.changes).toHaveLength(2);
    expect(getPlan(db, plan.planId)?.status).toBe('preview');
    expect(latestPushablePlan(db)).toMatchObject({ id: 1, status: 'partial' });
  });

  it('"last" with no run that applied anything is a usage error', async () => {
    const db = openDb(tempDir());
    open.push(db);
    await expect(buildRollbackPlan(db, memoryStore(new Map()), 'last', options)).rejects.toThrow(UsageError);
  });
});
