/**
 * Two suppliers into one store: Dropshipzone (its faithful fake, with its real rate limits) and a
 * CSV file, combined with aggregate "sum" and a buffer — the built CLI, exact final state.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DSZ_EMAIL, DSZ_PASSWORD, dszProduct, startDropshipzoneFake, type DszFake } from '../fakes/dropshipzone.js';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: Array<WooEmulator | DszFake> = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

describe('Dropshipzone + CSV into WooCommerce', () => {
  it('sums both suppliers, subtracts the buffer, honours in_stock "0", and lands exactly', async () => {
    const N = 260; // two pages of Dropshipzone's maximum 200
    const products = Array.from({ length: N }, (_, i) => dszProduct(i, i % 9));
    // A product Dropshipzone says is out of stock although stock_qty is positive: it counts as 0.
    products[7] = dszProduct(7, 40, { in_stock: '0', status: 'Out Of Stock' });
    const dsz = await startDropshipzoneFake({ products, tokenTtlSeconds: 3600 });
    running.push(dsz);
    const skus = products.map((p) => String(p.sku));
    const woo = await startWooEmulator({ products: skus.map((sku) => ({ type: 'simple' as const, sku, manage_stock: true, stock_quantity: 100 })) });
    running.push(woo);

    const dir = tempDir();
    // The CSV supplier lists every other SKU (lower-case, to prove SKUs compare case-insensitively).
    const csvQty = (i: number) => (i * 7) % 5;
    writeCsv(path.join(dir, 'warehouse.csv'), skus.flatMap((sku, i) => (i % 2 === 0 ? [[sku.toLowerCase(), csvQty(i)] as [string, number]] : [])));
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [
        { name: 'dsz', type: 'dropshipzone', url: dsz.url, email: DSZ_EMAIL, password: '${DSZ_PASSWORD}' },
        { name: 'warehouse', type: 'csv', path: 'warehouse.csv' },
      ],
      store: { type: 'woocommerce', url: woo.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
      rules: { aggregate: 'sum', buffer: 2 },
      safety: { maxZeroRatio: 1, maxStockDropRatio: 1 },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret, DSZ_PASSWORD };
    const result = await runCli(['-c', config, 'full', '--json'], { env });
    expect(result.code).toBe(0);

    const expected = (i: number) => Math.max(0, (i === 7 ? 0 : i % 9) + (i % 2 === 0 ? csvQty(i) : 0) - 2);
    const stock = woo.stockBySku();
    skus.forEach((sku, i) => expect([sku, stock.get(sku)]).toEqual([sku, expected(i)]));

    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary.sources).toEqual({
      dsz: { items: N, rejected: 0, matched: N },
      warehouse: { items: N / 2, rejected: 0, matched: N / 2 },
    });
    expect(dsz.authCalls).toBe(1);
    expect(dsz.saw429).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(DSZ_PASSWORD);
  });
});
