/**
 * SPEC §10: listings fulfilled by Amazon are in the store index but never written, never missing,
 * and reported as "fulfilled by Amazon" — also across the store index (the reason survives a fetch).
 */
import { describe, expect, it } from '@jest/globals';
import { openDb } from '../../src/state/db.js';
import { iterateStoreItems, stageStoreIndex } from '../../src/state/store-index.js';
import { diffStore, evaluateSafety, SupplyAggregator } from '../../src/pipeline/match.js';
import type { IndexedStoreItem, StoreItem } from '../../src/domain/types.js';
import { feed, rules, storeItem } from '../helpers/builders.js';
import { tempDir } from '../helpers/cli.js';

const FBA = 'fulfilled by Amazon';

function diff(items: IndexedStoreItem[], records = feed('feed', [['MFN-1', 5]]), r = rules()) {
  const supply = new SupplyAggregator(['feed'], r);
  records.forEach((rec) => supply.add(rec));
  return diffStore(supply, items, r, items.length);
}

describe('items the store lists but invsync never writes (Amazon FBA)', () => {
  const store = [
    storeItem('MFN-1', 1, { ord: 0, productId: 'MFN-1' }),
    storeItem('FBA-1', null, { ord: 1, productId: 'FBA-1', managed: true, notWritten: FBA }),
    storeItem('FBA-2', null, { ord: 2, productId: 'FBA-2', managed: true, notWritten: FBA }),
  ];

  it('are never planned, even when a feed lists them or missing is "zero"', () => {
    const result = diff(store, feed('feed', [['MFN-1', 5], ['FBA-1', 9]]), rules({ missing: 'zero' }));
    expect(result.changes.map((c) => [c.sku, c.to])).toEqual([['MFN-1', 5]]);
  });

  it('are not missing and not in scope: the missing-ratio gate does not see them', () => {
    const result = diff(store);
    expect(result.counts).toMatchObject({ storeItems: 3, inScope: 1, matched: 1, missing: 0, changed: 1 });
    expect(result.counts.notWritten).toEqual({ [FBA]: 2 });
    expect(evaluateSafety(result.counts, result.newZeros, { maxMissingRatio: 0.3, maxZeroRatio: 0.5 }).tripped).toBeNull();
  });

  it('other stores\' counts carry no notWritten key', () => {
    expect(diff([storeItem('MFN-1', 1)]).counts.notWritten).toBeUndefined();
  });

  it('keep their reason through the store index', async () => {
    const db = openDb(tempDir());
    const items: StoreItem[] = [
      { sku: 'MFN-1', productId: 'MFN-1', variationId: null, qty: 1, managed: true },
      { sku: 'FBA-1', productId: 'FBA-1', variationId: null, qty: null, managed: true, notWritten: FBA },
    ];
    async function* listing() { yield* items; }
    (await stageStoreIndex(db, { store: 'amazon', fetchId: 'f1' }, listing())).commit();
    expect([...iterateStoreItems(db)].map((i) => [i.sku, i.notWritten])).toEqual([['MFN-1', undefined], ['FBA-1', FBA]]);
    db.close();
  });
});
