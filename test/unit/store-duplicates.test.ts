import { describe, expect, it } from '@jest/globals';
import type { StoreItem } from '../../src/domain/types.js';
import { openDb } from '../../src/state/db.js';
import { findDuplicateStoreSkus } from '../../src/state/store-duplicates.js';
import { indexStore } from '../helpers/store-index.js';
import { tempDir } from '../helpers/cli.js';

async function indexOf(items: Array<Partial<StoreItem> & { sku: string }>) {
  const db = openDb(tempDir());
  async function* list(): AsyncIterable<StoreItem> {
    let id = 1;
    for (const i of items) yield { productId: id++, variationId: null, qty: 1, managed: true, ...i };
  }
  await indexStore(db, 'test', list());
  return db;
}

describe('duplicate store SKUs, found in SQLite over the whole index', () => {
  it('finds keys held by several items with the same key rules as match (trim, case, NFKC, zero-width)', async () => {
    const db = await indexOf([
      { sku: 'W-1' }, { sku: 'UNIQUE' }, { sku: 'w-1 ' }, { sku: 'CAF\u00c9' }, { sku: 'CAFE\u0301' },
      { sku: 'AB\u200bC', productId: 40, variationId: 41 }, { sku: 'abc', productId: 40, variationId: 42 }, { sku: '' }, { sku: '  ' },
    ]);
    const dups = findDuplicateStoreSkus(db, false);
    expect([...dups]).toEqual([
      ['abc', { count: 2, holders: [{ productId: 40, variationId: 41 }, { productId: 40, variationId: 42 }] }],
      ['café', { count: 2, holders: [{ productId: 4, variationId: null }, { productId: 5, variationId: null }] }],
      ['w-1', { count: 2, holders: [{ productId: 1, variationId: null }, { productId: 3, variationId: null }] }],
    ]);
    expect([...findDuplicateStoreSkus(db, true).keys()]).toEqual(['CAFÉ']);
    db.close();
  });

  it('holds only the first ten holders of a key, with the full count', async () => {
    const db = await indexOf(Array.from({ length: 25 }, () => ({ sku: 'SAME' })));
    const dup = findDuplicateStoreSkus(db, false).get('same')!;
    expect(dup.count).toBe(25);
    expect(dup.holders.map((h) => h.productId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    db.close();
  });

  it('keeps string ids (GraphQL stores) as strings', async () => {
    const db = await indexOf([{ sku: 'G', productId: 'gid://shopify/Product/1', variationId: 'gid://shopify/ProductVariant/2' }, { sku: 'g', productId: 'p2', variationId: null }]);
    expect(findDuplicateStoreSkus(db, false).get('g')!.holders).toEqual([
      { productId: 'gid://shopify/Product/1', variationId: 'gid://shopify/ProductVariant/2' }, { productId: 'p2', variationId: null },
    ]);
    db.close();
  });

  it('an index without duplicates yields an empty map', async () => {
    const db = await indexOf([{ sku: 'A' }, { sku: 'B' }]);
    expect(findDuplicateStoreSkus(db, false).size).toBe(0);
    db.close();
  });
});
