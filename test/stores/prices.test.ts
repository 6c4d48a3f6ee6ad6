/**
 * SPEC §14 `prices` per store, on the fakes: the price is listed, written (with the stock in the
 * same request where the API allows it; request counts prove it), read back, and refused by the
 * fake where the real API refuses it. The last block measures the extra write requests price sync
 * adds per 1,000 changes (printed; the report's table).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { BigCommerceStoreConfig, WooCommerceStoreConfig } from '../../src/config/schema.js';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { createBigCommerceStore } from '../../src/stores/bigcommerce/index.js';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { startBigCommerceFake, type BcFake } from '../fakes/bigcommerce.js';
import { DEFAULT_WOO_KEY, startWooEmulator, wooRequest, type WooEmulator, type WooSeedProduct } from '../fakes/woocommerce.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});

async function woo(products: WooSeedProduct[]): Promise<{ emu: WooEmulator; store: StoreAdapter }> {
  const emu = await startWooEmulator({ products });
  closers.push(() => emu.close());
  const config: WooCommerceStoreConfig = { type: 'woocommerce', url: emu.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret };
  return { emu, store: createWooCommerceStore(config) };
}

async function bc(products: Parameters<BcFake['seed']>[0]): Promise<{ fake: BcFake; store: StoreAdapter }> {
  const fake = await startBigCommerceFake({ products });
  closers.push(() => fake.close());
  const config: BigCommerceStoreConfig = { type: 'bigcommerce', url: fake.url, storeHash: fake.storeHash, accessToken: fake.token, locationId: 1 };
  return { fake, store: createBigCommerceStore(config) };
}

async function list(store: StoreAdapter): Promise<StoreItem[]> {
  const out: StoreItem[] = [];
  for await (const i of store.list()) out.push(i);
  return out;
}

/** A change per item: stock +1 on even positions (odd ones price-only), price 20.00 + position. */
function changesFor(items: StoreItem[]): Change[] {
  return items.map((item, seq) => {
    const from = item.qty ?? 0;
    const to = seq % 2 === 0 ? from + 1 : from;
    return { seq, sku: item.sku, productId: item.productId, variationId: item.variationId, from, to, ...(item.ref ? { ref: item.ref } : {}), price: { from: item.price ?? null, to: `${20 + seq}.99` } };
  });
}

function batches(store: StoreAdapter, changes: Change[]): Change[][] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) groups.set(store.batchKey(c), [...(groups.get(store.batchKey(c)) ?? []), c]);
  const out: Change[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += store.limits.maxBatch) out.push(g.slice(i, i + store.limits.maxBatch));
  return out;
}

describe('WooCommerce: regular_price in the same batch as the stock', () => {
  it('lists prices, writes price and stock in one request per batch, and reads the price back', async () => {
    const { emu, store } = await woo([
      { sku: 'A', stock_quantity: 1, regular_price: '9.5' },
      { sku: 'B', stock_quantity: 2 },
      { type: 'variable', sku: 'V', variations: [{ sku: 'V-1', stock_quantity: 3, regular_price: '5.00' }] },
    ]);
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['B', null], ['V-1', '5.00']]);
    const changes = changesFor(items);
    const before = emu.writeRequests();
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    // Two batch keys (products, one parent's variations): two requests, price included.
    expect(emu.writeRequests() - before).toBe(2);
    expect([...emu.priceBySku()]).toEqual([['A', '20.99'], ['B', '21.99'], ['V-1', '22.99']]);
    expect([...emu.stockBySku()]).toEqual([['A', 2], ['B', 2], ['V-1', 4]]);
    const seen = await store.read(changes);
    expect(changes.map((c) => seen.get(c.seq)?.price)).toEqual(['20.99', '21.99', '22.99']);
  });

  it('a price-only change sends no stock fields: a sale made since the fetch is not overwritten', async () => {
    const { emu, store } = await woo([{ sku: 'A', stock_quantity: 5, regular_price: '1.00' }]);
    const [item] = await list(store);
    emu.placeOrder({ line_items: [{ product_id: Number(item!.productId), quantity: 2 }] });
    const change: Change = { seq: 0, sku: 'A', productId: item!.productId, variationId: null, from: 5, to: 5, price: { from: '1.00', to: '2.99' } };
    expect(await store.apply([change])).toEqual({ failed: [] });
    expect(emu.priceBySku().get('A')).toBe('2.99');
    expect(emu.stockBySku().get('A')).toBe(3);
  });

  it('the emulator refuses a number as regular_price, like WooCommerce (400 rest_invalid_param per item)', async () => {
    const { emu } = await woo([{ sku: 'A', stock_quantity: 5, regular_price: '1.00' }]);
    const id = emu.items()[0]!.id;
    const res = await wooRequest(emu, { method: 'POST', path: 'products/batch', body: { update: [{ id, regular_price: 12.99 }] } });
    const body = res.body as { update: Array<{ id: number; error?: { code: string; message: string; data: { status: number } } }> };
    expect(body.update[0]?.error).toMatchObject({ code: 'rest_invalid_param', message: 'Invalid parameter(s): regular_price', data: { status: 400 } });
    expect(emu.priceBySku().get('A')).toBe('1.00');
  });
});

