import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Magento2StoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError } from '../../src/domain/errors.js';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { announcedCap, apiBase, createMagento2Store } from '../../src/stores/magento2/index.js';
import { CAP_TTL_MS, CAPS_FILE, stateDirCapMemory } from '../../src/stores/batch-cap.js';
import { defaultRequestBudget, sendIsolating } from '../../src/stores/isolate.js';
import { renderMagentoError, renderPlaceholders } from '../../src/stores/magento2/messages.js';
import { chunkForQuery, isLastPage, searchCriteriaParams, skuFilters } from '../../src/stores/magento2/search-criteria.js';
import { changeFor, collect, hideChange, restoreChange, runStoreContract, toBatches, type StoreContractContext } from '../contracts/store-contract.js';
import { magentoCatalog, magentoRequest, startMagentoFake, type MagentoFake, type MagentoFakeOptions } from '../fakes/magento2.js';
import { contractHooks } from '../fakes/fake-http.js';

beforeAll(() => {
  // Read by the http client when an adapter is created: keeps retries fast.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function configFor(fake: MagentoFake, overrides: Partial<Magento2StoreConfig> = {}): Magento2StoreConfig {
  return { type: 'magento2', url: fake.url, token: fake.token, msi: true, sourceCode: 'default', ...overrides };
}

function magentoContract(options: MagentoFakeOptions, urlSuffix = ''): () => Promise<StoreContractContext> {
  return async () => {
    const fake = await startMagentoFake(options);
    const config = configFor(fake, { pageSize: 10, batchSize: 10, url: `${fake.url}${urlSuffix}` });
    return {
      adapter: createMagento2Store(config),
      fake: {
        ...contractHooks(fake, magentoCatalog),
        badCredentialsAdapter: () => createMagento2Store({ ...config, token: 'mgt_expired_token_000' }),
        deleteItem: async (sku) => fake.remove(sku),
      },
      // One source-items search per pageSize (10) SKUs.
      readRequests: (changes) => Math.ceil(new Set(changes.map((c) => c.sku.toLowerCase())).size / 10),
      close: () => fake.close(),
    };
  };
}

runStoreContract('magento2 (MSI, Web API input limits on)', magentoContract({ inputLimits: true }));
runStoreContract('magento2 (MSI, url with /rest/default, no input limits)', magentoContract({}, '/rest/default'));

/* ------------------------------------------------------------------------------------------ */

describe('Magento 2 fake behaves like the REST API', () => {
  let fake: MagentoFake;
  afterEach(async () => { await fake?.close(); });

  const products = (fake_: MagentoFake, query: Record<string, string | number>) => magentoRequest(fake_, 'products', {
    query: { 'searchCriteria[sortOrders][0][field]': 'entity_id', 'searchCriteria[sortOrders][0][direction]': 'ASC', ...query },
  });

  it('returns the last page again past the end, with total_count, and never a stock_item in lists', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }, { sku: 'C', qty: 3 }] });
    const page2 = await products(fake, { 'searchCriteria[pageSize]': 2, 'searchCriteria[currentPage]': 2 });
    const page9 = await products(fake, { 'searchCriteria[pageSize]': 2, 'searchCriteria[currentPage]': 9 });
    const itemsOf = (r: { body: unknown }) => (r.body as { items: unknown[]; total_count: number });
    expect([itemsOf(page9).items, itemsOf(page9).total_count]).toEqual([itemsOf(page2).items, 3]);
    expect(page2.body).toMatchObject({ total_count: 3, items: [{ id: 3, sku: 'C', type_id: 'simple' }] });
    expect(JSON.stringify(page2.body)).not.toContain('stock_item');
  });

  it('trims responses to `fields` (total_count only when asked for)', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }] });
    const trimmed = await products(fake, { 'searchCriteria[pageSize]': 5, fields: 'items[id,sku],total_count' });
    expect(trimmed.body).toEqual({ items: [{ id: 1, sku: 'A' }], total_count: 1 });
    const noTotal = await products(fake, { 'searchCriteria[pageSize]': 5, fields: 'items[sku]' });
    expect(noTotal.body).toEqual({ items: [{ sku: 'A' }] });
  });

  it('with input limits on: pageSize ≤ 300, 20 by default, and at most 20 source items per save', async () => {
    fake = await startMagentoFake({ inputLimits: true, products: Array.from({ length: 25 }, (_, i) => ({ sku: `P${i}`, qty: 1 })) });
    const big = await products(fake, { 'searchCriteria[pageSize]': 301 });
    expect([big.status, big.body]).toEqual([400, { message: 'Maximum SearchCriteria pageSize is %max', parameters: { max: 300 } }]);
    expect(((await products(fake, {})).body as { items: unknown[] }).items).toHaveLength(20);
    const sourceItems = Array.from({ length: 21 }, (_, i) => ({ sku: `P${i}`, source_code: 'default', quantity: 5, status: 1 }));
    const save = await magentoRequest(fake, 'inventory/source-items', { method: 'POST', body: { sourceItems } });
    expect(save.status).toBe(400);
    expect(renderMagentoError(save.body)).toBe('Maximum items of type "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface" is 20');
  });

  it('without input limits, a search without pageSize returns every match', async () => {
    fake = await startMagentoFake({ products: Array.from({ length: 25 }, (_, i) => ({ sku: `P${i}`, qty: 1 })) });
    expect(((await products(fake, {})).body as { items: unknown[] }).items).toHaveLength(25);
  });

  it('saves source items all-or-nothing and answers [] on success', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 1 }] });
    const body = (skus: string[]) => ({ sourceItems: skus.map((sku) => ({ sku, source_code: 'default', quantity: 7, status: 1 })) });
    const refused = await magentoRequest(fake, 'inventory/source-items', { method: 'POST', body: body(['A', 'NOPE']) });
    expect([refused.status, refused.body]).toEqual([400, { message: 'Could not save Source Item' }]);
    expect(fake.stockBySku().get('A')).toBe(1);
    const saved = await magentoRequest(fake, 'inventory/source-items', { method: 'POST', body: body(['a', 'B']) });
    expect([saved.status, saved.body]).toEqual([200, []]);
    expect([...fake.stockBySku()]).toEqual([['A', 7], ['B', 7]]);
  });

  it('returns the item id as a bare integer from a legacy stock item save', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 1 }] });
    const res = await magentoRequest(fake, 'products/B/stockItems/1', { method: 'PUT', body: { stockItem: { qty: 4, is_in_stock: true } } });
    expect([res.status, res.body]).toEqual([200, 2]);
    const missing = await magentoRequest(fake, 'products/NOPE/stockItems/1', { method: 'PUT', body: { stockItem: { qty: 4 } } });
    expect(missing.status).toBe(404);
  });

  it('refuses a wrong token with Magento\'s 401 body and unknown routes with 404', async () => {
    fake = await startMagentoFake();
    const res = await magentoRequest(fake, 'products', { headers: { authorization: 'Bearer nope' } });
    expect([res.status, res.body]).toEqual([401, { message: "The consumer isn't authorized to access %resources.", parameters: { resources: 'Magento_Catalog::products' } }]);
    expect((await magentoRequest(fake, 'orders/1')).body).toEqual({ message: 'Request does not match any route.' });
  });

  it('ORs the filters of one group and ANDs the groups (an `in` list and an `eq` on the same field; source items by source)', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1, sources: { eu: 2 } }, { sku: 'B,2', qty: 3 }, { sku: 'C', qty: 4 }], sources: ['default', 'eu'] });
    const res = await magentoRequest(fake, 'inventory/source-items', {
      query: {
        'searchCriteria[filter_groups][0][filters][0][field]': 'sku', 'searchCriteria[filter_groups][0][filters][0][value]': 'a,C', 'searchCriteria[filter_groups][0][filters][0][condition_type]': 'in',
        'searchCriteria[filter_groups][0][filters][1][field]': 'sku', 'searchCriteria[filter_groups][0][filters][1][value]': 'B,2', 'searchCriteria[filter_groups][0][filters][1][condition_type]': 'eq',
        'searchCriteria[filter_groups][1][filters][0][field]': 'source_code', 'searchCriteria[filter_groups][1][filters][0][value]': 'default',
        'searchCriteria[sortOrders][0][field]': 'sku', 'searchCriteria[sortOrders][0][direction]': 'ASC', 'searchCriteria[pageSize]': 2, 'searchCriteria[currentPage]': 5,
      },
    });
    // Page 5 of 2 is past the end: the last page again.
    expect(res.body).toMatchObject({ total_count: 3, items: [{ sku: 'C', source_code: 'default', quantity: 4 }] });
  });

  it('has no /V1/inventory routes without MSI', async () => {
    fake = await startMagentoFake({ msi: false });
    expect((await magentoRequest(fake, 'inventory/source-items')).status).toBe(404);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('Magento 2 helpers', () => {
  it('builds searchCriteria parameters and stops paging on total_count', () => {
    expect(searchCriteriaParams({
      filterGroups: [[{ field: 'source_code', value: 'default' }]], sortOrders: [{ field: 'sku', direction: 'ASC' }], pageSize: 300, currentPage: 2,
    })).toEqual({
      'searchCriteria[filter_groups][0][filters][0][field]': 'source_code',
      'searchCriteria[filter_groups][0][filters][0][value]': 'default',
      'searchCriteria[filter_groups][0][filters][0][condition_type]': 'eq',
      'searchCriteria[sortOrders][0][field]': 'sku',
      'searchCriteria[sortOrders][0][direction]': 'ASC',
      'searchCriteria[pageSize]': 300,
      'searchCriteria[currentPage]': 2,
    });
    expect([isLastPage(1, 10, 25), isLastPage(3, 10, 25), isLastPage(1, 10, 0), isLastPage(2, 10, 20)]).toEqual([false, true, true, true]);
  });

  it('selects SKUs with one `in` list, a SKU holding a comma by its own `eq` filter, within a count and a URL budget', () => {
    expect(skuFilters(['A', 'B,1', 'C'])).toEqual([
      { field: 'sku', value: 'A,C', condition: 'in' },
      { field: 'sku', value: 'B,1', condition: 'eq' },
    ]);
    expect(skuFilters(['X,Y'])).toEqual([{ field: 'sku', value: 'X,Y', condition: 'eq' }]);
    expect(chunkForQuery(['a', 'b', 'c', 'd', 'e'], 2, 1000)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    // 'é' encodes to 6 characters, + 3 for the comma: two of them fit in 18, not three.
    expect(chunkForQuery(['é', 'é', 'é'], 10, 18)).toEqual([['é', 'é'], ['é']]);
    expect(chunkForQuery(['x'.repeat(50)], 10, 18)).toEqual([['x'.repeat(50)]]);
    expect(chunkForQuery([], 10, 18)).toEqual([]);
  });

  it('renders %1 and %name placeholders and validation details', () => {
    expect(renderPlaceholders('Invalid product data: %1', ['Invalid attribute set entity type'])).toBe('Invalid product data: Invalid attribute set entity type');
    expect(renderPlaceholders('"%fieldName" is required', { fieldName: 'sku' })).toBe('"sku" is required');
    expect(renderPlaceholders('%1 and %2', ['a'])).toBe('a and %2');
    expect(renderMagentoError({ message: 'Validation Failed', errors: [{ message: '"%field" can not be empty.', parameters: { field: 'sku' } }] }))
      .toBe('Validation Failed: "sku" can not be empty.');
    expect(renderMagentoError('nope')).toBeUndefined();
  });

  it('puts /rest/V1 after the shop URL, completing URLs that already hold part of it', () => {
    expect(apiBase('https://shop.example.com/')).toBe('https://shop.example.com/rest/V1');
    expect(apiBase('https://shop.example.com/rest')).toBe('https://shop.example.com/rest/V1');
    expect(apiBase('https://shop.example.com/rest/default')).toBe('https://shop.example.com/rest/default/V1');
    expect(apiBase('https://shop.example.com/rest/all/V1')).toBe('https://shop.example.com/rest/all/V1');
    expect(apiBase('https://shop.example.com/magento2')).toBe('https://shop.example.com/magento2/rest/V1');
  });

  it('isolates the refused items of an all-or-nothing batch by halving', async () => {
    const bad = new Set([3, 7]);
    const sent: number[][] = [];
    const send = async (part: number[]) => {
      sent.push(part);
      if (part.some((n) => bad.has(n))) throw new Error('refused');
    };
    const refused = await sendIsolating([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], send, { rejection: (e) => (e as Error).message });
    expect(refused).toEqual([{ item: 3, message: 'refused' }, { item: 7, message: 'refused' }]);
    const applied = sent.filter((p) => !p.some((n) => bad.has(n))).flat().sort((a, b) => a - b);
    expect(applied).toEqual([1, 2, 4, 5, 6, 8, 9, 10]);
    expect(sent.length).toBeLessThanOrEqual(defaultRequestBudget(10));
  });

  it('stops isolating when the request budget is spent, reporting the rest as not sent', async () => {
    const sent: number[][] = [];
    const refused = await sendIsolating([1, 2, 3, 4, 5, 6, 7, 8], async (part) => { sent.push(part); throw new Error('source disabled'); }, {
      rejection: (e) => (e as Error).message, maxRequests: 3,
    });
    expect(sent).toHaveLength(3);
    expect(refused.map((r) => r.item).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(refused.find((r) => r.item === 8)?.message).toMatch(/^not sent: source disabled/);
  });

  it('rethrows what is not a refusal at once', async () => {
    let calls = 0;
    const err = await sendIsolating([1, 2, 3], async () => { calls++; throw new Error('auth'); }, { rejection: () => null }).catch((e: unknown) => e);
    expect([(err as Error).message, calls]).toEqual(['auth', 1]);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('Magento 2 store adapter', () => {
  let fake: MagentoFake;
  afterEach(async () => { await fake?.close(); });

  it('refuses a batchSize above 500, starts at 500 with MSI and writes one item at a time without', () => {
    const config: Magento2StoreConfig = { type: 'magento2', url: 'https://shop.test', token: 't', msi: true, sourceCode: 'default', batchSize: 501 };
    expect(() => createMagento2Store(config)).toThrow(ConfigError);
    expect(() => createMagento2Store(config)).toThrow(/^store\.batchSize: at most 500 for magento2/);
    expect(createMagento2Store({ ...config, batchSize: undefined }).limits.maxBatch).toBe(500);
    expect(createMagento2Store({ ...config, batchSize: 200 }).limits.maxBatch).toBe(200);
    expect(createMagento2Store({ ...config, batchSize: undefined, msi: false }).limits.maxBatch).toBe(1);
  });

  it('lists configurable children under their parent, never the parent, a bundle or a grouped product', async () => {
    fake = await startMagentoFake({
      products: [
        { sku: 'CHILD-S', qty: 1 }, // created before its parent: a lower id
        { sku: 'A', qty: 5, name: 'Alpha' },
        { sku: 'TEE', type: 'configurable', childSkus: ['CHILD-S'], children: [{ sku: 'CHILD-M', qty: 2 }] },
        { sku: 'BUNDLE', type: 'bundle' },
        { sku: 'GROUP', type: 'grouped' },
        { sku: 'EBOOK', type: 'downloadable' },
        { sku: 'V', type: 'virtual', qty: 0 },
      ],
    });
    const items = await collect(createMagento2Store(configFor(fake, { pageSize: 3 })).list());
    expect(items.map((i) => [i.sku, i.productId, i.variationId, i.qty, i.managed])).toEqual([
      ['A', 2, null, 5, true],
      ['CHILD-S', 3, 1, 1, true],
      ['CHILD-M', 3, 4, 2, true],
      ['EBOOK', 7, null, null, false],
      ['V', 8, null, 0, true],
    ]);
    expect(items[0]?.name).toBe('Alpha');
  });

  it('pages products sorted by entity_id and stops on total_count, reading stock in one paged source listing', async () => {
    fake = await startMagentoFake({ products: Array.from({ length: 25 }, (_, i) => ({ sku: `P${i}`, qty: i })) });
    await collect(createMagento2Store(configFor(fake, { pageSize: 10 })).list());
    const productPages = fake.requests.filter((r) => r.path === '/rest/V1/products');
    expect(productPages.map((r) => r.query['searchCriteria[currentPage]'])).toEqual(['1', '2', '3']);
    expect(productPages[0]?.query).toMatchObject({
      'searchCriteria[sortOrders][0][field]': 'entity_id', 'searchCriteria[sortOrders][0][direction]': 'ASC',
      'searchCriteria[pageSize]': '10', fields: 'items[id,sku,type_id,name,price,status],total_count',
    });
    const sourcePages = fake.requests.filter((r) => r.path === '/rest/V1/inventory/source-items');
    expect(sourcePages).toHaveLength(3);
    expect(sourcePages[0]?.query).toMatchObject({
      'searchCriteria[filter_groups][0][filters][0][field]': 'source_code',
      'searchCriteria[filter_groups][0][filters][0][value]': 'default',
      'searchCriteria[sortOrders][0][field]': 'sku',
    });
  });

  it('reads and writes the configured source only', async () => {
    fake = await startMagentoFake({ sources: ['default', 'wh2'], products: [{ sku: 'A', qty: 9, sources: { wh2: 3 } }, { sku: 'B', qty: 4 }] });
    const store = createMagento2Store(configFor(fake, { sourceCode: 'wh2' }));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.qty, i.managed])).toEqual([['A', 3, true], ['B', null, false]]);
    expect(await store.apply(items.map((item, i) => changeFor(item, i + 1, 0)))).toEqual({ failed: [] });
    expect([...fake.bySku('A')?.sources ?? []]).toEqual([['default', { quantity: 9, status: 1 }], ['wh2', { quantity: 0, status: 0 }]]);
    expect(fake.bySku('B')?.sources.get('wh2')).toEqual({ quantity: 0, status: 0 });
  });

  it('writes absolute quantities with status 1 above 0 and 0 at 0, one POST per batch', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 1 }] });
    const store = createMagento2Store(configFor(fake));
    const items = await collect(store.list());
    await store.apply([changeFor(items[0] as StoreItem, 1, 6), changeFor(items[1] as StoreItem, 2, 0)]);
    const writes = fake.requests.filter((r) => r.write);
    expect(writes.map((r) => [r.method, r.path, r.items])).toEqual([['POST', '/rest/V1/inventory/source-items', 2]]);
    expect(fake.bySku('A')?.sources.get('default')).toEqual({ quantity: 6, status: 1 });
    expect(fake.bySku('B')?.sources.get('default')).toEqual({ quantity: 0, status: 0 });
  });

  it('finds the refused item of a batch Magento refuses as a whole, applying the rest', async () => {
    fake = await startMagentoFake({ products: Array.from({ length: 8 }, (_, i) => ({ sku: `P${i}`, qty: 1 })) });
    const store = createMagento2Store(configFor(fake));
    const items = await collect(store.list());
    fake.faults.rejectSkus = ['P5'];
    const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 3)));
    expect(result).toEqual({ failed: [{ seq: 6, message: '400: Could not save Source Item' }] });
    expect([...fake.stockBySku()].filter(([, q]) => q === 3)).toHaveLength(7);
    expect(fake.writeRequests()).toBeLessThanOrEqual(1 + 2 * 3);
  });

  it('still lands a batch larger than the store\'s input limit, in smaller requests', async () => {
    fake = await startMagentoFake({ inputLimits: true, products: Array.from({ length: 30 }, (_, i) => ({ sku: `P${i}`, qty: 1 })) });
    const store = createMagento2Store(configFor(fake, { batchSize: 30 }));
    const items = await collect(store.list());
    expect(await store.apply(items.map((item, i) => changeFor(item, i + 1, 2)))).toEqual({ failed: [] });
    expect(new Set(fake.stockBySku().values())).toEqual(new Set([2]));
    expect(fake.requests.filter((r) => r.write).map((r) => [r.status, r.items])).toEqual([[400, 30], [200, 20], [200, 10]]);
  });

  describe('batch cap discovery (Web API input limits)', () => {
    let stateDir: string;
    beforeEach(() => { stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-caps-')); });
    afterEach(() => { fs.rmSync(stateDir, { recursive: true, force: true }); });

    const catalog = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `P${i}`, qty: 0 }));
    const writes = (f: MagentoFake) => f.requests.filter((r) => r.write).map((r) => [r.status, r.items]);

    it('continues at the cap the shop announces, writing every item once, and remembers it for the shop (0600)', async () => {
      fake = await startMagentoFake({ inputLimits: true, inputListLimit: 50, products: catalog(120) });
      const store = createMagento2Store(configFor(fake), { stateDir });
      expect(store.limits.maxBatch).toBe(500);
      const items = await collect(store.list());
      expect(await store.apply(items.map((item, i) => changeFor(item, i + 1, 4)))).toEqual({ failed: [] });
      // The refused request applied nothing; the 120 items went out in exactly one accepted request each.
      expect(writes(fake)).toEqual([[400, 120], [200, 50], [200, 50], [200, 20]]);
      expect(new Set(fake.stockBySku().values())).toEqual(new Set([4]));
      expect(store.limits.maxBatch).toBe(50);

      const file = path.join(stateDir, CAPS_FILE);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(Object.values(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { max: number }>).map((e) => e.max)).toEqual([50]);

      // Next run: starts at 50, no refusal.
      fake.requests.length = 0;
      const next = createMagento2Store(configFor(fake), { stateDir });
      expect(next.limits.maxBatch).toBe(50);
      for (const batch of toBatches(next, items.map((item, i) => changeFor(item, i + 1, 6)))) await next.apply(batch);
      expect(writes(fake)).toEqual([[200, 50], [200, 50], [200, 20]]);
      // Another shop in the same state dir does not inherit it.
      expect(createMagento2Store({ ...configFor(fake), url: 'https://other.shop.test' }, { stateDir }).limits.maxBatch).toBe(500);
    });

    it('pays one refusal for concurrent batches, not one each', async () => {
      fake = await startMagentoFake({ inputLimits: true, inputListLimit: 20, products: catalog(300) });
      const store = createMagento2Store(configFor(fake, { batchSize: 100 }), { stateDir });
      const items = await collect(store.list());
      const results = await Promise.all(toBatches(store, items.map((item, i) => changeFor(item, i + 1, 3))).map((b) => store.apply(b)));
      expect(results).toEqual([{ failed: [] }, { failed: [] }, { failed: [] }]);
      expect(writes(fake).filter(([status]) => status === 400)).toEqual([[400, 100]]);
      expect(writes(fake).filter(([status]) => status === 200)).toHaveLength(15);
      expect(new Set(fake.stockBySku().values())).toEqual(new Set([3]));
    });

    it('still isolates a refused item inside the capped chunks', async () => {
      fake = await startMagentoFake({ inputLimits: true, products: catalog(60), faults: { rejectSkus: ['P45'] } });
      const store = createMagento2Store(configFor(fake), { stateDir });
      const items = await collect(store.list());
      const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 2)));
      expect(result).toEqual({ failed: [{ seq: 46, message: '400: Could not save Source Item' }] });
      expect([...fake.stockBySku()].filter(([, q]) => q === 2)).toHaveLength(59);
      expect(writes(fake).filter(([status]) => status === 400).length).toBeLessThanOrEqual(1 + 2 * 5);
    });

    it('tries the largest batch again once a remembered cap is a week old, and ignores a broken caps file', async () => {
      const key = 'magento2 https://shop.test/rest/V1 inventory/source-items';
      const t0 = Date.parse('2026-12-01T00:00:00Z');
      await stateDirCapMemory(stateDir, () => t0).save(key, 40);
      expect(stateDirCapMemory(stateDir, () => t0 + CAP_TTL_MS - 1).load(key)).toBe(40);
      expect(stateDirCapMemory(stateDir, () => t0 + CAP_TTL_MS).load(key)).toBeUndefined();
      fs.writeFileSync(path.join(stateDir, CAPS_FILE), '{ not json');
      expect(stateDirCapMemory(stateDir).load(key)).toBeUndefined();
      await stateDirCapMemory(stateDir).save(key, 30);
      expect(stateDirCapMemory(stateDir).load(key)).toBe(30);
    });

    it('reads the cap from Magento\'s refusal only', () => {
      const refusal = (status: number, body: unknown) => new HttpError('POST …: HTTP 400', { status, url: 'u', retryable: false, body });
      expect(announcedCap(refusal(400, { message: 'Maximum items of type "%type" is %max', parameters: { type: '\\X', max: 20 } }))).toBe(20);
      expect(announcedCap(refusal(400, { message: 'Maximum items of type "\\X" is 7' }))).toBe(7);
      expect(announcedCap(refusal(400, { message: 'Could not save Source Item' }))).toBeNull();
      expect(announcedCap(refusal(500, { message: 'Maximum items of type "%type" is %max', parameters: { type: 'X', max: 20 } }))).toBeNull();
      expect(announcedCap(new Error('Maximum items of type "X" is 20'))).toBeNull();
    });
  });

  it('names the refusal in Magento\'s words when a token is refused, after one request', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }] });
    const err = await collect(createMagento2Store(configFor(fake, { token: 'wrong' })).list()).catch((e: unknown) => e);
    expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
    expect((err as HttpError).message).toContain("The consumer isn't authorized to access Magento_Catalog::products.");
    expect((err as HttpError).message).not.toContain('%resources');
    expect(fake.requests).toHaveLength(1);
  });

  it('stops with an auth error when the token may read but not write', async () => {
    fake = await startMagentoFake({ readOnly: true, products: [{ sku: 'A', qty: 1 }] });
    const store = createMagento2Store(configFor(fake));
    const items = await collect(store.list());
    const err = await store.apply([changeFor(items[0] as StoreItem, 1, 4)]).catch((e: unknown) => e);
    expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
    expect((err as HttpError).message).toContain('Magento_InventoryApi::source');
    expect(fake.writeRequests()).toBe(1);
  });

  it('check() names the product count and the source, and fails for a source that does not exist', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 1 }] });
    expect(await createMagento2Store(configFor(fake)).check?.()).toMatch(/authenticated, 2 products, stock through MSI source "default"/);
    const err = await createMagento2Store(configFor(fake, { sourceCode: 'nope' })).check?.().catch((e: unknown) => e);
    expect((err as HttpError).message).toContain('Source with code "nope" does not exist.');
  });

  it('reads back with one source-items search (a SKU with a comma included), and one products search only for SKUs without a source item', async () => {
    fake = await startMagentoFake({
      products: [{ sku: 'A,1', qty: 3 }, { sku: 'B', qty: 4, sources: { eu: 9 } }, { sku: 'C' }, { sku: 'D', qty: 1 }],
      sources: ['default', 'eu'],
    });
    fake.remove('D');
    const changes = ['a,1', 'B', 'C', 'D'].map((sku, i): Change => ({ seq: i + 1, sku, productId: i + 1, variationId: null, from: 0, to: 5 }));
    const seen = await createMagento2Store(configFor(fake)).read(changes);
    expect([...seen]).toEqual([[1, { qty: 3, managed: true }], [2, { qty: 4, managed: true }], [3, { qty: null, managed: false }]]);
    expect(fake.requests.map((r) => [r.path, r.query['searchCriteria[filter_groups][0][filters][0][value]'], r.query['searchCriteria[filter_groups][0][filters][1][value]']])).toEqual([
      ['/rest/V1/inventory/source-items', 'B,C,D', 'a,1'],
      ['/rest/V1/products', 'C,D', undefined],
    ]);
    expect(fake.requests.every((r) => r.query['searchCriteria[pageSize]'] === '300')).toBe(true);
  });

  it('reads back without MSI with one stock item per SKU: stock not managed reads as such, a deleted product is absent', async () => {
    fake = await startMagentoFake({ msi: false, products: [{ sku: 'A', qty: 3 }, { sku: 'B', qty: 7, manageStock: false }, { sku: 'C', qty: 1 }] });
    fake.remove('C');
    const changes = ['A', 'B', 'C'].map((sku, i): Change => ({ seq: i + 1, sku, productId: i + 1, variationId: null, from: 0, to: 5 }));
    const seen = await createMagento2Store(configFor(fake, { msi: false })).read(changes);
    expect([...seen]).toEqual([[1, { qty: 3, managed: true }], [2, { qty: null, managed: false }]]);
    expect(fake.requests.map((r) => [r.path, r.status])).toEqual([['/rest/V1/stockItems/A', 200], ['/rest/V1/stockItems/B', 200], ['/rest/V1/stockItems/C', 404]]);
  });

  it('writes 1,000 changed SKUs in 2 requests by default, in 50 with batchSize 20', async () => {
    fake = await startMagentoFake({ products: Array.from({ length: 1000 }, (_, i) => ({ sku: `P${i}`, qty: 0 })) });
    for (const [batchSize, expected] of [[undefined, 2], [20, 50]] as const) {
      const store = createMagento2Store(configFor(fake, { batchSize, pageSize: 300 }));
      const items = await collect(store.list());
      const before = fake.writeRequests();
      for (const batch of toBatches(store, items.map((item, i) => changeFor(item, i + 1, expected)))) await store.apply(batch);
      expect(fake.writeRequests() - before).toBe(expected);
      expect(new Set(fake.stockBySku().values())).toEqual(new Set([expected]));
    }
  });

  describe('without MSI (legacy stock items, msi: false)', () => {
    const legacy = (f: MagentoFake, overrides: Partial<Magento2StoreConfig> = {}) => createMagento2Store(configFor(f, { msi: false, ...overrides }));

    it('lists stock from each item\'s stock item, unmanaged stock as null', async () => {
      fake = await startMagentoFake({ msi: false, products: [{ sku: 'A', qty: 4 }, { sku: 'B', qty: 2, manageStock: false }, { sku: 'C', type: 'configurable', children: [{ sku: 'C-1', qty: 1 }] }] });
      const items = await collect(legacy(fake).list());
      expect(items).toEqual([
        { sku: 'A', productId: 1, variationId: null, qty: 4, managed: true, name: 'Product A', price: '10.00', ref: { itemId: 1, managed: true }, visibility: { hidden: false, outOfStock: false, values: { status: 1 } } },
        { sku: 'B', productId: 2, variationId: null, qty: null, managed: false, name: 'Product B', price: '10.00', ref: { itemId: 2, managed: false }, visibility: { hidden: false, outOfStock: false, values: { status: 1 } } },
        { sku: 'C-1', productId: 3, variationId: 4, qty: 1, managed: true, name: 'Product C-1', price: '10.00', ref: { itemId: 4, managed: true }, visibility: { hidden: false, outOfStock: false, values: { status: 1 } } },
      ]);
      expect(fake.requests.filter((r) => r.path.startsWith('/rest/V1/stockItems/')).map((r) => r.path).sort())
        .toEqual(['/rest/V1/stockItems/A', '/rest/V1/stockItems/B', '/rest/V1/stockItems/C-1']);
    });

    it('writes one PUT per item, turning stock management on where it was off', async () => {
      fake = await startMagentoFake({ msi: false, products: [{ sku: 'A', qty: 4 }, { sku: 'B/2', qty: 2, manageStock: false }] });
      const store = legacy(fake);
      const items = await collect(store.list());
      const changes = items.map((item, i) => changeFor(item, i + 1, 7 + i));
      const batches = toBatches(store, changes);
      expect(batches).toHaveLength(2);
      for (const batch of batches) expect(await store.apply(batch)).toEqual({ failed: [] });
      expect(fake.requests.filter((r) => r.write).map((r) => [r.method, r.path])).toEqual([
        ['PUT', '/rest/V1/products/A/stockItems/1'],
        ['PUT', '/rest/V1/products/B%2F2/stockItems/2'],
      ]);
      expect([...fake.stockBySku()]).toEqual([['A', 7], ['B/2', 8]]);
      expect((await collect(store.list())).map((i) => [i.sku, i.qty, i.managed])).toEqual([['A', 7, true], ['B/2', 8, true]]);
    });

    it('reports a refused or vanished product as a failed item, not a failed run', async () => {
      fake = await startMagentoFake({ msi: false, products: [{ sku: 'A', qty: 4 }] });
      const store = legacy(fake);
      const gone: Change = { seq: 1, sku: 'GONE', productId: 9, variationId: null, from: 1, to: 2, ref: { itemId: 9, managed: true } };
      expect(await store.apply([gone])).toEqual({ failed: [{ seq: 1, message: "404: The product that was requested doesn't exist. Verify the product and try again." }] });
      fake.faults.rejectSkus = ['A'];
      const [a] = await collect(store.list());
      expect((await store.apply([changeFor(a as StoreItem, 2, 1)])).failed[0]?.message).toBe('400: Invalid stock item data: refused for this test');
    });

    it('survives 429 and 503, and stops on a refused token after one request', async () => {
      fake = await startMagentoFake({ msi: false, products: [{ sku: 'A', qty: 4 }, { sku: 'B', qty: 1 }] });
      const store = legacy(fake);
      fake.faults.status429 = 1;
      fake.faults.status503 = 1;
      const items = await collect(store.list());
      expect(items.map((i) => i.qty)).toEqual([4, 1]);
      fake.faults.status503 = 2;
      expect(await store.apply([changeFor(items[0] as StoreItem, 1, 0)])).toEqual({ failed: [] });
      expect(fake.stockBySku().get('A')).toBe(0);
      const before = fake.requests.length;
      const err = await legacy(fake, { token: 'bad' }).apply([changeFor(items[1] as StoreItem, 2, 5)]).catch((e: unknown) => e);
      expect((err as HttpError).details.auth).toBe(true);
      expect(fake.requests.length - before).toBe(1);
    });
  });
});

