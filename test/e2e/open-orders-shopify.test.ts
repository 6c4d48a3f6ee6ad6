/**
 * SPEC §12 on Shopify, the built CLI against the Shopify fake: invsync writes `available`, which a
 * placed order lowers (the units move to `committed` until fulfilment), so with `subtract` the
 * committed units come off the supply.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_SHOPIFY_TOKEN, startShopifyFake, type ShopifyFake } from '../fakes/shopify.js';
import { csvProject } from '../helpers/project.js';
import type { RunSummary } from '../../src/domain/types.js';

let fake: ShopifyFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function shop(): Promise<ShopifyFake> {
  const f = await startShopifyFake({ bucket: { maximumAvailable: 2000, restoreRate: 20_000 } });
  f.seed({ title: 'Mug', variants: [{ sku: 'MUG', available: 2 }] });
  f.seed({ title: 'Shirt', variants: [{ sku: 'SHIRT-S', title: 'S', available: 2 }, { sku: 'SHIRT-M', title: 'M', available: 2 }] });
  return f;
}

function setup(f: ShopifyFake, openOrders: unknown, feed: Array<[string, number]>) {
  return csvProject(feed, {
    store: { type: 'shopify', url: f.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: f.locationId() },
    rules: { openOrders },
  });
}

const FEED: Array<[string, number]> = [['MUG', 2], ['SHIRT-S', 2], ['SHIRT-M', 2]];
const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

describe('open orders (SPEC §12) on the Shopify fake', () => {
  it('without subtract, the supplier\'s 2 are written to available over 2 committed units: 4 sellable of 2', async () => {
    fake = await shop();
    fake.sell('MUG', 2);
    const res = await setup(fake, 'ignore', FEED).run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(summary(res.stdout).changes.map((c) => [c.sku, c.from, c.to])).toEqual([['MUG', 0, 2]]);
    expect(fake.availableOf('MUG')).toBe(2);
  });

  it('with subtract, committed units come off the target: nothing sold is put back; multi-line orders and variants per item', async () => {
    fake = await shop();
    fake.sell('MUG', 2);
    fake.sell('SHIRT-S', 1);
    const f = fake;
    const res = await setup(f, 'subtract', [['MUG', 2], ['SHIRT-S', 5], ['SHIRT-M', 5]]).run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      ['SHIRT-S', 1, 4, 'feed 5 → open orders −1 → 4'],
      ['SHIRT-M', 2, 5, 'supplier'],
    ]);
    expect(s.openOrders).toMatchObject({ lines: 2, units: 3 });
    expect([f.availableOf('MUG'), f.availableOf('SHIRT-S'), f.availableOf('SHIRT-M')]).toEqual([0, 4, 5]);
  });

  it('a sale between match and push lowers that item\'s target by the sale', async () => {
    fake = await shop();
    const t = setup(fake, 'subtract', [['MUG', 6], ['SHIRT-S', 2], ['SHIRT-M', 2]]);
    expect((await t.run(['fetch'])).code).toBe(0);
    expect((await t.run(['match'])).code).toBe(0);
    fake.sell('MUG', 1);
    const res = await t.run(['push', '--json']);
    expect(res.code).toBe(0);
    expect(summary(res.stdout).changes.map((c) => [c.sku, c.from, c.to, c.status, c.reason])).toEqual([['MUG', 1, 5, 'applied', 'supplier; sold since the fetch −1']]);
    expect(fake.availableOf('MUG')).toBe(5);
  });
});
