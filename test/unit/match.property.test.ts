/**
 * Properties of match over random worlds, through the real state modules: the store goes into an
 * in-memory SQLite index, the window comes from iterateStoreItems, duplicates from
 * findDuplicateStoreSkus. The oracle is written out here, independently of the implementation.
 */
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { Rules } from '../../src/config/schema.js';
import { skuKey } from '../../src/domain/sku.js';
import type { IndexedStoreItem, SnapshotRecord, StoreItem } from '../../src/domain/types.js';
import { diffStore, SupplyAggregator } from '../../src/pipeline/match.js';
import { migrate } from '../../src/state/db.js';
import { findDuplicateStoreSkus } from '../../src/state/store-duplicates.js';
import { countStoreItems, iterateStoreItems } from '../../src/state/store-index.js';
import { indexStore } from '../helpers/store-index.js';

const MAX_QTY = 2_147_483_647;

/** SKUs from a small alphabet so they collide, in several spellings of the same key ('Ｃ' is C, 'D\u200b' is D). */
const skuArb = fc.constantFrom('A', 'a', 'B', 'C', 'c ', '\uff23', 'D', 'D\u200b', 'E', 'F', 'G', 'H');
const storeArb = fc.array(fc.record({
  sku: skuArb,
  qty: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
  variation: fc.boolean(),
}), { maxLength: 12 }).map((rows) => rows.map((r, i): StoreItem => ({
  sku: r.sku, productId: i + 1, variationId: r.variation ? 1000 + i : null, qty: r.qty, managed: r.qty !== null,
})));
/** Small, fractional and negative levels, levels up to 2^31 − 1, and levels at and above 2^32. */
const qtyArb = fc.oneof(
  fc.double({ min: -5, max: 80, noNaN: true }),
  fc.integer({ min: 0, max: MAX_QTY }),
  fc.integer({ min: 0, max: 2 ** 20 }).map((n) => 2 ** 32 + n),
);
const feedArb = (source: string) => fc.array(fc.record({ sku: skuArb, qty: qtyArb }), { maxLength: 12 })
  .map((rows) => rows.map((r, i): SnapshotRecord => ({ kind: 'item', source, sku: r.sku, qty: r.qty, row: i + 2 })));
const rulesArb = fc.record({
  aggregate: fc.constantFrom('sum', 'min', 'max', 'priority'),
  buffer: fc.integer({ min: 0, max: 5 }),
  maxQty: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
  missing: fc.constantFrom('keep', 'zero'),
  skuCaseSensitive: fc.boolean(),
}).map((r) => Rules.parse(r));
const windowArb = fc.record({ offset: fc.integer({ min: 0, max: 14 }), limit: fc.integer({ min: 1, max: 14 }) });

async function plan(store: StoreItem[], records: SnapshotRecord[], rules: Rules, window: { offset: number; limit: number }) {
  const db = new Database(':memory:');
  try {
    migrate(db);
    await indexStore(db, 'property', store);
    const supply = new SupplyAggregator(['s1', 's2'], rules);
    records.forEach((r) => supply.add(r));
    const duplicates = findDuplicateStoreSkus(db, rules.skuCaseSensitive);
    return diffStore(supply, iterateStoreItems(db, window), rules, countStoreItems(db), undefined, duplicates);
  } finally {
    db.close();
  }
}

type Planned = Awaited<ReturnType<typeof plan>>['changes'];
const id = (i: Pick<IndexedStoreItem, 'productId' | 'variationId'>) => `${i.productId}/${i.variationId}`;

function apply(store: StoreItem[], changes: Planned): StoreItem[] {
  const byId = new Map(changes.map((c) => [id(c), c.to]));
  return store.map((i) => (byId.has(id(i)) ? { ...i, qty: byId.get(id(i))!, managed: true } : i));
}

