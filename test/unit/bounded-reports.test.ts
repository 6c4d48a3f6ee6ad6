import { describe, expect, it } from '@jest/globals';
import { humanSummary, reasonText, renderDiffTable } from '../../src/cli/render.js';
import { SummaryBuilder } from '../../src/cli/summary.js';
import { ErrorLog, MAX_REASONS_PER_SOURCE, reasonClass } from '../../src/domain/error-log.js';
import type { BuiltPlan } from '../../src/pipeline/plan.js';
import type { PlanItem } from '../../src/state/plans.js';
import { emptyCounts } from '../../src/domain/types.js';
import { change, summaryOf } from '../helpers/summaries.js';

describe('the error log: the first 1,000 kept, all counted per source and reason', () => {
  it('keeps the first errors and counts every one', () => {
    const log = new ErrorLog();
    for (let i = 0; i < 2500; i++) log.push({ sku: `S${i}`, source: i % 2 ? 'a' : null, message: 'm' }, i % 5 ? 'x' : 'y');
    const report = log.report();
    expect(report.errors).toHaveLength(1000);
    expect(report.errors[999]!.sku).toBe('S999');
    expect(report.errorsTotal).toBe(2500);
    expect(report.errorCounts).toEqual({ '(store)': { y: 250, x: 1000 }, a: { x: 1000, y: 250 } });
  });

  it('counts reasons beyond the per-source limit as "other", so values in reasons cannot grow the counts', () => {
    const log = new ErrorLog();
    for (let i = 0; i < 100; i++) log.push({ sku: null, source: 'feed', message: 'm' }, `reason ${i}`);
    const counts = log.report().errorCounts.feed!;
    expect(Object.keys(counts)).toHaveLength(MAX_REASONS_PER_SOURCE + 1);
    expect(counts.other).toBe(100 - MAX_REASONS_PER_SOURCE);
  });

  it('classes a rejected row by its reason without the quoted value', () => {
    expect(reasonClass('non-numeric quantity "In stock"')).toBe('non-numeric quantity');
    expect(reasonClass('no quantity at qtyPath "stock.qty" (item 4)')).toBe('no quantity at qtyPath');
    expect(reasonClass('no SKU')).toBe('no SKU');
    expect(reasonClass('"x"')).toBe('rejected');
    // Out-of-range values keep what is wrong with them (not just "quantity"), long values included.
    expect(reasonClass('quantity "99999999999" is out of range (0 … 2147483647)')).toBe('quantity is out of range');
    expect(reasonClass(`quantity "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647)`)).toBe('quantity is out of range');
    expect(reasonClass('quantity 4294967297 is out of range (0 … 2147483647)')).toBe('quantity is out of range');
    expect(reasonClass(`unallocated_stock "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647) (part pk 4)`)).toBe('unallocated_stock is out of range');
  });

  it('absorbs a stored report, also one stored before errors were counted', () => {
    const log = new ErrorLog();
    log.absorb({ errors: [{ sku: 'A', source: 'feed', message: 'm' }], errorsTotal: 5000, errorCounts: { feed: { 'no SKU': 5000 } } });
    log.absorb({ errors: [{ sku: 'B', source: null, message: 'old' }] });
    expect(log.report()).toEqual({
      errors: [{ sku: 'A', source: 'feed', message: 'm' }, { sku: 'B', source: null, message: 'old' }],
      errorsTotal: 5001,
      errorCounts: { feed: { 'no SKU': 5000 }, '(store)': { error: 1 } },
    });
  });
});

