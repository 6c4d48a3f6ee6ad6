/**
 * SPEC §12 on Amazon, the built CLI against the SP-API fake: Amazon lowers a merchant-fulfilled
 * listing's quantity when the order is placed (already while Pending) and the supplier has not
 * seen the sale; without `subtract` invsync writes the supplier's level back over it, with it the
 * open units come off. A failure to read the orders fails the fetch (exit 5).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { amazonCatalog, startAmazonFake, type AmazonFake } from '../fakes/amazon.js';
import { csvProject } from '../helpers/project.js';

let fake: AmazonFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const [A, B, C] = ['AMZ-00001', 'AMZ-00002', 'AMZ-00003'];

async function shop(): Promise<AmazonFake> {
  const f = await startAmazonFake({ listings: amazonCatalog(3, { fba: 1, stock: () => 2 }).listings });
  // Placed after the supplier's count: Amazon took them off; the supplier still counts them.
  f.placeOrder({ items: [{ sku: A, ordered: 2, shipped: 0 }] });
  f.placeOrder({ status: 'Pending', items: [{ sku: B, ordered: 1, shipped: 0 }] });
  f.placeOrder({ channel: 'AFN', items: [{ sku: 'FBA-00001', ordered: 3, shipped: 0 }] });
  return f;
}

function setup(f: AmazonFake, openOrders: unknown) {
  const env = { LWA_SECRET: f.options.clientSecret, LWA_REFRESH: f.options.refreshToken, INVSYNC_AMAZON_POLL_MS: '10' };
  return csvProject([[A, 2], [B, 5], [C, 2]], {
    store: {
      type: 'amazon', sellerId: f.options.sellerId, marketplaceId: f.options.marketplaceId, clientId: f.options.clientId, clientSecret: '${LWA_SECRET}',
      refreshToken: '${LWA_REFRESH}', url: f.url, tokenUrl: `${f.url}/auth/o2/token`, retries: 0,
    },
    rules: { openOrders },
  }, { env });
}

const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

describe('open orders (SPEC §12) on the Amazon fake', () => {
  it('without subtract, the supplier\'s 2 are written back over the 2 sold (oversold)', async () => {
    fake = await shop();
    expect(fake.stockBySku().get(A)).toBe(0);
    const res = await setup(fake, 'ignore').run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(fake.stockBySku().get(A)).toBe(2);
    expect(fake.requestsByOperation().getOrders).toBeUndefined();
  });

  it('with subtract, open merchant-fulfilled order units come off the target, Pending included; FBA orders never', async () => {
    fake = await shop();
    const res = await setup(fake, 'subtract').run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      [B, 1, 4, 'feed 5 → open orders −1 → 4'],
    ]);
    expect(s.openOrders).toMatchObject({ lines: 2, units: 3 });
    expect(Object.fromEntries(fake.stockBySku())).toEqual({ [A]: 0, [B]: 4, [C]: 2, 'FBA-00001': null });
    // One getOrders page, one getOrderItems per open MFN order.
    expect([fake.requestsByOperation().getOrders, fake.requestsByOperation().getOrderItems]).toEqual([1, 2]);
    expect(fake.quotaRefusals()).toBe(0);
  });

  it('a failure to read the orders fails the fetch (exit 5)', async () => {
    fake = await shop();
    fake.faults.failOrders = true;
    const res = await setup(fake, 'subtract').run(['fetch']);
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/orders\/v0\/orders/);
  });
});