describe('BigCommerce: price via the catalog, beside the Inventory API stock', () => {
  it('lists prices (a variant\'s own, else its product\'s), writes them, and reads them back', async () => {
    const { fake, store } = await bc([
      { sku: 'S', stock: 1, price: 9.5 },
      { sku: 'P', tracking: 'variant', price: 30, variants: [{ sku: 'P-1', stock: 2 }, { sku: 'P-2', stock: 3, price: 31 }] },
    ]);
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['S', '9.50'], ['P-1', '30.00'], ['P-2', '31.00']]);
    const changes = changesFor(items);
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    // One adjustment (stock of S and P-2; P-1 is price-only), one variants PUT, one products PUT.
    expect(fake.adjustments.length).toBe(1);
    expect(fake.adjustments[0]!.items.length).toBe(2);
    expect(fake.catalogWrites()).toEqual({ products: 1, variants: 1 });
    expect([...fake.priceBySku()].sort()).toEqual([['P', 30], ['P-1', 21.99], ['P-2', 22.99], ['S', 20.99]]);
    const seen = await store.read(changes);
    expect(changes.map((c) => [c.sku, seen.get(c.seq)?.price])).toEqual([['S', '20.99'], ['P-1', '21.99'], ['P-2', '22.99']]);
  });

  it('the fake refuses a string price like the API (422), failing those items with the reason', async () => {
    const { fake } = await bc([{ sku: 'S', stock: 1 }]);
    const res = await fetch(`${fake.url}/stores/${fake.storeHash}/v3/catalog/products`, {
      method: 'PUT', headers: { 'x-auth-token': fake.token, 'content-type': 'application/json' }, body: JSON.stringify([{ id: 100, price: '12.99' }]),
    });
    expect(res.status).toBe(422);
    expect(fake.priceBySku().get('S')).toBe(10);
  });
});

describe('extra write requests per 1,000 changes that price sync adds (measured on the fakes)', () => {
  it('WooCommerce: 0 (regular_price rides in the stock batch); BigCommerce: 20 per 1,000 variants, 100 per 1,000 products without options', async () => {
    const n = 1000;
    const { emu, store } = await woo(Array.from({ length: n }, (_, i) => ({ sku: `W-${i}`, stock_quantity: 1, regular_price: '1.00' })));
    const items = await list(store);
    const stockOnly = items.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: 1, to: 2 }));
    let before = emu.writeRequests();
    for (const b of batches(store, stockOnly)) await store.apply(b);
    const wooStock = emu.writeRequests() - before;
    const withPrice = items.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: 2, to: 3, price: { from: '1.00', to: '2.99' } }));
    before = emu.writeRequests();
    for (const b of batches(store, withPrice)) await store.apply(b);
    const wooBoth = emu.writeRequests() - before;
    expect(wooStock).toBe(10);
    expect(wooBoth).toBe(10);

    const { fake, store: bcStore } = await bc([{ sku: 'P', tracking: 'variant', variants: Array.from({ length: n }, (_, i) => ({ sku: `B-${i}`, stock: 1 })) }]);
    const bcItems = await list(bcStore);
    const bcChanges = bcItems.map((item, seq): Change => ({
      seq, sku: item.sku, productId: item.productId, variationId: item.variationId, from: 1, to: 2, ...(item.ref ? { ref: item.ref } : {}), price: { from: '10.00', to: '2.99' },
    }));
    const adjBefore = fake.adjustments.length;
    for (const b of batches(bcStore, bcChanges)) await bcStore.apply(b);
    const bcCatalog = fake.catalogWrites();
    expect(fake.adjustments.length - adjBefore).toBe(1);
    expect(bcCatalog.variants).toBe(20);

    // Products without options take their price on the product: 10 a request.
    const { fake: simple, store: simpleStore } = await bc(Array.from({ length: n }, (_, i) => ({ sku: `S-${i}`, stock: 1 })));
    const simpleChanges = (await list(simpleStore)).map((item, seq): Change => ({
      seq, sku: item.sku, productId: item.productId, variationId: null, from: 1, to: 2, ...(item.ref ? { ref: item.ref } : {}), price: { from: '10.00', to: '2.99' },
    }));
    for (const b of batches(simpleStore, simpleChanges)) await simpleStore.apply(b);
    expect(simple.catalogWrites().products).toBe(100);
    // eslint-disable-next-line no-console
    console.log(`extra write requests per ${n} changes with prices: woocommerce ${wooBoth - wooStock} (stock alone ${wooStock}, with prices ${wooBoth}); `
      + `bigcommerce variants ${bcCatalog.variants} (stock adjustments ${fake.adjustments.length - adjBefore}); `
      + `bigcommerce products without options ${simple.catalogWrites().products} (stock adjustments ${simple.adjustments.length})`);
  });
});
