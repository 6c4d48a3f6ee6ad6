/**
 * SPEC §14 `prices` per store, on the fakes: the price is listed, written (with the stock in the
 * same request where the API allows it; request counts prove it), read back, and refused by the
 * fake where the real API refuses it. The last block measures the extra write requests price sync
 * adds per 1,000 changes (printed; the report's table).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { BigCommerceStoreConfig, Magento2StoreConfig, MedusaStoreConfig, Shift4ShopStoreConfig, ShopifyStoreConfig, VendureStoreConfig, WooCommerceStoreConfig } from '../../src/config/schema.js';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { createBigCommerceStore } from '../../src/stores/bigcommerce/index.js';
import { createShopifyStore } from '../../src/stores/shopify/index.js';
import { createVendureStore } from '../../src/stores/vendure/index.js';
import { createMedusaStore } from '../../src/stores/medusa/index.js';
import { createMagento2Store } from '../../src/stores/magento2/index.js';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';
import { createShift4ShopStore } from '../../src/stores/shift4shop/index.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { rollbackDecision, rollbackProbe } from '../../src/pipeline/rollback.js';
import { startBigCommerceFake, type BcFake } from '../fakes/bigcommerce.js';
import { magentoRequest, startMagentoFake, type MagentoFake, type MagentoFakeOptions } from '../fakes/magento2.js';
import { startMedusaFake, type MedusaFake, type MedusaFakeOptions } from '../fakes/medusa.js';
import { startVendureFake, type VendureFake, type VendureFakeOptions } from '../fakes/vendure.js';
import { DEFAULT_SHOPIFY_TOKEN, startShopifyFake, type SeedProduct, type ShopifyFake } from '../fakes/shopify.js';
import { s4sRequest, startShift4ShopFake, type S4sFake, type S4sSeedProduct } from '../fakes/shift4shop.js';
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

async function shopify(products: SeedProduct[], overrides: Partial<ShopifyStoreConfig> = {}): Promise<{ fake: ShopifyFake; store: StoreAdapter }> {
  const fake = await startShopifyFake({ bucket: { maximumAvailable: 2000, restoreRate: 20_000 } });
  closers.push(() => fake.close());
  fake.seed(products);
  const config: ShopifyStoreConfig = { type: 'shopify', url: fake.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: fake.locationId(), bulkThreshold: false, ...overrides };
  return { fake, store: createShopifyStore(config) };
}

async function vendure(options: VendureFakeOptions): Promise<{ fake: VendureFake; store: StoreAdapter }> {
  const fake = await startVendureFake(options);
  closers.push(() => fake.close());
  const config: VendureStoreConfig = { type: 'vendure', url: fake.url, username: fake.username, password: fake.password };
  return { fake, store: createVendureStore(config) };
}

async function medusa(options: MedusaFakeOptions, currency?: string): Promise<{ fake: MedusaFake; store: StoreAdapter }> {
  const fake = await startMedusaFake(options);
  closers.push(() => fake.close());
  const config: MedusaStoreConfig = { type: 'medusa', url: fake.url, email: fake.email, password: fake.password, locationId: fake.locationId, ...(currency ? { currency } : {}) };
  return { fake, store: createMedusaStore(config) };
}

async function magento(options: MagentoFakeOptions, overrides: Partial<Magento2StoreConfig> = {}): Promise<{ fake: MagentoFake; store: StoreAdapter }> {
  const fake = await startMagentoFake(options);
  closers.push(() => fake.close());
  const config: Magento2StoreConfig = { type: 'magento2', url: fake.url, token: fake.token, msi: true, sourceCode: 'default', ...overrides };
  return { fake, store: createMagento2Store(config) };
}

async function s4s(products: S4sSeedProduct[]): Promise<{ fake: S4sFake; store: StoreAdapter }> {
  const fake = await startShift4ShopFake({ products });
  closers.push(() => fake.close());
  const config: Shift4ShopStoreConfig = { type: 'shift4shop', url: fake.apiUrl, ...fake.credentials, rateLimit: { perSecond: 1000 } };
  return { fake, store: createShift4ShopStore(config) };
}

/** POST requests a Medusa fake answered 200 on paths matching `re`. */
function medusaPosts(fake: MedusaFake, re: RegExp): number {
  return fake.requests.filter((r) => r.method === 'POST' && r.status === 200 && re.test(r.path)).length;
}

