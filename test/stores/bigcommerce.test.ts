import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { BigCommerceStoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError } from '../../src/domain/errors.js';
import type { StoreItem } from '../../src/domain/types.js';
import { apiBase, buildItems, createBigCommerceStore, describeProblem } from '../../src/stores/bigcommerce/index.js';
import { createQuotaGate, MAX_QUOTA_WAIT_MS, quotaWaitMs } from '../../src/stores/bigcommerce/throttle.js';
import { changeFor, collect, runStoreContract, toBatches, type StoreContractContext } from '../contracts/store-contract.js';
import { bcCatalog, bcRequest, startBigCommerceFake, type BcFake, type BcFakeOptions } from '../fakes/bigcommerce.js';
import { contractHooks } from '../fakes/fake-http.js';

beforeAll(() => {
  // Read by the http client when an adapter is created: keeps retries fast.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function configFor(fake: BcFake, overrides: Partial<BigCommerceStoreConfig> = {}): BigCommerceStoreConfig {
  return { type: 'bigcommerce', url: fake.url, storeHash: fake.storeHash, accessToken: fake.token, locationId: 1, ...overrides };
}

function bcContract(options: BcFakeOptions): () => Promise<StoreContractContext> {
  return async () => {
    const fake = await startBigCommerceFake(options);
    const config = configFor(fake, { pageSize: 10, batchSize: 10 });
    return {
      adapter: createBigCommerceStore(config),
      fake: {
        ...contractHooks(fake, bcCatalog),
        badCredentialsAdapter: () => createBigCommerceStore({ ...config, accessToken: 'bc_revoked_token_0000' }),
        deleteItem: async (sku) => fake.remove(sku),
      },
      // Per pageSize (10) products: one catalog request, and the inventory rows 10 a page.
      readRequests: (changes) => {
        const products = [...new Set(changes.map((c) => Number(c.productId)))];
        let requests = 0;
        for (let i = 0; i < products.length; i += 10) requests += 1 + Math.ceil(fake.inventoryRowCount(products.slice(i, i + 10)) / 10);
        return requests;
      },
      close: () => fake.close(),
    };
  };
}

runStoreContract('bigcommerce (429 with X-Rate-Limit-* headers only)', bcContract({}));
runStoreContract('bigcommerce (429 with Retry-After too)', bcContract({ retryAfterOn429: true }));

/* ------------------------------------------------------------------------------------------ */

describe('BigCommerce fake behaves like the v3 API', () => {
  let fake: BcFake;
  afterEach(async () => { await fake?.close(); });

  it('pages catalog collections up to 250 and inventory items up to 1000, refusing more with 422', async () => {
    fake = await startBigCommerceFake({ products: bcCatalog(5).products });
    const ok = await bcRequest(fake, 'catalog/variants?limit=250&page=1');
    expect(ok.body).toMatchObject({ meta: { pagination: { total: 5, count: 5, per_page: 250, current_page: 1, total_pages: 1 } } });
    const tooBig = await bcRequest(fake, 'catalog/variants?limit=251');
    expect(tooBig.status).toBe(422);
    expect(tooBig.headers.get('content-type')).toContain('application/problem+json');
    expect((await bcRequest(fake, 'inventory/items?limit=1000')).status).toBe(200);
    expect((await bcRequest(fake, 'inventory/items?limit=1001')).status).toBe(422);
  });

  it('filters inventory items by product_id:in and variant_id:in (ANDed with the location)', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'S', stock: 4 }, { sku: 'V', tracking: 'variant', variants: [{ sku: 'V-1', stock: 1 }, { sku: 'V-2', stock: 2 }] }, { sku: 'X', stock: 3 }] });
    const skusOf = async (query: string) => ((await bcRequest(fake, `inventory/items?location_id:in=1&${query}`)).body as { data: Array<{ identity: { sku: string } }> }).data.map((d) => d.identity.sku);
    expect(await skusOf('product_id:in=101,102')).toEqual(['V-1', 'V-2', 'X']);
    expect(await skusOf('variant_id:in=500,502')).toEqual(['S', 'V-2']);
    expect(await skusOf('product_id:in=101&variant_id:in=500,502')).toEqual(['V-2']);
  });

  it('sends the X-Rate-Limit-* headers on every response and 429 once the quota is spent', async () => {
    fake = await startBigCommerceFake({ quota: { requests: 2, windowMs: 60_000 } });
    const first = await bcRequest(fake, 'catalog/products');
    expect(first.headers.get('x-rate-limit-requests-quota')).toBe('2');
    expect(first.headers.get('x-rate-limit-requests-left')).toBe('1');
    expect(first.headers.get('x-rate-limit-time-window-ms')).toBe('60000');
    expect(Number(first.headers.get('x-rate-limit-time-reset-ms'))).toBeGreaterThan(59_000);
    await bcRequest(fake, 'catalog/products');
    const third = await bcRequest(fake, 'catalog/products');
    expect(third.status).toBe(429);
    expect(third.headers.get('x-rate-limit-requests-left')).toBe('0');
    expect(third.headers.get('retry-after')).toBeNull();
  });

  it('applies absolute adjustments all-or-nothing, refusing a variant id of a product tracked by product', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'A', stock: 1 }, { sku: 'V', tracking: 'variant', variants: [{ sku: 'V-1', stock: 1 }] }] });
    const variants = (await bcRequest(fake, 'catalog/variants')).body as { data: Array<{ id: number; sku: string }> };
    const idOf = (sku: string) => variants.data.find((v) => v.sku === sku)?.id;
    const refused = await bcRequest(fake, 'inventory/adjustments/absolute', {
      method: 'PUT', body: { reason: 't', items: [{ location_id: 1, variant_id: idOf('V-1'), quantity: 5 }, { location_id: 1, variant_id: idOf('A'), quantity: 5 }] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ status: 422, errors: { 'items.1': `[Item with variant_id ${idOf('A')} is tracked by product, please update stock by product id]` } });
    expect([...fake.stockBySku()]).toEqual([['A', 1], ['V-1', 1]]);
    const ok = await bcRequest(fake, 'inventory/adjustments/absolute', {
      method: 'PUT', body: { reason: 't', items: [{ location_id: 1, variant_id: idOf('V-1'), quantity: 5 }, { location_id: 1, product_id: 100, quantity: 6 }] },
    });
    expect(ok.status).toBe(200);
    expect(typeof (ok.body as { transaction_id: unknown }).transaction_id).toBe('string');
    expect([...fake.stockBySku()]).toEqual([['A', 6], ['V-1', 5]]);
  });

  it('refuses more than 2000 adjustment items and more than 10 products per catalog batch', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'A', stock: 1 }] });
    const items = Array.from({ length: 2001 }, () => ({ location_id: 1, product_id: 100, quantity: 1 }));
    expect((await bcRequest(fake, 'inventory/adjustments/absolute', { method: 'PUT', body: { reason: 't', items } })).status).toBe(422);
    const products = Array.from({ length: 11 }, () => ({ id: 100, inventory_tracking: 'product' }));
    expect((await bcRequest(fake, 'catalog/products', { method: 'PUT', body: products })).status).toBe(413);
  });

  it('refuses a wrong token with 401 and a token without modify scope with 403 on writes', async () => {
    fake = await startBigCommerceFake({ readOnly: true, products: [{ sku: 'A', stock: 1 }] });
    const bad = await bcRequest(fake, 'catalog/products', { headers: { 'x-auth-token': 'nope' } });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ status: 401, type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes' });
    const write = await bcRequest(fake, 'inventory/adjustments/absolute', { method: 'PUT', body: { reason: 't', items: [{ location_id: 1, product_id: 100, quantity: 1 }] } });
    expect([write.status, (write.body as { title: string }).title]).toEqual([403, "You don't have a required scope to access the endpoint"]);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('BigCommerce helpers', () => {
  it('waits for the quota reset only once no requests are left', () => {
    expect(quotaWaitMs({ 'x-rate-limit-requests-left': '3', 'x-rate-limit-time-reset-ms': '9000' })).toBe(0);
    expect(quotaWaitMs({ 'x-rate-limit-requests-left': '0', 'x-rate-limit-time-reset-ms': '9000' })).toBe(9000);
    expect(quotaWaitMs({ 'x-rate-limit-requests-left': '0' })).toBe(0);
    expect(quotaWaitMs({})).toBe(0);
    expect(quotaWaitMs({ 'x-rate-limit-requests-left': '0', 'x-rate-limit-time-reset-ms': '99999999' })).toBe(MAX_QUOTA_WAIT_MS);
  });

  it('holds the next request until the reset, then lets requests through', async () => {
    let now = 1000;
    const slept: number[] = [];
    const gate = createQuotaGate({ now: () => now, sleep: async (ms) => { slept.push(ms); now += ms; } });
    await gate.wait();
    gate.observe({ 'x-rate-limit-requests-left': '0', 'x-rate-limit-time-reset-ms': '2500' });
    now += 500;
    await gate.wait();
    await gate.wait();
    expect(slept).toEqual([2000]);
  });

  it('joins products, variants and location stock into items in store order', () => {
    const items = buildItems(
      [
        { id: 3, sku: 'OPT', name: 'Opt', inventory_tracking: 'variant', base_variant_id: null },
        { id: 1, sku: 'S', name: 'Simple', inventory_tracking: 'product', base_variant_id: 10 },
        { id: 2, sku: 'PT', name: 'ByProduct', inventory_tracking: 'product', base_variant_id: null },
        { id: 4, sku: 'N', name: 'Untracked', inventory_tracking: 'none', base_variant_id: 40 },
        { id: 5, sku: 'SV', name: 'SimpleByVariant', inventory_tracking: 'variant', base_variant_id: 50 },
      ],
      [
        { id: 31, product_id: 3, sku: 'OPT-B' }, { id: 30, product_id: 3, sku: 'OPT-A' }, { id: 32, product_id: 3, sku: '' },
        { id: 10, product_id: 1, sku: 'S' }, { id: 20, product_id: 2, sku: 'PT-1' }, { id: 40, product_id: 4, sku: 'N' }, { id: 50, product_id: 5, sku: 'SV' },
      ],
      [
        { identity: { variant_id: 10, product_id: 1 }, locations: [{ location_id: 1, total_inventory_onhand: 4 }, { location_id: 2, total_inventory_onhand: 40 }] },
        { identity: { variant_id: 30, product_id: 3 }, locations: [{ location_id: 2, total_inventory_onhand: 7 }] },
        { identity: { variant_id: 31, product_id: 3 }, locations: [{ location_id: 2, total_inventory_onhand: 8 }] },
        { identity: { variant_id: null, product_id: 2 }, locations: [{ location_id: 2, total_inventory_onhand: 5 }] },
        { identity: { variant_id: 40, product_id: 4 }, locations: [{ location_id: 2, total_inventory_onhand: 9 }] },
        { identity: { variant_id: 50, product_id: 5 }, locations: [{ location_id: 2, total_inventory_onhand: 6 }] },
      ],
      2,
    );
    expect(items.map((i) => [i.sku, i.productId, i.variationId, i.qty, i.managed, i.ref])).toEqual([
      ['S', 1, null, 40, true, { by: 'product' }],
      ['PT', 2, null, 5, true, { by: 'product' }],
      ['OPT-A', 3, 30, 7, true, { by: 'variant', variantId: 30 }],
      ['OPT-B', 3, 31, 8, true, { by: 'variant', variantId: 31 }],
      ['N', 4, null, null, false, { by: 'product', enable: 'product' }],
      ['SV', 5, null, 6, true, { by: 'variant', variantId: 50 }],
    ]);
  });

  it('builds the v3 base and describes problem bodies', () => {
    expect(apiBase('https://api.bigcommerce.com/', 'abc')).toBe('https://api.bigcommerce.com/stores/abc/v3');
    expect(apiBase('https://api.bigcommerce.com/stores/abc/v3', 'abc')).toBe('https://api.bigcommerce.com/stores/abc/v3');
    expect(describeProblem({ status: 422, title: 'Invalid', type: 'x', errors: { 'items.0': '[bad]' } })).toBe('Invalid — items.0: [bad]');
    expect(describeProblem('x')).toBeUndefined();
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('BigCommerce store adapter', () => {
  let fake: BcFake;
  afterEach(async () => { await fake?.close(); });

  it('refuses a batchSize above 2000 and defaults to 2000', () => {
    const config: BigCommerceStoreConfig = { type: 'bigcommerce', url: 'https://api.bigcommerce.com', storeHash: 'h', accessToken: 't', locationId: 1, batchSize: 2001 };
    expect(() => createBigCommerceStore(config)).toThrow(ConfigError);
    expect(() => createBigCommerceStore(config)).toThrow('store.batchSize: at most 2000 for bigcommerce (the API maximum)');
    expect(createBigCommerceStore({ ...config, batchSize: undefined }).limits.maxBatch).toBe(2000);
  });

  it('lists with the largest pages: products and variants 250, inventory 1000 at the configured location', async () => {
    fake = await startBigCommerceFake({ products: bcCatalog(12).products });
    await collect(createBigCommerceStore(configFor(fake)).list());
    expect(fake.requests.map((r) => [r.path.replace(/^\/stores\/abc123\/v3/, ''), r.query.limit, r.query.page, r.query['location_id:in']])).toEqual([
      ['/catalog/products', '250', '1', undefined],
      ['/catalog/variants', '250', '1', undefined],
      ['/inventory/items', '1000', '1', '1'],
    ]);
  });

  it('reads and writes the stock of the configured location only', async () => {
    fake = await startBigCommerceFake({
      locations: [{ id: 1, code: 'A', name: 'Main' }, { id: 2, code: 'B', name: 'Second' }],
      products: [{ sku: 'S', stock: 4 }],
    });
    const store = createBigCommerceStore(configFor(fake, { locationId: 2 }));
    const [item] = await collect(store.list());
    expect([item?.qty, item?.managed]).toEqual([null, false]);
    expect(await store.apply([changeFor(item as StoreItem, 1, 9)])).toEqual({ failed: [] });
    expect([fake.stockBySku(1).get('S'), fake.stockBySku(2).get('S')]).toEqual([4, 9]);
    expect(fake.adjustments).toEqual([{ reason: 'invsync', items: [{ location_id: 2, product_id: 100, quantity: 9 }] }]);
  });

  it('reads back the configured location from the Inventory API, not the catalog level (the default location only)', async () => {
    fake = await startBigCommerceFake({
      locations: [{ id: 1, code: 'A', name: 'Main' }, { id: 2, code: 'B', name: 'Second' }],
      products: [{ sku: 'S', stock: 4 }, { sku: 'V', tracking: 'variant', variants: [{ sku: 'V-1', stock: 1 }, { sku: 'V-2', stock: 2 }] }],
    });
    const store = createBigCommerceStore(configFor(fake, { locationId: 2 }));
    const items = await collect(store.list());
    const changes = items.map((item, i) => changeFor(item, i + 1, 7 + i));
    expect(await store.apply(changes)).toEqual({ failed: [] });
    const before = fake.requests.length;
    const seen = await store.read(changes);
    expect([...seen].map(([k, r]) => [k, { qty: r.qty, managed: r.managed }])).toEqual([[1, { qty: 7, managed: true }], [2, { qty: 8, managed: true }], [3, { qty: 9, managed: true }]]);
    expect(fake.requests.slice(before).map((r) => [r.path.replace(/^\/stores\/abc123\/v3/, ''), r.query['id:in'] ?? r.query['product_id:in'], r.query['location_id:in']])).toEqual([
      ['/catalog/products', '100,101', undefined],
      ['/inventory/items', '100,101', '2'],
    ]);
  });

  it('reads back an untracked product as not managed, a product-level item from its product row, and leaves out a deleted product or variant', async () => {
    fake = await startBigCommerceFake({
      products: [
        { sku: 'S', stock: 4 }, { sku: 'GONE', stock: 1 },
        { sku: 'V', tracking: 'variant', variants: [{ sku: 'V-1', stock: 1 }, { sku: 'V-2', stock: 2 }] },
        { sku: 'P', tracking: 'product', stock: 5, variants: [{ sku: 'P-1' }, { sku: 'P-2' }] },
      ],
    });
    const store = createBigCommerceStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.qty])).toEqual([['S', 4], ['GONE', 1], ['V-1', 1], ['V-2', 2], ['P', 5]]);
    const changes = items.map((item, i) => changeFor(item, i + 1, 9));
    fake.remove('GONE');
    fake.remove('V-2');
    expect((await bcRequest(fake, 'catalog/products', { method: 'PUT', body: [{ id: 100, inventory_tracking: 'none' }] })).status).toBe(200);
    const seen = await store.read(changes);
    expect([...seen].map(([k, r]) => [k, { qty: r.qty, managed: r.managed }])).toEqual([[1, { qty: null, managed: false }], [3, { qty: 1, managed: true }], [5, { qty: 5, managed: true }]]);
  });

  it('writes by product id or variant id as each product tracks stock, in one request', async () => {
    fake = await startBigCommerceFake({ products: bcCatalog(12).products });
    const store = createBigCommerceStore(configFor(fake));
    const items = await collect(store.list());
    const changes = items.map((item, i) => changeFor(item, i + 1, 20 + i));
    expect(toBatches(store, changes)).toHaveLength(1);
    expect(await store.apply(changes)).toEqual({ failed: [] });
    expect(fake.writeRequests()).toBe(1);
    const sent = fake.adjustments[0]?.items ?? [];
    expect(sent.filter((i) => 'product_id' in i).length).toBeGreaterThan(0);
    expect(sent.filter((i) => 'variant_id' in i).length).toBeGreaterThan(0);
    expect([...fake.stockBySku().values()]).toEqual(changes.map((c) => c.to));
  });

  it('turns inventory tracking on before the first write to an untracked product', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'N', tracking: 'none' }, { sku: 'NO', tracking: 'none', variants: [{ sku: 'NO-1' }, { sku: 'NO-2' }] }, { sku: 'T', stock: 1 }] });
    const store = createBigCommerceStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.qty, i.managed])).toEqual([['N', null, false], ['NO-1', null, false], ['NO-2', null, false], ['T', 1, true]]);
    const batches = toBatches(store, items.map((item, i) => changeFor(item, i + 1, 3)));
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
    for (const batch of batches) expect(await store.apply(batch)).toEqual({ failed: [] });
    expect(fake.requests.filter((r) => r.write).map((r) => [r.path.replace(/^\/stores\/abc123\/v3/, ''), r.items])).toEqual([
      ['/catalog/products', 2], ['/inventory/adjustments/absolute', 3], ['/inventory/adjustments/absolute', 1],
    ]);
    expect([fake.tracking('N'), fake.tracking('NO')]).toEqual(['product', 'variant']);
    expect((await collect(store.list())).map((i) => [i.sku, i.qty, i.managed])).toEqual([['N', 3, true], ['NO-1', 3, true], ['NO-2', 3, true], ['T', 3, true]]);
  });

  it('finds the refused item of an adjustment refused as a whole, with BigCommerce\'s message', async () => {
    fake = await startBigCommerceFake({ products: bcCatalog(6).products });
    const store = createBigCommerceStore(configFor(fake));
    const items = await collect(store.list());
    fake.faults.rejectSkus = [items[4]?.sku as string];
    const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 2)));
    expect(result.failed).toEqual([{ seq: 5, message: `422: JSON data is missing or invalid — items.0: [Item with sku ${items[4]?.sku} cannot be adjusted]` }]);
    expect([...fake.stockBySku().values()].filter((q) => q === 2)).toHaveLength(5);
  });

  it('waits for the quota to reset instead of earning a 429', async () => {
    fake = await startBigCommerceFake({ quota: { requests: 2, windowMs: 400 }, products: bcCatalog(30).products });
    const started = Date.now();
    const items = await collect(createBigCommerceStore(configFor(fake, { pageSize: 10 })).list());
    expect(items).toHaveLength(30);
    expect(fake.requests.map((r) => r.status).every((s) => s === 200)).toBe(true);
    expect(fake.requests.length).toBeGreaterThanOrEqual(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('stops with an auth error when the token may not modify inventory', async () => {
    fake = await startBigCommerceFake({ readOnly: true, products: [{ sku: 'S', stock: 1 }] });
    const store = createBigCommerceStore(configFor(fake));
    const [item] = await collect(store.list());
    const before = fake.requests.length;
    const err = await store.apply([changeFor(item as StoreItem, 1, 5)]).catch((e: unknown) => e);
    expect((err as HttpError).details).toMatchObject({ status: 403, auth: true });
    expect((err as HttpError).message).toContain("You don't have a required scope");
    expect(fake.requests.length - before).toBe(1);
  });

  it('check() names the store, the product count and the location', async () => {
    fake = await startBigCommerceFake({ products: bcCatalog(3).products });
    expect(await createBigCommerceStore(configFor(fake)).check?.()).toMatch(/^BigCommerce store abc123 at .*: authenticated, 3 products, inventory at location 1$/);
  });

  it('writes 1,000 changed SKUs in 1 request', async () => {
    fake = await startBigCommerceFake({ products: Array.from({ length: 1000 }, (_, i) => ({ sku: `P${i}`, stock: 0 })) });
    const store = createBigCommerceStore(configFor(fake));
    const items = await collect(store.list());
    for (const batch of toBatches(store, items.map((item, i) => changeFor(item, i + 1, 4)))) await store.apply(batch);
    expect(fake.writeRequests()).toBe(1);
    expect(new Set(fake.stockBySku().values())).toEqual(new Set([4]));
  });
});

describe('BigCommerce rules.status writes (SPEC §14)', () => {
  let fake: BcFake;
  afterEach(async () => { await fake?.close(); });

  it('hides a product (is_visible) and a variant (purchasing_disabled) with its stock, reads both back, and restores them alone', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'P', stock: 5 }, { sku: 'O', tracking: 'variant', variants: [{ sku: 'O-1', stock: 3 }, { sku: 'O-2', stock: 3 }] }] });
    const store = createBigCommerceStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.visibility])).toEqual([
      ['P', { hidden: false, outOfStock: false, values: { is_visible: true } }],
      ['O-1', { hidden: false, outOfStock: false, values: { purchasing_disabled: false } }],
      ['O-2', { hidden: false, outOfStock: false, values: { purchasing_disabled: false } }],
    ]);
    const [p, o1] = items;
    const hideP = { ...changeFor(p!, 1, 0), statusAction: { to: 'hide' as const, set: { is_visible: false }, from: { is_visible: true } } };
    const hideO = { ...changeFor(o1!, 2, 0), statusAction: { to: 'hide' as const, set: { purchasing_disabled: true }, from: { purchasing_disabled: false } } };
    const before = fake.requests.length;
    expect(await store.apply([hideP, hideO])).toEqual({ failed: [] });
    // One adjustment for both levels, one catalog request per kind: status adds 2 requests here.
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/^\/stores\/abc123\/v3/, '')}`)).toEqual([
      'PUT /inventory/adjustments/absolute', 'PUT /catalog/products', 'PUT /catalog/variants',
    ]);
    expect([fake.shown('P'), fake.shown('O-1'), fake.shown('O-2')]).toEqual([false, false, true]);
    expect([fake.stockBySku().get('P'), fake.stockBySku().get('O-1')]).toEqual([0, 0]);

    const seen = await store.read([hideP, hideO]);
    expect(seen.get(1)).toEqual({ qty: 0, managed: true, visibility: { hidden: true, outOfStock: false, values: { is_visible: false } } });
    expect(seen.get(2)).toEqual({ qty: 0, managed: true, visibility: { hidden: true, outOfStock: false, values: { purchasing_disabled: true } } });

    const restoreP = { ...changeFor(p!, 3, 99), statusAction: { to: 'restore' as const, of: 'hide' as const, set: { is_visible: true }, from: { is_visible: false }, alone: true } };
    const mark = fake.requests.length;
    expect(await store.apply([restoreP])).toEqual({ failed: [] });
    expect(fake.requests.slice(mark).map((r) => r.path.replace(/^\/stores\/abc123\/v3/, ''))).toEqual(['/catalog/products']);
    expect([fake.shown('P'), fake.stockBySku().get('P')]).toEqual([true, 0]);
  });

  it('a change with a price and a status writes both in one catalog record per item (status costs no request beyond the price writes) and reads both back', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'P', stock: 5, price: 12 }, { sku: 'O', tracking: 'variant', price: 20, variants: [{ sku: 'O-1', stock: 3, price: 21 }] }] });
    const store = createBigCommerceStore(configFor(fake));
    const [p, o1] = await collect(store.list());
    expect([p!.price, o1!.price]).toEqual(['12.00', '21.00']);
    const hideP = { ...changeFor(p!, 1, 0), price: { from: '12.00', to: '13.99' }, statusAction: { to: 'hide' as const, set: { is_visible: false }, from: { is_visible: true } } };
    const hideO = { ...changeFor(o1!, 2, 0), price: { from: '21.00', to: '22.50' }, statusAction: { to: 'hide' as const, set: { purchasing_disabled: true }, from: { purchasing_disabled: false } } };
    const before = fake.requests.length;
    expect(await store.apply([hideP, hideO])).toEqual({ failed: [] });
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/^\/stores\/abc123\/v3/, '')}`)).toEqual([
      'PUT /inventory/adjustments/absolute', 'PUT /catalog/products', 'PUT /catalog/variants',
    ]);
    expect([fake.shown('P'), fake.shown('O-1'), fake.priceBySku().get('P'), fake.priceBySku().get('O-1')]).toEqual([false, false, 13.99, 22.5]);

    const seen = await store.read([hideP, hideO]);
    expect(seen.get(1)).toEqual({ qty: 0, managed: true, price: '13.99', visibility: { hidden: true, outOfStock: false, values: { is_visible: false } } });
    expect(seen.get(2)).toEqual({ qty: 0, managed: true, price: '22.50', visibility: { hidden: true, outOfStock: false, values: { purchasing_disabled: true } } });
  });

  it('the fake refuses a non-boolean is_visible with 422, and the item fails with the store\'s words', async () => {
    fake = await startBigCommerceFake({ products: [{ sku: 'P', stock: 5 }] });
    const store = createBigCommerceStore(configFor(fake));
    const [p] = await collect(store.list());
    const bad = { ...changeFor(p!, 1, 0), statusAction: { to: 'hide' as const, set: { is_visible: 'no' }, from: { is_visible: true } } };
    const result = await store.apply([bad]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.message).toMatch(/^status not applied: 422: JSON data is missing or invalid — is_visible: The field is_visible must be a boolean$/);
    expect(fake.shown('P')).toBe(true);
  });
});
