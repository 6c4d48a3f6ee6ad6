/**
 * SPEC §12 end to end: the built CLI against the WooCommerce emulator, the oversell scenario of
 * issue 16 without and with `rules.openOrders: "subtract"`, and a sale between match and push.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, startWooEmulator, variableProduct, wooRequest, type WooEmulator } from '../fakes/woocommerce.js';
import { csvProject } from '../helpers/project.js';
import type { RunSummary } from '../../src/domain/types.js';
import type { Explanation } from '../../src/pipeline/explain.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

/** MUG (id 1), TEE (2) with variations TEE-S (3) and TEE-M (4), CAP (5); every level 2, as the supplier says. */
async function shop(): Promise<WooEmulator> {
  const emu = await startWooEmulator({
    products: [
      { type: 'simple', name: 'Mug', sku: 'MUG', manage_stock: true, stock_quantity: 2 },
      variableProduct('TEE', [{ sku: 'TEE-S', stock_quantity: 2 }, { sku: 'TEE-M', stock_quantity: 2 }]),
      { type: 'simple', name: 'Cap', sku: 'CAP', manage_stock: true, stock_quantity: 2 },
    ],
  });
  running.push(emu);
  return emu;
}

const FEED: Array<[string, number]> = [['MUG', 2], ['TEE-S', 2], ['TEE-M', 2], ['CAP', 2]];

/** `dir`: an existing project to write the config into (same state dir). */
function setup(emu: WooEmulator, rules: Record<string, unknown>, store: Record<string, unknown> = {}, dir?: string) {
  return csvProject(FEED, {
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...store },
    rules,
  }, { dir, env: { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret } });
}

const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;
const HOUR = 3_600_000;

