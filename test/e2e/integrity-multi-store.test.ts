/**
 * SPEC §8 with `stores: [...]` (SPEC §9): every integrity rule holds per store, the built CLI
 * against two WooCommerce emulators — duplicate store SKUs, rollback reading the store first,
 * rollback --dry-run arming nothing, exit 5 when a store is down at push time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator, type WooSeedProduct } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

const ENV = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
const json = (stdout: string) => JSON.parse(stdout) as RunSummary;

async function shop(products: WooSeedProduct[]): Promise<WooEmulator> {
  const emu = await startWooEmulator({ products });
  let closed = false;
  closers.push(async () => { if (!closed) { closed = true; await emu.close(); } });
  return emu;
}

function twoStores(web: WooEmulator, amazon: WooEmulator, feed: string) {
  const dir = tempDir();
  const woo = (name: string, emu: WooEmulator) => ({ name, type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' });
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: writeFeed(dir, feed) }],
    stores: [woo('web', web), woo('amazon', amazon)],
    safety: { maxMissingRatio: 0.9, maxZeroRatio: 0.9, maxStockDropRatio: 1 },
  });
  return (args: string[]) => runCli(['-c', config, ...args], { env: ENV });
}

function writeFeed(dir: string, rows: string): string {
  const file = path.join(dir, 'feed.csv');
  fs.writeFileSync(file, `sku,qty\n${rows}\n`);
  return file;
}

const simple = (sku: string, qty: number): WooSeedProduct => ({ type: 'simple', sku, name: sku, stock_quantity: qty });
const stock = (emu: WooEmulator) => Object.fromEntries(emu.items().filter((r) => r.type !== 'variable').map((r) => [r.id, r.stock_quantity]));

describe('SPEC §8 integrity rules with several stores', () => {
  it('a SKU key held twice in one store (two listings, or SKU-less variations under the parent\'s SKU) is never written there; the other store, holding it once, is synced; each report names its store', async () => {
    const web = await shop([
      simple('W-1', 0), simple('w-1 ', 0),
      { type: 'variable', sku: 'TEE', name: 'Tee', variations: [{ name: 'S', stock_quantity: 1 }, { name: 'M', stock_quantity: 2 }] },
    ]);
    const amazon = await shop([simple('W-1', 0), simple('TEE', 0)]);
    const run = twoStores(web, amazon, 'W-1,10\nTEE,7');
    const full = await run(['full', '--json']);
    expect(full.code).toBe(0);
    expect(stock(web)).toEqual({ 1: 0, 2: 0, 4: 1, 5: 2 });
    expect(stock(amazon)).toEqual({ 1: 10, 2: 7 });
    expect(web.writeRequests()).toBe(0);
    const s = json(full.stdout);
    expect(s.errors.map((e) => [e.store, e.sku, e.message])).toEqual([
      ['web', 'W-1', 'duplicate store SKU: held by [1], [2]'],
      ['web', 'TEE', 'duplicate store SKU: held by [3/4], [3/5]'],
    ]);
    const text = await run(['full', '--verbose']);
    expect(text.stdout).toContain('2 problem(s): [web] W-1: duplicate store SKU: held by [1], [2]; [web] TEE: duplicate store SKU: held by [3/4], [3/5].');
  });

  it('bounded reports with two stores: the feed\'s rejected rows are counted and listed once, each store\'s own consequences per store', async () => {
    const web = await shop([simple('A-1', 1), simple('B-1', 1)]);
    const amazon = await shop([simple('A-1', 1), simple('B-1', 1)]);
    const bad = Array.from({ length: 3000 }, (_, i) => `X-${i},call us`).join('\n');
    const run = twoStores(web, amazon, `A-1,5\nB-1,n/a\n${bad}`);
    const full = await run(['full', '--json']);
    expect(full.code).toBe(0);
    const s = json(full.stdout);
    expect(s.counts.rejected).toBe(3001);
    // 3,001 rejected rows once, plus "a row for this SKU was rejected" for B-1 in each store.
    expect(s.errorCounts).toEqual({ feed: { 'non-numeric quantity': 3001, 'SKU with a rejected row': 2 } });
    expect(s.errorsTotal).toBe(3003);
    expect(s.errors).toHaveLength(1000);
    const rows = s.errors.filter((e) => e.row !== undefined);
    expect(new Set(rows.map((e) => e.row)).size).toBe(rows.length);
    expect(rows.every((e) => e.store === undefined)).toBe(true);
    expect(stock(web)).toEqual({ 1: 5, 2: 1 });
    expect(stock(amazon)).toEqual({ 1: 5, 2: 1 });
    // The same once the plans are stored and pushed by a later run.
    web.placeOrder({ line_items: [{ product_id: 1, quantity: 3 }] });
    amazon.placeOrder({ line_items: [{ product_id: 1, quantity: 3 }] });
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    const push = await run(['push', '--json']);
    expect(push.code).toBe(0);
    expect(json(push.stdout)).toMatchObject({ errorsTotal: 3003, errorCounts: { feed: { 'non-numeric quantity': 3001, 'SKU with a rejected row': 2 } } });
    expect(stock(web)).toEqual({ 1: 5, 2: 1 });
  });

  it('rollback reads every store before deciding: sales made after the run stay; rollback --dry-run leaves nothing for push in either store', async () => {
    const web = await shop([simple('A-1', 10), simple('B-1', 10)]);
    const amazon = await shop([simple('A-1', 10), simple('B-1', 10)]);
    const run = twoStores(web, amazon, 'A-1,5\nB-1,7');
    expect((await run(['full'])).code).toBe(0);
    // After the run: one A-1 sold on web, two B-1 on amazon (the local index does not know).
    web.placeOrder({ line_items: [{ product_id: 1, quantity: 1 }] });
    amazon.placeOrder({ line_items: [{ product_id: 2, quantity: 2 }] });
    const writes = () => web.writeRequests() + amazon.writeRequests();
    const before = writes();

    const dry = await run(['rollback', 'last', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(json(dry.stdout).stores!.map((x) => [x.name, x.counts.changed])).toEqual([['web', 1], ['amazon', 1]]);
    const status = await run(['status', '--json']);
    const parsed = JSON.parse(status.stdout) as { stores: Array<{ name: string; pendingPlan: unknown }> };
    expect(parsed.stores.map((x) => [x.name, x.pendingPlan])).toEqual([['web', null], ['amazon', null]]);
    const push = await run(['push', '--json']);
    expect(push.code).toBe(0);
    expect(json(push.stdout).counts.applied).toBe(0);
    expect(writes()).toBe(before);

    const rb = await run(['rollback', 'last', '--json']);
    expect(rb.code).toBe(0);
    expect(stock(web)).toEqual({ 1: 4, 2: 10 });
    expect(stock(amazon)).toEqual({ 1: 10, 2: 5 });
    expect(json(rb.stdout).errors.map((e) => [e.store, e.sku, e.message])).toEqual([
      ['web', 'A-1', 'changed since that run (the run set 5, the store now has 4): left as it is'],
      ['amazon', 'B-1', 'changed since that run (the run set 7, the store now has 5): left as it is'],
    ]);
  });

  it('push with one store down: that store\'s changes fail and stay retryable, the other store is synced, the run exits 5', async () => {
    const web = await shop([simple('A-1', 10), simple('B-1', 10)]);
    const amazon = await shop([simple('A-1', 10), simple('B-1', 10)]);
    const run = twoStores(web, amazon, 'A-1,5\nB-1,7');
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    await closers[1]!();
    const push = await run(['push', '--json']);
    expect(push.code).toBe(5);
    const s = json(push.stdout);
    expect(s.stores!.map((x) => [x.name, x.exitCode, x.counts.applied, x.counts.failed])).toEqual([['web', 0, 2, 0], ['amazon', 5, 0, 2]]);
    expect(stock(web)).toEqual({ 1: 5, 2: 7 });
  });
});
