import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { WooCommerceStoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError } from '../../src/domain/errors.js';
import type { Change } from '../../src/domain/types.js';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';
import { changeFor, collect, runStoreContract, type StoreContractContext } from '../contracts/store-contract.js';
import {
  DEFAULT_WOO_KEY, TEST_TLS, mixedCatalog, simpleProducts, startWooEmulator, variableProduct, wooRequest,
  type WooEmulator, type WooEmulatorOptions,
} from '../fakes/woocommerce.js';

beforeAll(() => {
  // Read by the http client when an adapter is created: keeps retries fast.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function configFor(emu: WooEmulator, overrides: Partial<WooCommerceStoreConfig> = {}): WooCommerceStoreConfig {
  return {
    type: 'woocommerce',
    url: emu.url,
    consumerKey: DEFAULT_WOO_KEY.consumerKey,
    consumerSecret: DEFAULT_WOO_KEY.consumerSecret,
    ...(emu.url.startsWith('https:') ? { insecureTls: true } : {}),
    ...overrides,
  };
}

/** A batch POST outside the adapter, over http (OAuth) or https (Basic, the emulator's self-signed certificate). */
async function postBatch(emu: WooEmulator, path: string, body: unknown): Promise<number> {
  if (!emu.url.startsWith('https:')) return (await wooRequest(emu, { method: 'POST', path, body })).status;
  const auth = Buffer.from(`${DEFAULT_WOO_KEY.consumerKey}:${DEFAULT_WOO_KEY.consumerSecret}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = https.request(`${emu.apiUrl}/${path}`, {
      method: 'POST', rejectUnauthorized: false, headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function wooContract(options: WooEmulatorOptions): () => Promise<StoreContractContext> {
  return async () => {
    const emu = await startWooEmulator(options);
    const config = configFor(emu, { pageSize: 10, batchSize: 10 });
    return {
      adapter: createWooCommerceStore(config),
      fake: {
        async seed(count) {
          const { products, skus } = mixedCatalog(count);
          emu.seed(products);
          return skus;
        },
        async stockOf(sku) { return emu.stockBySku().get(sku); },
        writeRequests: () => emu.writeRequests(),
        requests: () => emu.requests.length,
        inject429: (n) => { emu.faults.status429 = { count: n, retryAfter: 1 }; },
        inject503: (n) => { emu.faults.status503 = { count: n }; },
        rejectSkus: (skus) => { emu.faults.rejectSkus = skus; },
        badCredentialsAdapter: () => createWooCommerceStore({ ...config, consumerSecret: 'cs_wrong_secret' }),
        async deleteItem(sku) {
          const record = emu.items().find((r) => r.sku === sku && r.type !== 'variable');
          if (!record) throw new Error(`no item ${sku}`);
          const path = record.type === 'variation' ? `products/${record.parent_id}/variations/batch` : 'products/batch';
          const status = await postBatch(emu, path, { delete: [record.id] });
          if (status !== 200) throw new Error(`delete ${sku}: HTTP ${status}`);
        },
      },
      // One GET per 100 ids of one batch key (products, or one parent's variations).
      readRequests: (changes) => {
        const perKey = new Map<string, number>();
        for (const c of changes) {
          const key = c.variationId === null ? 'products' : `variations:${c.productId}`;
          perKey.set(key, (perKey.get(key) ?? 0) + 1);
        }
        return [...perKey.values()].reduce((sum, n) => sum + Math.ceil(n / 100), 0);
      },
      close: () => emu.close(),
    };
  };
}

runStoreContract('woocommerce over http (OAuth 1.0a)', wooContract({}));
runStoreContract('woocommerce over https (Basic auth)', wooContract({ tls: TEST_TLS }));

/* ------------------------------------------------------------------------------------------ */

describe('WooCommerce emulator behaves like wc/v3', () => {
  let emu: WooEmulator;
  afterEach(async () => { await emu?.close(); });

  it('rejects per_page above 100 (and below 1) with rest_invalid_param', async () => {
    emu = await startWooEmulator({ products: simpleProducts(3) });
    const res = await wooRequest(emu, { path: 'products', query: { per_page: 101 } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'rest_invalid_param',
      message: 'Invalid parameter(s): per_page',
      data: { status: 400, params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' } },
    });
    expect((await wooRequest(emu, { path: 'products', query: { per_page: 0 } })).status).toBe(400);
    expect((await wooRequest(emu, { path: 'products', query: { per_page: 100 } })).status).toBe(200);
  });

  it('pages with X-WP-Total, X-WP-TotalPages and prev/next Link headers; default per_page is 10', async () => {
    emu = await startWooEmulator({ products: simpleProducts(25) });
    const first = await wooRequest(emu, { path: 'products', query: { orderby: 'id', order: 'asc' } });
    expect(first.body).toHaveLength(10);
    expect(first.headers.get('x-wp-total')).toBe('25');
    expect(first.headers.get('x-wp-totalpages')).toBe('3');
    expect(first.headers.get('link')).toMatch(/page=2[^>]*>; rel="next"/);
    expect(first.headers.get('link')).not.toContain('rel="prev"');

    const second = await wooRequest(emu, { path: 'products', query: { orderby: 'id', order: 'asc', page: 2 } });
    expect(second.headers.get('link')).toMatch(/rel="prev".*rel="next"/);
    expect((second.body as Array<{ id: number }>)[0]?.id).toBe(11);

    const last = await wooRequest(emu, { path: 'products', query: { orderby: 'id', order: 'asc', page: 3 } });
    expect(last.body).toHaveLength(5);
    expect(last.headers.get('link')).not.toContain('rel="next"');

    const beyond = await wooRequest(emu, { path: 'products', query: { page: 9 } });
    expect([beyond.status, beyond.body]).toEqual([200, []]);

    const byDefault = await wooRequest(emu, { path: 'products' });
    expect((byDefault.body as Array<{ id: number }>)[0]?.id).toBe(25); // date desc
  });

  it('filters by a comma-separated SKU list across products and variations, and trims with _fields', async () => {
    emu = await startWooEmulator({ products: [...simpleProducts(2), variableProduct('TEE', 2)] });
    const res = await wooRequest(emu, { path: 'products', query: { sku: 'SKU-0002,TEE-2', orderby: 'id', order: 'asc', _fields: 'id,sku,type,parent_id' } });
    expect(res.body).toEqual([
      { id: 2, sku: 'SKU-0002', type: 'simple', parent_id: 0 },
      { id: 5, sku: 'TEE-2', type: 'variation', parent_id: 3 },
    ]);
  });

  it('gives variations ids from the same sequence as products', async () => {
    emu = await startWooEmulator({ products: [...simpleProducts(1), variableProduct('TEE', 2), ...simpleProducts(1, { start: 2 })] });
    expect(emu.items().map((r) => [r.id, r.type])).toEqual([[1, 'simple'], [2, 'variable'], [3, 'variation'], [4, 'variation'], [5, 'simple']]);
    expect(emu.get(2)?.variations).toEqual([3, 4]);
  });

  it('keeps every listing and filter right after creates, deletes and SKU changes', async () => {
    emu = await startWooEmulator({ products: [...simpleProducts(3), variableProduct('TEE', 3), ...simpleProducts(2, { start: 4 })] });
    // ids: 1-3 simple, 4 TEE (5, 6, 7 its variations), 8-9 simple
    const list = async (path: string, query: Record<string, string | number>) =>
      ((await wooRequest(emu, { path, query: { _fields: 'id,sku', ...query } })).body as Array<{ id: number; sku: string }>);
    expect(await postBatch(emu, 'products/batch', {
      create: [{ type: 'simple', sku: 'NEW-1', manage_stock: true, stock_quantity: 4 }],
      update: [{ id: 2, sku: 'RENAMED' }],
      delete: [1],
    })).toBe(200);
    expect(await postBatch(emu, 'products/4/variations/batch', { update: [{ id: 6, sku: 'TEE-B' }], delete: [5] })).toBe(200);

    const asc = await list('products', { orderby: 'id', order: 'asc', per_page: 100 });
    expect(asc.map((r) => r.id)).toEqual([2, 3, 4, 8, 9, 10]);
    const desc = await list('products', { per_page: 2, page: 2 });
    expect(desc.map((r) => r.id)).toEqual([8, 4]);
    expect((await list('products', { orderby: 'id', order: 'asc', per_page: 2, offset: 3 })).map((r) => r.id)).toEqual([8, 9]);
    expect(await list('products', { sku: 'SKU-0002,RENAMED,TEE-B,TEE-1', orderby: 'id', order: 'asc' }))
      .toEqual([{ id: 2, sku: 'RENAMED' }, { id: 6, sku: 'TEE-B' }]);
    expect(await list('products', { include: '9,1,6,2,9', orderby: 'id', order: 'asc' })).toEqual([{ id: 2, sku: 'RENAMED' }, { id: 9, sku: 'SKU-0005' }]);
    expect((await list('products/4/variations', { orderby: 'id', order: 'desc' })).map((r) => r.id)).toEqual([7, 6]);
    expect(emu.get(4)?.variations).toEqual([6, 7]);

    // The old SKU is free again, the new one is taken.
    const again = await wooRequest(emu, { method: 'POST', path: 'products', body: { sku: 'SKU-0002' } });
    expect(again.status).toBe(201);
    const taken = await wooRequest(emu, { method: 'POST', path: 'products', body: { sku: 'RENAMED' } });
    expect([taken.status, (taken.body as { code: string }).code]).toEqual([400, 'product_invalid_sku']);

    // Deleting a variable product takes its variations with it.
    expect(await postBatch(emu, 'products/batch', { delete: [4] })).toBe(200);
    expect(await list('products', { sku: 'TEE-B,TEE-3', orderby: 'id', order: 'asc' })).toEqual([]);
    expect(await list('products/4/variations', {})).toEqual([]);
    expect(emu.items().map((r) => r.id)).toEqual([2, 3, 8, 9, 10, 11]);
  });

  it('refuses a batch of more than 100 items (create + update + delete together) with 413', async () => {
    emu = await startWooEmulator({ products: simpleProducts(3) });
    const update = Array.from({ length: 50 }, () => ({ id: 1, manage_stock: true, stock_quantity: 1 }));
    const res = await wooRequest(emu, {
      method: 'POST', path: 'products/batch',
      body: { create: [{ name: 'x' }], update, delete: Array.from({ length: 50 }, () => 999) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      code: 'woocommerce_rest_request_entity_too_large',
      message: 'Unable to accept more than 100 items for this request.',
      data: { status: 413 },
    });
    expect(emu.get(1)?.stock_quantity).toBe(1 % 7);
    const ok = await wooRequest(emu, { method: 'POST', path: 'products/batch', body: { update: update.slice(0, 100) } });
    expect(ok.status).toBe(200);
  });

  it('answers batches item by item in request order, without atomicity', async () => {
    emu = await startWooEmulator({ products: [...simpleProducts(2), variableProduct('TEE', 1), variableProduct('CAP', 1)] });
    // ids: 1, 2 simple; 3 TEE, 4 TEE-1; 5 CAP, 6 CAP-1
    const res = await wooRequest(emu, {
      method: 'POST', path: 'products/batch',
      body: { update: [
        { id: 1, manage_stock: true, stock_quantity: 11 },
        { id: 999, manage_stock: true, stock_quantity: 1 },
        { id: 4, manage_stock: true, stock_quantity: 1 },
        { id: 2, manage_stock: true, stock_quantity: 22 },
      ] },
    });
    expect(res.status).toBe(200);
    const update = (res.body as { update: Array<Record<string, unknown>> }).update;
    expect(update.map((u) => u.id)).toEqual([1, 999, 4, 2]);
    expect(update[0]).toMatchObject({ id: 1, stock_quantity: 11, manage_stock: true });
    expect(update[1]).toEqual({ id: 999, error: { code: 'woocommerce_rest_product_invalid_id', message: 'Invalid ID.', data: { status: 400 } } });
    expect(update[2]).toMatchObject({ id: 4, error: { code: 'woocommerce_rest_invalid_product_id', data: { status: 404 } } });
    expect(emu.stockBySku().get('SKU-0002')).toBe(22);

    const wrongParent = await wooRequest(emu, {
      method: 'POST', path: 'products/5/variations/batch',
      body: { update: [{ id: 4, manage_stock: true, stock_quantity: 9 }, { id: 6, manage_stock: true, stock_quantity: 9 }] },
    });
    const vUpdate = (wrongParent.body as { update: Array<Record<string, unknown>> }).update;
    expect(vUpdate[0]).toMatchObject({ id: 4, error: { code: 'woocommerce_rest_product_variation_invalid_id' } });
    expect(vUpdate[1]).toMatchObject({ id: 6, stock_quantity: 9, parent_id: 5 });
    expect(emu.stockBySku().get('TEE-1')).toBe(2);
  });

  it('stores stock_quantity only when manage_stock ends up true, and recalculates stock_status', async () => {
    emu = await startWooEmulator({
      products: [
        { sku: 'UNMANAGED', manage_stock: false },
        { sku: 'MANAGED', manage_stock: true, stock_quantity: 5 },
        variableProduct('VAR', 1),
        { type: 'grouped', sku: 'GROUP' },
      ],
    });
    const put = (id: number, body: unknown) => wooRequest(emu, { method: 'PUT', path: `products/${id}`, body });

    // No manage_stock: quantity ignored.
    expect((await put(1, { stock_quantity: 7 })).body).toMatchObject({ manage_stock: false, stock_quantity: null });
    // manage_stock in the same item: stored; zero is out of stock.
    expect((await put(1, { manage_stock: true, stock_quantity: 0 })).body).toMatchObject({ manage_stock: true, stock_quantity: 0, stock_status: 'outofstock' });
    // Already managed: quantity alone is enough.
    expect((await put(2, { stock_quantity: 3 })).body).toMatchObject({ stock_quantity: 3, stock_status: 'instock' });
    // Turning management off clears the quantity.
    expect((await put(2, { manage_stock: false })).body).toMatchObject({ manage_stock: false, stock_quantity: null });
    // Variable parents and grouped products keep no stock.
    expect((await put(3, { manage_stock: true, stock_quantity: 9 })).body).toMatchObject({ manage_stock: false, stock_quantity: null });
    expect((await put(5, { manage_stock: true, stock_quantity: 9 })).body).toMatchObject({ manage_stock: false, stock_quantity: null });
    // A variation id through the products endpoint is refused.
    expect((await put(4, { manage_stock: true, stock_quantity: 9 })).status).toBe(404);
  });

  it('ignores stock writes when the store option "Enable stock management" is off', async () => {
    emu = await startWooEmulator({ storeManagesStock: false, products: [{ sku: 'A' }] });
    const res = await wooRequest(emu, { method: 'PUT', path: 'products/1', body: { manage_stock: true, stock_quantity: 4 } });
    expect(res.body).toMatchObject({ manage_stock: false, stock_quantity: null });
  });

  describe('authentication', () => {
    it('rejects HTTP Basic over plain http', async () => {
      emu = await startWooEmulator({ products: simpleProducts(1) });
      const res = await wooRequest(emu, { path: 'products', auth: 'basic' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'woocommerce_rest_cannot_view', data: { status: 401 } });
      const viaQuery = await wooRequest(emu, { path: 'products', auth: 'none', query: { consumer_key: DEFAULT_WOO_KEY.consumerKey, consumer_secret: DEFAULT_WOO_KEY.consumerSecret } });
      expect(viaQuery.status).toBe(401);
    });

    it('accepts HTTP Basic over https and names a wrong secret', async () => {
      emu = await startWooEmulator({ tls: TEST_TLS, products: simpleProducts(1) });
      const store = createWooCommerceStore(configFor(emu));
      expect((await collect(store.list())).map((i) => i.sku)).toEqual(['SKU-0001']);
      expect(emu.requests[0]?.query.oauth_signature).toBeUndefined();
      const bad = createWooCommerceStore(configFor(emu, { consumerSecret: 'cs_nope' }));
      const err = await collect(bad.list()).catch((e: unknown) => e);
      expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
      expect((err as HttpError).message).toContain('Consumer secret is invalid.');
    });

    it('accepts a valid OAuth 1.0a signature (HMAC-SHA1)', async () => {
      emu = await startWooEmulator({ products: simpleProducts(1) });
      const res = await wooRequest(emu, { path: 'products', query: { per_page: 5, orderby: 'id' } });
      expect(res.status).toBe(200);
      // WooCommerce encodes each "name=value" pair a second time, so reserved characters sign as in RFC 5849.
      const withCommas = await wooRequest(emu, { path: 'products', query: { _fields: 'id,sku', sku: 'SKU-0001' } });
      expect([withCommas.status, withCommas.body]).toEqual([200, [{ id: 1, sku: 'SKU-0001' }]]);
    });

    it('refuses a tampered signature, a wrong secret and an unknown key', async () => {
      emu = await startWooEmulator({ products: simpleProducts(3) });
      const tampered = await wooRequest(emu, { path: 'products', query: { page: 1 }, tamper: (url) => url.searchParams.set('page', '2') });
      expect(tampered.status).toBe(401);
      expect(tampered.body).toEqual({
        code: 'woocommerce_rest_authentication_error',
        message: 'Invalid signature - provided signature does not match.',
        data: { status: 401 },
      });
      const forged = await wooRequest(emu, { path: 'products', tamper: (url) => url.searchParams.set('oauth_signature', 'AAAA') });
      expect(forged.status).toBe(401);
      const wrongSecret = await wooRequest(emu, { path: 'products', consumerSecret: 'cs_other' });
      expect((wrongSecret.body as { message: string }).message).toBe('Invalid signature - provided signature does not match.');
      const unknownKey = await wooRequest(emu, { path: 'products', consumerKey: 'ck_unknown' });
      expect(unknownKey.body).toMatchObject({ code: 'woocommerce_rest_authentication_error', message: 'Consumer key is invalid.' });
    });

    it('refuses a replayed nonce and a stale timestamp', async () => {
      emu = await startWooEmulator({ products: simpleProducts(1) });
      const timestamp = Math.floor(Date.now() / 1000);
      const first = await wooRequest(emu, { path: 'products', nonce: 'n0nce0001', timestamp });
      expect(first.status).toBe(200);
      const replay = await wooRequest(emu, { path: 'products', nonce: 'n0nce0001', timestamp });
      expect(replay.status).toBe(401);
      expect((replay.body as { message: string }).message).toBe('Invalid nonce - nonce has already been used.');
      const stale = await wooRequest(emu, { path: 'products', timestamp: timestamp - 16 * 60 });
      expect((stale.body as { message: string }).message).toBe('Invalid timestamp.');
    });

    it('refuses requests without credentials and writes with a read-only key', async () => {
      emu = await startWooEmulator({ permissions: 'read', products: simpleProducts(1) });
      const anonymous = await wooRequest(emu, { path: 'products', auth: 'none' });
      expect(anonymous.body).toMatchObject({ code: 'woocommerce_rest_cannot_view', data: { status: 401 } });
      expect((await wooRequest(emu, { path: 'products' })).status).toBe(200);
      const write = await wooRequest(emu, { method: 'POST', path: 'products/batch', body: { update: [{ id: 1, stock_quantity: 1 }] } });
      expect(write.status).toBe(401);
      expect((write.body as { message: string }).message).toBe('The API key provided does not have write permissions.');
    });

    it('answers an unknown route with rest_no_route', async () => {
      emu = await startWooEmulator();
      const res = await wooRequest(emu, { path: 'coupons' });
      expect([res.status, (res.body as { code: string }).code]).toEqual([404, 'rest_no_route']);
    });
  });

  describe('fault switches', () => {
    it('limits requests per rolling second with 429 and Retry-After: 1', async () => {
      emu = await startWooEmulator({ faults: { rateLimitPerSecond: 2 } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await wooRequest(emu, { path: 'products' })));
      expect(statuses.map((s) => s.status)).toEqual([200, 200, 429]);
      expect(statuses[2]?.headers.get('retry-after')).toBe('1');
    });

    it('serves an HTML maintenance page with 200, which the adapter treats as a failure', async () => {
      emu = await startWooEmulator({ products: simpleProducts(1), faults: { htmlMaintenance: true } });
      const raw = await wooRequest(emu, { path: 'products' });
      expect(raw.status).toBe(200);
      expect(raw.headers.get('content-type')).toContain('text/html');
      const err = await collect(createWooCommerceStore(configFor(emu, { retries: 1 })).list()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).details.auth).toBeFalsy();
    });

    it('drops connections without a response; the adapter retries', async () => {
      emu = await startWooEmulator({ products: simpleProducts(3), faults: { dropConnections: 1 } });
      const items = await collect(createWooCommerceStore(configFor(emu)).list());
      expect(items).toHaveLength(3);
      expect(emu.requests[0]?.status).toBe(0);
    });
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('WooCommerce store adapter', () => {
  let emu: WooEmulator;
  afterEach(async () => { await emu?.close(); });

  it('refuses a batchSize above the API maximum', () => {
    const config: WooCommerceStoreConfig = { type: 'woocommerce', url: 'http://shop.test', consumerKey: 'ck', consumerSecret: 'cs', batchSize: 101 };
    expect(() => createWooCommerceStore(config)).toThrow(ConfigError);
    expect(() => createWooCommerceStore(config)).toThrow('store.batchSize: at most 100 for woocommerce (the API maximum)');
    expect(createWooCommerceStore({ ...config, batchSize: undefined }).limits.maxBatch).toBe(100);
  });

  it('groups simple products together and variations by parent', () => {
    const store = createWooCommerceStore({ type: 'woocommerce', url: 'http://shop.test', consumerKey: 'ck', consumerSecret: 'cs' });
    const change = (productId: number, variationId: number | null): Change => ({ seq: 1, sku: 'x', productId, variationId, from: null, to: 1 });
    expect(store.batchKey(change(7, null))).toBe('products');
    expect(store.batchKey(change(7, 9))).toBe('variations:7');
  });

  it('yields variations right after their parent in variation-id order, never the parent, grouped or external products', async () => {
    emu = await startWooEmulator({
      products: [
        { sku: 'A', stock_quantity: 1 },
        variableProduct('V', 2),
        { type: 'grouped', sku: 'G' },
        { type: 'external', sku: 'E' },
        { sku: ' B ', manage_stock: false },
      ],
    });
    emu.seedVariation(2, { sku: 'V-late', stock_quantity: 8 });
    const items = await collect(createWooCommerceStore(configFor(emu, { pageSize: 2 })).list());
    const product = { hidden: false, outOfStock: false, values: { catalog_visibility: 'visible', stock_status: 'instock' } };
    const variation = { hidden: false, outOfStock: false, values: { status: 'publish', stock_status: 'instock' } };
    expect(items).toEqual([
      { sku: 'A', productId: 1, variationId: null, qty: 1, managed: true, name: 'Product A', price: null, visibility: product },
      { sku: 'V-1', productId: 2, variationId: 3, qty: 2, managed: true, name: 'V - 1', price: null, visibility: variation },
      { sku: 'V-2', productId: 2, variationId: 4, qty: 3, managed: true, name: 'V - 2', price: null, visibility: variation },
      { sku: 'V-late', productId: 2, variationId: 8, qty: 8, managed: true, name: 'Variable V - V-late', price: null, visibility: variation },
      { sku: 'B', productId: 7, variationId: null, qty: null, managed: false, name: 'Product  B ', price: null, visibility: product },
    ]);
  });

  it('fetches the variations of a page concurrently but yields in store order', async () => {
    emu = await startWooEmulator({ products: [variableProduct('P', 3), variableProduct('Q', 2), variableProduct('R', 1)], faults: { latencyMs: 150 } });
    const items = await collect(createWooCommerceStore(configFor(emu, { concurrency: 3 })).list());
    expect(items.map((i) => i.sku)).toEqual(['P-1', 'P-2', 'P-3', 'Q-1', 'Q-2', 'R-1']);
    const variationCalls = emu.requests.filter((r) => r.path.endsWith('/variations')).map((r) => r.at);
    expect(variationCalls).toHaveLength(3);
    expect(Math.max(...variationCalls) - Math.min(...variationCalls)).toBeLessThan(100);
  });

  it('signs plain-http requests with OAuth and sends no _fields there; https sends _fields and Basic', async () => {
    emu = await startWooEmulator({ products: [...simpleProducts(2), variableProduct('V', 1)] });
    await collect(createWooCommerceStore(configFor(emu)).list());
    expect(emu.requests.length).toBe(2);
    for (const r of emu.requests) {
      expect(r.query._fields).toBeUndefined();
      expect(r.query.oauth_signature_method).toBe('HMAC-SHA1');
      expect(r.query).toMatchObject({ per_page: '100', orderby: 'id', order: 'asc', page: '1' });
    }
    await emu.close();

    emu = await startWooEmulator({ tls: TEST_TLS, products: simpleProducts(2) });
    await collect(createWooCommerceStore(configFor(emu)).list());
    expect(emu.requests[0]?.query._fields).toBe('id,sku,type,name,manage_stock,stock_quantity,parent_id,variations,regular_price,catalog_visibility,status,stock_status');
    expect(emu.requests[0]?.query.oauth_signature).toBeUndefined();
  });

  it('writes one batch per call with manage_stock and stock_quantity, to the parent of variations', async () => {
    emu = await startWooEmulator({ products: [...simpleProducts(2), variableProduct('V', 2)] });
    const store = createWooCommerceStore(configFor(emu));
    const items = await collect(store.list());
    const variations = items.filter((i) => i.variationId !== null).map((item, i) => changeFor(item, i + 1, 40 + i));
    expect(await store.apply(variations)).toEqual({ failed: [] });
    const write = emu.requests.filter((r) => r.method === 'POST');
    expect(write.map((r) => [r.path, r.items])).toEqual([['/wp-json/wc/v3/products/3/variations/batch', 2]]);
    expect(emu.stockBySku().get('V-2')).toBe(41);
  });

  it('reports per-item errors as "<code>: <message>" and keeps the rest', async () => {
    emu = await startWooEmulator({ products: simpleProducts(2) });
    const store = createWooCommerceStore(configFor(emu));
    const batch: Change[] = [
      { seq: 1, sku: 'SKU-0001', productId: 1, variationId: null, from: 1, to: 9 },
      { seq: 2, sku: 'GONE', productId: 404, variationId: null, from: 1, to: 9 },
    ];
    expect(await store.apply(batch)).toEqual({ failed: [{ seq: 2, message: 'woocommerce_rest_product_invalid_id: Invalid ID.' }] });
    expect(emu.stockBySku().get('SKU-0001')).toBe(9);
  });

  it('counts a success whose stock did not stick as failed (store-wide stock management off)', async () => {
    emu = await startWooEmulator({ storeManagesStock: false, products: [{ sku: 'A' }] });
    const store = createWooCommerceStore(configFor(emu));
    const result = await store.apply([{ seq: 1, sku: 'A', productId: 1, variationId: null, from: null, to: 3 }]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.message).toContain('Enable stock management');
  });

  it('counts items missing from the batch response as failed', async () => {
    // A server (proxy, plugin) that answers 200 with a shortened list.
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ update: [{ id: 2, manage_stock: true, stock_quantity: 5 }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const store = createWooCommerceStore({ type: 'woocommerce', url, consumerKey: 'ck', consumerSecret: 'cs' });
      const result = await store.apply([
        { seq: 1, sku: 'A', productId: 1, variationId: null, from: 0, to: 5 },
        { seq: 2, sku: 'B', productId: 2, variationId: null, from: 0, to: 5 },
      ]);
      expect(result.failed).toEqual([{ seq: 1, message: 'no result for id 1 in the batch response' }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('propagates a whole-request auth failure from apply as an auth HttpError', async () => {
    emu = await startWooEmulator({ products: simpleProducts(1), faults: { failAuth: true } });
    const store = createWooCommerceStore(configFor(emu));
    const err = await store.apply([{ seq: 1, sku: 'SKU-0001', productId: 1, variationId: null, from: 1, to: 2 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.auth).toBe(true);
    expect(emu.requests).toHaveLength(1);
  });

  it('check() reads one product and describes the store', async () => {
    emu = await startWooEmulator({ products: simpleProducts(4) });
    const text = await createWooCommerceStore(configFor(emu)).check?.();
    expect(text).toContain('4 products');
    expect(text).toContain('OAuth 1.0a');
    expect(emu.requests.map((r) => r.query.per_page)).toEqual(['1']);
  });
});

describe('WooCommerce rules.status writes (SPEC §14)', () => {
  let emu: WooEmulator;
  afterEach(async () => { await emu?.close(); });

  it('hides a product (catalog_visibility) and a variation (status) in the same batch request as their stock, reads both back, and restores them', async () => {
    emu = await startWooEmulator({ products: [{ sku: 'A', manage_stock: true, stock_quantity: 5 }, variableProduct('V', 1)] });
    const store = createWooCommerceStore(configFor(emu));
    const [a, v] = await collect(store.list());
    const hideA: Change = { seq: 1, sku: 'A', productId: a!.productId, variationId: null, from: 5, to: 0,
      statusAction: { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } } };
    const hideV: Change = { seq: 2, sku: 'V-1', productId: v!.productId, variationId: v!.variationId, from: 1, to: 0,
      statusAction: { to: 'hide', set: { status: 'private' }, from: { status: 'publish' } } };
    const writes = emu.writeRequests();
    expect(await store.apply([hideA])).toEqual({ failed: [] });
    expect(await store.apply([hideV])).toEqual({ failed: [] });
    expect(emu.writeRequests() - writes).toBe(2);
    expect([emu.get(Number(a!.productId))!.catalog_visibility, emu.get(Number(v!.variationId))!.status]).toEqual(['hidden', 'private']);
    expect([emu.get(Number(a!.productId))!.stock_quantity, emu.get(Number(v!.variationId))!.stock_quantity]).toEqual([0, 0]);

    const seen = await store.read([hideA, hideV]);
    expect(seen.get(1)).toEqual({ qty: 0, managed: true, price: null, visibility: { hidden: true, outOfStock: true, values: { catalog_visibility: 'hidden', stock_status: 'outofstock' } } });
    expect(seen.get(2)).toEqual({ qty: 0, managed: true, price: null, visibility: { hidden: true, outOfStock: true, values: { status: 'private', stock_status: 'outofstock' } } });

    // Restore alone: the fields only, no stock in the request (`to` is not written).
    const restoreA: Change = { seq: 3, sku: 'A', productId: a!.productId, variationId: null, from: 0, to: 99,
      statusAction: { to: 'restore', of: 'hide', set: { catalog_visibility: 'visible' }, from: { catalog_visibility: 'hidden' }, alone: true } };
    expect(await store.apply([restoreA])).toEqual({ failed: [] });
    expect([emu.get(Number(a!.productId))!.catalog_visibility, emu.get(Number(a!.productId))!.stock_quantity]).toEqual(['visible', 0]);
  });

  it('marks an unmanaged item out of stock with stock_status alone, never switching stock management on', async () => {
    emu = await startWooEmulator({ products: [{ sku: 'U', manage_stock: false, stock_status: 'instock' }] });
    const store = createWooCommerceStore(configFor(emu));
    const [u] = await collect(store.list());
    const c: Change = { seq: 1, sku: 'U', productId: u!.productId, variationId: null, from: null, to: 0,
      statusAction: { to: 'outofstock', set: { stock_status: 'outofstock' }, from: { stock_status: 'instock' }, alone: true } };
    expect(await store.apply([c])).toEqual({ failed: [] });
    const r = emu.get(Number(u!.productId))!;
    expect([r.manage_stock, r.stock_quantity, r.stock_status]).toEqual([false, null, 'outofstock']);
  });

  it('the fake rejects an unknown status value per item with rest_invalid_param (400), like WordPress, and saves nothing of that item', async () => {
    emu = await startWooEmulator({ products: [{ sku: 'A', manage_stock: true, stock_quantity: 5 }, { sku: 'B', manage_stock: true, stock_quantity: 5 }] });
    const store = createWooCommerceStore(configFor(emu));
    const [a, b] = await collect(store.list());
    const bad: Change = { seq: 1, sku: 'A', productId: a!.productId, variationId: null, from: 5, to: 0,
      statusAction: { to: 'hide', set: { catalog_visibility: 'invisible' }, from: { catalog_visibility: 'visible' } } };
    const good: Change = { seq: 2, sku: 'B', productId: b!.productId, variationId: null, from: 5, to: 0,
      statusAction: { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } } };
    expect(await store.apply([bad, good])).toEqual({
      failed: [{ seq: 1, message: 'rest_invalid_param: Invalid parameter(s): catalog_visibility' }],
    });
    expect([emu.get(Number(a!.productId))!.catalog_visibility, emu.get(Number(a!.productId))!.stock_quantity]).toEqual(['visible', 5]);
    expect(emu.get(Number(b!.productId))!.catalog_visibility).toBe('hidden');
  });
});
