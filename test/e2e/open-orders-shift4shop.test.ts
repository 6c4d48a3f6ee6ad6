/**
 * SPEC §12 on Shift4Shop, the built CLI against the fake: open order lines (an advanced option
 * matched by its SKU) come off the target; a failure to read the orders fails the fetch (exit 5).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startShift4ShopFake, type S4sFake } from '../fakes/shift4shop.js';
import { csvProject } from '../helpers/project.js';
import type { RunSummary } from '../../src/domain/types.js';

let fake: S4sFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

function setup(f: S4sFake, openOrders: unknown, feed: Array<[string, number]>) {
  return csvProject(feed, {
    store: { type: 'shift4shop', url: f.apiUrl, ...f.credentials, rateLimit: { perSecond: 50 }, retries: 0 },
    rules: { openOrders },
  });
}

const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

describe('open orders (SPEC §12) on the Shift4Shop fake', () => {
  it('with subtract, open order lines come off the target, products and options alike; cancelled orders do not', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'MUG', stock: 2 }, { sku: 'TEE', options: [{ sku: 'TEE-S', stock: 2 }, { sku: 'TEE-M', stock: 2 }] }] });
    fake.placeOrder({ items: [{ sku: 'MUG', quantity: 2 }, { sku: 'TEE-S', quantity: 1 }] });
    fake.placeOrder({ status: 5, items: [{ sku: 'TEE-M', quantity: 1 }] });
    const res = await setup(fake, 'subtract', [['MUG', 2], ['TEE-S', 5], ['TEE-M', 5]]).run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      ['TEE-S', 1, 4, 'feed 5 → open orders −1 → 4'],
      ['TEE-M', 2, 5, 'supplier'],
    ]);
    expect(Object.fromEntries(fake.stockBySku())).toEqual({ MUG: 0, 'TEE-S': 4, 'TEE-M': 5 });
  });

  it('a failure to read the orders fails the fetch (exit 5)', async () => {
    fake = await startShift4ShopFake({ products: [{ sku: 'MUG', stock: 2 }] });
    fake.faults.failOrders = true;
    const res = await setup(fake, 'subtract', [['MUG', 2]]).run(['fetch']);
    expect(res.code).toBe(5);
    expect(res.stderr).toContain('/Orders?');
  });
});