describe('the run summary stays bounded', () => {
  it('a match with 150,000 counted errors and 1,500 failed writes yields 1,000 listed errors and the right totals', () => {
    const summary = new SummaryBuilder('run-1', 'full', false);
    const errors = Array.from({ length: 1000 }, (_, i) => ({ sku: `R-${i}`, source: 'feed', row: i + 2, message: 'row: non-numeric quantity' }));
    const plan = {
      planId: 1, changeCount: 1500, counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, sources: {},
      errors, errorsTotal: 150_000, errorCounts: { feed: { 'non-numeric quantity': 150_000 } },
    } satisfies BuiltPlan;
    summary.fromPlan(plan, []);
    const failed = Array.from({ length: 1500 }, (_, i) => ({ sku: `F-${i}`, error: 'invalid id' }) as PlanItem);
    summary.fromPush({ planned: 0, sent: 0, submitted: 0, applied: 0, failed: 1500 }, [], failed, null, false);
    const out = summary.finish(1, 'partial');
    expect(out.errors).toHaveLength(1000);
    expect(out.errors[0]!.sku).toBe('R-0');
    expect(out.errorsTotal).toBe(151_500);
    expect(out.errorCounts).toEqual({ feed: { 'non-numeric quantity': 150_000 }, '(store)': { 'write failed': 1500 } });
  });

  it('several stores: the sources\' rejected rows count once (the most any store saw), each store\'s own errors per store', () => {
    const storeLog = (sources: string[]) => {
      const supply = new ErrorLog();
      for (const s of sources) for (let i = 0; i < 3; i++) supply.push({ sku: `${s}-${i}`, source: s, row: i + 2, message: `row ${i + 2}: non-numeric quantity "x"` }, 'non-numeric quantity');
      const log = new ErrorLog();
      log.absorb(supply.report(), true);
      log.push({ sku: 'D', source: null, message: 'duplicate store SKU: held by [1], [2]' }, 'duplicate store SKU');
      return log.report();
    };
    const run = new ErrorLog();
    run.absorbStore(storeLog(['a', 'b']), 'web');
    run.absorbStore(storeLog(['a']), 'amazon'); // reads only source a
    const out = run.report();
    expect(out.errorCounts).toEqual({ a: { 'non-numeric quantity': 3 }, b: { 'non-numeric quantity': 3 }, '(store)': { 'duplicate store SKU': 2 } });
    expect(out.errorsTotal).toBe(8);
    expect(out.errors.map((e) => `${e.store ?? '-'} ${e.sku}`)).toEqual(['- a-0', '- a-1', '- a-2', '- b-0', '- b-1', '- b-2', 'web D', 'amazon D']);
  });

  it('the human summary names the total, not the listed count', () => {
    const text = humanSummary(summaryOf({ errors: [{ sku: 'R-0', source: 'feed', message: 'row 2: non-numeric quantity "x"' }], errorsTotal: 150_000 }));
    expect(text).toContain('150000 problem(s), the first 1 listed by `invsync show 2026-11-22T02:00:00.123Z-7f3a --format json`: [feed] R-0: row 2: non-numeric quantity "x"; ….');
  });
  it('with several stores, each problem names its store: one rejected row seen by two stores reads as two stores\' problems', () => {
    const rejected = { sku: 'DEMO-006', source: 'main', row: 7, message: 'row 7: non-numeric quantity "call us"' };
    const text = humanSummary(summaryOf({ errors: [{ store: 'web', ...rejected }, { store: 'outlet', ...rejected }], errorsTotal: 2 }));
    expect(text).toContain('2 problem(s): [web · main] DEMO-006: row 7: non-numeric quantity "call us"; [outlet · main] DEMO-006: row 7: non-numeric quantity "call us".');
  });
});

describe('the REASON column', () => {
  it('says "starts stock tracking" only for a feed level; a missing item is never called "feed"', () => {
    expect(reasonText({ reason: 'supplier', from: null })).toBe('feed; starts stock tracking');
    expect(reasonText({ reason: 'supplier', from: 3 })).toBe('feed');
    expect(reasonText({ reason: 'missing', from: 4 })).toBe('in no feed → 0');
    expect(reasonText({ reason: 'unmanaged', from: null })).toBe('feed; starts stock tracking');
    const table = renderDiffTable([change('GONE', 4, 0, { reason: 'missing' }), change('NEW', null, 5, { reason: 'supplier' })]);
    expect(table).toMatch(/^GONE\s.*in no feed → 0$/m);
    expect(table).toMatch(/^NEW\s.*feed; starts stock tracking$/m);
  });
});
