import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Shift4ShopStoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError } from '../../src/domain/errors.js';
import type { Change } from '../../src/domain/types.js';
import { createShift4ShopStore } from '../../src/stores/shift4shop/index.js';
import { changeFor, collect, hideChange, restoreChange, runStoreContract, toBatches, type StoreContractContext } from '../contracts/store-contract.js';
import { s4sCatalog, s4sRequest, startShift4ShopFake, type S4sFake, type S4sFakeOptions } from '../fakes/shift4shop.js';
import { contractHooks } from '../fakes/fake-http.js';

beforeAll(() => {
  // Read by the http client when an adapter is created: keeps retries fast.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function simpleProducts(n: number): Array<{ sku: string; stock: number }> {
  return Array.from({ length: n }, (_, i) => ({ sku: `P${String(i + 1).padStart(4, '0')}`, stock: i % 5 }));
}

/** Tests lift the default 2 requests/s unless they are about it. */
const FAST = { perSecond: 1000 } as const;

function configFor(fake: S4sFake, overrides: Partial<Shift4ShopStoreConfig> = {}): Shift4ShopStoreConfig {
  return {
    type: 'shift4shop',
    url: fake.apiUrl,
    secureUrl: fake.credentials.secureUrl,
    privateKey: fake.credentials.privateKey,
    token: fake.credentials.token,
    rateLimit: FAST,
    ...overrides,
  };
}

function s4sContract(options: S4sFakeOptions): () => Promise<StoreContractContext> {
  return async () => {
    const fake = await startShift4ShopFake(options);
    const config = configFor(fake, { pageSize: 10, batchSize: 10 });
    return {
      adapter: createShift4ShopStore(config),
      fake: {
        ...contractHooks(fake, s4sCatalog),
        badCredentialsAdapter: () => createShift4ShopStore({ ...config, token: 'tk_revoked_token_value' }),
        deleteItem: async (sku) => fake.remove(sku),
      },
      // No id filter: the listing (10 a page) up to the page holding the last product wanted.
      readRequests: (changes) => listingPages(new Set(changes.map((c) => c.productId)).size, 10, options.offsetBase ?? 1),
      close: () => fake.close(),
    };
  };
}

/**
 * Listing requests that see the first `products` records, advancing the offset by the page
 * length from 0: on a 1-based server offset 0 reads as 1, so each later page starts with the
 * previous page's last record and page k reaches record k·limit − 1.
 */
function listingPages(products: number, limit: number, offsetBase: 0 | 1): number {
  if (products <= limit || offsetBase === 0) return Math.max(1, Math.ceil(products / limit));
  return Math.ceil((products + 1) / limit);
}

runStoreContract('shift4shop (1-based offsets, "Offset amount exceeds" at the end)', s4sContract({}));
runStoreContract('shift4shop (0-based offsets, 404 at the end, numeric Status)', s4sContract({ offsetBase: 0, pastEnd: 'not-found', numericStatus: true }));

/* ------------------------------------------------------------------------------------------ */

describe('Shift4Shop fake behaves like the 3dcart REST API v1', () => {
  let fake: S4sFake;
  afterEach(async () => { await fake?.close(); });

  it('answers GET /Products/{CatalogID} with an array of that product, and a 404 record list for none', async () => {
    fake = await startShift4ShopFake({ products: simpleProducts(2) });
    const one = await s4sRequest(fake, 'Products/2');
    expect([one.status, (one.body as Array<{ SKUInfo: { CatalogID: number } }>).map((p) => p.SKUInfo.CatalogID)]).toEqual([200, [2]]);
    const none = await s4sRequest(fake, 'Products/9');
    expect([none.status, none.body]).toEqual([404, [{ Key: 'Error', Value: '', Status: '404', Message: 'No records found' }]]);
  });

  it('requires SecureURL, PrivateKey and Token (the bare host is accepted as SecureURL)', async () => {
    fake = await startShift4ShopFake({ products: s4sCatalog(2).products });
    expect((await s4sRequest(fake, 'Products?limit=5')).status).toBe(200);
    expect((await s4sRequest(fake, 'Products', { headers: { SecureURL: 'merchant-store.3dcartstores.com' } })).status).toBe(200);
    const wrong = await s4sRequest(fake, 'Products', { headers: { Token: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual([{ Key: 'Error', Value: '', Status: '401', Message: 'Authorization has been denied for this request.' }]);
    expect((await s4sRequest(fake, 'Products', { headers: { PrivateKey: '' } })).status).toBe(401);
    expect((await s4sRequest(fake, 'Products', { headers: { SecureURL: 'https://other.3dcartstores.com' } })).status).toBe(401);
  });

  it('serves at most 200 products per page whatever limit is asked', async () => {
    fake = await startShift4ShopFake({ products: simpleProducts(250) });
    const res = await s4sRequest(fake, 'Products?limit=500&offset=1');
    expect((res.body as unknown[]).length).toBe(200);
  });

  it('counts offsets from 1 (0 reads as 1) and answers "Offset amount exceeds…" past the end', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'A' }, { sku: 'B' }, { sku: 'C' }] });
    const skus = async (q: string) => ((await s4sRequest(fake, `Products?${q}`)).body as Array<{ SKUInfo: { SKU: string } }>).map((p) => p.SKUInfo.SKU);
    expect(await skus('limit=2&offset=0')).toEqual(['A', 'B']);
    expect(await skus('limit=2&offset=1')).toEqual(['A', 'B']);
    expect(await skus('limit=2&offset=2')).toEqual(['B', 'C']);
    const past = await s4sRequest(fake, 'Products?limit=2&offset=4');
    expect([past.status, past.body]).toEqual([400, [{ Key: 'Error', Value: '', Status: '400', Message: 'Offset amount exceeds the total number of records' }]]);
  });

  it('can count offsets from 0 and end with 404 instead (both seen in client libraries)', async () => {
    fake = await startShift4ShopFake({ offsetBase: 0, pastEnd: 'not-found', products: [{ sku: 'A' }, { sku: 'B' }] });
    const first = await s4sRequest(fake, 'Products?limit=1&offset=1');
    expect((first.body as Array<{ SKUInfo: { SKU: string } }>)[0]?.SKUInfo.SKU).toBe('B');
    expect((await s4sRequest(fake, 'Products?limit=1&offset=2')).status).toBe(404);
  });

  it('answers an empty catalog with 404', async () => {
    fake = await startShift4ShopFake();
    expect((await s4sRequest(fake, 'Products?limit=10&offset=0')).status).toBe(404);
  });

  it('refuses PUT /Products with more than 100 records and reports each record otherwise', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'A', stock: 1 }] });
    const tooMany = Array.from({ length: 101 }, () => ({ SKUInfo: { CatalogID: 1, Stock: 2 } }));
    expect((await s4sRequest(fake, 'Products', { method: 'PUT', body: tooMany })).status).toBe(400);
    expect(fake.stockBySku().get('A')).toBe(1);
    const res = await s4sRequest(fake, 'Products', { method: 'PUT', body: [{ SKUInfo: { CatalogID: 1, Stock: 7 } }, { SKUInfo: { CatalogID: 99, Stock: 7 } }] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { Key: 'CatalogID', Value: '1', Status: '200', Message: 'Updated successfully' },
      { Key: 'CatalogID', Value: '99', Status: '404', Message: 'Record not found' },
    ]);
    expect(fake.stockBySku().get('A')).toBe(7);
  });

  it('updates only the advanced options a PUT names', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'T', options: [{ code: '7', sku: 'T-S', stock: 1 }, { code: '8', sku: 'T-M', stock: 2 }] }] });
    const res = await s4sRequest(fake, 'Products/1/AdvancedOptions', { method: 'PUT', body: [{ AdvancedOptionCode: '8', AdvancedOptionStock: 5 }] });
    expect(res.body).toEqual([{ Key: 'AdvancedOptionCode', Value: '8', Status: '200', Message: 'Updated successfully' }]);
    expect([...fake.stockBySku()]).toEqual([['T-S', 1], ['T-M', 5]]);
  });

  it('answers unknown routes like ASP.NET Web API', async () => {
    fake = await startShift4ShopFake();
    const res = await s4sRequest(fake, 'Widgets');
    expect(res.status).toBe(404);
    expect((res.body as { Message: string }).Message).toMatch(/^No HTTP resource was found/);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('Shift4Shop store adapter', () => {
  let fake: S4sFake;
  afterEach(async () => { await fake?.close(); });

  const readPaths = () => fake.requests.map((r) => (r.path.endsWith('/Products') ? `list@${r.query.offset}` : r.path.replace(/^.*\/Products\//, 'one:')));

  it('reads back a few products of a large catalog with the first listing page and one GET each for the rest; a deleted one is absent', async () => {
    fake = await startShift4ShopFake({ products: [...simpleProducts(250), { sku: 'T', options: [{ code: '7', sku: 'T-1', stock: 4 }, { code: '8', sku: 'T-2', stock: 6 }] }] });
    fake.remove('P0150');
    const change = (seq: number, productId: number, variationId: string | null = null): Change => ({ seq, sku: `s${seq}`, productId, variationId, from: 0, to: 1 });
    const changes = [change(1, 2), change(2, 100), change(3, 150), change(4, 251, '8'), change(5, 251, '9')];
    const seen = await createShift4ShopStore(configFor(fake, { pageSize: 10 })).read(changes);
    expect([...seen].map(([k, r]) => [k, { qty: r.qty, managed: r.managed }])).toEqual([[1, { qty: 1, managed: true }], [2, { qty: 4, managed: true }], [4, { qty: 6, managed: true }]]);
    expect(readPaths()).toEqual(['list@0', 'one:100', 'one:150', 'one:251']);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 404, 200]);
  });

  it('reads back many products by paging the listing only until all of them were seen', async () => {
    fake = await startShift4ShopFake({ offsetBase: 0, products: simpleProducts(100) });
    // 15 unseen after the first page: more than SHIFT4SHOP_SINGLE_READS, so the listing goes on (and stops at product 25).
    const changes = Array.from({ length: 25 }, (_, i): Change => ({ seq: i + 1, sku: `P${i}`, productId: i + 1, variationId: null, from: 0, to: 1 }));
    const seen = await createShift4ShopStore(configFor(fake, { pageSize: 10 })).read(changes);
    expect(seen.size).toBe(25);
    expect(readPaths()).toEqual(['list@0', 'list@10', 'list@20']);
  });

  it('reads a whole small catalog in one listing request, wherever the products are', async () => {
    fake = await startShift4ShopFake({ products: simpleProducts(8) });
    const changes = [3, 8, 9].map((id, i): Change => ({ seq: i + 1, sku: `P${id}`, productId: id, variationId: null, from: 0, to: 1 }));
    const seen = await createShift4ShopStore(configFor(fake, { pageSize: 10 })).read(changes);
    expect([...seen.keys()]).toEqual([1, 2]);
    expect(readPaths()).toEqual(['list@0']);
  });

  it('refuses a batchSize above 100 and defaults to 100', () => {
    const config: Shift4ShopStoreConfig = { type: 'shift4shop', url: 'https://apirest.3dcart.com/3dCartWebAPI/v1', secureUrl: 'https://s.example.com', privateKey: 'pk', token: 'tk', batchSize: 101 };
    expect(() => createShift4ShopStore(config)).toThrow(ConfigError);
    expect(() => createShift4ShopStore(config)).toThrow('store.batchSize: at most 100 for shift4shop (the API maximum)');
    expect(createShift4ShopStore({ ...config, batchSize: undefined }).limits.maxBatch).toBe(100);
  });

  it('lists a product with advanced options as its options, in CatalogID then option-code order', async () => {
    fake = await startShift4ShopFake({
      products: [
        { sku: 'A', name: 'Alpha', stock: 3.5 },
        { sku: 'T', name: 'Tee', stock: 99, options: [{ code: '10', sku: 'T-L', name: 'Large', stock: 4 }, { code: '9', sku: ' T-S ', name: 'Small', stock: 0 }] },
        { sku: 'B', stock: 0 },
      ],
    });
    const items = await collect(createShift4ShopStore(configFor(fake)).list());
    expect(items).toEqual([
      { sku: 'A', productId: 1, variationId: null, qty: 3.5, managed: true, name: 'Alpha', price: '9.99', visibility: { hidden: false, outOfStock: false, values: { Hide: false } } },
      { sku: 'T-S', productId: 2, variationId: '9', qty: 0, managed: true, name: 'Tee - Small' },
      { sku: 'T-L', productId: 2, variationId: '10', qty: 4, managed: true, name: 'Tee - Large' },
      { sku: 'B', productId: 3, variationId: null, qty: 0, managed: true, name: 'Product B', price: '9.99', visibility: { hidden: false, outOfStock: false, values: { Hide: false } } },
    ]);
  });

  it('pages from offset 0 by the page length and never asks for more than 200', async () => {
    fake = await startShift4ShopFake({ products: simpleProducts(450) });
    const store = createShift4ShopStore(configFor(fake, { pageSize: 500 }));
    const items = await collect(store.list());
    expect(new Set(items.map((i) => i.sku)).size).toBe(items.length);
    expect(items).toHaveLength(450);
    expect(fake.requests.map((r) => [r.query.limit, r.query.offset])).toEqual([['200', '0'], ['200', '200'], ['200', '400']]);
  });

  it('spaces requests 500 ms apart by default (2 requests per second)', async () => {
    fake = await startShift4ShopFake({ products: simpleProducts(8) });
    await collect(createShift4ShopStore(configFor(fake, { rateLimit: undefined, pageSize: 2 })).list());
    const times = fake.requests.map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(4);
    // Slots are 500 ms apart; on a loaded machine one request may leave late and the next on time,
    // so judge the pace over the whole run rather than one gap.
    const span = (times[times.length - 1] as number) - (times[0] as number);
    expect(span).toBeGreaterThanOrEqual((times.length - 1) * 500 - 150);
  });

  it('writes products with one PUT /Products and options with one PUT per product', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'A', stock: 1 }, { sku: 'B', stock: 1 }, { sku: 'T', options: [{ code: '5', sku: 'T-1', stock: 1 }, { code: '6', sku: 'T-2', stock: 1 }] }] });
    const store = createShift4ShopStore(configFor(fake));
    const items = await collect(store.list());
    const changes = items.map((item, i) => changeFor(item, i + 1, 10 + i));
    for (const batch of toBatches(store, changes)) expect(await store.apply(batch)).toEqual({ failed: [] });
    const writes = fake.requests.filter((r) => r.write).map((r) => [r.method, r.path, r.items]);
    expect(writes).toEqual([['PUT', '/3dCartWebAPI/v1/Products', 2], ['PUT', '/3dCartWebAPI/v1/Products/3/AdvancedOptions', 2]]);
    expect([...fake.stockBySku()]).toEqual([['A', 10], ['B', 11], ['T-1', 12], ['T-2', 13]]);
  });

  it('reports a per-record failure as "<Status>: <Message>" and applies the rest', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'A', stock: 1 }] });
    const store = createShift4ShopStore(configFor(fake));
    const batch: Change[] = [
      { seq: 1, sku: 'A', productId: 1, variationId: null, from: 1, to: 9 },
      { seq: 2, sku: 'GONE', productId: 404, variationId: null, from: 1, to: 9 },
    ];
    expect(await store.apply(batch)).toEqual({ failed: [{ seq: 2, message: '404: Record not found' }] });
    expect(fake.stockBySku().get('A')).toBe(9);
  });

  it('fails the whole request, with the store\'s message, when a product disappeared since the listing', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'A', stock: 1 }] });
    const store = createShift4ShopStore(configFor(fake));
    const err = await store.apply([{ seq: 1, sku: 'X-1', productId: 77, variationId: '5', from: 1, to: 2 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details).toMatchObject({ status: 404, retryable: false });
    expect((err as HttpError).details.auth).toBeFalsy();
    expect((err as HttpError).message).toContain('Record not found');
  });

  it('stops at once with an auth HttpError when the token may read but not write', async () => {
    fake = await startShift4ShopFake({ readOnly: true, products: [{ sku: 'A', stock: 1 }] });
    const store = createShift4ShopStore(configFor(fake));
    await collect(store.list());
    const before = fake.requests.length;
    const err = await store.apply([{ seq: 1, sku: 'A', productId: 1, variationId: null, from: 1, to: 2 }]).catch((e: unknown) => e);
    expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
    expect((err as HttpError).message).toContain('Authorization has been denied');
    expect(fake.requests.length - before).toBe(1);
  });

  it('retries a dropped connection while listing', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'A', stock: 1 }], faults: { dropConnections: 1 } });
    expect(await collect(createShift4ShopStore(configFor(fake)).list())).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([0, 200]);
  });

  it('lists an empty catalog as no items (404 "no records"), but a wrong API base URL fails', async () => {
    fake = await startShift4ShopFake();
    expect(await collect(createShift4ShopStore(configFor(fake)).list())).toEqual([]);
    const wrongBase = createShift4ShopStore(configFor(fake, { url: `${fake.url}/3dCartWebAPI/v9` }));
    const err = await collect(wrongBase.list()).catch((e: unknown) => e);
    expect((err as HttpError).details?.status).toBe(404);
  });

  it('writes 1,000 changed products in 10 requests', async () => {
    fake = await startShift4ShopFake({ products: simpleProducts(1000) });
    const store = createShift4ShopStore(configFor(fake));
    const items = await collect(store.list());
    const before = fake.writeRequests();
    for (const batch of toBatches(store, items.map((item, i) => changeFor(item, i + 1, 5)))) await store.apply(batch);
    expect(fake.writeRequests() - before).toBe(10);
    expect(new Set(fake.stockBySku().values())).toEqual(new Set([5]));
  });
});