/** The GraphQL mutations a Shopify fake received, by operation name. */
function mutations(fake: ShopifyFake, operation: string): number {
  return fake.requests.filter((r) => r.mutation && r.operation === operation && r.status === 200).length;
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

describe('Shopify: productVariantsBulkUpdate, one request per product, beside inventorySetQuantities', () => {
  it('lists prices (paged and bulk), writes them per product, keeps stock in one set mutation, and reads them back', async () => {
    const seed: SeedProduct[] = [
      { title: 'Simple', variants: [{ sku: 'A', available: 1, price: '9.5' }] },
      { title: 'Shirt', variants: [{ sku: 'S-1', title: 'S', available: 2, price: '5.00' }, { sku: 'S-2', title: 'M', available: 3 }] },
    ];
    const { fake, store } = await shopify(seed);
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['S-1', '5.00'], ['S-2', '10.00']]);
    const { store: bulkStore } = await shopify(seed, { bulkThreshold: 1 });
    expect((await list(bulkStore)).map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['S-1', '5.00'], ['S-2', '10.00']]);

    const changes = changesFor(items);
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    // Stock of A and S-2 (S-1 is price-only) in one set mutation; prices: one request per product (2).
    expect(mutations(fake, 'InvsyncSetQuantities')).toBe(1);
    expect(fake.counters.maxQuantities).toBe(2);
    expect(fake.counters.priceUpdates).toBe(2);
    expect(['A', 'S-1', 'S-2'].map((sku) => [fake.priceOf(sku), fake.stockOf(sku)])).toEqual([['20.99', 2], ['21.99', 2], ['22.99', 4]]);
    const seen = await store.read(changes);
    expect(changes.map((c) => seen.get(c.seq)?.price)).toEqual(['20.99', '21.99', '22.99']);
    // Without the ids list() recorded (a rollback plan), the variants are looked up.
    const bare = changes.map(({ ref: _ref, ...c }) => ({ ...c, price: { from: c.price!.to, to: '7.00' }, to: c.from as number }));
    expect(await store.apply(bare)).toEqual({ failed: [] });
    expect(['A', 'S-1', 'S-2'].map((sku) => fake.priceOf(sku))).toEqual(['7.00', '7.00', '7.00']);
    expect([...(await store.read(bare)).values()].map((r) => r.price)).toEqual(['7.00', '7.00', '7.00']);
  });

  it('a price-only change writes no stock: a sale made since the fetch is not overwritten', async () => {
    const { fake, store } = await shopify([{ variants: [{ sku: 'A', available: 5, price: '1.00' }] }]);
    const [item] = await list(store);
    fake.sell('A', 2);
    const change: Change = { seq: 0, sku: 'A', productId: item!.productId, variationId: null, from: 5, to: 5, ref: item!.ref, price: { from: '1.00', to: '2.99' } };
    expect(await store.apply([change])).toEqual({ failed: [] });
    expect(mutations(fake, 'InvsyncSetQuantities')).toBe(0);
    expect([fake.priceOf('A'), fake.stockOf('A')]).toEqual(['2.99', 3]);
  });

  it('the fake refuses a negative price like Shopify (GREATER_THAN_OR_EQUAL_TO, nothing applied): the items fail with the reason', async () => {
    const { fake, store } = await shopify([{ title: 'Shirt', variants: [{ sku: 'S-1', title: 'S', available: 1, price: '5.00' }, { sku: 'S-2', title: 'M', available: 1, price: '6.00' }] }]);
    const items = await list(store);
    const changes: Change[] = items.map((item, seq) => ({ seq, sku: item.sku, productId: item.productId, variationId: item.variationId, from: 1, to: 1, ref: item.ref, price: { from: item.price ?? null, to: seq === 0 ? '-1.00' : '8.00' } }));
    const result = await store.apply(changes);
    expect(result.failed).toEqual([
      { seq: 0, message: 'price not applied: GREATER_THAN_OR_EQUAL_TO: The price of the variant must be greater than or equal to zero.' },
      { seq: 1, message: expect.stringContaining('price not applied: refused with the other variants of gid://shopify/Product/') },
    ]);
    expect([fake.priceOf('S-1'), fake.priceOf('S-2')]).toEqual(['5.00', '6.00']);
  });
});

