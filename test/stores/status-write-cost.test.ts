/**
 * SPEC §14 `rules.status`: the write requests 1,000 hide changes (each with its stock) cost on
 * each store that can hide, against the same 1,000 stock-only changes, at the adapters' default
 * batch sizes. Set INVSYNC_MEASURE=1 to print the figures.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { createBigCommerceStore } from '../../src/stores/bigcommerce/index.js';
import { createMagento2Store } from '../../src/stores/magento2/index.js';
import { createShift4ShopStore } from '../../src/stores/shift4shop/index.js';
import { STATUS_BY_STORE } from '../../src/stores/status.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { createVendureStore } from '../../src/stores/vendure/index.js';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';
import { changeFor, collect, hideChange, toBatches } from '../contracts/store-contract.js';
import { startBigCommerceFake } from '../fakes/bigcommerce.js';
import { magentoCatalog, startMagentoFake } from '../fakes/magento2.js';
import { startShift4ShopFake } from '../fakes/shift4shop.js';
import { startVendureFake, vendureCatalog } from '../fakes/vendure.js';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator } from '../fakes/woocommerce.js';

const ITEMS = 1000;
beforeAll(() => { process.env.INVSYNC_RETRY_BASE_MS = '20'; });
const closers: Array<() => Promise<void>> = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

/** Write requests for 1,000 stock changes, then for 1,000 hides with their stock (after restoring what the first write changed). */
async function cost(type: string, adapter: StoreAdapter, writes: () => number): Promise<{ stock: number; withStatus: number }> {
  const items = await collect(adapter.list());
  expect(items).toHaveLength(ITEMS);
  const facts = STATUS_BY_STORE[type]!;
  const run = async (changes: Change[]) => {
    const before = writes();
    for (const batch of toBatches(adapter, changes)) expect(await adapter.apply(batch)).toEqual({ failed: [] });
    return writes() - before;
  };
  const stock = await run(items.map((item: StoreItem, i) => changeFor(item, i + 1, 7)));
  const withStatus = await run(items.map((item: StoreItem, i) => {
    return hideChange(item, i + 1, 0, facts.hideFields!(item)!, { ...item.visibility!.values });
  }));
  if (process.env.INVSYNC_MEASURE) console.log(`${type}: ${ITEMS} stock changes ${stock} write request(s); ${ITEMS} hides with their stock ${withStatus}`);
  return { stock, withStatus };
}

describe('write requests that hiding adds per 1,000 changes', () => {
  it('woocommerce: none (the fields go in the same products/batch)', async () => {
    const emu = await startWooEmulator({ products: simpleProducts(ITEMS) });
    closers.push(() => emu.close());
    const adapter = createWooCommerceStore({ type: 'woocommerce', url: emu.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret });
    expect(await cost('woocommerce', adapter, () => emu.writeRequests())).toEqual({ stock: 10, withStatus: 10 });
  });

  it('bigcommerce: ⌈1000 ÷ 10⌉ = 100 PUT /catalog/products more (products without options)', async () => {
    const server = await startBigCommerceFake({ quota: { requests: 10_000, windowMs: 30_000 }, products: Array.from({ length: ITEMS }, (_, i) => ({ sku: `B-${i}`, stock: 1 })) });
    closers.push(() => server.close());
    const adapter = createBigCommerceStore({ type: 'bigcommerce', url: server.url, storeHash: server.storeHash, accessToken: server.token, locationId: 1 });
    expect(await cost('bigcommerce', adapter, () => server.requests.filter((r) => r.method === 'PUT').length)).toEqual({ stock: 1, withStatus: 101 });
  });

  it('shift4shop: none (Hide goes in the same PUT /Products record)', async () => {
    const server = await startShift4ShopFake({ products: Array.from({ length: ITEMS }, (_, i) => ({ sku: `S-${i}`, stock: 1 })), faults: {} });
    closers.push(() => server.close());
    const adapter = createShift4ShopStore({ type: 'shift4shop', url: server.apiUrl, secureUrl: server.credentials.secureUrl, privateKey: server.credentials.privateKey, token: server.credentials.token, rateLimit: { perSecond: 1000 } });
    expect(await cost('shift4shop', adapter, () => server.writeRequests())).toEqual({ stock: 10, withStatus: 10 });
  });

  it('magento2: one PUT /V1/products/{sku} per hide, 1,000 more (the source-items saves stay 2)', async () => {
    const fake = await startMagentoFake({ products: magentoCatalog(ITEMS).products.map((p) => ({ ...p, qty: p.type === 'configurable' || p.type === 'bundle' ? p.qty : p.qty ?? 1 })) });
    closers.push(() => fake.close());
    const adapter = createMagento2Store({ type: 'magento2', url: fake.url, token: fake.token, msi: true, sourceCode: 'default' });
    expect(await cost('magento2', adapter, () => fake.writeRequests())).toEqual({ stock: 2, withStatus: 1002 });
  });

  it('vendure: none (enabled goes in the same updateProductVariants input)', async () => {
    const server = await startVendureFake({ products: vendureCatalog(ITEMS).products });
    closers.push(() => server.close());
    const adapter = createVendureStore({ type: 'vendure', url: server.url, username: server.username, password: server.password });
    const { stock, withStatus } = await cost('vendure', adapter, () => server.writeRequests());
    expect(withStatus).toBe(stock);
  });
});
