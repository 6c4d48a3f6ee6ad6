/**
 * Recording plans (SPEC §8 "dry runs never arm anything"): one code path for match and
 * rollback plans; a dry run never supersedes a plan `push` could still apply.
 */
import { describe, expect, it } from '@jest/globals';
import type { Change } from '../../src/domain/types.js';
import type { Db } from '../../src/state/db.js';
import { createPlan, getPlan, latestPushablePlan, recordPlan, type PlanArming, type PlanStatus } from '../../src/state/plans.js';
import { emptyMatch, stateDbs } from '../helpers/state.js';

const stateDb = stateDbs();

const change: Change = { seq: 0, sku: 'A', productId: 1, variationId: null, from: 1, to: 2 };

function plan(db: Db, options: { generation?: number; arming?: PlanArming; status?: PlanStatus } = {}): number {
  return recordPlan(db, { runId: 'r', snapshotChecksum: 's', indexGeneration: options.generation ?? 1, configChecksum: 'c', window: {} }, (add) => {
    add(change);
    return { status: options.status ?? 'pending', match: emptyMatch };
  }, { arming: options.arming });
}

describe('recording a plan', () => {
  it('a real match supersedes every older pending or partial plan', () => {
    const db = stateDb();
    const old = plan(db);
    const partial = plan(db);
    db.prepare("UPDATE plans SET status = 'partial' WHERE id = ?").run(partial);
    const newest = plan(db);
    expect([old, partial, newest].map((id) => getPlan(db, id)?.status)).toEqual(['superseded', 'superseded', 'pending']);
  });

  it('a dry run keeps a plan push could still apply and records itself as a preview', () => {
    const db = stateDb();
    const partial = plan(db);
    db.prepare("UPDATE plans SET status = 'partial' WHERE id = ?").run(partial);
    const dry = plan(db, { arming: 'dryRunRecord' });
    expect(getPlan(db, dry)?.status).toBe('preview');
    expect(latestPushablePlan(db)).toMatchObject({ id: partial, status: 'partial' });
  });

  it('a dry run replaces a plan that is stale (built from an older store index): push would refuse it anyway', () => {
    const db = stateDb();
    const stale = plan(db, { generation: 1 });
    const dry = plan(db, { generation: 2, arming: 'dryRunRecord' });
    expect([getPlan(db, stale)?.status, getPlan(db, dry)?.status]).toEqual(['superseded', 'pending']);
    expect(latestPushablePlan(db)?.id).toBe(dry);
  });

  it('a preview never supersedes and is never pushable', () => {
    const db = stateDb();
    const pending = plan(db);
    const preview = plan(db, { arming: 'preview' });
    expect(getPlan(db, preview)?.status).toBe('preview');
    expect(latestPushablePlan(db)?.id).toBe(pending);
  });

  it('createPlan (rollback) goes through the same path: its items and the supersede rule', () => {
    const db = stateDb();
    const pending = plan(db);
    const id = createPlan(db, { runId: 'r2', status: 'pending', snapshotChecksum: 'rollback:r', indexGeneration: 1, configChecksum: 'c', window: {}, match: emptyMatch }, [change], { arming: 'preview' });
    expect(getPlan(db, id)?.status).toBe('preview');
    expect(db.prepare('SELECT sku, from_qty, to_qty, status FROM plan_items WHERE plan_id = ?').all(id)).toEqual([{ sku: 'A', from_qty: 1, to_qty: 2, status: 'planned' }]);
    expect(latestPushablePlan(db)?.id).toBe(pending);
  });
});