describe('Vendure: price (Money, integer cents) in the same updateProductVariants as the stock', () => {
  it('lists prices, writes price and stock in one mutation per batch, and reads the price back', async () => {
    const { fake, store } = await vendure({ products: [{ variants: [{ sku: 'A', stock: 1, price: 950 }] }, { variants: [{ sku: 'V-1', stock: 3, price: 500 }, { sku: 'V-2', stock: 4 }] }] });
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['V-1', '5.00'], ['V-2', '10.00']]);
    const changes = changesFor(items);
    const before = fake.writeRequests();
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    expect(fake.writeRequests() - before).toBe(1);
    expect(['A', 'V-1', 'V-2'].map((sku) => [fake.priceOf(sku), fake.stockOf(sku)])).toEqual([[2099, 2], [2199, 3], [2299, 5]]);
    const seen = await store.read(changes);
    expect(changes.map((c) => seen.get(c.seq)?.price)).toEqual(['20.99', '21.99', '22.99']);
  });

  it('a channel whose prices include tax: the written (gross) price is listed and read back from priceWithTax', async () => {
    const { fake, store } = await vendure({ pricesIncludeTax: true, products: [{ variants: [{ sku: 'A', stock: 1, price: 1200 }] }] });
    const [item] = await list(store);
    expect(item!.price).toBe('12.00');
    const change: Change = { seq: 0, sku: 'A', productId: item!.productId, variationId: null, from: 1, to: 1, ref: item!.ref, price: { from: '12.00', to: '14.99' } };
    // A fresh adapter (as in a separate push run) asks the channel once before writing.
    const fresh = createVendureStore({ type: 'vendure', url: fake.url, username: fake.username, password: fake.password });
    expect(await fresh.apply([change])).toEqual({ failed: [] });
    expect(fake.priceOf('A')).toBe(1499);
    expect((await fresh.read([change])).get(0)?.price).toBe('14.99');
  });

  it('a price-only change sends no stock: a sale made since the fetch is not overwritten', async () => {
    const { fake, store } = await vendure({ products: [{ variants: [{ sku: 'A', stock: 5, price: 100 }] }] });
    const [item] = await list(store);
    fake.variants()[0]!.levels.set(1, 3);
    const change: Change = { seq: 0, sku: 'A', productId: item!.productId, variationId: null, from: 5, to: 5, ref: item!.ref, price: { from: '1.00', to: '2.99' } };
    expect(await store.apply([change])).toEqual({ failed: [] });
    expect([fake.priceOf('A'), fake.stockOf('A')]).toEqual([299, 3]);
  });

  it('the fake refuses a price that is not a number like Vendure\'s Money scalar (400 BAD_USER_INPUT), changing nothing', async () => {
    const { fake } = await vendure({ products: [{ variants: [{ sku: 'A', stock: 5, price: 100 }] }] });
    const login = await fetch(fake.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `mutation { login(username: "${fake.username}", password: "${fake.password}") { ... on CurrentUser { id } } }` }) });
    const token = login.headers.get('vendure-auth-token');
    const res = await fetch(fake.url, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'mutation($input: [UpdateProductVariantInput!]!) { updateProductVariants(input: $input) { id } }', variables: { input: [{ id: '1', price: '12.99' }] } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(fake.priceOf('A')).toBe(100);
  });
});

