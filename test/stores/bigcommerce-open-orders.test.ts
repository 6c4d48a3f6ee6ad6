/**
 * SPEC §12 on BigCommerce: the open order lines in the window, from `GET /v2/orders` with the line
 * items inline, against the fake (same quota and paging limits as the catalog).
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { BigCommerceStoreConfig } from '../../src/config/schema.js';
import { HttpError } from '../../src/domain/errors.js';
import { BIGCOMMERCE_OPEN_STATUSES, createBigCommerceStore } from '../../src/stores/bigcommerce/index.js';
import type { OpenOrderLine } from '../../src/stores/types.js';
import { collect } from '../contracts/store-contract.js';
import { startBigCommerceFake, type BcFake } from '../fakes/bigcommerce.js';

beforeAll(() => { process.env.INVSYNC_RETRY_BASE_MS = '20'; });

let fake: BcFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

function configFor(f: BcFake, overrides: Partial<BigCommerceStoreConfig> = {}): BigCommerceStoreConfig {
  return { type: 'bigcommerce', url: f.url, storeHash: f.storeHash, accessToken: f.token, locationId: 1, ...overrides };
}

async function shop(options: Parameters<typeof startBigCommerceFake>[0] = {}): Promise<BcFake> {
  return startBigCommerceFake({
    products: [
      { sku: 'MUG', stock: 50 },
      { sku: 'TEE', tracking: 'variant', variants: [{ sku: 'TEE-S', stock: 50 }, { sku: 'TEE-M', stock: 50 }] },
      { sku: 'CAP', tracking: 'product', stock: 50, variants: [{ sku: 'CAP-RED' }, { sku: 'CAP-BLUE' }] },
    ],
    ...options,
  });
}

const orders = (lines: AsyncIterable<OpenOrderLine>) => collect(lines);

const HOUR = 3_600_000;
const since = () => new Date(Date.now() - 24 * HOUR).toISOString();
const lines = (l: OpenOrderLine[]) => l.map((x) => [x.orderId, x.sku, x.qty]);

describe('BigCommerce open orders (SPEC §12)', () => {
  it('counts orders of every open status only, a partially shipped one by its unshipped units', async () => {
    fake = await shop();
    const ids = new Map<number, number>();
    for (let status = 0; status <= 14; status++) ids.set(status, fake.placeOrder({ status, lines: [{ sku: 'MUG', quantity: 2, shipped: status === 3 ? 1 : 0 }] }));
    const got = await orders(createBigCommerceStore(configFor(fake)).openOrders!(since()));
    expect(lines(got)).toEqual([3, 7, 8, 9, 11, 12].map((status) => [ids.get(status), 'MUG', status === 3 ? 1 : 2]));
    expect([...BIGCOMMERCE_OPEN_STATUSES].sort((a, b) => a - b)).toEqual([3, 7, 8, 9, 11, 12]);
  });

  it('only orders created inside the window; multi-line orders, variants and product-level tracking by their ids', async () => {
    fake = await shop();
    fake.placeOrder({ createdAt: new Date(Date.now() - 30 * HOUR), lines: [{ sku: 'MUG', quantity: 5 }] });
    // The lines sit in the three kinds of consignment (shipping, pickup, download): every one is read.
    const id = fake.placeOrder({ lines: [{ sku: 'MUG', quantity: 1 }, { sku: 'TEE-S', quantity: 2, consignment: 'pickups' }, { sku: 'CAP-RED', quantity: 3, consignment: 'downloads' }] });
    const got = await orders(createBigCommerceStore(configFor(fake)).openOrders!(since()));
    const items = await collect(createBigCommerceStore(configFor(fake)).list());
    const bySku = new Map(items.map((i) => [i.sku, i]));
    expect(got.map((l) => [l.orderId, l.sku, l.productId, l.qty])).toEqual([
      [id, 'MUG', bySku.get('MUG')!.productId, 1], [id, 'TEE-S', bySku.get('TEE-S')!.productId, 2], [id, 'CAP-RED', bySku.get('CAP')!.productId, 3],
    ]);
    // A variant tracked by variant is named by its own id, as the index names it.
    expect(got[1]!.variationId).toBe(bySku.get('TEE-S')!.variationId);
    // Stock was taken at checkout, as BigCommerce does by default.
    expect(items.find((i) => i.sku === 'MUG')!.qty).toBe(50 - 5 - 1);
  });

  it('pages 250 orders a request with the line items inline: 260 orders in 2 requests, within the quota', async () => {
    fake = await shop({ quota: { requests: 1, windowMs: 300 } });
    for (let i = 0; i < 260; i++) fake.placeOrder({ lines: [{ sku: 'TEE-M', quantity: 1 }] });
    const got = await orders(createBigCommerceStore(configFor(fake)).openOrders!(since()));
    expect(got).toHaveLength(260);
    const reqs = fake.requests.filter((r) => r.path.endsWith('/v2/orders'));
    expect(reqs.map((r) => [r.query.limit, r.query.page, r.query.include, r.query.consignment_structure])).toEqual([
      ['250', '1', 'consignments.line_items', 'object'], ['250', '2', 'consignments.line_items', 'object'],
    ]);
    // The quota of one request per window was never exceeded: no 429.
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(0);
  });

  it('no orders: the 204 reply is an empty list; a failed request throws', async () => {
    fake = await shop();
    expect(await orders(createBigCommerceStore(configFor(fake)).openOrders!(since()))).toEqual([]);
    fake.faults.failOrders = true;
    const err = await orders(createBigCommerceStore(configFor(fake, { retries: 0 })).openOrders!(since())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
  });
});
