/**
 * SPEC §12 on Amazon: the open merchant-fulfilled order lines in the window, from getOrders (paged
 * by NextToken) and getOrderItems per order, against the SP-API fake with its usage plans.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AmazonStoreConfig } from '../../src/config/schema.js';
import { HttpError } from '../../src/domain/errors.js';
import { AMAZON_OPEN_STATUSES, createAmazonStore, isOpenMfnOrder, unshippedUnits } from '../../src/stores/amazon/index.js';
import { USAGE_PLANS } from '../../src/stores/amazon/rates.js';
import type { OpenOrderLine } from '../../src/stores/types.js';
import { AMAZON_ORDER_STATUSES, amazonCatalog, startAmazonFake, type AmazonFake, type AmazonFakeOptions } from '../fakes/amazon.js';
import { collect } from '../contracts/store-contract.js';

beforeAll(() => { process.env.INVSYNC_RETRY_BASE_MS = '5'; });

let fake: AmazonFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

function adapterFor(f: AmazonFake, speed: number, overrides: Record<string, unknown> = {}) {
  const config = AmazonStoreConfig.parse({
    type: 'amazon', sellerId: f.options.sellerId, marketplaceId: f.options.marketplaceId, clientId: f.options.clientId,
    clientSecret: f.options.clientSecret, refreshToken: f.options.refreshToken, url: f.url, tokenUrl: `${f.url}/auth/o2/token`, ...overrides,
  });
  return createAmazonStore(config, {}, { rateSpeed: speed, pollMs: 2 });
}

async function shop(options: AmazonFakeOptions = {}): Promise<AmazonFake> {
  return startAmazonFake({ rateSpeed: 400, listings: amazonCatalog(3, { fba: 1, stock: () => 50 }).listings, ...options });
}

const orders = (lines: AsyncIterable<OpenOrderLine>) => collect(lines);

const HOUR = 3_600_000;
const since = () => new Date(Date.now() - 24 * HOUR).toISOString();
const lines = (l: OpenOrderLine[]) => l.map((x) => [x.orderId, x.sku, x.qty]);
const A = 'AMZ-00001';
const B = 'AMZ-00002';

describe('Amazon open orders (SPEC §12)', () => {
  it('counts Pending, Unshipped and PartiallyShipped (its unshipped units) only; Amazon lowered the quantity from Pending on', async () => {
    fake = await shop();
    const ids = new Map<string, string>();
    for (const status of AMAZON_ORDER_STATUSES) {
      ids.set(status, fake.placeOrder({ status, items: [{ sku: A, ordered: 3, shipped: status === 'PartiallyShipped' ? 1 : 0 }] }));
    }
    const got = await orders(adapterFor(fake, 400).openOrders!(since()));
    expect(lines(got)).toEqual([[ids.get('Pending'), A, 3], [ids.get('Unshipped'), A, 3], [ids.get('PartiallyShipped'), A, 2]]);
    expect([...AMAZON_OPEN_STATUSES]).toEqual(['Pending', 'Unshipped', 'PartiallyShipped']);
    // Lines name the listing as the index does: by SKU, no variation.
    expect(got[0]).toMatchObject({ productId: A, variationId: null });
    // The request asked Amazon to filter: statuses, MFN only, 100 a page.
    const req = fake.requests.find((r) => r.path === '/orders/v0/orders')!;
    expect([req.query.OrderStatuses, req.query.FulfillmentChannels, req.query.MaxResultsPerPage, req.query.MarketplaceIds])
      .toEqual(['Pending,Unshipped,PartiallyShipped', 'MFN', '100', fake.options.marketplaceId]);
  });

  it('only orders created inside the window, merchant-fulfilled ones (never FBA), multi-item orders and fully shipped items', async () => {
    fake = await shop();
    fake.placeOrder({ purchaseDate: new Date(Date.now() - 30 * HOUR), items: [{ sku: A, ordered: 5, shipped: 0 }] });
    fake.placeOrder({ channel: 'AFN', items: [{ sku: 'FBA-00001', ordered: 4, shipped: 0 }] });
    const id = fake.placeOrder({ status: 'PartiallyShipped', items: [{ sku: A, ordered: 1, shipped: 0 }, { sku: B, ordered: 2, shipped: 2 }, { sku: 'AMZ-00003', ordered: 3, shipped: 1 }] });
    const got = await orders(adapterFor(fake, 400).openOrders!(since()));
    expect(lines(got)).toEqual([[id, A, 1], [id, 'AMZ-00003', 2]]);
    expect(fake.stockBySku().get(A)).toBe(50 - 5 - 1);
  });

  it('pages getOrders and getOrderItems by NextToken: N orders cost ⌈N/100⌉ + N requests (more for long orders)', async () => {
    fake = await shop({ orderItemsPage: 2 });
    for (let i = 0; i < 205; i++) fake.placeOrder({ items: [{ sku: A, ordered: 1, shipped: 0 }] });
    const long = fake.placeOrder({ items: [{ sku: A, ordered: 1, shipped: 0 }, { sku: B, ordered: 1, shipped: 0 }, { sku: 'AMZ-00003', ordered: 1, shipped: 0 }] });
    // The adapter's plans a little slower than the fake's: at 400× a few ms of arrival jitter
    // are a whole token (at Amazon's real rates they are a thousandth of one).
    const adapter = adapterFor(fake, 360);
    const got = await orders(adapter.openOrders!(since()));
    expect(got).toHaveLength(208);
    expect(got.filter((l) => l.orderId === long).map((l) => l.sku)).toEqual([A, B, 'AMZ-00003']);
    expect(new Set(got.map((l) => l.orderId)).size).toBe(206);
    const ops = fake.requestsByOperation();
    expect([ops.getOrders, ops.getOrderItems]).toEqual([3, 207]);
    expect([adapter.api.counts.getOrders, adapter.api.counts.getOrderItems]).toEqual([3, 207]);
    // Past getOrderItems' burst of 30 the adapter waited for the plan: Amazon never refused.
    expect(fake.quotaRefusals()).toBe(0);
  });

  it('keeps to getOrderItems\' burst of 30 (45 orders at once would exceed it), and waits out a QuotaExceeded it did not cause', async () => {
    fake = await shop({ rateSpeed: 40 });
    for (let i = 0; i < 45; i++) fake.placeOrder({ items: [{ sku: B, ordered: 2, shipped: 0 }] });
    fake.faults.status429 = 1;
    // The adapter's plans a quarter slower than the fake's, for the arrival jitter (see above).
    const got = await orders(adapterFor(fake, 30).openOrders!(since()));
    expect(got.reduce((n, l) => n + l.qty, 0)).toBe(90);
    expect(fake.quotaRefusals()).toBe(0);
    expect(USAGE_PLANS.getOrders).toEqual({ rate: 0.0167, burst: 20 });
    expect(USAGE_PLANS.getOrderItems).toEqual({ rate: 0.5, burst: 30 });
  });

  it('a failed orders read throws the client\'s HttpError; a missing Orders role says which role', async () => {
    fake = await shop();
    fake.placeOrder({ items: [{ sku: A, ordered: 1, shipped: 0 }] });
    fake.faults.failOrders = true;
    const err = await orders(adapterFor(fake, 400, { retries: 0 }).openOrders!(since())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.status).toBe(500);
    await fake.close();

    fake = await shop({ roles: ['Product Listing'] });
    const denied = await orders(adapterFor(fake, 400).openOrders!(since())).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(HttpError);
    expect((denied as HttpError).details.auth).toBe(true);
    expect((denied as HttpError).message).toContain('Inventory and Order Tracking role');
  });

  it('a window starting less than two minutes ago is asked from three minutes ago (Amazon refuses later); a bad time is a RangeError', async () => {
    fake = await shop();
    fake.placeOrder({ items: [{ sku: A, ordered: 1, shipped: 0 }], purchaseDate: new Date(Date.now() - 150_000) });
    const got = await orders(adapterFor(fake, 400).openOrders!(new Date().toISOString()));
    expect(lines(got)).toHaveLength(1);
    await expect(orders(adapterFor(fake, 400).openOrders!('yesterday'))).rejects.toThrow(RangeError);
  });
});

describe('Amazon open-order rules (pure)', () => {
  it('an order counts when open and merchant-fulfilled; an item by its unshipped units', () => {
    expect(isOpenMfnOrder({ OrderStatus: 'Unshipped', FulfillmentChannel: 'MFN' })).toBe(true);
    expect(isOpenMfnOrder({ OrderStatus: 'Unshipped', FulfillmentChannel: 'AFN' })).toBe(false);
    expect(isOpenMfnOrder({ OrderStatus: 'Unshipped' })).toBe(false);
    expect(isOpenMfnOrder({ OrderStatus: 'Shipped', FulfillmentChannel: 'MFN' })).toBe(false);
    expect(isOpenMfnOrder({ OrderStatus: 'Canceled', FulfillmentChannel: 'MFN' })).toBe(false);
    expect(unshippedUnits({ QuantityOrdered: 3, QuantityShipped: 1 })).toBe(2);
    expect(unshippedUnits({ QuantityOrdered: 3 })).toBe(3);
    expect(unshippedUnits({ QuantityOrdered: 1, QuantityShipped: 2 })).toBe(0);
  });
});