describe('Medusa: variant prices via variants/batch per product (the price set is replaced: the others go back)', () => {
  const usd = (amount: number) => ({ currency_code: 'usd', amount });
  const eur = (amount: number) => ({ currency_code: 'eur', amount });

  it('lists the default currency\'s price, writes per product keeping the other currencies, and reads the price back', async () => {
    const { fake, store } = await medusa({ products: [
      { variants: [{ sku: 'A', stock: 1, prices: [usd(9.5), eur(9)] }] },
      { variants: [{ sku: 'V-1', stock: 3, prices: [usd(5)] }, { sku: 'V-2', stock: 4 }] },
    ] });
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['V-1', '5.00'], ['V-2', null]]);
    const eurId = fake.pricesOf('A')!.find((p) => p.currency_code === 'eur')!.id;
    const changes = changesFor(items);
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    // One level batch (A and V-2; V-1 is price-only), one price batch per product.
    expect(medusaPosts(fake, /location-levels\/batch$/)).toBe(1);
    expect(medusaPosts(fake, /variants\/batch$/)).toBe(2);
    expect(fake.pricesOf('A')!.map((p) => [p.currency_code, p.amount])).toEqual([['usd', 20.99], ['eur', 9]]);
    expect(fake.pricesOf('A')!.find((p) => p.currency_code === 'eur')!.id).toBe(eurId);
    expect(fake.pricesOf('V-2')).toEqual([{ id: expect.any(String), currency_code: 'usd', amount: 22.99 }]);
    expect(['A', 'V-1', 'V-2'].map((sku) => fake.stockOf(sku))).toEqual([2, 3, 5]);
    const seen = await store.read(changes);
    expect(changes.map((c) => seen.get(c.seq)?.price)).toEqual(['20.99', '21.99', '22.99']);
  });

  it('store.currency picks the price written; a variant with two prices in it is refused, not guessed at', async () => {
    const { fake, store } = await medusa({ products: [
      { variants: [{ sku: 'A', stock: 1, prices: [usd(9.5), eur(9)] }] },
      { variants: [{ sku: 'B', stock: 1, prices: [eur(3), eur(2)] }] },
    ] }, 'EUR');
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.00'], ['B', undefined]]);
    const changes = items.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: 1, to: 1, ref: item.ref, price: { from: null, to: '12.00' } }));
    expect((await store.apply(changes)).failed).toEqual([{ seq: 1, message: expect.stringContaining('price not applied: the variant has 2 prices in EUR') }]);
    expect(fake.pricesOf('A')!.map((p) => [p.currency_code, p.amount])).toEqual([['usd', 9.5], ['eur', 12]]);
    expect(fake.pricesOf('B')!.map((p) => p.amount)).toEqual([3, 2]);
    expect(fake.requests.some((r) => r.path === '/admin/stores')).toBe(false);
  });

  it('a price-only change writes no stock level', async () => {
    const { fake, store } = await medusa({ products: [{ variants: [{ sku: 'A', stock: 5, prices: [usd(1)] }] }] });
    const [item] = await list(store);
    const change: Change = { seq: 0, sku: 'A', productId: item!.productId, variationId: null, from: 5, to: 5, ref: item!.ref, price: { from: '1.00', to: '2.99' } };
    expect(await store.apply([change])).toEqual({ failed: [] });
    expect(medusaPosts(fake, /location-levels\/batch$/)).toBe(0);
    expect(fake.pricesOf('A')!.map((p) => p.amount)).toEqual([2.99]);
  });

  it('the fake refuses a string amount like Medusa\'s validator (400 invalid_data), changing nothing', async () => {
    const { fake } = await medusa({ products: [{ variants: [{ sku: 'A', stock: 5, prices: [usd(1)] }] }] });
    const { token } = await (await fetch(`${fake.url}/auth/user/emailpass`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: fake.email, password: fake.password }) })).json() as { token: string };
    const product = fake.products()[0]!;
    const res = await fetch(`${fake.url}/admin/products/${product.id}/variants/batch`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ update: [{ id: product.variants[0]!.id, prices: [{ currency_code: 'usd', amount: '2.99' }] }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe('invalid_data');
    expect(fake.pricesOf('A')!.map((p) => p.amount)).toEqual([1]);
  });
});

