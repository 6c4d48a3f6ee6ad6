/**
 * SPEC §12 on BigCommerce, the built CLI against the fake: the oversell scenario with and without
 * `subtract`, and a failure to read the orders failing the fetch (exit 5).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startBigCommerceFake, type BcFake } from '../fakes/bigcommerce.js';
import { csvProject } from '../helpers/project.js';
import type { RunSummary } from '../../src/domain/types.js';

let fake: BcFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function shop(): Promise<BcFake> {
  return startBigCommerceFake({
    products: [{ sku: 'MUG', stock: 2 }, { sku: 'TEE', tracking: 'variant', variants: [{ sku: 'TEE-S', stock: 2 }, { sku: 'TEE-M', stock: 2 }] }],
  });
}

function setup(f: BcFake, openOrders: unknown, feed: Array<[string, number]>) {
  return csvProject(feed, {
    store: { type: 'bigcommerce', url: f.url, storeHash: f.storeHash, accessToken: f.token, locationId: 1, retries: 0 },
    rules: { openOrders },
  });
}

const FEED: Array<[string, number]> = [['MUG', 2], ['TEE-S', 5], ['TEE-M', 2]];
const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

describe('open orders (SPEC §12) on the BigCommerce fake', () => {
  it('without subtract, the supplier\'s 2 are written back over the 2 sold', async () => {
    fake = await shop();
    fake.placeOrder({ lines: [{ sku: 'MUG', quantity: 2 }] });
    const res = await setup(fake, 'ignore', FEED).run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(fake.stockBySku().get('MUG')).toBe(2);
  });

  it('with subtract, open order lines come off the target; shipped and cancelled orders do not', async () => {
    fake = await shop();
    fake.placeOrder({ lines: [{ sku: 'MUG', quantity: 2 }, { sku: 'TEE-S', quantity: 1 }] });
    fake.placeOrder({ status: 2, lines: [{ sku: 'TEE-M', quantity: 1 }] });
    fake.placeOrder({ status: 5, lines: [{ sku: 'TEE-S', quantity: 1 }] });
    const res = await setup(fake, 'subtract', FEED).run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      ['TEE-S', 1, 4, 'feed 5 → open orders −1 → 4'],
      ['TEE-M', 1, 2, 'supplier'],
    ]);
    expect(s.openOrders).toMatchObject({ lines: 2, units: 3 });
    expect(Object.fromEntries(fake.stockBySku())).toMatchObject({ MUG: 0, 'TEE-S': 4, 'TEE-M': 2 });
  });

  it('a failure to read the orders fails the fetch (exit 5)', async () => {
    fake = await shop();
    fake.faults.failOrders = true;
    const res = await setup(fake, 'subtract', FEED).run(['fetch']);
    expect(res.code).toBe(5);
  });
});
