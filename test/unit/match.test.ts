import { describe, expect, it } from '@jest/globals';
import { diffStore, evaluateSafety, isNewZero, normaliseQty, SupplyAggregator, targetQty } from '../../src/pipeline/match.js';
import type { SnapshotRecord } from '../../src/domain/types.js';
import { feed, rules, storeOf } from '../helpers/builders.js';

function plan(records: SnapshotRecord[], store: ReturnType<typeof storeOf>, r = rules(), sources = ['feed']) {
  const supply = new SupplyAggregator(sources, r);
  records.forEach((rec) => supply.add(rec));
  return diffStore(supply, store, r, store.length);
}

describe('rules', () => {
  it('floors fractional quantities and counts negatives as 0', () => {
    expect(normaliseQty(4.9)).toBe(4);
    expect(normaliseQty(-3)).toBe(0);
    expect(normaliseQty(0.2)).toBe(0);
  });

  it('subtracts the buffer, never below 0, and caps at maxQty', () => {
    expect(targetQty(10, { buffer: 3, maxQty: null })).toBe(7);
    expect(targetQty(2, { buffer: 3, maxQty: null })).toBe(0);
    expect(targetQty(500, { buffer: 0, maxQty: 100 })).toBe(100);
  });
});

describe('match', () => {
  it('plans only the items whose stock differs from the target', () => {
    const result = plan(feed('feed', [['A', 5], ['B', 3]]), storeOf([['A', 5], ['B', 1]]));
    expect(result.changes.map((c) => [c.sku, c.from, c.to])).toEqual([['B', 1, 3]]);
    expect(result.counts).toMatchObject({ inScope: 2, matched: 2, unchanged: 1, changed: 1, missing: 0 });
  });

  it('matches SKUs trimmed and case-insensitively by default', () => {
    const result = plan(feed('feed', [[' abc-1 ', 9]]), storeOf([['ABC-1', 2]]));
    expect(result.changes[0]).toMatchObject({ sku: 'ABC-1', to: 9 });
  });

  it('keeps SKU case when skuCaseSensitive is set', () => {
    const result = plan(feed('feed', [['abc-1', 9]]), storeOf([['ABC-1', 2]]), rules({ skuCaseSensitive: true }));
    expect(result.changes).toEqual([]);
    expect(result.counts.missing).toBe(1);
  });

  it.each([
    ['sum', 7], ['min', 2], ['max', 5], ['priority', 5],
  ] as const)('combines a SKU offered by several sources with aggregate=%s', (aggregate, expected) => {
    const records = [...feed('b', [['X', 2]]), ...feed('a', [['X', 5]])];
    const result = plan(records, storeOf([['X', 0]]), rules({ aggregate }), ['a', 'b']);
    expect(result.changes[0]?.to).toBe(expected);
  });

  it('leaves a SKU listed twice by one source unchanged and reports it', () => {
    const result = plan(feed('feed', [['A', 5], ['A', 6]]), storeOf([['A', 1]]));
    expect(result.changes).toEqual([]);
    expect(result.errors).toEqual([expect.objectContaining({ sku: 'A', source: 'feed', message: expect.stringMatching(/more than once/) })]);
  });

  it('keeps missing SKUs by default and zeroes them with missing=zero', () => {
    const store = storeOf([['A', 4], ['GONE', 7]]);
    expect(plan(feed('feed', [['A', 4]]), store).changes).toEqual([]);
    const zeroed = plan(feed('feed', [['A', 4]]), store, rules({ missing: 'zero' }));
    expect(zeroed.changes.map((c) => [c.sku, c.to, c.reason])).toEqual([['GONE', 0, 'missing']]);
  });

  it('writes an item whose stock is not managed yet, even at the same number', () => {
    const result = plan(feed('feed', [['A', 0]]), storeOf([['A', null]]));
    expect(result.changes[0]).toMatchObject({ from: null, to: 0, reason: 'unmanaged' });
  });

  it('reports rejected rows by source and row, never as 0', () => {
    const records: SnapshotRecord[] = [{ kind: 'rejected', source: 'feed', row: 7, reason: 'non-numeric quantity "x"', sku: 'A' }];
    const result = plan(records, storeOf([['A', 3]]));
    expect(result.changes).toEqual([]);
    expect(result.counts.rejected).toBe(1);
    expect(result.errors[0]).toMatchObject({ source: 'feed', row: 7 });
  });

  it('leaves a SKU with a rejected row unchanged, even with missing=zero or another source listing it', () => {
    const records: SnapshotRecord[] = [
      { kind: 'rejected', source: 'feed', row: 3, reason: 'non-numeric quantity "x"', sku: 'A' },
      { kind: 'item', source: 'other', sku: 'A', qty: 9, row: 2 },
    ];
    const result = plan(records, storeOf([['A', 3], ['B', 5]]), rules({ missing: 'zero', maxQty: null }), ['feed', 'other']);
    expect(result.changes.map((c) => c.sku)).toEqual(['B']);
    expect(result.errors).toContainEqual(expect.objectContaining({ sku: 'A', source: 'feed', message: expect.stringMatching(/rejected: left unchanged/) }));
  });

  it('ignores store items without a SKU (out of scope)', () => {
    const result = plan(feed('feed', [['A', 1]]), storeOf([['', 3], ['A', 1]]));
    expect(result.counts.inScope).toBe(1);
  });

  it('is deterministic: same inputs, same plan', () => {
    const store = storeOf(Array.from({ length: 50 }, (_, i) => [`S${i}`, i] as [string, number]));
    const records = feed('feed', Array.from({ length: 50 }, (_, i) => [`S${49 - i}`, i * 2] as [string, number]));
    expect(plan(records, store).changes).toEqual(plan(records, store).changes);
  });
});