describe('Magento 2: base-prices after the stock write, one request per batch', () => {
  it('lists prices, writes them in one base-prices request per batch beside the source-items save, and reads them back', async () => {
    const { fake, store } = await magento({ products: [
      { sku: 'A', qty: 1, price: 9.5 },
      { sku: 'C', type: 'configurable', children: [{ sku: 'C-1', qty: 3, price: 5 }, { sku: 'C-2', qty: 4 }] },
    ] });
    const items = await list(store);
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['C-1', '5.00'], ['C-2', '10.00']]);
    const changes = changesFor(items);
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    expect(fake.priceWrites()).toBe(1);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/inventory/source-items')).map((r) => r.items)).toEqual([2]);
    expect(['A', 'C-1', 'C-2'].map((sku) => [fake.bySku(sku)!.price, fake.stockBySku().get(sku)])).toEqual([[20.99, 2], [21.99, 3], [22.99, 5]]);
    const seen = await store.read(changes);
    expect(changes.map((c) => seen.get(c.seq)?.price)).toEqual(['20.99', '21.99', '22.99']);
  });

  it('without MSI: the stock item PUT, then base-prices for the item; a price-only change writes no stock', async () => {
    const { fake, store } = await magento({ msi: false, products: [{ sku: 'A', qty: 5, price: 1 }, { sku: 'B', qty: 2, price: 1 }] }, { msi: false });
    const items = await list(store);
    const [a, b] = changesFor(items);
    expect(await store.apply([a!])).toEqual({ failed: [] });
    expect(await store.apply([b!])).toEqual({ failed: [] });
    expect(fake.requests.filter((r) => r.method === 'PUT').length).toBe(1);
    expect(fake.priceWrites()).toBe(2);
    expect([fake.bySku('A')!.price, fake.bySku('B')!.price, ...fake.stockBySku().values()]).toEqual([20.99, 21.99, 6, 2]);
  });

  it('the fake refuses a negative price like Magento (200 with the failed row, the others saved): only that item fails', async () => {
    const { fake, store } = await magento({ products: [{ sku: 'A', qty: 1, price: 1 }, { sku: 'B', qty: 1, price: 1 }] });
    const items = await list(store);
    const changes = items.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: 1, to: 1, price: { from: '1.00', to: seq === 0 ? '-1.00' : '3.00' } }));
    const { failed } = await store.apply(changes);
    expect(failed).toEqual([{ seq: 0, message: expect.stringContaining('price not applied: Invalid attribute') }]);
    expect(failed[0]!.message).toContain('A');
    expect([fake.bySku('A')!.price, fake.bySku('B')!.price]).toEqual([1, 3]);
    const res = await magentoRequest(fake, 'products/base-prices', { method: 'POST', body: { prices: [{ sku: 'NOPE', price: 1, store_id: 0 }] } });
    expect([res.status, (res.body as unknown[]).length]).toEqual([200, 1]);
  });

  it('with Web API input limits on, base-prices go in chunks of the announced cap', async () => {
    const { fake, store } = await magento({ inputLimits: true, products: Array.from({ length: 45 }, (_, i) => ({ sku: `L-${i}`, qty: 1 })) });
    const items = await list(store);
    const changes = items.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: 1, to: 1, price: { from: '10.00', to: '2.99' } }));
    expect(await store.apply(changes)).toEqual({ failed: [] });
    expect(fake.priceWrites()).toBe(3);
    expect(items.every((i) => fake.bySku(i.sku)!.price === 2.99)).toBe(true);
  });
});

