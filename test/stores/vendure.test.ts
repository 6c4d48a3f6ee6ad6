import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { VendureStoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError } from '../../src/domain/errors.js';
import type { Change } from '../../src/domain/types.js';
import { clearSecrets, redact } from '../../src/lib/redact.js';
import { createVendureStore } from '../../src/stores/vendure/index.js';
import { changeFor, collect, hideChange, restoreChange, runStoreContract, toBatches } from '../contracts/store-contract.js';
import { startVendureFake, vendureCatalog, type VendureFake, type VendureFakeOptions } from '../fakes/vendure.js';

beforeAll(() => {
  // Read by the http client when an adapter is created: keeps retries fast.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function configFor(fake: VendureFake, overrides: Partial<VendureStoreConfig> = {}): VendureStoreConfig {
  return { type: 'vendure', url: fake.url, username: fake.username, password: fake.password, ...overrides };
}

runStoreContract('vendure', async () => {
  const fake = await startVendureFake();
  const config = configFor(fake, { pageSize: 10, batchSize: 10 });
  return {
    adapter: createVendureStore(config),
    fake: {
      async seed(count) {
        const { products, skus } = vendureCatalog(count);
        fake.seed(products);
        return skus;
      },
      async stockOf(sku) {
        const stock = fake.stockOf(sku);
        return stock === undefined ? undefined : fake.tracked(sku) ? stock : null;
      },
      writeRequests: () => fake.writeRequests(),
      requests: () => fake.requests.length,
      inject429: (n) => { fake.faults.status429 = { count: n, retryAfter: 1 }; },
      inject503: (n) => { fake.faults.status503 = { count: n }; },
      rejectSkus: (skus) => { fake.faults.rejectSkus = skus; },
      badCredentialsAdapter: () => createVendureStore({ ...config, password: 'wrong-password' }),
      deleteItem: async (sku) => fake.deleteVariant(sku),
    },
    // One productVariants query per 1000 variants.
    readRequests: (changes) => Math.ceil(new Set(changes.map((c) => String(c.ref?.variantId))).size / 1000),
    readSeed: 1005,
    close: () => fake.close(),
  };
});

/* ------------------------------------------------------------------------------------------ */

async function gql(fake: VendureFake, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(fake.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, token: res.headers.get('vendure-auth-token'), body: await res.json() as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

async function loginToken(fake: VendureFake): Promise<string> {
  const res = await gql(fake, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { ... on CurrentUser { id } ... on ErrorResult { errorCode message } } }', { u: fake.username, p: fake.password });
  return res.token as string;
}

describe('Vendure fake behaves like Vendure 3.7', () => {
  let fake: VendureFake;
  afterEach(async () => { await fake?.close(); });

  it('answers a wrong password with INVALID_CREDENTIALS_ERROR as data and no token header', async () => {
    fake = await startVendureFake();
    const res = await gql(fake, 'mutation { login(username: "superadmin", password: "nope") { ... on CurrentUser { id } ... on ErrorResult { errorCode message } } }');
    expect(res).toEqual({ status: 200, token: null, body: { data: { login: { errorCode: 'INVALID_CREDENTIALS_ERROR', message: 'The provided credentials are invalid' } } } });
  });

  it('refuses queries without a bearer token with FORBIDDEN (HTTP 200, data null)', async () => {
    fake = await startVendureFake({ products: vendureCatalog(2).products });
    const res = await gql(fake, '{ productVariants { totalItems } }');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      errors: [{ message: 'You are not currently authorized to perform this action', path: ['productVariants'], extensions: { code: 'FORBIDDEN' } }],
      data: null,
    });
  });

  it('refuses take above 1000 and unknown fields', async () => {
    fake = await startVendureFake();
    const token = await loginToken(fake);
    const big = await gql(fake, '{ productVariants(options: { take: 1001 }) { totalItems } }', {}, token);
    expect(big.body.errors?.[0]).toMatchObject({ message: 'Cannot take more than 1000 results from a list query', extensions: { code: 'USER_INPUT_ERROR' } });
    const typo = await gql(fake, '{ productVariants { items { stock } } }', {}, token);
    expect(typo.status).toBe(400);
    expect(typo.body.errors?.[0]).toMatchObject({ message: 'Cannot query field "stock" on type "ProductVariant".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('sorts by one key: with several, only the last counts (as Vendure 3.7.3 does)', async () => {
    fake = await startVendureFake({ products: [{ variants: [{ sku: 'A1' }, { sku: 'A2' }] }, { variants: [{ sku: 'B1' }] }] });
    fake.variants().push({ id: 4, productId: 1, sku: 'A3', name: 'A3', trackInventory: 'INHERIT', levels: new Map([[1, 0]]), deleted: false });
    const token = await loginToken(fake);
    const skus = async (sort: string) => ((await gql(fake, `{ productVariants(options: { sort: ${sort} }) { items { sku } } }`, {}, token)).body.data as { productVariants: { items: Array<{ sku: string }> } }).productVariants.items.map((i) => i.sku);
    expect(await skus('{ productId: DESC }')).toEqual(['B1', 'A1', 'A2', 'A3']);
    expect(await skus('{ productId: ASC, id: ASC }')).toEqual(['A1', 'A2', 'B1', 'A3']);
  });

  it('rolls back the whole updateProductVariants batch when one id is unknown', async () => {
    fake = await startVendureFake({ products: [{ variants: [{ sku: 'A', stock: 1 }] }] });
    const token = await loginToken(fake);
    const res = await gql(fake, 'mutation($input: [UpdateProductVariantInput!]!) { updateProductVariants(input: $input) { id stockOnHand } }',
      { input: [{ id: '1', stockOnHand: 9 }, { id: '999', stockOnHand: 3 }] }, token);
    expect(res.body).toMatchObject({ data: null, errors: [{ message: 'No ProductVariant with the id "999" could be found', extensions: { code: 'ENTITY_NOT_FOUND' } }] });
    expect(fake.stockOf('A')).toBe(1);
  });

  it('reports stockOnHand as the sum of all locations and writes stockOnHand to the default one', async () => {
    fake = await startVendureFake({ extraLocations: ['Warehouse 2'], products: [{ variants: [{ sku: 'A', stock: 7, levels: { 2: 5 } }] }] });
    const token = await loginToken(fake);
    const res = await gql(fake, 'mutation { updateProductVariants(input: [{ id: "1", stockOnHand: 8 }]) { stockOnHand stockLevels { stockLocationId stockOnHand } } }', {}, token);
    expect(res.body.data).toEqual({ updateProductVariants: [{ stockOnHand: 13, stockLevels: [{ stockLocationId: '1', stockOnHand: 8 }, { stockLocationId: '2', stockOnHand: 5 }] }] });
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('Vendure store adapter', () => {
  let fake: VendureFake;
  afterEach(async () => { await fake?.close(); });

  async function start(options: VendureFakeOptions) {
    fake = await startVendureFake(options);
    return fake;
  }

  it('lists by product then variant: one-variant products as simple items, several as variations, the variant id in ref', async () => {
    await start({ products: [{ name: 'Mug', variants: [{ sku: 'MUG', stock: 3 }] }, { name: 'Tee', variants: [{ sku: 'TEE-S', stock: 1 }, { sku: 'TEE-M', stock: 2 }] }] });
    // A variant added to the first product later gets a higher id but stays with its product.
    fake.variants().push({ id: 9, productId: 1, sku: 'MUG-XL', name: 'Mug XL', trackInventory: 'INHERIT', levels: new Map([[1, 4]]), deleted: false });
    fake.seed([{ name: 'Cap', variants: [{ sku: ' CAP ', stock: 0 }] }]);
    const items = await collect(createVendureStore(configFor(fake, { pageSize: 2 })).list());
    const shown = { hidden: false, outOfStock: false, values: { enabled: true } };
    expect(items.map((i) => i.visibility)).toEqual([shown, shown, shown, shown, shown]);
    expect(items.map(({ visibility: _v, ...rest }) => rest)).toEqual([
      { sku: 'MUG', productId: '1', variationId: '1', qty: 3, managed: true, name: 'Mug MUG', price: '10.00', ref: { variantId: '1' } },
      { sku: 'MUG-XL', productId: '1', variationId: '9', qty: 4, managed: true, name: 'Mug XL', price: '10.00', ref: { variantId: '9' } },
      { sku: 'TEE-S', productId: '2', variationId: '2', qty: 1, managed: true, name: 'Tee TEE-S', price: '10.00', ref: { variantId: '2' } },
      { sku: 'TEE-M', productId: '2', variationId: '3', qty: 2, managed: true, name: 'Tee TEE-M', price: '10.00', ref: { variantId: '3' } },
      { sku: 'CAP', productId: '3', variationId: null, qty: 0, managed: true, name: 'Cap  CAP ', price: '10.00', ref: { variantId: '4' } },
    ]);
    const pages = fake.requests.filter((r) => r.fields.includes('productVariants'));
    expect(pages.length).toBe(3);
    expect(pages[0]?.fields).toEqual(['globalSettings', 'activeChannel', 'stockLocations', 'productVariants']);
  });

  it('treats trackInventory FALSE, and INHERIT when the global setting is off, as unmanaged; a write switches tracking on', async () => {
    await start({ trackInventory: false, products: [{ variants: [{ sku: 'A', stock: 5 }] }, { variants: [{ sku: 'B', stock: 6, trackInventory: 'TRUE' }] }, { variants: [{ sku: 'C', trackInventory: 'FALSE' }] }] });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.managed, i.qty])).toEqual([['A', false, null], ['B', true, 6], ['C', false, null]]);
    const batch = items.map((item, i) => changeFor(item, i + 1, 10 + i));
    expect(await store.apply(batch)).toEqual({ failed: [] });
    expect(fake.variants().map((v) => [v.sku, v.trackInventory, fake.stockOf(v.sku)])).toEqual([['A', 'TRUE', 10], ['B', 'TRUE', 11], ['C', 'TRUE', 12]]);
    expect(fake.writeRequests()).toBe(1);
  });

  it('writes every batch with one updateProductVariants call, whatever products the variants belong to', async () => {
    await start({ products: vendureCatalog(30).products });
    const store = createVendureStore(configFor(fake, { batchSize: 25 }));
    const items = await collect(store.list());
    expect(new Set(items.map((i) => changeFor(i, 1, 1)).map((c) => store.batchKey(c))).size).toBe(1);
    const changes = items.map((item, i) => changeFor(item, i + 1, 50 + i));
    await store.apply(changes.slice(0, 25));
    await store.apply(changes.slice(25));
    expect(fake.requests.filter((r) => r.kind === 'mutation' && r.fields.includes('updateProductVariants')).map((r) => r.items)).toEqual([25, 5]);
  });

  it('reads and writes the configured stock location only (0 where the variant has no level yet)', async () => {
    await start({ extraLocations: ['Warehouse 2'], products: [{ variants: [{ sku: 'A', stock: 7, levels: { 2: 5 } }] }, { variants: [{ sku: 'B', stock: 3 }] }] });
    const store = createVendureStore(configFor(fake, { stockLocationId: '2' }));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.qty])).toEqual([['A', 5], ['B', 0]]);
    expect(await store.apply(items.map((item, i) => changeFor(item, i + 1, 20 + i)))).toEqual({ failed: [] });
    expect([fake.stockOf('A', 2), fake.stockOf('A', 1), fake.stockOf('B', 2), fake.stockOf('B', 1)]).toEqual([20, 7, 21, 3]);
  });

  it('refuses an unknown stockLocationId, and several locations without one, naming the config path', async () => {
    await start({ extraLocations: ['Warehouse 2'], products: vendureCatalog(2).products });
    const unknown = await collect(createVendureStore(configFor(fake, { stockLocationId: '77' })).list()).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ConfigError);
    expect((unknown as Error).message).toBe('store.stockLocationId: Vendure has no stock location with id "77" (it has: 1 "Default Stock Location", 2 "Warehouse 2")');
    const ambiguous = await collect(createVendureStore(configFor(fake)).list()).catch((e: unknown) => e);
    expect(ambiguous).toBeInstanceOf(ConfigError);
    expect((ambiguous as Error).message).toContain('store.stockLocationId: Vendure has 2 stock locations');
  });

  it('reports a variant deleted since the listing as failed and re-sends the rest of the rolled-back batch', async () => {
    await start({ products: vendureCatalog(6).products });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    fake.deleteVariant(items[2]!.sku);
    const batch = items.map((item, i) => changeFor(item, i + 1, 30 + i));
    const result = await store.apply(batch);
    expect(result.failed).toEqual([{ seq: 3, message: `ENTITY_NOT_FOUND: No ProductVariant with the id "${String(items[2]!.ref?.variantId)}" could be found (deleted in Vendure since the last fetch?)` }]);
    expect(fake.writeRequests()).toBe(2);
    for (const c of batch.filter((c) => c.seq !== 3)) expect(fake.stockOf(c.sku)).toBe(c.to);
  });

  it('fails every item of a batch Vendure refuses as a whole, with its message', async () => {
    await start({ outOfStockThreshold: 5, products: vendureCatalog(3).products });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 2)));
    expect(result.failed).toEqual([1, 2, 3].map((seq) => ({ seq, message: 'USER_INPUT_ERROR: stockOnHand cannot be a negative value (Vendure rolled back the whole batch)' })));
  });

  it('stops with an auth error when the login is refused, without leaking the password', async () => {
    await start({ products: vendureCatalog(2).products });
    const err = await collect(createVendureStore(configFor(fake, { password: 'hunter2-wrong' })).list()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.auth).toBe(true);
    expect((err as HttpError).message).toContain('INVALID_CREDENTIALS_ERROR');
    expect((err as HttpError).message).not.toContain('hunter2-wrong');
    expect(fake.requests).toHaveLength(1);
  });

  it('treats FORBIDDEN during a write (session revoked, missing permission) as an auth stop', async () => {
    await start({ products: vendureCatalog(2).products });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    fake.revokeTokens();
    const err = await store.apply([changeFor(items[0]!, 1, 9)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.auth).toBe(true);
    expect((err as HttpError).message).toContain('FORBIDDEN');
  });

  it('registers the session token as a secret, so no log or message can show it', async () => {
    clearSecrets();
    await start({ products: vendureCatalog(1).products });
    await collect(createVendureStore(configFor(fake)).list());
    // One login, and the fake's session token is 32 hex characters.
    expect(fake.sessions()).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);
    const [token] = fake.sessions();
    expect(redact(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer ***');
  });

  it('refuses a batchSize above 500 and clamps pageSize to the 1000 Vendure allows', async () => {
    const config: VendureStoreConfig = { type: 'vendure', url: 'http://127.0.0.1:1/admin-api', username: 'u', password: 'p' };
    expect(() => createVendureStore({ ...config, batchSize: 501 })).toThrow('store.batchSize: at most 500 for vendure');
    expect(createVendureStore(config).limits.maxBatch).toBe(100);
    await start({ products: vendureCatalog(3).products });
    expect(await collect(createVendureStore(configFor(fake, { pageSize: 5000 })).list())).toHaveLength(3);
  });

  it('reads back the stock of applied items in one request; deleted variants are absent', async () => {
    await start({ trackInventory: true, products: vendureCatalog(5).products });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    const changes: Change[] = items.map((item, i) => changeFor(item, i + 1, 40 + i));
    await store.apply(changes);
    fake.deleteVariant(items[1]!.sku);
    const before = fake.requests.length;
    const seen = await store.read!(changes);
    expect(fake.requests.length - before).toBe(1);
    expect([...seen.entries()].map(([k, r]) => [k, { qty: r.qty, managed: r.managed }])).toEqual([[1, { qty: 40, managed: true }], [3, { qty: 42, managed: true }], [4, { qty: 43, managed: true }], [5, { qty: 44, managed: true }]]);
  });

  it('writes 1,000 changed SKUs in 10 requests with the default batch size', async () => {
    await start({ products: vendureCatalog(1000).products });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    for (const batch of toBatches(store, items.map((item, i) => changeFor(item, i + 1, 100 + (i % 5))))) expect(await store.apply(batch)).toEqual({ failed: [] });
    expect(fake.writeRequests()).toBe(10);
  });

  it('check() logs in and describes the store and the location it writes', async () => {
    await start({ products: vendureCatalog(4).products });
    const text = await createVendureStore(configFor(fake)).check!();
    expect(text).toBe(`Vendure at ${fake.url}: logged in, 4 variants; invsync writes its only stock location "Default Stock Location"`);
  });
});

