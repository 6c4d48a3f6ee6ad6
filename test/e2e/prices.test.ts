/**
 * SPEC §14 `prices` through the built CLI on the WooCommerce emulator: the dry run's diff shows
 * the price changes with their reasons, `full` writes them with the stock (same requests), a
 * second run writes nothing, and the price-change gate stops the run with exit 4.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { WooSeedProduct } from '../../src/demo/woocommerce-emulator.js';
import type { RunSummary } from '../../src/domain/types.js';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

function catalog(): WooSeedProduct[] {
  return [
    { sku: 'SAME', name: 'same', stock_quantity: 1, regular_price: '13.99' },
    { sku: 'BOTH', name: 'both', stock_quantity: 1, regular_price: '12.00' },
    { sku: 'PRICE', name: 'price', stock_quantity: 5, regular_price: '12.50' },
    { sku: 'NOCOST', name: 'nocost', stock_quantity: 2, regular_price: '7.00' },
    { sku: 'MAP', name: 'map', stock_quantity: 3, regular_price: '15.00' },
  ];
}

function shop(url: string, feed: string, prices: Record<string, unknown> = {}): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'feed.csv'), feed);
  return writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'feed.csv', columns: { cost: 'cost', map: 'map' } }],
    store: { type: 'woocommerce', url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    prices: { enabled: true, ...prices },
  });
}

const FEED = 'sku,qty,cost,map\nSAME,1,10.00,\nBOTH,5,10.00,\nPRICE,5,10.00,\nNOCOST,4,,\nMAP,3,9.50,15.00\n';

describe('price sync (SPEC §14) on WooCommerce', () => {
  it('dry run shows the price changes; full writes them with the stock in the same requests; a second run writes nothing', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const config = shop(emu.url, FEED);

    const dry = await runCli(['-c', config, 'full', '--dry-run', '--no-progress'], { env });
    expect(dry.code).toBe(0);
    if (process.env.INVSYNC_SHOW_TRANSCRIPT) process.stderr.write(`\n$ invsync full --dry-run\n${dry.stdout}\n`);
    const lines = new Map(dry.stdout.split('\n').map((l) => [l.trim().split(/\s+/)[0]!, l] as const));
    expect(lines.get('BOTH')).toContain('feed; price 12.00 → 13.99 (markup, round)');
    expect(lines.get('PRICE')).toContain('price 12.50 → 13.99 (markup, round)');
    expect(lines.get('MAP')).toContain('price 15.00 → 15.99 (markup, floor, round)');
    expect(lines.get('NOCOST')).not.toContain('price');
    expect(lines.has('SAME')).toBe(false);
    expect(emu.writeRequests()).toBe(0);

    const explained = await runCli(['-c', config, 'explain', 'MAP', '--json'], { env });
    expect(explained.code).toBe(0);
    expect(JSON.parse(explained.stdout).price).toEqual({
      source: 'feed', amounts: { cost: '9.50', map: '15.00' }, target: '15.99', current: '15.00',
      steps: ['cost 9.50', 'cost 9.50 +30% → 12.35', 'floor 15.00 (10% margin on cost 9.50 → 10.56, MAP 15.00)', 'round up to .99 → 15.99'],
    });
    const human = await runCli(['-c', config, 'explain', 'NOCOST'], { env });
    expect(human.stdout).toContain('price: not written (store now: 7.00)\n  amounts: (none)\n  no cost in the feed: price not written');

    const run = await runCli(['-c', config, 'full', '--json', '--no-progress'], { env });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as RunSummary;
    expect(summary.changes.map((c) => [c.sku, c.from, c.to, c.price ?? null, c.status])).toEqual([
      ['BOTH', 1, 5, { from: '12.00', to: '13.99' }, 'applied'],
      ['PRICE', 5, 5, { from: '12.50', to: '13.99' }, 'applied'],
      ['NOCOST', 2, 4, null, 'applied'],
      ['MAP', 3, 3, { from: '15.00', to: '15.99' }, 'applied'],
    ]);
    expect(summary.safety.priceChangeRatio).toBe(0);
    // One products/batch request carried stock and prices together.
    expect(emu.writeRequests()).toBe(1);
    expect(Object.fromEntries(emu.priceBySku())).toEqual({ SAME: '13.99', BOTH: '13.99', PRICE: '13.99', NOCOST: '7.00', MAP: '15.99' });
    expect(Object.fromEntries(emu.stockBySku())).toEqual({ SAME: 1, BOTH: 5, PRICE: 5, NOCOST: 4, MAP: 3 });

    const again = await runCli(['-c', config, 'full', '--json', '--no-progress'], { env });
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as RunSummary).counts.changed).toBe(0);
    expect(emu.writeRequests()).toBe(1);
  });

  it('the price-change gate stops a run that would move most prices by more than maxChangeRatio: exit 4, nothing written; --force writes', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    // Costs doubled: every price would rise by about 100 %.
    const config = shop(emu.url, 'sku,qty,cost,map\nSAME,1,20.00,\nBOTH,1,20.00,\nPRICE,5,20.00,\nNOCOST,2,,\nMAP,3,20.00,\n');

    const blocked = await runCli(['-c', config, 'full', '--json', '--no-progress'], { env });
    expect(blocked.code).toBe(4);
    const summary = JSON.parse(blocked.stdout) as RunSummary;
    expect(summary.safety.tripped).toBe('maxPriceChangeRatio');
    expect(summary.safety.priceChangeRatio).toBe(1);
    expect(summary.safety.message).toContain('maxPriceChangeRatio tripped: the plan would change the price of 100% of priced items (4 of 4) by more than 30% (prices.maxChangeRatio), limit 20%');
    expect(emu.writeRequests()).toBe(0);
    expect(Object.fromEntries(emu.priceBySku())).toMatchObject({ SAME: '13.99', BOTH: '12.00' });

    const forced = await runCli(['-c', config, 'full', '--force', '--json', '--no-progress'], { env });
    expect(forced.code).toBe(0);
    expect(Object.fromEntries(emu.priceBySku())).toEqual({ SAME: '26.99', BOTH: '26.99', PRICE: '26.99', NOCOST: '7.00', MAP: '26.99' });
  });

  it('rollback puts back the prices a run wrote, while the store still shows them', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const config = shop(emu.url, FEED);
    expect((await runCli(['-c', config, 'full', '--no-progress'], { env })).code).toBe(0);
    expect(emu.priceBySku().get('PRICE')).toBe('13.99');
    const back = await runCli(['-c', config, 'rollback', 'last', '--json', '--no-progress'], { env });
    expect(back.code).toBe(0);
    expect(Object.fromEntries(emu.priceBySku())).toEqual({ SAME: '13.99', BOTH: '12.00', PRICE: '12.50', NOCOST: '7.00', MAP: '15.00' });
    expect(Object.fromEntries(emu.stockBySku())).toEqual({ SAME: 1, BOTH: 1, PRICE: 5, NOCOST: 2, MAP: 3 });
  });
});