/** The oracle: what one store item must look like after the plan is applied. */
function expected(item: StoreItem, store: StoreItem[], feeds: SnapshotRecord[][], rules: Rules, inWindow: boolean): Pick<StoreItem, 'qty' | 'managed'> {
  const unchanged = { qty: item.qty, managed: item.managed };
  const key = skuKey(item.sku, rules.skuCaseSensitive);
  if (!inWindow || key === '') return unchanged;
  // One supply, one listing: a key two store items hold is never written, wherever the twin is.
  if (store.filter((s) => skuKey(s.sku, rules.skuCaseSensitive) === key).length > 1) return unchanged;
  const per = feeds.map((f) => f.filter((r) => r.kind === 'item' && skuKey(r.sku, rules.skuCaseSensitive) === key)
    .map((r) => Math.max(0, Math.floor((r as { qty: number }).qty))));
  if (per.some((q) => q.length > 1)) return unchanged; // listed twice by one source
  const offered = per.filter((q) => q.length === 1).map((q) => q[0]!);
  if (offered.length === 0) {
    // missing=zero zeroes managed items only: it never starts stock tracking.
    return rules.missing === 'zero' && item.managed ? { qty: 0, managed: true } : unchanged;
  }
  const combined = rules.aggregate === 'sum' ? offered.reduce((a, b) => a + b, 0)
    : rules.aggregate === 'min' ? offered.reduce((a, b) => Math.min(a, b))
      : rules.aggregate === 'max' ? offered.reduce((a, b) => Math.max(a, b))
        : (per[0]!.length ? per[0]![0]! : per[1]![0]!);
  const target = Math.min(Math.max(0, combined - rules.buffer), MAX_QTY, rules.maxQty ?? MAX_QTY);
  return { qty: target, managed: true };
}

const world = fc.tuple(storeArb, feedArb('s1'), feedArb('s2'), rulesArb, windowArb);
const inWindowOf = (store: StoreItem[], window: { offset: number; limit: number }) =>
  new Set(store.slice(window.offset, window.offset + window.limit).map(id));

describe('the plan (property-based, through the real store index)', () => {
  it('applying the plan makes a second match empty', async () => {
    await fc.assert(fc.asyncProperty(world, async ([store, f1, f2, rules, window]) => {
      const first = await plan(store, [...f1, ...f2], rules, window);
      const second = await plan(apply(store, first.changes), [...f1, ...f2], rules, window);
      expect(second.changes).toEqual([]);
    }));
  });

  it('never touches an item outside the window or a holder of a duplicated store SKU, and writes each item at most once', async () => {
    await fc.assert(fc.asyncProperty(world, async ([store, f1, f2, rules, window]) => {
      const inWindow = inWindowOf(store, window);
      const keys = store.map((i) => skuKey(i.sku, rules.skuCaseSensitive));
      const duplicated = new Set(keys.filter((k, i) => keys.indexOf(k) !== i));
      const { changes } = await plan(store, [...f1, ...f2], rules, window);
      for (const c of changes) {
        expect(inWindow.has(id(c))).toBe(true);
        expect([c.sku, duplicated.has(skuKey(c.sku, rules.skuCaseSensitive))]).toEqual([c.sku, false]);
      }
      expect(new Set(changes.map(id)).size).toBe(changes.length);
    }));
  });

  it('no target is negative, fractional, above maxQty or above 2,147,483,647', async () => {
    await fc.assert(fc.asyncProperty(world, async ([store, f1, f2, rules, window]) => {
      for (const c of (await plan(store, [...f1, ...f2], rules, window)).changes) {
        expect(Number.isInteger(c.to)).toBe(true);
        expect(c.to).toBeGreaterThanOrEqual(0);
        expect(c.to).toBeLessThanOrEqual(rules.maxQty ?? MAX_QTY);
      }
    }));
  });

  it('applying the plan yields the oracle\'s store: targets for what the rules decide, nothing else moved', async () => {
    await fc.assert(fc.asyncProperty(world, async ([store, f1, f2, rules, window]) => {
      const inWindow = inWindowOf(store, window);
      const after = apply(store, (await plan(store, [...f1, ...f2], rules, window)).changes);
      after.forEach((item, i) => {
        const want = expected(store[i]!, store, [f1, f2], rules, inWindow.has(id(item)));
        expect([item.sku, item.productId, item.qty, item.managed]).toEqual([item.sku, item.productId, want.qty, want.managed]);
      });
    }));
  });

  it('is deterministic whatever the order the records arrive in', async () => {
    await fc.assert(fc.asyncProperty(world, fc.integer(), async ([store, f1, f2, rules, window], seed) => {
      const records = [...f1, ...f2];
      const shuffled = [...records].sort((a, b) => ((a.row * 7919 + seed) % 13) - ((b.row * 7919 + seed) % 13));
      expect((await plan(store, shuffled, rules, window)).changes).toEqual((await plan(store, records, rules, window)).changes);
    }));
  });
});