describe('Shift4Shop rules.status writes (SPEC §14)', () => {
  let fake: S4sFake;
  afterEach(async () => { await fake?.close(); });

  it('hides a product with Hide in the same PUT /Products record as its stock, reads it back, restores it alone', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'P', stock: 5 }, { sku: 'Q', stock: 5 }] });
    const store = createShift4ShopStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.visibility])).toEqual([
      ['P', { hidden: false, outOfStock: false, values: { Hide: false } }],
      ['Q', { hidden: false, outOfStock: false, values: { Hide: false } }],
    ]);
    const hide = hideChange(items[0]!, 1, 0, { Hide: true }, { Hide: false });
    const before = fake.writeRequests();
    expect(await store.apply([hide, changeFor(items[1]!, 2, 4)])).toEqual({ failed: [] });
    expect(fake.writeRequests() - before).toBe(1);
    const p = fake.get(Number(items[0]!.productId))!;
    expect([p.hide, p.stock]).toEqual([true, 0]);
    expect((await store.read([hide])).get(1)).toEqual({ qty: 0, managed: true, visibility: { hidden: true, outOfStock: false, values: { Hide: true } } });

    const restore = restoreChange(items[0]!, 3, 99, { Hide: false }, { Hide: true });
    expect(await store.apply([restore])).toEqual({ failed: [] });
    expect([fake.get(Number(items[0]!.productId))!.hide, fake.get(Number(items[0]!.productId))!.stock]).toEqual([false, 0]);
  });

  it('the fake refuses a non-boolean Hide per record (400), the others still saved', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'P', stock: 5 }, { sku: 'Q', stock: 5 }] });
    const store = createShift4ShopStore(configFor(fake));
    const items = await collect(store.list());
    const bad = hideChange(items[0]!, 1, 0, { Hide: 'yes' }, { Hide: false });
    const good = hideChange(items[1]!, 2, 0, { Hide: true }, { Hide: false });
    const result = await store.apply([bad, good]);
    expect(result.failed.map((f) => f.seq)).toEqual([1]);
    expect(result.failed[0]!.message).toContain('Invalid value for Hide');
    expect([fake.get(Number(items[0]!.productId))!.hide, fake.get(Number(items[1]!.productId))!.hide]).toEqual([false, true]);
  });
});