describe('safety gates', () => {
  const limits = { maxMissingRatio: 0.3, maxZeroRatio: 0.5 };

  it('trips maxMissingRatio above the limit and says how to override', () => {
    const report = evaluateSafety({ inScope: 10, missing: 4 }, 0, limits);
    expect(report).toMatchObject({ missingRatio: 0.4, tripped: 'maxMissingRatio' });
    expect(report.message).toMatch(/40%.*limit 30%.*--force/);
  });

  it('does not trip at exactly the limit', () => {
    expect(evaluateSafety({ inScope: 10, missing: 3 }, 0, limits).tripped).toBeNull();
  });

  it('counts only new zeros for maxZeroRatio', () => {
    const changes = [{ from: 5, to: 0 }, { from: null, to: 0 }, { from: 0, to: 0 }, { from: 1, to: 2 }];
    const report = evaluateSafety({ inScope: 4, missing: 0 }, changes.filter(isNewZero).length, { ...limits, maxZeroRatio: 0.4 });
    expect(report).toMatchObject({ zeroRatio: 0.5, tripped: 'maxZeroRatio' });
  });

  it('marks a forced override but still names the gate', () => {
    expect(evaluateSafety({ inScope: 2, missing: 2 }, 0, limits, true)).toMatchObject({ tripped: 'maxMissingRatio', forced: true });
  });

  it('an empty scope trips nothing', () => {
    expect(evaluateSafety({ inScope: 0, missing: 0 }, 0, limits).tripped).toBeNull();
  });

  it('trips maxStockDropRatio when the plan removes more than that share of the stock in scope', () => {
    const report = evaluateSafety({ inScope: 3, missing: 0 }, 0, { ...limits, maxStockDropRatio: 0.5 }, false, { before: 100, after: 40 });
    expect(report).toMatchObject({ stockDropRatio: 0.6, tripped: 'maxStockDropRatio' });
    expect(report.message).toMatch(/60%.*100 → 40 units.*limit 50%.*--force/);
    expect(evaluateSafety({ inScope: 3, missing: 0 }, 0, { ...limits, maxStockDropRatio: 0.5 }, false, { before: 100, after: 50 }).tripped).toBeNull();
  });

  it('measures the stock drop from the plan', () => {
    const supply = new SupplyAggregator(['feed'], rules());
    feed('feed', [['A', 2], ['B', 10]]).forEach((r) => supply.add(r));
    const diff = diffStore(supply, storeOf([['A', 20], ['B', 10], ['C', null]]), rules(), 3);
    expect(diff.stock).toEqual({ before: 30, after: 12 });
  });
});
