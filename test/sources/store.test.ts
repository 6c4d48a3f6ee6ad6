/** SPEC §9: a store as a source — another shop's stock as supplier items, read-only. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { createStoreSource, storeItemRecord } from '../../src/sources/store/index.js';
import { StoreSourceConfig } from '../../src/config/schema.js';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';
import type { RunSummary, SourceRecord } from '../../src/domain/types.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

async function shop(products: Parameters<typeof startWooEmulator>[0] extends infer O ? O extends { products?: infer P } ? P : never : never) {
  const emu = await startWooEmulator({ products });
  running.push(emu);
  return emu;
}

const wooKeys = (emu: WooEmulator) => ({ type: 'woocommerce' as const, url: emu.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret });

async function collect(stream: AsyncIterable<SourceRecord>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

describe('store as a source', () => {
  it('one store item is one supplier row; no SKU or unmanaged stock is a rejected row, never a 0', () => {
    expect(storeItemRecord({ sku: ' A-1 ', productId: 4, variationId: null, qty: 7, managed: true }, 1)).toEqual({ kind: 'item', sku: 'A-1', qty: 7, row: 1 });
    expect(storeItemRecord({ sku: 'B', productId: 4, variationId: 9, qty: null, managed: false }, 2))
      .toEqual({ kind: 'rejected', row: 2, sku: 'B', reason: 'item [4/9]: that store does not manage its stock', code: 'stock not managed' });
    expect(storeItemRecord({ sku: '', productId: 5, variationId: null, qty: 3, managed: true }, 3))
      .toEqual({ kind: 'rejected', row: 3, reason: 'item [5] has no SKU', code: 'no SKU' });
  });

  it('lists the shop (inline keys) as supplier items and writes nothing to it', async () => {
    const main = await shop([...simpleProducts(3, { stock: (i) => i * 2 }), ...simpleProducts(1, { start: 4, managed: false, stock: () => null })]);
    const config = StoreSourceConfig.parse({ name: 'main', type: 'store', store: wooKeys(main) });
    const records = await collect(createStoreSource(config, { stateDir: tempDir() }).stream());
    expect(records).toEqual([
      { kind: 'item', sku: 'SKU-0001', qty: 2, row: 1 },
      { kind: 'item', sku: 'SKU-0002', qty: 4, row: 2 },
      { kind: 'item', sku: 'SKU-0003', qty: 6, row: 3 },
      { kind: 'rejected', row: 4, sku: 'SKU-0004', reason: 'item [4]: that store does not manage its stock', code: 'stock not managed' },
    ]);
    expect(main.writeRequests()).toBe(0);
  });

  it('a name refers to a configured store; an unknown name is a configuration error naming the path', async () => {
    const dir = tempDir();
    const base = { sources: [{ name: 'fba', type: 'store', store: 'amazon' }], stores: [{ name: 'web', ...wooKeys({ url: 'https://w.example.com' } as WooEmulator) }] };
    await expect(loadConfig({ explicitPath: writeJson(path.join(dir, 'c.json'), base) })).rejects.toThrow('sources.0.store: no store named "amazon" (stores: web)');
    const self = { ...base, sources: [{ name: 'fba', type: 'store', store: 'web' }] };
    await expect(loadConfig({ explicitPath: writeJson(path.join(dir, 'd.json'), self) })).rejects.toThrow('stores.0.sources: source "fba" reads this very store: name the other sources in "sources"');
  });

  it('a main shop feeds a marketplace store by name: the marketplace gets the main shop\'s levels as fetched; the main shop is never written by that source', async () => {
    const main = await shop(simpleProducts(5, { stock: (i) => i * 3 }));
    const market = await shop(simpleProducts(5, { stock: () => 0 }));
    const dir = tempDir();
    // The main shop is itself synced from a CSV feed that agrees with its levels (nothing to write).
    fs.writeFileSync(path.join(dir, 'feed.csv'), `sku,qty\n${[1, 2, 3, 4, 5].map((i) => `SKU-000${i},${i * 3}`).join('\n')}\n`);
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }, { name: 'main', type: 'store', store: 'web' }],
      stores: [
        { name: 'web', ...wooKeys(main), sources: ['feed'] },
        { name: 'market', ...wooKeys(market), sources: ['main'], rules: { buffer: 1 } },
      ],
    });
    const r = await runCli(['-c', config, 'full', '--json']);
    expect(r.code).toBe(0);
    const stock = market.stockBySku();
    for (let i = 1; i <= 5; i++) expect(stock.get(`SKU-000${i}`)).toBe(i * 3 - 1);
    expect(main.writeRequests()).toBe(0);
    const s = JSON.parse(r.stdout) as RunSummary;
    expect(s.stores!.map((x) => [x.name, x.counts.applied])).toEqual([['web', 0], ['market', 5]]);
  });
});
