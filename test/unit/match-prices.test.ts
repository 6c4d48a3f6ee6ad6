/** SPEC §14 `prices` in match: which items get a price write, how several sources combine, and the price-change gate. */
import { describe, expect, it } from '@jest/globals';
import { Prices, Safety } from '../../src/config/schema.js';
import { priceSettings, type Amounts } from '../../src/domain/price.js';
import type { IndexedStoreItem, SnapshotRecord } from '../../src/domain/types.js';
import { diffStore, evaluatePriceGate, evaluateSafety, SupplyAggregator } from '../../src/pipeline/match.js';
import { rules, storeItem } from '../helpers/builders.js';

const config = Prices.parse({ enabled: true });
const extras = { prices: { settings: priceSettings(config), maxChangeRatio: config.maxChangeRatio } };

function row(source: string, sku: string, qty: number, amounts?: Amounts, n = 2): SnapshotRecord {
  return { kind: 'item', source, sku, qty, row: n, ...(amounts ? { amounts } : {}) };
}

function item(sku: string, qty: number | null, price: string | null | undefined, ord = 0): IndexedStoreItem {
  return storeItem(sku, qty, { ord, productId: ord + 1, ...(price === undefined ? {} : { price }) });
}

function plan(records: SnapshotRecord[], store: IndexedStoreItem[], sources = ['feed'], withPrices = true) {
  const r = rules();
  const supply = new SupplyAggregator(sources, r);
  records.forEach((rec) => supply.add(rec));
  return diffStore(supply, store, r, store.length, undefined, undefined, withPrices ? extras : {});
}

describe('price planning', () => {
  it('writes the price with the stock in one change, and a price-only change keeps from === to', () => {
    const result = plan(
      [row('feed', 'A', 5, { cost: 1000 }), row('feed', 'B', 3, { cost: 1000 }), row('feed', 'C', 4, { cost: 1000 })],
      [item('A', 2, '12.00', 0), item('B', 3, '12.00', 1), item('C', 4, '13.99', 2)],
    );
    expect(result.changes.map((c) => [c.sku, c.from, c.to, c.price, c.reason])).toEqual([
      ['A', 2, 5, { from: '12.00', to: '13.99' }, 'supplier; price 12.00 → 13.99 (markup, round)'],
      ['B', 3, 3, { from: '12.00', to: '13.99' }, 'price 12.00 → 13.99 (markup, round)'],
    ]);
    expect(result.counts).toMatchObject({ changed: 2, unchanged: 1 });
    expect(result.prices).toEqual({ priced: 3, large: 0 });
  });

  it('plans no price when prices are off, when the store did not report prices, or when the feed has no basis', () => {
    expect(plan([row('feed', 'A', 5, { cost: 1000 })], [item('A', 5, '1.00')], ['feed'], false).changes).toEqual([]);
    expect(plan([row('feed', 'A', 5, { cost: 1000 })], [item('A', 5, undefined)]).changes).toEqual([]);
    const noBasis = plan([row('feed', 'A', 5, { msrp: 2000 })], [item('A', 5, '1.00')]);
    expect(noBasis.changes).toEqual([]);
    expect(noBasis.errors).toEqual([]);
  });

  it('reports a floor above the MSRP once, writes the stock and no price', () => {
    const result = plan([row('feed', 'A', 5, { cost: 1000, map: 1500, msrp: 1400 })], [item('A', 1, '14.00')]);
    expect(result.changes.map((c) => [c.sku, c.to, c.price])).toEqual([['A', 5, undefined]]);
    expect(result.errors).toEqual([{ sku: 'A', source: 'feed', message: 'price not written: the floor 15.00 (10% margin on cost 10.00 → 11.12, MAP 15.00) is above the MSRP 14.00' }]);
  });

  it('a store item without a price gets one (from: null)', () => {
    const result = plan([row('feed', 'A', 5, { cost: 1000 })], [item('A', 5, null)]);
    expect(result.changes[0]).toMatchObject({ from: 5, to: 5, price: { from: null, to: '13.99' }, reason: 'price none → 13.99 (markup, round)' });
  });

  it('takes every amount from the first source in config order that gives any (never mixed across suppliers)', () => {
    const records = [row('b', 'A', 2, { cost: 500, msrp: 600 }), row('a', 'A', 3, { cost: 1000 })];
    const result = plan(records, [item('A', 0, '1.00')], ['a', 'b']);
    // a's cost 10.00 → 13.99; b's MSRP 6.00 is not applied to a's cost.
    expect(result.changes[0]).toMatchObject({ to: 5, price: { from: '1.00', to: '13.99' } });
    const onlyB = plan([row('b', 'A', 2, { cost: 500, msrp: 600 }), row('a', 'A', 3)], [item('A', 0, '1.00')], ['a', 'b']);
    expect(onlyB.changes[0]).toMatchObject({ price: { from: '1.00', to: '6.00' } });
  });

  it('no price for an item left unchanged for its stock (a rejected row)', () => {
    const records: SnapshotRecord[] = [row('feed', 'A', 5, { cost: 1000 }), { kind: 'rejected', source: 'feed', row: 3, sku: 'A', reason: 'cost: negative amount ("-1")' }];
    expect(plan(records, [item('A', 1, '1.00')]).changes).toEqual([]);
  });
});

