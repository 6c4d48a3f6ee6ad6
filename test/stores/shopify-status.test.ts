/**
 * SPEC §14 `rules.status` "hide" on Shopify: a product is hidden with `status: DRAFT`, which
 * takes every variant of it off sale, so only when every variant of the product is hidden in the
 * same batch. Against the fake Admin GraphQL API (product status, productUpdate, ProductStatus
 * enum, write_products scope).
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ShopifyStoreConfig } from '../../src/config/schema.js';
import { HttpError, StoreError } from '../../src/domain/errors.js';
import type { Change, StatusAction, StoreItem } from '../../src/domain/types.js';
import { createShopifyStore } from '../../src/stores/shopify/index.js';
import { changeFor, collect, toBatches } from '../contracts/store-contract.js';
import { ALL_SCOPES, DEFAULT_SHOPIFY_TOKEN, startShopifyFake, type ShopifyFake, type ShopifyFakeOptions } from '../fakes/shopify.js';

beforeAll(() => {
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

const FAST_BUCKET = { maximumAvailable: 2000, restoreRate: 20_000 };
const HIDE: StatusAction = { to: 'hide', set: { status: 'DRAFT' }, from: { status: 'ACTIVE' } };
const RESTORE: StatusAction = { to: 'restore', of: 'hide', set: { status: 'ACTIVE' }, from: { status: 'DRAFT' }, alone: true };

let fake: ShopifyFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: ShopifyFakeOptions = {}, overrides: Partial<ShopifyStoreConfig> = {}) {
  fake = await startShopifyFake({ bucket: FAST_BUCKET, ...options });
  const config: ShopifyStoreConfig = {
    type: 'shopify', url: fake.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: fake.locationId(), bulkThreshold: false, ...overrides,
  };
  return { fake, store: createShopifyStore(config) };
}

const hideTo0 = (item: StoreItem, seq: number): Change => ({ ...changeFor(item, seq, 0), statusAction: HIDE });
const bySku = (items: StoreItem[], sku: string): StoreItem => items.find((i) => i.sku === sku) as StoreItem;
const shownView = { hidden: false, outOfStock: false, values: { status: 'ACTIVE' } };
const draftView = { hidden: true, outOfStock: false, values: { status: 'DRAFT' } };

describe('shopify rules.status: product status', () => {
  it('lists the product status as each variant\'s visibility, paged and in bulk; DRAFT and ARCHIVED are hidden', async () => {
    const { fake, store } = await start({ bulk: { startDelayMs: 0 } });
    fake.seed([
      { status: 'ACTIVE', variants: [{ sku: 'A-1', title: 'S', available: 1 }, { sku: 'A-2', title: 'M', available: 2 }] },
      { status: 'DRAFT', variants: [{ sku: 'D', available: 0 }] },
      { status: 'ARCHIVED', variants: [{ sku: 'X', available: 0 }] },
    ]);
    const expected = [
      ['A-1', shownView], ['A-2', shownView], ['D', draftView], ['X', { hidden: true, outOfStock: false, values: { status: 'ARCHIVED' } }],
    ];
    expect((await collect(store.list())).map((i) => [i.sku, i.visibility])).toEqual(expected);
    const bulk = createShopifyStore({ type: 'shopify', url: fake.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: fake.locationId(), bulkThreshold: 1 });
    expect((await collect(bulk.list())).map((i) => [i.sku, i.visibility])).toEqual(expected);
    expect(fake.counters.bulkOperations).toBe(1);
  });

  it('drafts a product once when every variant of it is hidden; one that still sells keeps it ACTIVE and the hides fail naming it (the stock is written)', async () => {
    const { fake, store } = await start();
    const seeded = fake.seed([
      { title: 'All gone', variants: [{ sku: 'A-1', title: 'S', available: 3 }, { sku: 'A-2', title: 'M', available: 0 }] },
      { title: 'One sells', variants: [{ sku: 'B-1', title: 'S', available: 2 }, { sku: 'B-2', title: 'M', available: 5 }] },
    ]);
    const items = await collect(store.list());
    const changes = [
      hideTo0(bySku(items, 'A-1'), 1),
      { ...hideTo0(bySku(items, 'A-2'), 2), statusAction: { ...HIDE, alone: true } },
      hideTo0(bySku(items, 'B-1'), 3),
    ];
    const batches = toBatches(store, changes);
    // One batch per product with hides: a product is never split between two writes.
    expect(batches.map((b) => b.map((c) => c.sku))).toEqual([['A-1', 'A-2'], ['B-1']]);
    const failed = [];
    for (const batch of batches) failed.push(...(await store.apply(batch)).failed);
    const b2 = `gid://shopify/ProductVariant/${seeded[3]!.id}`;
    expect(failed).toEqual([{
      seq: 3,
      message: `not hidden: variant ${b2} of product gid://shopify/Product/${seeded[2]!.productId} still sells or is not in this run's plan; Shopify hides a whole product (status DRAFT), so only when every variant of it qualifies (the stock was written)`,
    }]);
    expect([fake.productStatusOf('A-1'), fake.productStatusOf('B-1')]).toEqual(['DRAFT', 'ACTIVE']);
    expect([fake.stockOf('A-1'), fake.stockOf('A-2'), fake.stockOf('B-1'), fake.stockOf('B-2')]).toEqual([0, 0, 0, 5]);
    expect(fake.counters.productUpdates).toBe(1);

    // Read-back shows the status the store has now.
    const read = await store.read(changes);
    expect([read.get(1)?.visibility, read.get(2)?.visibility, read.get(3)?.visibility]).toEqual([draftView, draftView, shownView]);
  });

  it('a hide of part of a product (a plan window) is refused even when the rest of it is at 0', async () => {
    const { fake, store } = await start();
    fake.seed({ variants: [{ sku: 'W-1', title: 'S', available: 1 }, { sku: 'W-2', title: 'M', available: 0 }] });
    const items = await collect(store.list());
    const result = await store.apply([hideTo0(bySku(items, 'W-1'), 1)]);
    expect(result.failed[0]?.message).toMatch(/^not hidden: variant gid:\/\/shopify\/ProductVariant\/\d+ of product gid:\/\/shopify\/Product\/\d+ still sells or is not in this run's plan/);
    expect([fake.productStatusOf('W-1'), fake.stockOf('W-1'), fake.counters.productUpdates]).toEqual(['ACTIVE', 0, 0]);
  });

  it('restore writes back the replaced status (once per product) and reads it back', async () => {
    const { fake, store } = await start();
    fake.seed([
      { status: 'DRAFT', variants: [{ sku: 'R-1', title: 'S', available: 0 }, { sku: 'R-2', title: 'M', available: 0 }] },
      { status: 'DRAFT', variants: [{ sku: 'S', available: 0 }] },
    ]);
    const items = await collect(store.list());
    const changes: Change[] = [
      { ...changeFor(bySku(items, 'R-1'), 1, 4), statusAction: { ...RESTORE, alone: false } },
      { ...changeFor(bySku(items, 'R-2'), 2, 0), statusAction: RESTORE },
      { ...changeFor(bySku(items, 'S'), 3, 0), statusAction: RESTORE },
    ];
    const batches = toBatches(store, changes);
    expect(batches).toHaveLength(1);
    expect((await store.apply(batches[0]!)).failed).toEqual([]);
    expect([fake.productStatusOf('R-1'), fake.productStatusOf('S'), fake.stockOf('R-1'), fake.stockOf('R-2')]).toEqual(['ACTIVE', 'ACTIVE', 4, 0]);
    expect(fake.counters.productUpdates).toBe(2);
    expect([...(await store.read(changes)).values()].map((r) => r.visibility)).toEqual([shownView, shownView, shownView]);
  });

  it('the fake refuses what Shopify refuses: a status outside ProductStatus, and productUpdate without write_products', async () => {
    const { fake, store } = await start();
    fake.seed({ variants: [{ sku: 'E', available: 1 }] });
    const [item] = await collect(store.list());
    const bad = await store.apply([{ ...changeFor(item!, 1, 0), statusAction: { to: 'hide', set: { status: 'HIDDEN' }, from: { status: 'ACTIVE' } } }]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(StoreError);
    expect((bad as Error).message).toContain('Expected "HIDDEN" to be one of: ACTIVE, ARCHIVED, DRAFT');
    expect(fake.productStatusOf('E')).toBe('ACTIVE');
    await fake.close();

    const { fake: noScope, store: limited } = await start({ scopes: ALL_SCOPES.filter((s) => s !== 'write_products') });
    noScope.seed({ variants: [{ sku: 'F', available: 1 }] });
    const [f] = await collect(limited.list());
    const err = await limited.apply([hideTo0(f!, 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as Error).message).toContain('write_products');
    expect(noScope.productStatusOf('F')).toBe('ACTIVE');
  });

  it('extra write requests per 1,000 hidden variants (100 products of 10): one productUpdate per product, and a stock batch per product', async () => {
    const { fake, store } = await start();
    fake.seed(Array.from({ length: 100 }, (_, p) => ({ variants: Array.from({ length: 10 }, (_, v) => ({ sku: `P${p}-${v}`, title: `V${v}`, available: 1 })) })));
    const items = await collect(store.list());
    const changes = items.map((item, i) => hideTo0(item, i + 1));
    const before = fake.counters.writeRequests;
    for (const batch of toBatches(store, changes)) expect((await store.apply(batch)).failed).toEqual([]);
    expect([fake.counters.productUpdates, fake.counters.setCalls, fake.counters.writeRequests - before]).toEqual([100, 100, 200]);
    expect(fake.productStatusOf('P99-9')).toBe('DRAFT');
  });
});
