import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { MedusaStoreConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError } from '../../src/domain/errors.js';
import type { Change } from '../../src/domain/types.js';
import { clearSecrets, redact } from '../../src/lib/redact.js';
import { createMedusaStore } from '../../src/stores/medusa/index.js';
import { changeFor, collect, runStoreContract, toBatches } from '../contracts/store-contract.js';
import { medusaCatalog, startMedusaFake, type MedusaFake, type MedusaFakeOptions } from '../fakes/medusa.js';

beforeAll(() => {
  // Read by the http client when an adapter is created: keeps retries fast.
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

function configFor(fake: MedusaFake, overrides: Partial<MedusaStoreConfig> = {}): MedusaStoreConfig {
  return { type: 'medusa', url: fake.url, email: fake.email, password: fake.password, locationId: fake.locationId, ...overrides };
}

runStoreContract('medusa', async () => {
  const fake = await startMedusaFake();
  const config = configFor(fake, { pageSize: 4, batchSize: 10 });
  return {
    adapter: createMedusaStore(config),
    fake: {
      async seed(count) {
        const { products, skus } = medusaCatalog(count);
        fake.seed(products);
        return skus;
      },
      async stockOf(sku) { return fake.stockOf(sku); },
      writeRequests: () => fake.writeRequests(),
      requests: () => fake.requests.length,
      inject429: (n) => { fake.faults.status429 = { count: n, retryAfter: 1 }; },
      inject503: (n) => { fake.faults.status503 = { count: n }; },
      rejectSkus: (skus) => { fake.faults.rejectSkus = skus; },
      badCredentialsAdapter: () => createMedusaStore({ ...config, password: 'wrong-password' }),
      async deleteItem(sku) {
        // Deleting a variant in the admin: its product no longer lists it.
        for (const product of fake.products()) product.variants = product.variants.filter((v) => v.sku !== sku);
      },
    },
    // One products request per 100 products.
    readRequests: (changes) => Math.ceil(new Set(changes.map((c) => String(c.productId))).size / 100),
    readSeed: 180,
    close: () => fake.close(),
  };
});

/* ------------------------------------------------------------------------------------------ */

async function call(fake: MedusaFake, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: json as Record<string, unknown> };
}

async function tokenFor(fake: MedusaFake): Promise<string> {
  return (await call(fake, 'POST', '/auth/user/emailpass', { email: fake.email, password: fake.password })).body.token as string;
}

describe('Medusa fake behaves like Medusa 2.21', () => {
  let fake: MedusaFake;
  afterEach(async () => { await fake?.close(); });

  it('refuses a wrong password and unauthenticated admin requests with 401', async () => {
    fake = await startMedusaFake();
    expect(await call(fake, 'POST', '/auth/user/emailpass', { email: fake.email, password: 'x' })).toEqual({ status: 401, body: { type: 'unauthorized', message: 'Invalid email or password' } });
    expect(await call(fake, 'GET', '/admin/products')).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('rolls the level batch back when an update names a level that does not exist', async () => {
    fake = await startMedusaFake({ products: [{ variants: [{ sku: 'A', stock: 1 }] }, { variants: [{ sku: 'B', stock: null }] }] });
    const token = await tokenFor(fake);
    const [a, b] = fake.products().map((p) => p.variants[0]!.items[0]!.inventoryItemId);
    const res = await call(fake, 'POST', '/admin/inventory-items/location-levels/batch', {
      update: [{ location_id: fake.locationId, inventory_item_id: a, stocked_quantity: 5 }, { location_id: fake.locationId, inventory_item_id: b, stocked_quantity: 3 }],
    }, token);
    expect(res).toEqual({ status: 404, body: { type: 'not_found', message: `Item ${b} is not stocked at location ${fake.locationId}` } });
    expect(fake.stockOf('A')).toBe(1);
  });

  it('refuses to create a level twice, for an unknown item, or with a negative quantity', async () => {
    fake = await startMedusaFake({ products: [{ variants: [{ sku: 'A', stock: 1 }] }] });
    const token = await tokenFor(fake);
    const a = fake.products()[0]!.variants[0]!.items[0]!.inventoryItemId;
    const post = (body: unknown) => call(fake, 'POST', '/admin/inventory-items/location-levels/batch', body, token);
    expect((await post({ create: [{ location_id: fake.locationId, inventory_item_id: a, stocked_quantity: 2 }] })).body)
      .toEqual({ type: 'invalid_data', message: `Inventory level with inventory_item_id: ${a}, location_id: ${fake.locationId}, already exists.` });
    expect((await post({ create: [{ location_id: fake.locationId, inventory_item_id: 'iitem_nope', stocked_quantity: 2 }] })).body)
      .toEqual({ type: 'not_found', message: 'You tried to set relationship inventory_item_id: iitem_nope, but such entity does not exist' });
    expect((await post({ update: [{ location_id: fake.locationId, inventory_item_id: a, stocked_quantity: -1 }] })).body)
      .toEqual({ type: 'invalid_data', message: "Invalid request: Value for field 'update, 0, stocked_quantity' too small, expected at least: '0'" });
    expect(fake.stockOf('A')).toBe(1);
  });

  it('selects nested relations with fields, orders by id, filters by id[] and fails on an unknown order field', async () => {
    fake = await startMedusaFake({ products: [{ id: 'prod_B', variants: [{ sku: 'B', stock: 2 }] }, { id: 'prod_A', variants: [{ sku: 'A', stock: 1 }] }] });
    const token = await tokenFor(fake);
    const res = await call(fake, 'GET', '/admin/products?order=id&fields=id,variants.sku,variants.inventory_items.inventory.location_levels.stocked_quantity', undefined, token);
    expect(res.body).toMatchObject({ count: 2, offset: 0, limit: 50 });
    const products = res.body.products as Array<Record<string, unknown>>;
    expect(products.map((p) => p.id)).toEqual(['prod_A', 'prod_B']);
    expect(products[0]).toEqual({
      id: 'prod_A',
      variants: [{ id: expect.any(String), sku: 'A', inventory_items: [{ id: expect.any(String), inventory: { id: expect.any(String), location_levels: [{ id: expect.any(String), stocked_quantity: 1 }] } }] }],
    });
    const filtered = await call(fake, 'GET', '/admin/products?id%5B%5D=prod_B&fields=id', undefined, token);
    expect(filtered.body.products).toEqual([{ id: 'prod_B' }]);
    expect((await call(fake, 'GET', '/admin/products?order=bogus', undefined, token)).status).toBe(500);
  });

  it('reserves units of placed orders at a location: reserved rises, available = stocked − reserved, stocked drops only at fulfilment', async () => {
    fake = await startMedusaFake({ products: [{ variants: [{ sku: 'A', stock: 5 }, { sku: 'B', stock: null }] }] });
    fake.reserve('A', 2);
    const token = await tokenFor(fake);
    const fields = 'variants.sku,variants.inventory_items.inventory.location_levels.*';
    const levelOfA = async () => {
      const res = await call(fake, 'GET', `/admin/products?fields=${fields}`, undefined, token);
      const variants = (res.body.products as Array<{ variants: Array<{ sku: string; inventory_items: Array<{ inventory: { location_levels: unknown[] } }> }> }>)[0]!.variants;
      return variants.find((v) => v.sku === 'A')!.inventory_items[0]!.inventory.location_levels[0];
    };
    expect(await levelOfA()).toMatchObject({ stocked_quantity: 5, reserved_quantity: 2, available_quantity: 3 });
    fake.fulfil('A', 1);
    expect(await levelOfA()).toMatchObject({ stocked_quantity: 4, reserved_quantity: 1, available_quantity: 3 });
    expect(() => fake.reserve('B', 1)).toThrow(/not stocked at location/);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('Medusa store adapter', () => {
  let fake: MedusaFake;
  afterEach(async () => { await fake?.close(); });

  async function start(options: MedusaFakeOptions) {
    fake = await startMedusaFake(options);
    return fake;
  }

  it('lists by product id then variant id (as strings), one-variant products as simple items, stock at the configured location', async () => {
    await start({
      products: [
        { id: 'prod_01B', title: 'Tee', variants: [{ id: 'variant_01Z', sku: 'TEE-L', stock: 5 }, { id: 'variant_01A', sku: 'TEE-S', stock: null }] },
        { id: 'prod_01A', title: 'Mug', variants: [{ id: 'variant_01M', sku: ' MUG ', stock: 3 }] },
      ],
    });
    const items = await collect(createMedusaStore(configFor(fake, { pageSize: 1 })).list());
    const iitem = (sku: string) => fake.products().flatMap((p) => p.variants).find((v) => v.sku.trim() === sku)!.items[0]!.inventoryItemId;
    expect(items).toEqual([
      { sku: 'MUG', productId: 'prod_01A', variationId: null, qty: 3, managed: true, name: 'Mug', ref: { variantId: 'variant_01M', inventoryItemId: iitem('MUG'), level: true } },
      { sku: 'TEE-S', productId: 'prod_01B', variationId: 'variant_01A', qty: 0, managed: true, name: 'Tee TEE-S', ref: { variantId: 'variant_01A', inventoryItemId: iitem('TEE-S'), level: false } },
      { sku: 'TEE-L', productId: 'prod_01B', variationId: 'variant_01Z', qty: 5, managed: true, name: 'Tee TEE-L', ref: { variantId: 'variant_01Z', inventoryItemId: iitem('TEE-L'), level: true } },
    ]);
    const pages = fake.requests.filter((r) => r.path === '/admin/products');
    expect(pages.map((r) => [r.query.get('order'), r.query.get('limit'), r.query.get('offset')])).toEqual([['id', '1', '0'], ['id', '1', '1']]);
  });

  it('reports the units placed orders reserve at the configured location as held, with the listing (SPEC §12)', async () => {
    await start({
      products: [
        { id: 'prod_01A', title: 'Mug', variants: [{ sku: 'MUG', stock: 5 }] },
        { id: 'prod_01B', title: 'Cap', variants: [{ sku: 'CAP', stock: 3 }] },
        { id: 'prod_01C', title: 'Pen', variants: [{ sku: 'PEN', stock: 4 }] },
        { id: 'prod_01D', title: 'Bag', variants: [{ sku: 'BAG', manageInventory: false }] },
      ],
    });
    fake.reserve('MUG', 2);
    // Reserved at another location: not the level invsync writes, so not held there.
    fake.addLevel('PEN', 6, fake.otherLocationId);
    fake.reserve('PEN', 3, fake.otherLocationId);
    const items = await collect(createMedusaStore(configFor(fake)).list());
    expect(items.map((i) => [i.sku, i.qty, i.held])).toEqual([['MUG', 5, 2], ['CAP', 3, undefined], ['PEN', 4, undefined], ['BAG', null, undefined]]);
    expect(items.filter((i) => 'held' in i).map((i) => i.sku)).toEqual(['MUG']);
    // No extra request: one products page.
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/admin/products'))).toHaveLength(1);
  });

  it('writes existing levels with update and missing ones with create, in one request', async () => {
    await start({ products: medusaCatalog(14).products });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    const changes = items.map((item, i) => changeFor(item, i + 1, 60 + i));
    expect(await store.apply(changes)).toEqual({ failed: [] });
    const writes = fake.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/admin/'));
    expect(writes).toHaveLength(1);
    const body = writes[0]!.body as { create: unknown[]; update: unknown[] };
    expect([body.create.length, body.update.length]).toEqual([2, 12]);
    for (const c of changes) expect(fake.stockOf(c.sku)).toBe(c.to);
  });

  it('recovers when a level vanished or appeared since the listing, by writing it the other way', async () => {
    await start({ products: [{ variants: [{ sku: 'A', stock: 1 }] }, { variants: [{ sku: 'B', stock: null }] }, { variants: [{ sku: 'C', stock: 2 }] }] });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    fake.deleteLevel('A');
    fake.addLevel('B', 9);
    const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 20 + i)));
    expect(result).toEqual({ failed: [] });
    expect(['A', 'B', 'C'].map((s) => fake.stockOf(s))).toEqual([20, 21, 22]);
    expect(fake.writeRequests()).toBe(3);
  });

  it('reports an item whose inventory item was deleted as failed, and applies the rest', async () => {
    await start({ products: medusaCatalog(5).products });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    fake.faults.rejectSkus = [items[1]!.sku];
    const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, 30 + i)));
    expect(result.failed).toEqual([{ seq: 2, message: `not_found: You tried to set relationship inventory_item_id: ${String(items[1]!.ref?.inventoryItemId)}, but such entity does not exist` }]);
    for (const [i, item] of items.entries()) if (i !== 1) expect(fake.stockOf(item.sku)).toBe(30 + i);
  });

  it('switches inventory management on for a variant without it, then creates its level', async () => {
    await start({ products: [{ variants: [{ sku: 'T-S', stock: 1 }, { sku: 'T-L', manageInventory: false }] }] });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.managed, i.qty])).toEqual([['T-S', true, 1], ['T-L', false, null]]);
    const changes = items.map((item, i) => changeFor(item, i + 1, 7 + i));
    expect(new Set(changes.map((c) => store.batchKey(c)))).toEqual(new Set(['levels', `manage:${String(items[0]!.productId)}`]));
    expect(await store.apply([changes[1]!])).toEqual({ failed: [] });
    expect(fake.stockOf('T-L')).toBe(8);
    expect(fake.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/auth/user/emailpass', `/admin/products/${String(items[0]!.productId)}/variants/batch`, '/admin/inventory-items/location-levels/batch',
    ]);
  });

  it('leaves kits and bundles alone (their stock follows from their parts)', async () => {
    await start({ products: [{ variants: [{ sku: 'KIT', kit: [{ required_quantity: 1 }, { required_quantity: 1 }] }] }, { variants: [{ sku: 'PAIR', kit: [{ required_quantity: 2 }] }] }, { variants: [{ sku: 'ONE', stock: 4 }] }] });
    const items = await collect(createMedusaStore(configFor(fake)).list());
    expect(items.map((i) => i.sku)).toEqual(['ONE']);
  });

  it('refuses a locationId this Medusa does not have (Medusa itself would accept levels there)', async () => {
    await start({ products: medusaCatalog(2).products });
    const err = await collect(createMedusaStore(configFor(fake, { locationId: 'sloc_typo' })).list()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('store.locationId: Medusa has no stock location "sloc_typo" (see Settings > Locations; ids start with "sloc_")');
  });

  it('fails every item of a batch Medusa refuses for a reason that names no item', async () => {
    await start({ products: medusaCatalog(3).products });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    const result = await store.apply(items.map((item, i) => changeFor(item, i + 1, -1)));
    expect(result.failed).toHaveLength(3);
    expect(result.failed[0]?.message).toContain("invalid_data: Invalid request: Value for field 'update, 0, stocked_quantity' too small");
    expect(fake.writeRequests()).toBe(1);
  });

  it('stops on a refused login with an auth error after one request, and registers the token as a secret', async () => {
    clearSecrets();
    await start({ products: medusaCatalog(2).products });
    const err = await collect(createMedusaStore(configFor(fake, { password: 'nope-nope' })).list()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
    expect(fake.requests).toHaveLength(1);
    await collect(createMedusaStore(configFor(fake)).list());
    // Only the second login got a token (the fake's JWT-shaped `eyJfake.<email:n>.sig`).
    expect(fake.sessions()).toEqual([expect.stringMatching(/^eyJfake\.[\w-]+\.sig$/)]);
    const [token] = fake.sessions();
    expect(Buffer.from(token!.split('.')[1]!, 'base64url').toString().split(':')[0]).toBe(fake.email);
    expect(redact(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer ***');
  });

  it('refuses a batchSize above 1000', () => {
    const config: MedusaStoreConfig = { type: 'medusa', url: 'http://127.0.0.1:1', email: 'e', password: 'p', locationId: 'sloc_1' };
    expect(() => createMedusaStore({ ...config, batchSize: 1001 })).toThrow('store.batchSize: at most 1000 for medusa');
    expect(createMedusaStore(config).limits.maxBatch).toBe(100);
  });

  it('reads back applied items through their products; items gone from the store are absent', async () => {
    await start({ products: medusaCatalog(6).products });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    const changes: Change[] = items.map((item, i) => changeFor(item, i + 1, 40 + i));
    await store.apply(changes);
    fake.products().splice(0, 1);
    const before = fake.requests.length;
    const seen = await store.read!(changes);
    expect(fake.requests.length - before).toBe(1);
    expect(seen.has(1)).toBe(false);
    expect([...seen.values()]).toEqual(changes.slice(1).map((c) => ({ qty: c.to, managed: true })));
  });

  it('writes 1,000 changed SKUs in 10 requests with the default batch size', async () => {
    await start({ products: medusaCatalog(1000).products });
    const store = createMedusaStore(configFor(fake));
    const items = await collect(store.list());
    for (const batch of toBatches(store, items.map((item, i) => changeFor(item, i + 1, 100 + (i % 5))))) expect(await store.apply(batch)).toEqual({ failed: [] });
    expect(fake.writeRequests()).toBe(10);
  });

  it('check() names the location invsync writes', async () => {
    await start({ products: medusaCatalog(4).products });
    const text = await createMedusaStore(configFor(fake)).check!();
    expect(text).toBe(`Medusa at ${fake.url}: logged in, 3 products; invsync writes stock location "Main warehouse" (${fake.locationId})`);
  });
});