describe('Shift4Shop: a product\'s Price in the same PUT /Products record as its Stock', () => {
  it('lists product prices (none for advanced options), writes price and stock in one PUT per batch, and reads the price back', async () => {
    const { fake, store } = await s4s([
      { sku: 'A', stock: 1, price: 9.5 },
      { sku: 'B', stock: 2, price: 12 },
      { sku: 'V', price: 30, options: [{ sku: 'V-1', stock: 3 }] },
    ]);
    const items = await list(store);
    // An option's AdvancedOptionPrice is an adjustment on the product's price: no price listed, none planned.
    expect(items.map((i) => [i.sku, i.price])).toEqual([['A', '9.50'], ['B', '12.00'], ['V-1', undefined]]);
    const changes = changesFor(items.slice(0, 2));
    const before = fake.writeRequests();
    for (const b of batches(store, changes)) expect(await store.apply(b)).toEqual({ failed: [] });
    expect(fake.writeRequests() - before).toBe(1);
    expect([...fake.priceBySku()]).toEqual([['A', 20.99], ['B', 21.99], ['V', 30]]);
    expect([...fake.stockBySku()]).toEqual([['A', 2], ['B', 2], ['V-1', 3]]);
    const seen = await store.read(changes);
    expect(changes.map((c) => seen.get(c.seq)?.price)).toEqual(['20.99', '21.99']);
  });

  it('a price-only change sends no Stock: a sale made since the fetch is not overwritten', async () => {
    const { fake, store } = await s4s([{ sku: 'A', stock: 5, price: 1 }]);
    const [item] = await list(store);
    fake.placeOrder({ items: [{ sku: 'A', quantity: 2 }] });
    const change: Change = { seq: 0, sku: 'A', productId: item!.productId, variationId: null, from: 5, to: 5, price: { from: '1.00', to: '2.99' } };
    expect(await store.apply([change])).toEqual({ failed: [] });
    expect([fake.priceBySku().get('A'), fake.stockBySku().get('A')]).toEqual([2.99, 3]);
  });

  it('an option change carrying a price anyway: its stock is written, the price is not, and the item fails saying why', async () => {
    const { fake, store } = await s4s([{ sku: 'V', price: 30, options: [{ sku: 'V-1', stock: 3 }, { sku: 'V-2', stock: 4 }] }]);
    const [one, two] = await list(store);
    const withPrice: Change = { seq: 0, sku: 'V-1', productId: one!.productId, variationId: one!.variationId, from: 3, to: 7, price: { from: null, to: '5.00' } };
    const priceOnly: Change = { seq: 1, sku: 'V-2', productId: two!.productId, variationId: two!.variationId, from: 4, to: 4, price: { from: null, to: '5.00' } };
    const message = 'price not written: Shift4Shop option prices are adjustments to the product\'s price';
    expect(await store.apply([withPrice, priceOnly])).toEqual({ failed: [{ seq: 0, message }, { seq: 1, message }] });
    expect([...fake.stockBySku()]).toEqual([['V-1', 7], ['V-2', 4]]);
    expect(fake.priceBySku().get('V')).toBe(30);
  });

  it('the fake refuses a string or negative Price like the API (400 for that record), changing nothing', async () => {
    const { fake } = await s4s([{ sku: 'A', stock: 5, price: 1 }, { sku: 'B', stock: 5, price: 1 }]);
    const [a, b] = [fake.get(1)!, fake.get(2)!];
    const res = await s4sRequest(fake, 'Products', { method: 'PUT', body: [{ SKUInfo: { CatalogID: a.catalogId, Stock: 9, Price: '12.99' } }, { SKUInfo: { CatalogID: b.catalogId, Price: -1 } }] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { Key: 'CatalogID', Value: String(a.catalogId), Status: '400', Message: 'Invalid value for Price' },
      { Key: 'CatalogID', Value: String(b.catalogId), Status: '400', Message: 'Invalid value for Price' },
    ]);
    expect([...fake.priceBySku()]).toEqual([['A', 1], ['B', 1]]);
    expect(fake.stockBySku().get('A')).toBe(5);
  });
});