describe('Vendure rules.status writes (SPEC §14)', () => {
  let fake: VendureFake;
  afterEach(async () => { await fake?.close(); });

  it('disables a variant in the same updateProductVariants as its stock, reads it back, re-enables it alone', async () => {
    fake = await startVendureFake({ products: [{ name: 'P', variants: [{ sku: 'P-1', stock: 5 }] }, { name: 'Q', variants: [{ sku: 'Q-1', stock: 5 }] }] });
    const store = createVendureStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.visibility])).toEqual([
      ['P-1', { hidden: false, outOfStock: false, values: { enabled: true } }],
      ['Q-1', { hidden: false, outOfStock: false, values: { enabled: true } }],
    ]);
    const hide = hideChange(items[0]!, 1, 0, { enabled: false }, { enabled: true });
    const writes = fake.writeRequests();
    expect(await store.apply([hide, changeFor(items[1]!, 2, 3)])).toEqual({ failed: [] });
    expect(fake.writeRequests() - writes).toBe(1);
    const p1 = () => fake.variants().find((v) => v.sku === 'P-1')!;
    expect([p1().enabled, p1().levels.get(1)]).toEqual([false, 0]);
    expect((await store.read([hide])).get(1)).toEqual({ qty: 0, managed: true, visibility: { hidden: true, outOfStock: false, values: { enabled: false } } });

    const restore = restoreChange(items[0]!, 3, 99, { enabled: true }, { enabled: false });
    expect(await store.apply([restore])).toEqual({ failed: [] });
    expect([p1().enabled, p1().levels.get(1)]).toEqual([true, 0]);
  });

  it('the fake refuses a non-Boolean enabled as GraphQL does (the whole operation, nothing saved)', async () => {
    fake = await startVendureFake({ products: [{ name: 'P', variants: [{ sku: 'P-1', stock: 5 }] }] });
    const store = createVendureStore(configFor(fake));
    const [item] = await collect(store.list());
    const bad = hideChange(item!, 1, 0, { enabled: 'no' }, { enabled: true });
    const result = await store.apply([bad]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.message).toContain('Boolean cannot represent a non boolean value: "no"');
    const v = fake.variants().find((x) => x.sku === 'P-1')!;
    expect([v.enabled ?? true, v.levels.get(1)]).toEqual([true, 5]);
  });
});
