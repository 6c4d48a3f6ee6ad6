/**
 * SPEC §8 "Quantities" through the built CLI: an absurd quantity in a feed is one rejected row,
 * never a failed fetch (REVIEW-2026-12 #5: a 400-digit value used to abort the whole fetch, exit 5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

describe('implausible supplier quantities', () => {
  it('a 400-digit and an above-2^31 quantity are rejected rows; the fetch succeeds, those SKUs stay unchanged, the rest syncs (exit 0)', async () => {
    const emu = await startWooEmulator({ products: simpleProducts(4, { stock: () => 1 }) });
    running.push(emu);
    const dir = tempDir();
    const huge = '9'.repeat(400);
    writeCsv(path.join(dir, 'supplier.csv'), [['SKU-0001', 5], ['SKU-0002', huge], ['SKU-0003', 4294967297], ['SKU-0004', 8]]);
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

    const result = await runCli(['-c', config, 'full', '--json'], { env });
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary.counts.rejected).toBe(2);
    expect(summary.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ sku: 'SKU-0002', source: 'feed', row: 3, message: expect.stringMatching(/^row 3: quantity "9{39}… \(402 characters\) is out of range \(0 … 2147483647\)/) }),
      expect.objectContaining({ sku: 'SKU-0003', source: 'feed', row: 4, message: expect.stringMatching(/^row 4: quantity "4294967297" is out of range/) }),
    ]));
    // The whole 400-digit value is never echoed.
    expect(result.stdout + result.stderr).not.toContain('9'.repeat(41));
    expect(Object.fromEntries(emu.stockBySku())).toEqual({ 'SKU-0001': 5, 'SKU-0002': 1, 'SKU-0003': 1, 'SKU-0004': 8 });

    const snapshot = fs.readFileSync(path.join(dir, 'state', 'snapshot.json'), 'utf8');
    expect(snapshot).toContain('"type":"rejected","source":"feed","row":3');
    expect(snapshot).toContain('"trailer","items":2,"rejected":2');
  });
});