describe('rollback puts a written price back through each adapter\'s read and apply', () => {
  /** Apply a price-only change, then roll it back the way `invsync rollback` decides it. */
  async function roundTrip(store: StoreAdapter): Promise<string | null | undefined> {
    const [item] = await list(store);
    const applied = { sku: item!.sku, productId: item!.productId, variationId: item!.variationId, from: item!.qty, to: item!.qty as number, ref: item!.ref, price: { from: item!.price as string, to: '77.00' } };
    expect(await store.apply([{ seq: 0, ...applied, from: applied.from }])).toEqual({ failed: [] });
    const probe = rollbackProbe(applied, 0);
    const decision = rollbackDecision(applied, (await store.read([probe])).get(0));
    expect(decision).toEqual({ restore: applied.to, from: applied.to, price: { from: '77.00', to: applied.price.from } });
    const back = decision as { restore: number; from: number; price: { from: string; to: string } };
    expect(await store.apply([{ ...probe, from: back.from, to: back.restore, price: back.price }])).toEqual({ failed: [] });
    return (await store.read([probe])).get(0)?.price;
  }

  it('Shopify, Vendure, Medusa, Magento 2 and Shift4Shop', async () => {
    expect(await roundTrip((await shopify([{ variants: [{ sku: 'A', available: 3, price: '12.00' }] }])).store)).toBe('12.00');
    expect(await roundTrip((await vendure({ products: [{ variants: [{ sku: 'A', stock: 3, price: 1200 }] }] })).store)).toBe('12.00');
    expect(await roundTrip((await medusa({ products: [{ variants: [{ sku: 'A', stock: 3, prices: [{ currency_code: 'usd', amount: 12 }] }] }] })).store)).toBe('12.00');
    expect(await roundTrip((await magento({ products: [{ sku: 'A', qty: 3, price: 12 }] })).store)).toBe('12.00');
    expect(await roundTrip((await s4s([{ sku: 'A', stock: 3, price: 12 }])).store)).toBe('12.00');
  });
});

