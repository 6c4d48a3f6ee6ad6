/**
 * SPEC §9 `--store` on the history commands: `runs --store web` lists web's runs with web's
 * outcome, and `show <run> --store web` is web's part of the run, its message included.
 */
import { describe, expect, it } from '@jest/globals';
import { emptyCounts, type RunSummary, type StoreSummary } from '../../src/domain/types.js';
import type { Db } from '../../src/state/db.js';
import { finishRun, getRunSummary, keepRunStores, listRuns, recordRunStores, startRun } from '../../src/state/runs.js';
import { allChanges, storePart } from '../../src/cli/commands/history.js';
import { recordPlan } from '../../src/state/plans.js';
import { emptyMatch, stateDbs } from '../helpers/state.js';

const stateDb = stateDbs();

const safety = { missingRatio: 0, zeroRatio: 0, tripped: null };

function entry(name: string, exitCode: number, status: StoreSummary['status'], message?: string): StoreSummary {
  return { name, status, exitCode, counts: emptyCounts(), safety, planId: null, ...(message ? { message } : {}) };
}

function summary(id: string, at: string, stores: StoreSummary[]): RunSummary {
  const worst = stores.reduce((w, s) => (s.exitCode > w.exitCode ? s : w));
  const failed = stores.filter((s) => s.exitCode !== 0);
  return {
    runId: id, command: 'full', dryRun: false, status: worst.status, exitCode: worst.exitCode, startedAt: at, finishedAt: at, durationMs: 1,
    counts: emptyCounts(), safety, errors: [], planId: null, stores,
    changes: stores.map((s) => ({ store: s.name, sku: `${s.name}-1`, productId: 1, variationId: null, from: 1, to: 2, status: 'applied', error: null })),
    ...(failed.length ? { message: failed.map((s) => `store "${s.name}": exit ${s.exitCode}${s.message ? ` (${s.message})` : ''}`).join('; ') } : {}),
  };
}

/** As the CLI records a run: the selected stores at its start, those it worked on at its end. */
function record(db: Db, s: RunSummary, selected: string[]): void {
  startRun(db, { id: s.runId, command: s.command, dryRun: false, startedAt: s.startedAt });
  recordRunStores(db, s.runId, selected);
  keepRunStores(db, s.runId, s.stores!.map((x) => x.name));
  finishRun(db, s);
}

/** Run 1: web ok, amazon refused (exit 5). Run 2: amazon alone. Run 3: started for both, worked on amazon only (a saved plan's push). */
function history(): Db {
  const db = stateDb();
  record(db, summary('2026-12-01T00:00:00.000Z-0001', '2026-12-01T00:00:00.000Z', [entry('web', 0, 'ok'), entry('amazon', 5, 'failed', 'HTTP 401')]), ['web', 'amazon']);
  record(db, summary('2026-12-02T00:00:00.000Z-0002', '2026-12-02T00:00:00.000Z', [entry('amazon', 4, 'blocked')]), ['amazon']);
  record(db, summary('2026-12-03T00:00:00.000Z-0003', '2026-12-03T00:00:00.000Z', [entry('amazon', 0, 'ok')]), ['web', 'amazon']);
  return db;
}

describe('runs --store (SPEC §9)', () => {
  it('lists only the runs that worked on the store, each with that store\'s status and exit code', () => {
    const db = history();
    expect(listRuns(db, 20, ['web']).map((r) => [r.id.slice(-4), r.status, r.exitCode])).toEqual([['0001', 'ok', 0]]);
    expect(listRuns(db, 20, ['amazon']).map((r) => [r.id.slice(-4), r.status, r.exitCode])).toEqual([
      ['0003', 'ok', 0], ['0002', 'blocked', 4], ['0001', 'failed', 5],
    ]);
    // Several stores: the highest of theirs; no filter: the run's own.
    expect(listRuns(db, 20, ['web', 'amazon']).map((r) => r.exitCode)).toEqual([0, 4, 5]);
    expect(listRuns(db, 20).map((r) => r.exitCode)).toEqual([0, 4, 5]);
  });
});

describe('show --store (SPEC §9)', () => {
  it('is that store\'s part of the run: its changes, status, exit code and message, never another store\'s', () => {
    const db = history();
    const web = storePart(getRunSummary(db, '2026-12-01T00:00:00.000Z-0001')!, ['web']);
    expect([web.status, web.exitCode, web.message, web.stores!.map((s) => s.name), web.changes.map((c) => c.sku)]).toEqual(['ok', 0, undefined, ['web'], ['web-1']]);
    const amazon = storePart(getRunSummary(db, '2026-12-01T00:00:00.000Z-0001')!, ['amazon']);
    expect([amazon.status, amazon.exitCode, amazon.message]).toEqual(['failed', 5, 'store "amazon": exit 5 (HTTP 401)']);
  });

  it('"last" with --store is the store\'s last run; a run that did not work on the store is a usage error naming both', () => {
    const db = history();
    expect(getRunSummary(db, 'last', ['web'])!.runId).toBe('2026-12-01T00:00:00.000Z-0001');
    expect(getRunSummary(db, 'last')!.runId).toBe('2026-12-03T00:00:00.000Z-0003');
    expect(() => storePart(getRunSummary(db, '2026-12-02')!, ['web'])).toThrow('run 2026-12-02T00:00:00.000Z-0002 did not work on store "web" (it worked on amazon)');
  });
});

describe('show of a multi-store run whose summary lists only its first changes', () => {
  function plan(db: Db, store: string, skus: string[]): number {
    return recordPlan(db, { runId: 'r', store, snapshotChecksum: 's', indexGeneration: 1, configChecksum: 'c', window: {} }, (add) => {
      skus.forEach((sku, seq) => add({ seq, sku, productId: seq + 1, variationId: null, from: 1, to: 2 }));
      return { status: 'pending', match: emptyMatch };
    });
  }

  it('lists every change from each store\'s plan (the whole run, or one store\'s part), not only those the summary kept', () => {
    const db = stateDb();
    const web = { ...entry('web', 0, 'ok'), planId: plan(db, 'web', ['W-1', 'W-2', 'W-3']), counts: { ...emptyCounts(), changed: 3 } };
    const amazon = { ...entry('amazon', 0, 'ok'), planId: plan(db, 'amazon', ['A-1', 'A-2']), counts: { ...emptyCounts(), changed: 2 } };
    // As the summary cap leaves it: the first two changes kept, five in all.
    const run: RunSummary = { ...summary('2026-12-04T00:00:00.000Z-0004', '2026-12-04T00:00:00.000Z', [web, amazon]), dryRun: true, changesTotal: 5 };
    run.changes = [
      { store: 'web', sku: 'W-1', productId: 1, variationId: null, from: 1, to: 2, status: 'planned', error: null },
      { store: 'web', sku: 'W-2', productId: 2, variationId: null, from: 1, to: 2, status: 'planned', error: null },
    ];
    const keys = (changes: Iterable<{ store?: string; sku: string }> | undefined) => (changes ? [...changes].map((c) => `${c.store}:${c.sku}`) : undefined);
    expect(keys(allChanges(db, run))).toEqual(['web:W-1', 'web:W-2', 'web:W-3', 'amazon:A-1', 'amazon:A-2']);
    expect(keys(allChanges(db, storePart(run, ['amazon'])))).toEqual(['amazon:A-1', 'amazon:A-2']);
    // A summary that lists all its changes is shown as it is.
    expect(allChanges(db, { ...run, changesTotal: undefined })).toBeUndefined();
  });
});