describe('the price-change gate (safety.maxPriceChangeRatio)', () => {
  const safety = Safety.parse({});

  it('counts prices changing by more than prices.maxChangeRatio among priced items, and trips above the limit', () => {
    // 3 of 4 priced items move by more than 30 % (12.00 → 13.99 is +16.6 %: not large).
    const store = [item('A', 5, '1.00', 0), item('B', 5, null, 1), item('C', 5, '30.00', 2), item('D', 5, '12.00', 3)];
    const result = plan(['A', 'B', 'C', 'D'].map((sku) => row('feed', sku, 5, { cost: 1000 })), store);
    expect(result.prices).toEqual({ priced: 4, large: 3 });
    const report = evaluatePriceGate(evaluateSafety(result.counts, result.newZeros, safety, false, result.stock), result.prices!, {
      maxPriceChangeRatio: safety.maxPriceChangeRatio, maxChangeRatio: 0.3,
    });
    expect(report.tripped).toBe('maxPriceChangeRatio');
    expect(report.priceChangeRatio).toBe(0.75);
    expect(report.message).toBe('safety gate maxPriceChangeRatio tripped: the plan would change the price of 75% of priced items (3 of 4) by more than 30% (prices.maxChangeRatio), limit 20%; nothing was written. If the prices are right, re-run with --force.');
  });

  it('stays open at or below the limit, keeps a stock gate\'s verdict, and --force marks it forced', () => {
    const open = evaluatePriceGate({ missingRatio: 0, zeroRatio: 0, tripped: null }, { priced: 5, large: 1 }, { maxPriceChangeRatio: 0.2, maxChangeRatio: 0.3 });
    expect(open).toMatchObject({ tripped: null, priceChangeRatio: 0.2 });
    const stock = evaluatePriceGate({ missingRatio: 0.9, zeroRatio: 0, tripped: 'maxMissingRatio', message: 'm' }, { priced: 1, large: 1 }, { maxPriceChangeRatio: 0.2, maxChangeRatio: 0.3 });
    expect(stock).toMatchObject({ tripped: 'maxMissingRatio', message: 'm' });
    const forced = evaluatePriceGate({ missingRatio: 0, zeroRatio: 0, tripped: null }, { priced: 1, large: 1 }, { maxPriceChangeRatio: 0.2, maxChangeRatio: 0.3 }, true);
    expect(forced).toMatchObject({ tripped: 'maxPriceChangeRatio', forced: true });
    expect(evaluatePriceGate({ missingRatio: 0, zeroRatio: 0, tripped: null }, { priced: 0, large: 0 }, { maxPriceChangeRatio: 0.2, maxChangeRatio: 0.3 }).tripped).toBeNull();
  });
});
