import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ShopifyStoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError, StoreError } from '../../src/domain/errors.js';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { createStore, loadStoreAdapters } from '../../src/stores/registry.js';
import { createShopifyStore } from '../../src/stores/shopify/index.js';
import { changeFor, collect, runStoreContract, toBatches, type StoreContractContext } from '../contracts/store-contract.js';
import {
  DEFAULT_SHOPIFY_TOKEN, seedMixedCatalog, startShopifyFake, type ShopifyFake, type ShopifyFakeOptions,
} from '../fakes/shopify.js';

beforeAll(() => {
  // Read by the http client (and the adapter's in-flight wait) when an adapter is created.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function configFor(fake: ShopifyFake, overrides: Partial<ShopifyStoreConfig> = {}): ShopifyStoreConfig {
  return {
    type: 'shopify', url: fake.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: fake.locationId(),
    ...overrides,
  };
}

/** A fast bucket for tests that are not about throttling (the Standard plan refills 100/s). */
const FAST_BUCKET = { maximumAvailable: 2000, restoreRate: 20_000 };

function shopifyContract(options: ShopifyFakeOptions & { apiVersion?: string } = {}): () => Promise<StoreContractContext> {
  return async () => {
    const { apiVersion = '2026-10', ...fakeOptions } = options;
    const fake = await startShopifyFake({ bucket: FAST_BUCKET, ...fakeOptions });
    const config = configFor(fake, { apiVersion, pageSize: 10, batchSize: 10 });
    return {
      adapter: createShopifyStore(config),
      fake: {
        async seed(count) { return seedMixedCatalog(fake, count); },
        async stockOf(sku) { return fake.stockOf(sku); },
        writeRequests: () => fake.counters.writeRequests,
        requests: () => fake.counters.requests,
        inject429: (n) => { fake.faults.status429 = { count: n, retryAfter: '1.0' }; },
        inject503: (n) => { fake.faults.status503 = { count: n }; },
        rejectSkus: (skus) => { fake.faults.rejectSkus = skus; },
        badCredentialsAdapter: () => createShopifyStore({ ...config, accessToken: 'shpat_not_the_right_token' }),
        deleteItem: async (sku) => fake.removeVariant(sku),
      },
      // One `nodes` query per 250 inventory items.
      readRequests: (changes) => Math.ceil(new Set(changes.map((c) => String(c.ref?.inventoryItemId))).size / 250),
      readSeed: 260,
      close: () => fake.close(),
    };
  };
}

runStoreContract('shopify 2026-10 (changeFromQuantity, @idempotent)', shopifyContract());
runStoreContract('shopify 2025-10 (compareQuantity, no idempotency directive)', shopifyContract({ apiVersion: '2025-10' }));
runStoreContract('shopify with per-item user errors', shopifyContract({ userErrorMode: 'per-item' }));

/* ------------------------------------------------------------------------------------------ */

/** One raw GraphQL request to the fake, bypassing the adapter. */
async function gqlRaw(fake: ShopifyFake, query: string, variables: Record<string, unknown> = {}, options: { version?: string; token?: string } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${fake.url}/admin/api/${options.version ?? '2026-10'}/graphql.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': options.token ?? DEFAULT_SHOPIFY_TOKEN },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* keep text */ }
  return { status: res.status, headers: res.headers, body };
}

const SET = `mutation S($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: KEY) { inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } } userErrors { field message code } }
}`;
const setDoc = (key: string) => SET.replace('KEY', JSON.stringify(key));

function quantity(fake: ShopifyFake, sku: string, q: number, from: number | null): Record<string, unknown> {
  const v = fake.variantBySku(sku);
  return { inventoryItemId: `gid://shopify/InventoryItem/${v?.inventoryItemId}`, locationId: fake.locationId(), quantity: q, changeFromQuantity: from };
}

describe('Shopify fake fidelity', () => {
  let fake: ShopifyFake;
  afterEach(async () => { await fake?.close(); });

  it('answers a wrong token with 401 and Shopify\'s body', async () => {
    fake = await startShopifyFake();
    const res = await gqlRaw(fake, '{ shop { name } }', {}, { token: 'shpat_nope' });
    expect([res.status, res.body]).toEqual([401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }]);
  });

  it('rejects fields, arguments, directives and variables it does not know', async () => {
    fake = await startShopifyFake();
    const unknownField = await gqlRaw(fake, '{ shop { name planName } }');
    expect(unknownField.body.errors[0]).toMatchObject({ message: "Field 'planName' doesn't exist on type 'Shop'", extensions: { code: 'undefinedField' } });
    expect(unknownField.body.data).toBeUndefined();
    const unknownArg = await gqlRaw(fake, '{ productVariants(first: 1, sortBy: ID) { nodes { id } } }');
    expect(unknownArg.body.errors[0].extensions.code).toBe('argumentNotAccepted');
    const unusedVar = await gqlRaw(fake, 'query Q($x: Int) { shop { name } }', { x: 1 });
    expect(unusedVar.body.errors[0].extensions.code).toBe('variableNotUsed');
    const oldVersion = await gqlRaw(fake, setDoc('k'), { input: { name: 'available', reason: 'correction', quantities: [] } }, { version: '2025-10' });
    expect(oldVersion.body.errors[0]).toMatchObject({ message: "Directive '@idempotent' is not defined" });
    const syntax = await gqlRaw(fake, '{ shop { name }');
    expect(syntax.body.errors[0].message).toMatch(/^Parse error on end of file/);
  });

  it('reports every answer\'s cost and refunds the unused part of the requested cost', async () => {
    fake = await startShopifyFake({ bucket: { maximumAvailable: 1000, restoreRate: 1 } });
    fake.seed([{ variants: [{ sku: 'A' }] }, { variants: [{ sku: 'B' }] }]);
    const res = await gqlRaw(fake, `query V($loc: ID!) { productVariants(first: 100) { nodes { id product { id } inventoryItem { id inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { name quantity } } } } pageInfo { hasNextPage } } }`, { loc: fake.locationId() });
    expect(res.body.extensions.cost).toMatchObject({ requestedQueryCost: 502, actualQueryCost: 12 });
    expect(res.body.extensions.cost.throttleStatus).toMatchObject({ maximumAvailable: 1000, restoreRate: 1 });
    expect(res.body.extensions.cost.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(987);
  });

  it('answers THROTTLED with HTTP 200 and Shopify\'s body when the bucket holds less than the requested cost', async () => {
    fake = await startShopifyFake({ bucket: { maximumAvailable: 1000, restoreRate: 50 } });
    fake.drainBucket(0);
    const res = await gqlRaw(fake, '{ productVariants(first: 250) { nodes { id product { id } } } }');
    expect(res.status).toBe(200);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }]);
    expect(res.body.extensions.cost).toMatchObject({ requestedQueryCost: 502, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000, restoreRate: 50 } });
    expect(fake.counters).toMatchObject({ throttled: 1 });
    // A THROTTLED request takes no points: the lowest level is still the full bucket the fake started with.
    expect(fake.counters.minAvailable).toBe(1000);
  });

  it('refuses a query above 1000 points with MAX_COST_EXCEEDED', async () => {
    fake = await startShopifyFake();
    const res = await gqlRaw(fake, 'query V($loc: ID!) { productVariants(first: 250) { nodes { product { id } inventoryItem { inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { quantity } } } } } }', { loc: fake.locationId() });
    expect(res.body.errors[0]).toMatchObject({ extensions: { code: 'MAX_COST_EXCEEDED', cost: 1252, maxCost: 1000 } });
    expect(res.body.errors[0].message).toMatch(/^Query cost is 1252, which exceeds the single query max cost limit \(1000\)/);
  });

  it('validates inventorySetQuantities as the pinned version does', async () => {
    fake = await startShopifyFake();
    fake.seed({ variants: [{ sku: 'A', available: 3 }] });
    const q = quantity(fake, 'A', 5, 3);
    const tooMany = await gqlRaw(fake, setDoc('k1'), { input: { name: 'available', reason: 'correction', quantities: Array.from({ length: 251 }, () => q) } });
    expect(tooMany.body).toEqual({ errors: [expect.objectContaining({ message: 'The input array size of 251 is greater than the maximum allowed of 250.', path: ['inventorySetQuantities', 'input', 'quantities'], extensions: { code: 'MAX_INPUT_SIZE_EXCEEDED' } })] });
    const { changeFromQuantity: _omitted, ...withoutFrom } = q;
    const missingFrom = await gqlRaw(fake, setDoc('k2'), { input: { name: 'available', reason: 'correction', quantities: [withoutFrom] } });
    expect(missingFrom.body.errors[0].extensions.problems[0]).toMatchObject({ path: ['quantities', 0, 'changeFromQuantity'] });
    const oldField = await gqlRaw(fake, setDoc('k3'), { input: { name: 'available', reason: 'correction', ignoreCompareQuantity: false, quantities: [q] } });
    expect(oldField.body.errors[0].message).toContain('Field is not defined on InventorySetQuantitiesInput');
    const badName = await gqlRaw(fake, setDoc('k4'), { input: { name: 'committed', reason: 'correction', quantities: [q] } });
    expect(badName.body.data.inventorySetQuantities.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_NAME', field: ['input', 'name'] })]);
    const badReason = await gqlRaw(fake, setDoc('k5'), { input: { name: 'available', reason: 'because', quantities: [q] } });
    expect(badReason.body.data.inventorySetQuantities.userErrors[0].code).toBe('INVALID_REASON');
    const noKey = await gqlRaw(fake, SET.replace(' @idempotent(key: KEY)', ''), { input: { name: 'available', reason: 'correction', quantities: [q] } });
    expect(noKey.body.errors[0].message).toBe('The @idempotent directive is required for this mutation.');
    expect(fake.stockOf('A')).toBe(3);
    const stale = await gqlRaw(fake, setDoc('k6'), { input: { name: 'available', reason: 'correction', quantities: [quantity(fake, 'A', 5, 2)] } });
    expect(stale.body.data.inventorySetQuantities.userErrors).toEqual([expect.objectContaining({ code: 'CHANGE_FROM_QUANTITY_STALE', field: ['input', 'quantities', '0', 'changeFromQuantity'] })]);
    const ok = await gqlRaw(fake, setDoc('k7'), { input: { name: 'available', reason: 'correction', quantities: [q] } });
    expect(ok.body.data.inventorySetQuantities.inventoryAdjustmentGroup.changes).toEqual([
      { name: 'available', delta: 2, quantityAfterChange: 5 }, { name: 'on_hand', delta: 2, quantityAfterChange: 5 },
    ]);
  });

  it('before 2026-04 requires compareQuantity unless ignoreCompareQuantity, and has no changeFromQuantity', async () => {
    fake = await startShopifyFake();
    fake.seed({ variants: [{ sku: 'A', available: 3 }] });
    const doc = SET.replace(' @idempotent(key: KEY)', '');
    const { changeFromQuantity: _c, ...base } = quantity(fake, 'A', 5, 3);
    const missing = await gqlRaw(fake, doc, { input: { name: 'available', reason: 'correction', quantities: [base] } }, { version: '2025-10' });
    expect(missing.body.data.inventorySetQuantities.userErrors[0].code).toBe('COMPARE_QUANTITY_REQUIRED');
    const modernField = await gqlRaw(fake, doc, { input: { name: 'available', reason: 'correction', quantities: [{ ...base, changeFromQuantity: 3 }] } }, { version: '2025-10' });
    expect(modernField.body.errors[0].message).toContain('Field is not defined on InventoryQuantityInput');
    const ignored = await gqlRaw(fake, doc, { input: { name: 'available', reason: 'correction', ignoreCompareQuantity: true, quantities: [base] } }, { version: '2025-10' });
    expect(ignored.body.data.inventorySetQuantities.userErrors).toEqual([]);
    expect(fake.stockOf('A')).toBe(5);
  });

  it('answers a replayed idempotency key with the original result and applies nothing twice', async () => {
    fake = await startShopifyFake();
    fake.seed({ variants: [{ sku: 'A', available: 3 }] });
    const input = { name: 'available', reason: 'correction', quantities: [quantity(fake, 'A', 5, 3)] };
    const first = await gqlRaw(fake, setDoc('same'), { input });
    fake.sell('A', 1);
    const again = await gqlRaw(fake, setDoc('same'), { input });
    expect(again.body.data).toEqual(first.body.data);
    expect(fake.stockOf('A')).toBe(4);
    expect(fake.counters).toMatchObject({ setCalls: 1, replays: 1 });
    const other = await gqlRaw(fake, setDoc('same'), { input: { ...input, quantities: [quantity(fake, 'A', 9, 4)] } });
    expect(other.body.data.inventorySetQuantities.userErrors[0].code).toBe('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
  });

  it('answers a missing scope with ACCESS_DENIED and a 429 switch with Retry-After 2.0', async () => {
    fake = await startShopifyFake({ scopes: ['read_products'] });
    const denied = await gqlRaw(fake, 'query L($loc: ID) { location(id: $loc) { id } }', { loc: fake.locationId() });
    expect(denied.body.errors[0]).toMatchObject({ extensions: { code: 'ACCESS_DENIED' }, path: ['location'] });
    expect(denied.body.data).toEqual({ location: null });
    fake.faults.status429 = { count: 1 };
    const limited = await gqlRaw(fake, '{ shop { name } }');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2.0']);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('Shopify store adapter', () => {
  let fake: ShopifyFake;
  afterEach(async () => { await fake?.close(); });

  it('is created by the registry from a config with a bare location number and the default API version', async () => {
    const config = ShopifyStoreConfig.parse({ type: 'shopify', url: 'https://demo.myshopify.com', accessToken: 'shpat_x', locationId: 124656943 });
    expect(config).toMatchObject({ apiVersion: '2026-10', locationId: 'gid://shopify/Location/124656943' });
    await loadStoreAdapters(['shopify']);
    const store = createStore(config);
    expect([store.type, store.limits.maxBatch, store.batchKey({ seq: 1, sku: 'x', productId: 1, variationId: 2, from: 0, to: 1 })]).toEqual(['shopify', 250, 'inventory']);
    expect(() => createShopifyStore({ ...config, batchSize: 251 })).toThrow('store.batchSize: at most 250 for shopify (the API maximum)');
  });

  it('lists in store order (product id, then variant id) with gids in ref; simple, untracked and unstocked items', async () => {
    fake = await startShopifyFake({ bucket: FAST_BUCKET });
    const [a] = fake.seed({ title: 'Mug', variants: [{ sku: 'MUG', available: 4 }] });
    const [s1] = fake.seed({ title: 'Shirt', variants: [{ sku: 'SHIRT-S', title: 'S', available: 1 }, { sku: 'SHIRT-M', title: 'M', available: 2 }] });
    fake.seed([{ title: 'Gift card', variants: [{ sku: 'GIFT', available: 9, tracked: false }] }, { title: 'Poster', variants: [{ sku: 'POSTER', stocked: false }] }]);
    fake.addVariant(s1?.productId as number, { sku: 'SHIRT-L', title: 'L', available: 3 });

    const items = await collect(createShopifyStore(configFor(fake, { pageSize: 2 })).list());
    expect(items.map((i) => [i.sku, i.qty, i.managed])).toEqual([
      ['MUG', 4, true], ['SHIRT-S', 1, true], ['SHIRT-M', 2, true], ['SHIRT-L', 3, true], ['GIFT', null, false], ['POSTER', null, false],
    ]);
    expect(items[0]).toMatchObject({
      productId: a?.productId, variationId: null, name: 'Mug - Default Title',
      ref: { variantId: `gid://shopify/ProductVariant/${a?.id}`, productId: `gid://shopify/Product/${a?.productId}`, inventoryItemId: `gid://shopify/InventoryItem/${a?.inventoryItemId}`, locationId: fake.locationId(), tracked: true, stocked: true, available: 4 },
    });
    expect(items[1]).toMatchObject({ productId: s1?.productId, variationId: s1?.id, name: 'Shirt - S' });
    expect(items[4]?.ref).toMatchObject({ tracked: false, stocked: true, available: 9 });
    expect(items[5]?.ref).toMatchObject({ tracked: true, stocked: false, available: null });
    // Below bulkThreshold: one count query (1 point), then pages.
    expect(fake.requests.map((r) => r.operation)).toEqual(['InvsyncVariantCount', 'InvsyncVariants', 'InvsyncVariants', 'InvsyncVariants']);
  });

  it('pages through a product with more variants than a page, and variants added later, in store order', async () => {
    fake = await startShopifyFake({ bucket: FAST_BUCKET });
    const big = fake.seed({ title: 'Big', variants: Array.from({ length: 23 }, (_, i) => ({ sku: `BIG-${i + 1}`, title: `V${i + 1}`, available: i })) });
    fake.seed({ variants: [{ sku: 'AFTER', available: 1 }] });
    fake.addVariant(big[0]?.productId as number, { sku: 'BIG-24', title: 'V24', available: 24 });
    const items = await collect(createShopifyStore(configFor(fake, { pageSize: 10 })).list());
    expect(items.map((i) => i.sku)).toEqual([...Array.from({ length: 24 }, (_, i) => `BIG-${i + 1}`), 'AFTER']);
    expect(fake.requests.filter((r) => r.operation === 'InvsyncVariants')).toHaveLength(3);
  });

  it('uses the largest page the 1000-point query limit allows, and shrinks when the server says it costs more', async () => {
    fake = await startShopifyFake({ bucket: { maximumAvailable: 20_000, restoreRate: 100_000 } });
    for (let p = 0; p < 50; p++) fake.seed({ variants: Array.from({ length: 12 }, (_, i) => ({ sku: `P${p}-${i}`, title: `V${i}`, available: 1 })) });
    const items = await collect(createShopifyStore(configFor(fake, { bulkThreshold: false })).list());
    expect(items).toHaveLength(600);
    const pages = fake.requests.filter((r) => r.operation === 'InvsyncVariants');
    expect(pages.map((r) => r.requestedCost)).toEqual([997, 997, 997, 997]);
    await fake.close();

    fake = await startShopifyFake({ bucket: { maximumAvailable: 20_000, restoreRate: 100_000 }, maxQueryCost: 500 });
    for (let p = 0; p < 30; p++) fake.seed({ variants: [{ sku: `Q${p}`, available: 1 }] });
    expect(await collect(createShopifyStore(configFor(fake)).list())).toHaveLength(30);
    const costs = fake.requests.filter((r) => r.operation === 'InvsyncVariants').map((r) => r.requestedCost);
    expect(costs[0]).toBe(997);
    expect(costs.slice(1).every((c) => (c as number) <= 500)).toBe(true);
  });

  it('pages 1,000 variants in 6 requests (bulk off) and writes 1,000 changes in 4, at most 250 quantities per call', async () => {
    fake = await startShopifyFake({ bucket: { maximumAvailable: 20_000, restoreRate: 100_000 } });
    for (let p = 0; p < 100; p++) fake.seed({ variants: Array.from({ length: 10 }, (_, i) => ({ sku: `P${p}-${i}`, title: `V${i}`, available: 1 })) });
    const store = createShopifyStore(configFor(fake, { bulkThreshold: false }));
    const items = await collect(store.list());
    expect(fake.counters.requests).toBe(6);
    const changes = items.map((item, i) => changeFor(item, i + 1, 7));
    await expect(store.apply(changes.slice(0, 251))).rejects.toThrow('shopify: 251 changes exceed the batch size 250');

    for (const batch of toBatches(store, changes)) expect(await store.apply(batch)).toEqual({ failed: [] });
    expect(fake.counters.writeRequests).toBe(4);
    expect(fake.requests.filter((r) => r.mutation).map((r) => r.quantities)).toEqual([250, 250, 250, 250]);
    expect(fake.counters.maxQuantities).toBe(250);
    expect([...new Set(items.map((i) => fake.stockOf(i.sku)))]).toEqual([7]);
  });

  describe('listing with a bulk operation', () => {
    const BULK_TIMING = { startDelayMs: 50, objectsPerSecond: 100_000 };

    it('from bulkThreshold variants on: runs one bulk query, polls it, streams the JSONL without the token, same items as paging', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET, bulk: BULK_TIMING });
      const skus = seedMixedCatalog(fake, 40);
      const paged = await collect(createShopifyStore(configFor(fake, { bulkThreshold: false })).list());
      fake.requests.length = 0;

      const bulk = await collect(createShopifyStore(configFor(fake, { bulkThreshold: 40 })).list());

      const strip = (items: StoreItem[]) => items.map(({ ref, ...rest }) => ({ ...rest, ref: { ...(ref as object), listing: undefined } }));
      expect(strip(bulk)).toEqual(strip(paged));
      expect(bulk.map((i) => i.sku)).toEqual(skus);
      const ops = fake.requests.map((r) => r.operation);
      expect(ops.slice(0, 2)).toEqual(['InvsyncVariantCount', 'InvsyncBulkVariants']);
      expect(ops.slice(2).every((o) => o === 'InvsyncBulkStatus')).toBe(true);
      expect(ops).not.toContain('InvsyncVariants');
      expect([fake.counters.bulkOperations, fake.counters.bulkDownloads, fake.counters.bulkDownloadsWithToken]).toEqual([1, 1, 0]);
    });

    it('pages below the threshold, and when a bulk query is already running or fails', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET, bulk: { startDelayMs: 60_000 } });
      seedMixedCatalog(fake, 12);
      expect(await collect(createShopifyStore(configFor(fake, { bulkThreshold: 13 })).list())).toHaveLength(12);
      expect(fake.counters.bulkOperations).toBe(0);

      // 2025-10: one bulk query per shop; another app run's query is still queued.
      const old = createShopifyStore(configFor(fake, { bulkThreshold: 5, apiVersion: '2025-10' }));
      const started = await startBulkDirectly(fake, '2025-10');
      expect(started).toBe(true);
      fake.requests.length = 0;
      expect(await collect(old.list())).toHaveLength(12);
      expect(fake.requests.map((r) => r.operation)).toEqual(['InvsyncVariantCount', 'InvsyncBulkVariants', 'InvsyncVariants']);
      await fake.close();

      fake = await startShopifyFake({ bucket: FAST_BUCKET, bulk: BULK_TIMING, faults: { bulkFailure: 'INTERNAL_SERVER_ERROR' } });
      seedMixedCatalog(fake, 12);
      expect(await collect(createShopifyStore(configFor(fake, { bulkThreshold: 5 })).list())).toHaveLength(12);
      expect(fake.counters.bulkOperations).toBe(1);
      expect(fake.counters.bulkDownloads).toBe(0);
      expect(fake.requests.filter((r) => r.operation === 'InvsyncVariants').length).toBeGreaterThan(0);
    });

    it('the fake answers like Shopify: CREATED, RUNNING, COMPLETED with a JSONL of __parentId children; refuses a query without a connection', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET, bulk: { startDelayMs: 100, objectsPerSecond: 50 } });
      fake.seed([{ title: 'Tee', variants: [{ sku: 'T-1', available: 1 }, { sku: 'T-2', available: 2 }] }, { variants: [{ sku: 'S', available: 3 }] }]);
      const run = (query: string) => gqlRaw(fake, 'mutation Run($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }', { q: query });
      const refused = await run('{ shop { name } }');
      expect((refused.body.data as { bulkOperationRunQuery: { userErrors: Array<{ message: string }> } }).bulkOperationRunQuery.userErrors[0]?.message).toMatch(/at least one connection/);

      const started = await run('{ productVariants { edges { node { id sku product { id variants { edges { node { id } } } } } } } }');
      const op = (started.body.data as { bulkOperationRunQuery: { bulkOperation: { id: string; status: string } } }).bulkOperationRunQuery.bulkOperation;
      expect(op.status).toBe('CREATED');
      const poll = async () => ((await gqlRaw(fake, 'query P($id: ID!) { node(id: $id) { ... on BulkOperation { status objectCount url } } }', { id: op.id })).body.data as { node: { status: string; objectCount: string; url: string | null } }).node;
      expect((await poll()).status).toBe('CREATED');
      await new Promise((r) => setTimeout(r, 150));
      expect((await poll()).status).toBe('RUNNING');
      await new Promise((r) => setTimeout(r, 250));
      const done = await poll();
      expect([done.status, done.objectCount]).toEqual(['COMPLETED', '8']); // 3 variants + 2 + 2 + 1 product variants
      const lines = (await (await fetch(done.url as string)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(8);
      expect(lines[0]).toMatchObject({ sku: 'T-1', product: { id: expect.stringMatching(/Product/) } });
      expect(lines[1]).toMatchObject({ __parentId: lines[0]?.id });
      expect((await fetch(`${(done.url as string).split('?')[0]}?X-Goog-Signature=forged`)).status).toBe(403);
    });
  });

  describe('compare-and-set', () => {
    for (const mode of ['atomic', 'per-item'] as const) {
      it(`reports an item sold since the fetch as "changed in store" and applies the others (${mode} user errors)`, async () => {
        fake = await startShopifyFake({ bucket: FAST_BUCKET, userErrorMode: mode });
        fake.seed(Array.from({ length: 4 }, (_, i) => ({ variants: [{ sku: `A${i}`, available: 10 }] })));
        const store = createShopifyStore(configFor(fake));
        const items = await collect(store.list());
        fake.sell('A1', 2);

        const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 20)));

        expect(result.failed.map((f) => f.seq)).toEqual([2]);
        expect(result.failed[0]?.message).toMatch(/^changed in store: /);
        expect(result.failed[0]?.message).toContain('CHANGE_FROM_QUANTITY_STALE');
        expect(['A0', 'A1', 'A2', 'A3'].map((s) => fake.stockOf(s))).toEqual([20, 8, 20, 20]);
      });
    }

    it('uses compareQuantity with ignoreCompareQuantity: false on versions before 2026-04', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed([{ variants: [{ sku: 'A', available: 5 }] }, { variants: [{ sku: 'B', available: 5 }] }]);
      const store = createShopifyStore(configFor(fake, { apiVersion: '2025-10' }));
      const items = await collect(store.list());
      fake.sell('B', 1);
      const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 9)));
      expect(result.failed).toEqual([{ seq: 2, message: expect.stringMatching(/^changed in store: .*COMPARE_QUANTITY_STALE/) }]);
      expect([fake.stockOf('A'), fake.stockOf('B')]).toEqual([9, 4]);
    });

    it('turns tracking on for an untracked item in the same request, and back off when its write fails', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed([{ variants: [{ sku: 'U1', available: 0, tracked: false }] }, { variants: [{ sku: 'U2', available: 0, tracked: false }] }]);
      const store = createShopifyStore(configFor(fake));
      const items = await collect(store.list());
      fake.faults.rejectSkus = ['U2'];
      const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 6)));
      expect(result.failed).toEqual([{ seq: 2, message: expect.stringContaining('NON_MUTABLE_INVENTORY_ITEM') }]);
      expect([fake.stockOf('U1'), fake.tracked('U1')]).toEqual([6, true]);
      expect([fake.tracked('U2'), fake.availableOf('U2')]).toEqual([false, 0]);
      expect(fake.requests.filter((r) => r.mutation).map((r) => r.operation)).toEqual(['InvsyncSetQuantities', 'InvsyncSetQuantities', 'InvsyncUntrack']);
    });

    it('reports an item not stocked at the location without sending it', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed([{ variants: [{ sku: 'A', available: 1 }] }, { variants: [{ sku: 'B', stocked: false }] }]);
      const store = createShopifyStore(configFor(fake));
      const items = await collect(store.list());
      const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 3)));
      expect(result.failed).toEqual([{ seq: 2, message: expect.stringMatching(/^not stocked at location gid:\/\/shopify\/Location\/\d+/) }]);
      expect(fake.requests.filter((r) => r.mutation).map((r) => r.quantities)).toEqual([1]);
    });

    it('finds the inventory item for changes that come without ids (e.g. a rollback plan)', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      const [simple] = fake.seed({ variants: [{ sku: 'A', available: 1 }] });
      const [, variant] = fake.seed({ variants: [{ sku: 'B1', title: 'S', available: 2 }, { sku: 'B2', title: 'M', available: 3 }] });
      const store = createShopifyStore(configFor(fake));
      const result = await store.apply([
        { seq: 1, sku: 'A', productId: simple?.productId as number, variationId: null, from: 1, to: 5 },
        { seq: 2, sku: 'B2', productId: variant?.productId as number, variationId: variant?.id as number, from: 3, to: 6 },
        { seq: 3, sku: 'GONE', productId: 1, variationId: 99, from: 1, to: 2 },
      ]);
      expect(result.failed).toEqual([{ seq: 3, message: 'gid://shopify/ProductVariant/99 not found in the shop (deleted?)' }]);
      expect([fake.stockOf('A'), fake.stockOf('B2')]).toEqual([5, 6]);
      expect(fake.requests.map((r) => r.operation)).toEqual(['InvsyncResolve', 'InvsyncSetQuantities']);
    });
  });

  it('reads back the current stock of written items in one request per 250, with or without ids', async () => {
    fake = await startShopifyFake({ bucket: FAST_BUCKET });
    fake.seed([{ variants: [{ sku: 'A', available: 1 }] }, { variants: [{ sku: 'B', available: 1, tracked: false }] }]);
    const [c1, c2] = fake.seed({ variants: [{ sku: 'C1', title: 'S', available: 1 }, { sku: 'C2', title: 'M', available: 1 }] });
    const store = createShopifyStore(configFor(fake));
    const items = await collect(store.list());
    const changes = items.map((item, i) => changeFor(item, i + 1, 6));
    expect(await store.apply(changes.slice(0, 1))).toEqual({ failed: [] });
    fake.sell('A', 2);
    const before = fake.counters.requests;

    const seen = await store.read!([
      ...changes,
      { seq: 10, sku: 'C2', productId: c2?.productId as number, variationId: c2?.id as number, from: 1, to: 6 },
      { seq: 11, sku: 'GONE', productId: c1?.productId as number, variationId: 99, from: 1, to: 6 },
    ]);

    expect(Object.fromEntries(seen)).toEqual({
      1: { qty: 4, managed: true }, 2: { qty: null, managed: false }, 3: { qty: 1, managed: true }, 4: { qty: 1, managed: true }, 10: { qty: 1, managed: true },
    });
    expect(fake.requests.slice(before).map((r) => r.operation)).toEqual(['InvsyncLevels', 'InvsyncResolve']);
  });

  describe('idempotency', () => {
    it('a batch re-sent after a crash is answered from the idempotency cache: nothing applied twice, a later sale kept', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed(Array.from({ length: 3 }, (_, i) => ({ variants: [{ sku: `A${i}`, available: 2 }] })));
      const config = configFor(fake);
      const items = await collect(createShopifyStore(config).list());
      const batch = items.map((item, i) => changeFor(item, i + 1, 8));

      expect(await createShopifyStore(config).apply(batch)).toEqual({ failed: [] });
      fake.sell('A0', 1);
      // A new process resumes the journaled batch: same changes, same refs, same key.
      expect(await createShopifyStore(config).apply(batch)).toEqual({ failed: [] });

      expect(fake.counters).toMatchObject({ setCalls: 1, replays: 1 });
      expect(['A0', 'A1', 'A2'].map((s) => fake.stockOf(s))).toEqual([7, 8, 8]);
      const keys = fake.requests.filter((r) => r.mutation).map((r) => r.idempotencyKey);
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);
    });

    it('a lost answer is retried with the same key and the original result is used', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed({ variants: [{ sku: 'A', available: 2 }] });
      const store = createShopifyStore(configFor(fake));
      const items = await collect(store.list());
      fake.faults.dropAfterWrite = 1;
      expect(await store.apply([changeFor(items[0] as StoreItem, 1, 5)])).toEqual({ failed: [] });
      expect(fake.counters).toMatchObject({ setCalls: 1, replays: 1 });
      expect(fake.stockOf('A')).toBe(5);
    });

    it('waits for an identical request still in flight instead of applying it again', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET, faults: { writeLatencyMs: 400 } });
      fake.seed({ variants: [{ sku: 'A', available: 2 }] });
      const store = createShopifyStore(configFor(fake, { timeoutMs: 150 }));
      const items = await collect(store.list());
      expect(await store.apply([changeFor(items[0] as StoreItem, 1, 5)])).toEqual({ failed: [] });
      expect(fake.counters.setCalls).toBe(1);
      expect(fake.stockOf('A')).toBe(5);
      expect(fake.counters.replays).toBeGreaterThanOrEqual(1);
    });

    it('a new plan from a new listing gets a new key, even with the same seqs and targets', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed({ variants: [{ sku: 'A', available: 3 }] });
      const store = createShopifyStore(configFor(fake));
      const first = await collect(store.list());
      await store.apply([changeFor(first[0] as StoreItem, 1, 5)]);
      fake.sell('A', 2);
      const second = await collect(store.list());
      expect(await store.apply([changeFor(second[0] as StoreItem, 1, 5)])).toEqual({ failed: [] });
      expect(fake.counters).toMatchObject({ setCalls: 2, replays: 0 });
      expect(fake.stockOf('A')).toBe(5);
    });
  });

  describe('throttling', () => {
    it('waits for the bucket before a request it cannot pay for, so the shop never answers THROTTLED', async () => {
      fake = await startShopifyFake({ bucket: { maximumAvailable: 60, restoreRate: 500 } });
      const skus = seedMixedCatalog(fake, 45);
      const started = Date.now();
      const items = await collect(createShopifyStore(configFor(fake, { pageSize: 10 })).list());
      expect(items.map((i) => i.sku)).toEqual(skus);
      expect(fake.counters.throttled).toBe(0);
      // The variant count, then 5 pages of 52 points each: no two pages fit in the 60-point bucket, so
      // every page after the first had to wait for the refill (the level left after each is timing-dependent).
      expect(fake.requests.map((r) => [r.operation, r.requestedCost])).toEqual([
        ['InvsyncVariantCount', 1], ...Array.from({ length: 5 }, () => ['InvsyncVariants', 52]),
      ]);
      // 5 pages of 52 points from a 60-point bucket refilled at 500/s: at least ~4 × 40 ms of waiting.
      expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    });

    it('after THROTTLED waits (requested − available) / restoreRate and re-sends, instead of failing', async () => {
      fake = await startShopifyFake({ bucket: { maximumAvailable: 1000, restoreRate: 20 } });
      fake.seed(Array.from({ length: 5 }, (_, i) => ({ variants: [{ sku: `A${i}`, available: 1 }] })));
      const store = createShopifyStore(configFor(fake));
      const items = await collect(store.list());
      fake.drainBucket(0);
      const started = Date.now();
      expect(await store.apply(items.map((item, i) => changeFor(item, i + 1, 4)))).toEqual({ failed: [] });
      // Another app emptied the bucket: 10 points at 20/s is 500 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(fake.counters.throttled).toBe(1);
      expect(fake.counters.setCalls).toBe(1);
      // The same 10-point write, refused once and then re-sent (not failed, not split).
      expect(fake.requests.filter((r) => r.mutation).map((r) => [r.operation, r.requestedCost, r.throttled === true, r.quantities]))
        .toEqual([['InvsyncSetQuantities', 10, true, 5], ['InvsyncSetQuantities', 10, false, 5]]);
      expect(items.map((i) => fake.stockOf(i.sku))).toEqual([4, 4, 4, 4, 4]);
    });

    it('gives up with a clear error when the shop keeps answering THROTTLED', async () => {
      fake = await startShopifyFake({ bucket: { maximumAvailable: 30, restoreRate: 1000 } });
      fake.seed({ variants: [{ sku: 'A', available: 1 }] });
      const err = await collect(createShopifyStore(configFor(fake, { pageSize: 10 })).list()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/^shopify InvsyncVariants: still THROTTLED after 10 waits/);
      expect(fake.counters.throttled).toBe(11);
    });
  });

  describe('errors', () => {
    it('fails a batch on a GraphQL error other than THROTTLED, with the message, without retrying', async () => {
      let hits = 0;
      const server = http.createServer((req, res) => {
        hits++;
        req.resume();
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ errors: [{ message: 'Internal error. Looks like something went wrong on our end.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const store = createShopifyStore({ type: 'shopify', url, accessToken: 'shpat_x', apiVersion: '2026-10', locationId: '1' });
        const change: Change = { seq: 1, sku: 'A', productId: 1, variationId: null, from: 1, to: 2, ref: { variantId: 'gid://shopify/ProductVariant/1', productId: 'gid://shopify/Product/1', inventoryItemId: 'gid://shopify/InventoryItem/1', locationId: 'gid://shopify/Location/1', tracked: true, stocked: true, available: 1 } };
        const err = await store.apply([change]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as Error).message).toBe('shopify InvsyncSetQuantities: INTERNAL_SERVER_ERROR: Internal error. Looks like something went wrong on our end.');
        expect(hits).toBe(1);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('stops at once with an auth error when the token lacks a scope (ACCESS_DENIED)', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET, scopes: ['read_products', 'read_inventory', 'read_locations'] });
      fake.seed({ variants: [{ sku: 'A', available: 1 }] });
      const store = createShopifyStore(configFor(fake));
      const items = await collect(store.list());
      const err = await store.apply([changeFor(items[0] as StoreItem, 1, 3)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).details.auth).toBe(true);
      expect((err as Error).message).toContain('ACCESS_DENIED');
      expect(fake.stockOf('A')).toBe(1);
    });

    it('names store.locationId when no variant is stocked at the configured location', async () => {
      fake = await startShopifyFake({ bucket: FAST_BUCKET });
      fake.seed({ variants: [{ sku: 'A', available: 1 }] });
      const err = await collect(createShopifyStore(configFor(fake, { locationId: fake.locationId(1) })).list()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^store\.locationId: none of the shop's 1 variants is stocked at location/);
    });

    it('check() names the shop and the location, and refuses an unknown location', async () => {
      fake = await startShopifyFake({ shopName: 'Demo Shop' });
      const text = await createShopifyStore(configFor(fake)).check?.();
      expect(text).toBe(`Shopify shop "Demo Shop" (demo-shop.myshopify.com, API 2026-10): authenticated; location "Main warehouse" (${fake.locationId()})`);
      const err = await createShopifyStore(configFor(fake, { locationId: 'gid://shopify/Location/1' })).check?.().catch((e: unknown) => e);
      expect((err as Error).message).toBe('store.locationId: location gid://shopify/Location/1 not found in shop "Demo Shop"');
    });
  });
});

/** Start a bulk query the way another run would have; true when it started. */
async function startBulkDirectly(fake: ShopifyFake, version: string): Promise<boolean> {
  const res = await gqlRaw(fake, 'mutation Run($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } userErrors { message } } }', { q: '{ productVariants { edges { node { id } } } }' }, { version });
  return Boolean(res.body.data.bulkOperationRunQuery.bulkOperation);
}
