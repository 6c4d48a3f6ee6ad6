import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Rules } from '../../src/config/schema.js';
import { diffStore, normaliseQty, skuKey, SupplyAggregator, targetQty } from '../../src/pipeline/match.js';
import type { IndexedStoreItem, SnapshotRecord } from '../../src/domain/types.js';

/** Random worlds: a store, two suppliers, rules and a window. SKUs from a small alphabet so they collide. */
const skuArb = fc.constantFrom('A', 'a', 'B', 'C', 'c ', 'D', 'E', 'F', 'G', 'H');
const storeArb = fc.array(fc.record({ sku: skuArb, qty: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }) }), { maxLength: 12 })
  .map((rows) => rows.map((r, i): IndexedStoreItem => ({ ord: i, sku: r.sku, productId: i + 1, variationId: null, qty: r.qty, managed: r.qty !== null })));
const feedArb = (source: string) => fc.array(fc.record({ sku: skuArb, qty: fc.double({ min: -5, max: 80, noNaN: true }) }), { maxLength: 12 })
  .map((rows) => rows.map((r, i): SnapshotRecord => ({ kind: 'item', source, sku: r.sku, qty: r.qty, row: i + 2 })));
const rulesArb = fc.record({
  aggregate: fc.constantFrom('sum', 'min', 'max', 'priority'),
  buffer: fc.integer({ min: 0, max: 5 }),
  maxQty: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
  missing: fc.constantFrom('keep', 'zero'),
  skuCaseSensitive: fc.boolean(),
}).map((r) => Rules.parse(r));
const windowArb = fc.record({ offset: fc.integer({ min: 0, max: 14 }), limit: fc.integer({ min: 1, max: 14 }) });

function plan(store: IndexedStoreItem[], records: SnapshotRecord[], rules: Rules, window: { offset: number; limit: number }) {
  const supply = new SupplyAggregator(['s1', 's2'], rules);
  records.forEach((r) => supply.add(r));
  const scope = store.slice(window.offset, window.offset + window.limit);
  return diffStore(supply, scope, rules, store.length);
}

function apply(store: IndexedStoreItem[], changes: ReturnType<typeof plan>['changes']): IndexedStoreItem[] {
  const byId = new Map(changes.map((c) => [c.productId, c.to]));
  return store.map((i) => (byId.has(i.productId) ? { ...i, qty: byId.get(i.productId)!, managed: true } : i));
}

const world = fc.tuple(storeArb, feedArb('s1'), feedArb('s2'), rulesArb, windowArb);

describe('the plan (property-based)', () => {
  it('applying the plan makes a second match empty', () => {
    fc.assert(fc.property(world, ([store, f1, f2, rules, window]) => {
      const first = plan(store, [...f1, ...f2], rules, window);
      const second = plan(apply(store, first.changes), [...f1, ...f2], rules, window);
      expect(second.changes).toEqual([]);
    }));
  });

  it('never touches an item outside the window, and writes each item at most once', () => {
    fc.assert(fc.property(world, ([store, f1, f2, rules, window]) => {
      const inWindow = new Set(store.slice(window.offset, window.offset + window.limit).map((i) => i.productId));
      const { changes } = plan(store, [...f1, ...f2], rules, window);
      for (const c of changes) expect(inWindow.has(c.productId)).toBe(true);
      expect(new Set(changes.map((c) => c.productId)).size).toBe(changes.length);
    }));
  });

  it('no target is negative, fractional or above maxQty', () => {
    fc.assert(fc.property(world, ([store, f1, f2, rules, window]) => {
      for (const c of plan(store, [...f1, ...f2], rules, window).changes) {
        expect(Number.isInteger(c.to)).toBe(true);
        expect(c.to).toBeGreaterThanOrEqual(0);
        if (rules.maxQty !== null) expect(c.to).toBeLessThanOrEqual(rules.maxQty);
      }
    }));
  });

  it('applying the plan yields the targets: every matched item ends at the rule-combined supply', () => {
    fc.assert(fc.property(world, ([store, f1, f2, rules, window]) => {
      const records = [...f1, ...f2];
      const after = apply(store, plan(store, records, rules, window).changes);
      const scope = after.slice(window.offset, window.offset + window.limit);
      for (const item of scope) {
        const key = skuKey(item.sku, rules.skuCaseSensitive);
        const per = [f1, f2].map((f) => f.filter((r) => r.kind === 'item' && skuKey(r.sku, rules.skuCaseSensitive) === key).map((r) => normaliseQty((r as { qty: number }).qty)));
        if (per.some((q) => q.length > 1)) continue; // listed twice by one source: left unchanged
        const offered = per.filter((q) => q.length === 1).map((q) => q[0]!);
        if (offered.length === 0) {
          if (rules.missing === 'zero') expect(item.qty).toBe(0);
          continue;
        }
        const combined = rules.aggregate === 'sum' ? offered.reduce((a, b) => a + b, 0)
          : rules.aggregate === 'min' ? Math.min(...offered)
            : rules.aggregate === 'max' ? Math.max(...offered)
              : (per[0]!.length ? per[0]![0]! : per[1]![0]!);
        expect([item.sku, item.qty]).toEqual([item.sku, targetQty(combined, rules)]);
      }
    }));
  });

  it('is deterministic whatever the order the records arrive in', () => {
    fc.assert(fc.property(world, fc.integer(), ([store, f1, f2, rules, window], seed) => {
      const records = [...f1, ...f2];
      const shuffled = [...records].sort((a, b) => ((a.row * 7919 + seed) % 13) - ((b.row * 7919 + seed) % 13));
      expect(plan(store, shuffled, rules, window).changes).toEqual(plan(store, records, rules, window).changes);
    }));
  });
});
