/**
 * SPEC §12 on Shift4Shop: the open order lines from one paged `GET /Orders` with items and
 * shipments inline, against the fake (both offset bases, both end-of-data signals).
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Shift4ShopStoreConfig } from '../../src/config/schema.js';
import { HttpError } from '../../src/domain/errors.js';
import { createShift4ShopStore, SHIFT4SHOP_OPEN_STATUSES } from '../../src/stores/shift4shop/index.js';
import type { OpenOrderLine } from '../../src/stores/types.js';
import { startShift4ShopFake, type S4sFake, type S4sFakeOptions } from '../fakes/shift4shop.js';
import { collect } from '../contracts/store-contract.js';

beforeAll(() => { process.env.INVSYNC_RETRY_BASE_MS = '20'; });

let fake: S4sFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

function configFor(f: S4sFake, overrides: Partial<Shift4ShopStoreConfig> = {}): Shift4ShopStoreConfig {
  return { type: 'shift4shop', url: f.apiUrl, ...f.credentials, rateLimit: { perSecond: 50 }, ...overrides };
}

async function shop(options: S4sFakeOptions = {}): Promise<S4sFake> {
  return startShift4ShopFake({
    products: [
      { sku: 'MUG', stock: 50 },
      { sku: 'TEE', options: [{ sku: 'TEE-S', stock: 50 }, { sku: 'TEE-M', stock: 50 }] },
    ],
    ...options,
  });
}

const orders = (lines: AsyncIterable<OpenOrderLine>) => collect(lines);

const DAY = 86_400_000;
const since = () => new Date(Date.now() - DAY).toISOString();

describe('Shift4Shop open orders (SPEC §12)', () => {
  it('counts orders of the open statuses only; a partial order by its items not yet shipped', async () => {
    fake = await shop();
    const ids = new Map<number, number>();
    for (let status = 1; status <= 12; status++) {
      ids.set(status, fake.placeOrder({ status, items: [{ sku: 'MUG', quantity: 2 }, { sku: 'TEE-S', quantity: 1, shipped: status === 3 }] }));
    }
    const got = await orders(createShift4ShopStore(configFor(fake)).openOrders!(since()));
    const expected: Array<[number | undefined, string, number]> = [];
    for (const status of [1, 2, 3, 6, 11, 12]) {
      expected.push([ids.get(status), 'MUG', 2]);
      if (status !== 3) expected.push([ids.get(status), 'TEE-S', 1]);
    }
    expect(got.map((l) => [l.orderId, l.sku, l.qty])).toEqual(expected);
    expect([...SHIFT4SHOP_OPEN_STATUSES]).toEqual([1, 2, 3, 6, 11, 12]);
  });

  it('asks from the day before the window start (the API filters by day); orders before that are not read', async () => {
    fake = await shop();
    fake.placeOrder({ createdAt: new Date(Date.now() - 4 * DAY), items: [{ sku: 'MUG', quantity: 5 }] });
    const id = fake.placeOrder({ items: [{ sku: 'MUG', quantity: 1 }, { sku: 'TEE-M', quantity: 3 }] });
    const got = await orders(createShift4ShopStore(configFor(fake)).openOrders!(since()));
    expect(got.map((l) => [l.orderId, l.sku, l.productId, l.variationId, l.qty])).toEqual([[id, 'MUG', 1, null, 1], [id, 'TEE-M', 2, null, 3]]);
    const day = new Date(Date.parse(since()) - DAY);
    const expectedStart = `${String(day.getUTCMonth() + 1).padStart(2, '0')}/${String(day.getUTCDate()).padStart(2, '0')}/${day.getUTCFullYear()}`;
    expect(fake.requests.filter((r) => r.path.endsWith('/Orders')).map((r) => r.query.datestart)).toEqual([expectedStart]);
  });

  for (const options of [{ offsetBase: 1 as const }, { offsetBase: 0 as const }, { offsetBase: 1 as const, pastEnd: 'not-found' as const }]) {
    it(`pages 300 orders a request, each order once (${JSON.stringify(options)})`, async () => {
      fake = await shop(options);
      for (let i = 0; i < 310; i++) fake.placeOrder({ items: [{ sku: 'TEE-M', quantity: 1 }] });
      const got = await orders(createShift4ShopStore(configFor(fake)).openOrders!(since()));
      expect(got).toHaveLength(310);
      expect(new Set(got.map((l) => l.orderId)).size).toBe(310);
      const reqs = fake.requests.filter((r) => r.path.endsWith('/Orders'));
      expect(reqs[0]?.query.limit).toBe('300');
      expect(reqs.length).toBeLessThanOrEqual(3);
    });
  }

  it('no orders: an empty list; a failed request throws', async () => {
    fake = await shop();
    expect(await orders(createShift4ShopStore(configFor(fake)).openOrders!(since()))).toEqual([]);
    fake.placeOrder({ items: [{ sku: 'MUG', quantity: 1 }] });
    fake.faults.status503 = 100;
    const err = await orders(createShift4ShopStore(configFor(fake, { retries: 0 })).openOrders!(since())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
  });
});