describe('open orders (SPEC §12) on the WooCommerce emulator', () => {
  it('without subtract, the supplier\'s 2 are written back over a sale the supplier has not seen: oversold', async () => {
    const emu = await shop();
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }] });
    expect(emu.stockBySku().get('MUG')).toBe(0);
    const res = await setup(emu, {}).run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(summary(res.stdout).changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([['MUG', 0, 2, 'supplier']]);
    expect(emu.stockBySku().get('MUG')).toBe(2);
  });

  it('with subtract, the sold units stay sold: nothing is written back', async () => {
    const emu = await shop();
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }] });
    const res = await setup(emu, { openOrders: 'subtract' }).run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes).toEqual([]);
    expect(s.openOrders).toMatchObject({ lines: 1, units: 2 });
    expect(emu.stockBySku().get('MUG')).toBe(0);
    expect(emu.writeRequests()).toBe(0);
  });

  it('subtracts multi-line orders per item, variations included, counts processing and on-hold only, inside the window only', async () => {
    const emu = await shop();
    emu.placeOrder({ status: 'on-hold', line_items: [{ product_id: 1, quantity: 1 }, { product_id: 2, variation_id: 3, quantity: 1 }] });
    for (const status of ['pending', 'completed', 'cancelled', 'refunded', 'failed'] as const) {
      emu.placeOrder({ status, line_items: [{ product_id: 2, variation_id: 4, quantity: 1 }] });
    }
    emu.placeOrder({ createdAt: new Date(Date.now() - 30 * HOUR), line_items: [{ product_id: 5, quantity: 1 }] });
    // The supplier restocked everything to 5 meanwhile.
    const { run, feed } = setup(emu, { openOrders: { mode: 'subtract', lookbackHours: 24 } });
    feed(FEED.map(([sku]) => [sku, 5]));
    const res = await run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    // MUG and TEE-S: 5 − 1 open; TEE-M: the completed order took 1 (2 → 1), nothing open; CAP: its order is older than 24 h.
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      ['MUG', 1, 4, 'feed 5 → open orders −1 → 4'],
      ['TEE-S', 1, 4, 'feed 5 → open orders −1 → 4'],
      ['TEE-M', 1, 5, 'supplier'],
      ['CAP', 1, 5, 'supplier'],
    ]);
    expect(s.openOrders).toMatchObject({ lines: 2, units: 2 });
    expect(Object.fromEntries(emu.stockBySku())).toEqual({ MUG: 4, 'TEE-S': 4, 'TEE-M': 5, CAP: 5 });
  });

  it('the diff table says what was subtracted', async () => {
    const emu = await shop();
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 1 }] });
    const { run, feed } = setup(emu, { openOrders: 'subtract' });
    feed([['MUG', 6], ['TEE-S', 2], ['TEE-M', 2], ['CAP', 2]]);
    expect((await run(['fetch'])).code).toBe(0);
    const res = await run(['match']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/MUG .*1\s+→\s+5\s+\+4\s+feed 6 → open orders −1 → 5/);
    expect(res.stdout).toContain('Open orders since');
    // explain gives the target match planned, with the subtraction as a step of the rule list.
    const why = await run(['explain', 'MUG', '--json']);
    expect(why.code).toBe(0);
    const e = JSON.parse(why.stdout) as Explanation;
    expect(e.target).toBe(5);
    expect(e.rules.find((r) => r.rule === 'openOrders')).toMatchObject({ from: 6, to: 5 });
  });

  it('a sale between match and push lowers that item\'s target by the sale, and says so', async () => {
    const emu = await shop();
    const { run, feed } = setup(emu, { openOrders: 'subtract' });
    feed([['MUG', 6], ['TEE-S', 6], ['TEE-M', 2], ['CAP', 2]]);
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 1 }] });
    const res = await run(['push', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.status, c.reason])).toEqual([
      ['MUG', 1, 5, 'applied', 'supplier; sold since the fetch −1'],
      ['TEE-S', 2, 6, 'applied', 'supplier'],
    ]);
    expect(emu.stockBySku().get('MUG')).toBe(5);
    // Two write batches (products, TEE's variations), each read once before its write and once after (read-back).
    expect(emu.requests.filter((r) => r.method === 'GET' && r.query.include !== undefined)).toHaveLength(4);
  });

  it('an item whose level rose between match and push is skipped and reported, never overwritten (exit 1)', async () => {
    const emu = await shop();
    const { run, feed } = setup(emu, { openOrders: 'subtract' });
    feed([['MUG', 6], ['TEE-S', 2], ['TEE-M', 2], ['CAP', 5]]);
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    // A hand restock of MUG after the match: 2 → 3.
    expect((await wooRequest(emu, { method: 'PUT', path: 'products/1', body: { stock_quantity: 3 } })).status).toBe(200);
    const res = await run(['push', '--json']);
    expect(res.code).toBe(1);
    const s = summary(res.stdout);
    expect(s.changes.map((c) => [c.sku, c.to, c.status])).toEqual([['MUG', 6, 'failed'], ['CAP', 5, 'applied']]);
    expect(s.errors.find((e) => e.sku === 'MUG')?.message).toMatch(/changed in store since the fetch: level 2 → 3 .*not overwritten/);
    expect(emu.stockBySku().get('MUG')).toBe(3);
  });

  it('a failure to read the open orders fails the fetch (exit 5) and keeps the previous index', async () => {
    const emu = await shop();
    const { run } = setup(emu, { openOrders: 'subtract' });
    expect((await run(['fetch'])).code).toBe(0);
    emu.faults.failOrders = true;
    const res = await run(['fetch', '--json']);
    expect(res.code).toBe(5);
    expect(res.stderr).toContain('orders');
    emu.faults.failOrders = false;
    // The previous fetch's snapshot, index and open orders still pair up.
    expect((await run(['match'])).code).toBe(0);
  });

  it('switching subtract on after a fetch that read no orders makes match refuse (exit 4) until the next fetch', async () => {
    const emu = await shop();
    const first = setup(emu, {});
    expect((await first.run(['fetch'])).code).toBe(0);
    // The same config (same state dir) with subtract switched on.
    const { run } = setup(emu, { openOrders: 'subtract' }, {}, first.dir);
    const res = await run(['match']);
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('did not read the store\'s open orders');
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
  });

  it('a store that cannot tell open orders refuses subtract at config validation (exit 2, naming it)', async () => {
    const { run } = csvProject(FEED, {
      store: { type: 'magento2', url: 'https://m.example.com', token: 't', msi: false },
      rules: { openOrders: 'subtract' },
    });
    const res = await run(['fetch']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/rules\.openOrders.*magento2.*msi: false cannot tell open orders/);
  });
});
