/**
 * SPEC §12 on Shopify: a placed, unfulfilled order moves units from `available` (which invsync
 * writes) to `committed`; the listing reads `committed` beside `available`, in pages and in the
 * bulk operation alike, at no extra request.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ShopifyStoreConfig } from '../../src/config/schema.js';
import { createShopifyStore } from '../../src/stores/shopify/index.js';
import { collect } from '../contracts/store-contract.js';
import { DEFAULT_SHOPIFY_TOKEN, startShopifyFake, type ShopifyFake } from '../fakes/shopify.js';

beforeAll(() => { process.env.INVSYNC_RETRY_BASE_MS = '20'; });

let fake: ShopifyFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const FAST_BUCKET = { maximumAvailable: 2000, restoreRate: 20_000 };

function configFor(f: ShopifyFake, overrides: Partial<ShopifyStoreConfig> = {}): ShopifyStoreConfig {
  return { type: 'shopify', url: f.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: f.locationId(), ...overrides };
}

async function shopWithSales(): Promise<ShopifyFake> {
  const f = await startShopifyFake({ bucket: FAST_BUCKET });
  f.seed({ title: 'Mug', variants: [{ sku: 'MUG', available: 4 }] });
  f.seed({ title: 'Shirt', variants: [{ sku: 'SHIRT-S', title: 'S', available: 3 }, { sku: 'SHIRT-M', title: 'M', available: 2 }] });
  f.seed({ title: 'Gift card', variants: [{ sku: 'GIFT', available: 9, tracked: false }] });
  // Two orders: MUG ×1 + SHIRT-S ×2 (multi-line, a variant), then MUG ×1 again; nothing on SHIRT-M.
  f.sell('MUG', 1);
  f.sell('SHIRT-S', 2);
  f.sell('MUG', 1);
  return f;
}

describe('Shopify committed quantity (SPEC §12)', () => {
  it('a sale moves units from available to committed, which the paged listing reports as held', async () => {
    fake = await shopWithSales();
    expect(fake.availableOf('MUG')).toBe(2);
    const items = await collect(createShopifyStore(configFor(fake, { bulkThreshold: false })).list());
    expect(items.map((i) => [i.sku, i.qty, i.held])).toEqual([['MUG', 2, 2], ['SHIRT-S', 1, 2], ['SHIRT-M', 2, undefined], ['GIFT', null, undefined]]);
    // No request beyond the listing's own pages.
    expect(fake.requests.map((r) => r.operation)).toEqual(['InvsyncVariants']);
  });

  it('the bulk listing reads committed too', async () => {
    fake = await shopWithSales();
    const items = await collect(createShopifyStore(configFor(fake, { bulkThreshold: 1 })).list());
    expect(fake.counters.bulkOperations).toBe(1);
    expect(items.map((i) => [i.sku, i.qty, i.held])).toEqual([['MUG', 2, 2], ['SHIRT-S', 1, 2], ['SHIRT-M', 2, undefined], ['GIFT', null, undefined]]);
  });
});
