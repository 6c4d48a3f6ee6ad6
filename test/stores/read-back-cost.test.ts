/**
 * Read-back at production limits: 1,000 changed items read back from each store's fake with the
 * adapters' default page sizes (and default rate limits), asserting the request count the API's
 * per-request maximum allows. Set INVSYNC_MEASURE=1 to print the wall time of each read.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { createBigCommerceStore } from '../../src/stores/bigcommerce/index.js';
import { createMagento2Store } from '../../src/stores/magento2/index.js';
import { createShift4ShopStore } from '../../src/stores/shift4shop/index.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { changeFor, collect, toBatches } from '../contracts/store-contract.js';
import { bcCatalog, startBigCommerceFake } from '../fakes/bigcommerce.js';
import type { FakeServer } from '../fakes/fake-http.js';
import { magentoCatalog, startMagentoFake } from '../fakes/magento2.js';
import { s4sCatalog, startShift4ShopFake } from '../fakes/shift4shop.js';

const ITEMS = 1000;
/** Per-request latency of every fake: a store across the internet, not on loopback. */
const LATENCY_MS = 20;

beforeAll(() => {
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

let fake: FakeServer | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

/** Apply a new level to every item, then time one read of them all; returns the read's request count. */
async function applyThenRead(name: string, adapter: StoreAdapter, server: FakeServer & { faults: { latencyMs: number } }, reader: StoreAdapter = adapter): Promise<{ requests: number; seen: Map<number, unknown>; changes: Change[] }> {
  const items = await collect(adapter.list());
  expect(items).toHaveLength(ITEMS);
  const changes = items.map((item: StoreItem, i) => changeFor(item, i + 1, (i % 17) + 1));
  for (const batch of toBatches(adapter, changes)) expect(await adapter.apply(batch)).toEqual({ failed: [] });
  server.faults.latencyMs = LATENCY_MS;
  const before = server.requests.length;
  const started = performance.now();
  const seen = await reader.read(changes);
  const ms = performance.now() - started;
  const requests = server.requests.length - before;
  if (process.env.INVSYNC_MEASURE) console.log(`${name}: read back ${ITEMS} items in ${requests} request(s), ${ms.toFixed(0)} ms (fake latency ${LATENCY_MS} ms)`);
  // The level only: stores that can hide listings report their visibility too (SPEC §14).
  const level = (r: unknown) => (r === undefined ? undefined : { qty: (r as { qty: unknown }).qty, managed: (r as { managed: unknown }).managed });
  expect(changes.filter((c) => JSON.stringify(level(seen.get(c.seq))) !== JSON.stringify({ qty: c.to, managed: true }))).toEqual([]);
  return { requests, seen, changes };
}

describe('reading back 1,000 changed items at the default limits', () => {
  it('magento2: one source-items search per 300 SKUs (4)', async () => {
    const server = await startMagentoFake({ inputLimits: true });
    fake = server;
    server.seed(magentoCatalog(ITEMS).products);
    const adapter = createMagento2Store({ type: 'magento2', url: server.url, token: server.token, msi: true, sourceCode: 'default', batchSize: 20 });
    expect((await applyThenRead('magento2', adapter, server)).requests).toBe(Math.ceil(ITEMS / 300));
  });

  it('bigcommerce: per 250 products one catalog request and one inventory page (≤ 1000 rows)', async () => {
    const server = await startBigCommerceFake({ quota: { requests: 10_000, windowMs: 30_000 } });
    fake = server;
    const { products } = bcCatalog(ITEMS);
    server.seed(products);
    const adapter = createBigCommerceStore({ type: 'bigcommerce', url: server.url, storeHash: server.storeHash, accessToken: server.token, locationId: 1 });
    const { requests, changes } = await applyThenRead('bigcommerce', adapter, server);
    const productIds = [...new Set(changes.map((c) => Number(c.productId)))];
    let expected = 0;
    for (let i = 0; i < productIds.length; i += 250) expected += 1 + Math.ceil(server.inventoryRowCount(productIds.slice(i, i + 250)) / 1000);
    expect(requests).toBe(expected);
    expect(requests).toBe(2 * Math.ceil(productIds.length / 250));
  });

  it('shift4shop: the listing, 200 products a page, and no request per product (default 2 requests/s)', async () => {
    const server = await startShift4ShopFake({ offsetBase: 0 });
    fake = server;
    server.seed(s4sCatalog(ITEMS).products);
    const config = {
      type: 'shift4shop', url: server.apiUrl, secureUrl: server.credentials.secureUrl, privateKey: server.credentials.privateKey, token: server.credentials.token,
    } as const;
    // Listing and writing (≈ 200 option batches) at full speed; only the read runs at the default 2 requests/s.
    const setup = createShift4ShopStore({ ...config, rateLimit: { perSecond: 1000 } });
    const { requests, changes } = await applyThenRead('shift4shop', setup, server, createShift4ShopStore(config));
    expect(requests).toBe(Math.ceil(new Set(changes.map((c) => c.productId)).size / 200));
  });
});