describe('Magento 2 rules.status writes (SPEC §14)', () => {
  let fake: MagentoFake;
  afterEach(async () => { await fake?.close(); });

  it('disables a product after its stock with one product save, reads it back, enables it again alone', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'P-1', qty: 5 }, { sku: 'Q-1', qty: 5 }, { sku: 'C', type: 'configurable', children: [{ sku: 'C-1', qty: 2 }] }] });
    const store = createMagento2Store(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.visibility])).toEqual([
      ['P-1', { hidden: false, outOfStock: false, values: { status: 1 } }],
      ['Q-1', { hidden: false, outOfStock: false, values: { status: 1 } }],
      ['C-1', { hidden: false, outOfStock: false, values: { status: 1 } }],
    ]);
    const p1 = items.find((i) => i.sku === 'P-1')!;
    const c1 = items.find((i) => i.sku === 'C-1')!;
    const hide = hideChange(p1, 1, 0, { status: 2 }, { status: 1 });
    const hideChild = hideChange(c1, 3, 0, { status: 2 }, { status: 1 });
    const writes = fake.writeRequests();
    expect(await store.apply([hide, changeFor(items.find((i) => i.sku === 'Q-1')!, 2, 3), hideChild])).toEqual({ failed: [] });
    // One source-items save for the three stock writes, one product save per hide.
    expect([fake.writeRequests() - writes, fake.productSaves()]).toEqual([3, 2]);
    expect([fake.bySku('P-1')!.status, fake.bySku('P-1')!.sources.get('default')!.quantity]).toEqual([2, 0]);
    expect([fake.bySku('C-1')!.status, fake.bySku('C')!.status, fake.bySku('Q-1')!.status]).toEqual([2, 1, 1]);
    expect((await store.read([hide])).get(1)).toEqual({ qty: 0, managed: true, visibility: { hidden: true, outOfStock: false, values: { status: 2 } } });

    const restore = restoreChange(p1, 4, 99, { status: 1 }, { status: 2 });
    const before = fake.writeRequests();
    expect(await store.apply([restore])).toEqual({ failed: [] });
    // A status action alone writes no stock.
    expect(fake.writeRequests() - before).toBe(1);
    expect([fake.bySku('P-1')!.status, fake.bySku('P-1')!.sources.get('default')!.quantity]).toEqual([1, 0]);
    expect((await store.read([restore])).get(4)?.visibility).toEqual({ hidden: false, outOfStock: false, values: { status: 1 } });
  });

  it('hides without MSI too: one stock item PUT and one product save', async () => {
    fake = await startMagentoFake({ msi: false, products: [{ sku: 'L-1', qty: 5 }] });
    const store = createMagento2Store(configFor(fake, { msi: false }));
    const [item] = await collect(store.list());
    expect(item!.visibility).toEqual({ hidden: false, outOfStock: false, values: { status: 1 } });
    const hide = hideChange(item!, 1, 0, { status: 2 }, { status: 1 });
    expect(await store.apply([hide])).toEqual({ failed: [] });
    expect([fake.bySku('L-1')!.status, fake.bySku('L-1')!.legacy.qty, fake.productSaves()]).toEqual([2, 0, 1]);
  });

  it('the fake refuses an invalid status like Magento (400, nothing saved): the item fails, its stock stays written, the others are hidden', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'P-1', qty: 5 }, { sku: 'Q-1', qty: 5 }] });
    const store = createMagento2Store(configFor(fake));
    const [p, q] = await collect(store.list());
    const bad = hideChange(p!, 1, 0, { status: 'off' }, { status: 1 });
    const worse = hideChange(q!, 2, 0, { status: 7 }, { status: 1 });
    const result = await store.apply([bad, worse]);
    expect(result.failed).toEqual([
      { seq: 1, message: 'status not applied: 400: The "off" value\'s type is invalid. The "int" type was expected. Verify and try again.' },
      { seq: 2, message: 'status not applied: 400: Invalid attribute status = 7.' },
    ]);
    expect([fake.bySku('P-1')!.status, fake.bySku('Q-1')!.status, fake.productSaves()]).toEqual([1, 1, 0]);
    expect(fake.bySku('P-1')!.sources.get('default')!.quantity).toBe(0);
    const raw = await magentoRequest(fake, 'products/P-1', { method: 'PUT', body: { product: { sku: 'P-1', status: 3 } } });
    expect(raw.status).toBe(400);
  });

  it('does not save the status of an item whose stock write was refused', async () => {
    fake = await startMagentoFake({ products: [{ sku: 'P-1', qty: 5 }], faults: { rejectSkus: ['P-1'] } });
    const store = createMagento2Store(configFor(fake));
    const [p] = await collect(store.list());
    const hide = hideChange(p!, 1, 0, { status: 2 }, { status: 1 });
    const result = await store.apply([hide]);
    expect(result.failed.map((f) => f.seq)).toEqual([1]);
    expect([fake.bySku('P-1')!.status, fake.productSaves()]).toEqual([1, 0]);
  });
});
