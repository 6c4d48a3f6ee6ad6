import { describe, expect, it } from '@jest/globals';
import { diffStore, evaluateSafety, isNewZero, MAX_TARGET_QTY, normaliseQty, SupplyAggregator, targetQty, type StoreDuplicates } from '../../src/pipeline/match.js';
import { Safety } from '../../src/config/schema.js';
import type { SnapshotRecord, StoreSkuDuplicate } from '../../src/domain/types.js';
import { feed, rules, storeOf } from '../helpers/builders.js';

function plan(records: SnapshotRecord[], store: ReturnType<typeof storeOf>, r = rules(), sources = ['feed'], duplicates?: StoreDuplicates) {
  const supply = new SupplyAggregator(sources, r);
  records.forEach((rec) => supply.add(rec));
  return diffStore(supply, store, r, store.length, undefined, duplicates);
}

function dup(count: number, ...holders: Array<[number, number | null]>): StoreSkuDuplicate {
  return { count, holders: holders.map(([productId, variationId]) => ({ productId, variationId })) };
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

  it('writes an item whose stock is not managed yet, even at the same number: a feed level that starts tracking', () => {
    const result = plan(feed('feed', [['A', 0]]), storeOf([['A', null]]));
    expect(result.changes[0]).toMatchObject({ from: null, to: 0, reason: 'supplier', startsTracking: true });
  });

  it('missing=zero never starts stock tracking: an unmanaged item no source lists is left alone and counted as missing', () => {
    const store = storeOf([['MUG', 4], ['GIFT-25', null], ['OLD', 3]]);
    const result = plan(feed('feed', [['MUG', 5]]), store, rules({ missing: 'zero' }));
    expect(result.changes.map((c) => [c.sku, c.from, c.to, c.reason, c.startsTracking])).toEqual([
      ['MUG', 4, 5, 'supplier', false],
      ['OLD', 3, 0, 'missing', false],
    ]);
    expect(result.counts).toMatchObject({ inScope: 3, matched: 1, missing: 2, changed: 2 });
    expect(result.newZeros).toBe(1);
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

describe('duplicate store SKUs (one supply, one listing)', () => {
  it('leaves every holder of a duplicated store SKU unchanged and reports it once with the holders\' ids', () => {
    const store = storeOf([['W-1', 0], ['B', 1], ['w-1 ', 0]]);
    store[2]!.productId = 13;
    store[2]!.variationId = 31;
    const result = plan(feed('feed', [['W-1', 10], ['B', 4]]), store, rules(), ['feed'], new Map([['w-1', dup(2, [1, null], [13, 31])]]));
    expect(result.changes.map((c) => c.sku)).toEqual(['B']);
    expect(result.errors).toEqual([{ sku: 'W-1', source: null, message: 'duplicate store SKU: held by [1], [13/31]' }]);
    expect(result.counts).toMatchObject({ inScope: 3, matched: 3, unchanged: 2, changed: 1, missing: 0 });
    expect(result.errorCounts).toEqual({ '(store)': { 'duplicate store SKU': 1 } });
  });

  it('never zeroes a duplicated store SKU with missing=zero either, and names at most ten holders', () => {
    const holders = Array.from({ length: 10 }, (_, i) => [i + 1, null] as [number, null]);
    const result = plan(feed('feed', [['A', 1]]), storeOf([['A', 1], ['D', 5]]), rules({ missing: 'zero', maxQty: null }), ['feed'],
      new Map([['d', dup(14, ...holders)]]));
    expect(result.changes).toEqual([]);
    expect(result.counts).toMatchObject({ missing: 1, changed: 0 });
    expect(result.errors[0]!.message).toBe('duplicate store SKU: held by [1], [2], [3], [4], [5], [6], [7], [8], [9], [10] and 4 more');
  });

  it('an item inside the window whose twin is outside it is left unchanged too (the duplicates come from the whole index)', () => {
    const store = storeOf([['X', 0], ['Y', 0], ['X', 0]]);
    const window = store.slice(0, 2);
    const result = plan(feed('feed', [['X', 7], ['Y', 7]]), window, rules(), ['feed'], new Map([['x', dup(2, [1, null], [3, null])]]));
    expect(result.changes.map((c) => c.sku)).toEqual(['Y']);
    expect(result.errors[0]!.message).toBe('duplicate store SKU: held by [1], [3]');
  });
});

describe('supply aggregation with large quantities (exact to 20 sources × 2^31 − 1)', () => {
  const max = 2 ** 31 - 1;
  const sources = Array.from({ length: 20 }, (_, i) => `s${i}`);

  it('sums twenty sources at 2^31 − 1 exactly and keeps every source', () => {
    const supply = new SupplyAggregator(sources.slice(), rules());
    sources.forEach((s) => supply.add({ kind: 'item', source: s, sku: 'BIG', qty: max, row: 2 }));
    expect(supply.get('big')).toEqual({ qty: 20 * max, sources: sources.map((_, i) => i) });
    expect(20 * max).toBeGreaterThan(2 ** 32);
  });

  it('still sees a SKU listed twice by one source at 10^12 (the old packed number lost the source bits)', () => {
    const supply = new SupplyAggregator(['feed'], rules());
    feed('feed', [['D', 1e12], ['D', 1e12]]).forEach((r) => supply.add(r));
    expect(supply.get('d')).toEqual({ qty: 1e12, sources: [0], duplicateIn: [0] });
  });

  it('keeps priority order and per-source counts with quantities above 2^32', () => {
    const r = rules({ aggregate: 'priority' });
    const supply = new SupplyAggregator(['a', 'b'], r);
    [...feed('b', [['P', 2 ** 33]]), ...feed('a', [['P', 2 ** 32 + 5]])].forEach((rec) => supply.add(rec));
    expect(supply.get('p')).toEqual({ qty: 2 ** 32 + 5, sources: [0, 1] });
    const diff = diffStore(supply, storeOf([['P', 1]]), r, 1);
    expect(supply.perSource).toEqual({ a: { items: 1, rejected: 0, matched: 1 }, b: { items: 1, rejected: 0, matched: 1 } });
    expect(diff.changes[0]!.to).toBe(MAX_TARGET_QTY);
  });

  it('clamps the written target at 2,147,483,647', () => {
    expect(targetQty(20 * max, { buffer: 0, maxQty: null })).toBe(2_147_483_647);
    expect(targetQty(20 * max, { buffer: 5, maxQty: 100 })).toBe(100);
  });
});

describe('bounded reports', () => {
  it('keeps the first 1,000 of 150,000 rejected rows and counts all of them per source and reason', () => {
    const supply = new SupplyAggregator(['feed', 'dsz'], rules());
    for (let i = 0; i < 150_000; i++) supply.add({ kind: 'rejected', source: 'feed', row: i + 2, reason: `non-numeric quantity "In stock ${i}"`, sku: `R-${i}` });
    supply.add({ kind: 'rejected', source: 'dsz', row: 9, reason: 'no SKU' });
    feed('feed', [['A', 1]]).forEach((r) => supply.add(r));
    const diff = diffStore(supply, storeOf([['A', 0], ['R-7', 3]]), rules(), 2);
    expect(diff.errors).toHaveLength(1000);
    expect(diff.errors[0]).toEqual({ sku: 'R-0', source: 'feed', row: 2, message: 'row 2: non-numeric quantity "In stock 0"' });
    expect(diff.errorsTotal).toBe(150_002);
    expect(diff.errorCounts).toEqual({
      feed: { 'non-numeric quantity': 150_000, 'SKU with a rejected row': 1 },
      dsz: { 'no SKU': 1 },
    });
    expect(diff.counts.rejected).toBe(150_001);
    expect(diff.changes.map((c) => [c.sku, c.to])).toEqual([['A', 1]]);
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

  it('trips maxStockRiseRatio when the plan multiplies the stock in scope by more than the limit', () => {
    const report = evaluateSafety({ inScope: 3, missing: 0 }, 0, { ...limits, maxStockRiseRatio: 10 }, false, { before: 100, after: 5230 });
    expect(report).toMatchObject({ stockRiseRatio: 52.3, tripped: 'maxStockRiseRatio' });
    expect(report.message).toBe('safety gate maxStockRiseRatio tripped: the plan would multiply the total stock in scope by ×52.3 (100 → 5230 units), limit ×10; nothing was written. If that is intended, re-run with --force.');
    expect(evaluateSafety({ inScope: 3, missing: 0 }, 0, { ...limits, maxStockRiseRatio: 10 }, false, { before: 100, after: 1000 }).tripped).toBeNull();
    expect(evaluateSafety({ inScope: 3, missing: 0 }, 0, { ...limits, maxStockRiseRatio: 10 }, true, { before: 100, after: 5230 })).toMatchObject({ tripped: 'maxStockRiseRatio', forced: true });
  });

  it('does not judge a rise from an empty or nearly empty store (less than one unit per item), nor with maxStockRiseRatio null', () => {
    const limitsOn = { ...limits, maxStockRiseRatio: 10 };
    expect(evaluateSafety({ inScope: 3, missing: 0 }, 0, limitsOn, false, { before: 0, after: 5000 })).toMatchObject({ tripped: null });
    expect(evaluateSafety({ inScope: 3, missing: 0 }, 0, limitsOn, false, { before: 0, after: 5000 }).stockRiseRatio).toBeUndefined();
    expect(evaluateSafety({ inScope: 100, missing: 0 }, 0, limitsOn, false, { before: 99, after: 5000 }).tripped).toBeNull();
    expect(evaluateSafety({ inScope: 100, missing: 0 }, 0, limitsOn, false, { before: 100, after: 5000 }).tripped).toBe('maxStockRiseRatio');
    expect(evaluateSafety({ inScope: 3, missing: 0 }, 0, { ...limits, maxStockRiseRatio: null }, false, { before: 100, after: 1e9 }).tripped).toBeNull();
  });

  it('is on by default: a 1e12 feed level against a stocked store trips it', () => {
    const safety = Safety.parse({});
    expect(safety.maxStockRiseRatio).toBe(1000);
    expect(Safety.parse({ maxStockRiseRatio: null }).maxStockRiseRatio).toBeNull();
    expect(Safety.safeParse({ maxStockRiseRatio: 0.5 }).error?.issues[0]?.path).toEqual(['maxStockRiseRatio']);
    const supply = new SupplyAggregator(['feed'], rules());
    feed('feed', [['A', 1e12], ['B', 5]]).forEach((r) => supply.add(r));
    const diff = diffStore(supply, storeOf([['A', 5], ['B', 5]]), rules(), 2);
    expect(evaluateSafety(diff.counts, diff.newZeros, safety, false, diff.stock)).toMatchObject({ tripped: 'maxStockRiseRatio' });
  });
});