describe('extra write requests per 1,000 changes that price sync adds (measured on the fakes)', () => {
  it('WooCommerce: 0 (regular_price rides in the stock batch); BigCommerce: 20 per 1,000 variants, 100 per 1,000 products without options; Shopify and Medusa: one per product; Vendure: 0; Magento 2: one per batch; Shift4Shop: 0', async () => {
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

    // Shopify: one productVariantsBulkUpdate per product, whatever its variant count.
    const { fake: shop, store: shopStore } = await shopify([
      ...Array.from({ length: n / 2 }, (_, i): SeedProduct => ({ variants: [{ sku: `H-${i}`, available: 1 }] })),
      ...Array.from({ length: n / 100 }, (_, p): SeedProduct => ({ title: `Shirt ${p}`, variants: Array.from({ length: 50 }, (_, i) => ({ sku: `HV-${p}-${i}`, title: `Size ${i}`, available: 1 })) })),
    ], { bulkThreshold: false, pageSize: 250 });
    const shopChanges = (await list(shopStore)).map((item, seq): Change => ({
      seq, sku: item.sku, productId: item.productId, variationId: item.variationId, from: 1, to: 2, ref: item.ref, price: { from: '10.00', to: '2.99' },
    }));
    for (const b of batches(shopStore, shopChanges)) await shopStore.apply(b);
    const shopSets = mutations(shop, 'InvsyncSetQuantities');
    expect(shopSets).toBe(4);
    expect(shop.counters.priceUpdates).toBe(n / 2 + n / 100);

    // Vendure: the price rides in the stock mutation.
    const { fake: ven, store: venStore } = await vendure({ products: Array.from({ length: n }, (_, i) => ({ variants: [{ sku: `VE-${i}`, stock: 1 }] })) });
    const venItems = await list(venStore);
    const venRun = async (to: number, price?: string): Promise<number> => {
      const before = ven.writeRequests();
      const cs = venItems.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: to - 1, to, ref: item.ref, ...(price ? { price: { from: '10.00', to: price } } : {}) }));
      for (const b of batches(venStore, cs)) expect(await venStore.apply(b)).toEqual({ failed: [] });
      return ven.writeRequests() - before;
    };
    const venStock = await venRun(2);
    const venBoth = await venRun(3, '2.99');
    expect([venStock, venBoth]).toEqual([10, 10]);

    // Medusa: one variants/batch per product (1,000 single-variant products here: 1,000; 1,000 variants of 50-variant products: 20).
    const { fake: md, store: mdStore } = await medusa({ products: [
      ...Array.from({ length: n / 2 }, (_, i) => ({ variants: [{ sku: `MS-${i}`, stock: 1, prices: [{ currency_code: 'usd', amount: 10 }] }] })),
      ...Array.from({ length: n / 100 }, (_, p) => ({ variants: Array.from({ length: 50 }, (_, i) => ({ sku: `MV-${p}-${i}`, stock: 1, prices: [{ currency_code: 'usd', amount: 10 }] })) })),
    ] });
    const mdChanges = (await list(mdStore)).map((item, seq): Change => ({
      seq, sku: item.sku, productId: item.productId, variationId: item.variationId, from: 1, to: 2, ref: item.ref, price: { from: '10.00', to: '2.99' },
    }));
    for (const b of batches(mdStore, mdChanges)) expect(await mdStore.apply(b)).toEqual({ failed: [] });
    const mdLevels = medusaPosts(md, /location-levels\/batch$/);
    const mdPrices = medusaPosts(md, /variants\/batch$/);
    expect(mdLevels).toBe(10);
    expect(mdPrices).toBe(n / 2 + n / 100);

    // Magento 2 (MSI): one base-prices request per batch of 500 beside the source-items save.
    const { fake: mg, store: mgStore } = await magento({ products: Array.from({ length: n }, (_, i) => ({ sku: `MG-${i}`, qty: 1 })) });
    const mgChanges = (await list(mgStore)).map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: 1, to: 2, price: { from: '10.00', to: '2.99' } }));
    for (const b of batches(mgStore, mgChanges)) expect(await mgStore.apply(b)).toEqual({ failed: [] });
    const mgStock = mg.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/inventory/source-items')).length;
    expect([mgStock, mg.priceWrites()]).toEqual([2, 2]);
    // Shift4Shop: Price rides in the stock record of PUT /Products (100 a request).
    const { fake: sf, store: sfStore } = await s4s(Array.from({ length: n }, (_, i) => ({ sku: `SF-${i}`, stock: 1, price: 10 })));
    const sfItems = await list(sfStore);
    const sfRun = async (to: number, price?: string): Promise<number> => {
      const before = sf.writeRequests();
      const cs = sfItems.map((item, seq): Change => ({ seq, sku: item.sku, productId: item.productId, variationId: null, from: to - 1, to, ...(price ? { price: { from: '10.00', to: price } } : {}) }));
      for (const b of batches(sfStore, cs)) expect(await sfStore.apply(b)).toEqual({ failed: [] });
      return sf.writeRequests() - before;
    };
    const sfStock = await sfRun(2);
    const sfBoth = await sfRun(3, '2.99');
    expect([sfStock, sfBoth]).toEqual([10, 10]);
    expect(sf.priceBySku().get('SF-999')).toBe(2.99);
    // eslint-disable-next-line no-console
    console.log(`shift4shop ${sfBoth - sfStock} (stock alone ${sfStock}, with prices ${sfBoth})`);
    // eslint-disable-next-line no-console
    console.log(`magento2 ${mg.priceWrites()} (source-items saves ${mgStock}; batches of 500)`);
    // eslint-disable-next-line no-console
    console.log(`medusa ${mdPrices} for ${n / 2} single-variant products + ${n / 2} variants of ${n / 100} products (level batches ${mdLevels})`);
    // eslint-disable-next-line no-console
    console.log(`vendure ${venBoth - venStock} (stock alone ${venStock}, with prices ${venBoth})`);
    // eslint-disable-next-line no-console
    console.log(`extra write requests per ${n} changes with prices: woocommerce ${wooBoth - wooStock} (stock alone ${wooStock}, with prices ${wooBoth}); `
      + `bigcommerce variants ${bcCatalog.variants} (stock adjustments ${fake.adjustments.length - adjBefore}); `
      + `bigcommerce products without options ${simple.catalogWrites().products} (stock adjustments ${simple.adjustments.length}); `
      + `shopify ${shop.counters.priceUpdates} for ${n / 2} single-variant products + ${n / 2} variants of ${n / 100} products (stock set mutations ${shopSets})`);
  });
});
