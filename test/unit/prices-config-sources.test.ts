/** SPEC §14 `prices`: the config block, which stores accept it (exit 2 otherwise), and the amounts sources read. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { CsvSourceConfig, JsonSourceConfig } from '../../src/config/schema.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import type { SourceRecord } from '../../src/domain/types.js';
import { SourceError } from '../../src/domain/errors.js';
import { createCsvSource } from '../../src/sources/csv/index.js';
import { createJsonSource } from '../../src/sources/json/index.js';
import { productRecord } from '../../src/sources/dropshipzone/products.js';
import { writeJson } from '../helpers/cli.js';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-prices-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

const env = { WC_KEY: 'ck_test_key_123', WC_SECRET: 'cs_test_secret_456', TOKEN: 'shpat_x' };
const woo = { type: 'woocommerce', url: 'https://shop.example.com', consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' };

async function load(raw: Record<string, unknown>) {
  return (await loadConfig({ explicitPath: writeJson(path.join(dir, `c-${Math.random()}.json`), { sources: [{ name: 'feed', type: 'csv', path: 'a.csv' }], ...raw }), env })).config;
}

async function failureOf(raw: Record<string, unknown>): Promise<{ message: string; exit: number }> {
  try {
    await load(raw);
  } catch (err) {
    return { message: (err as Error).message, exit: exitCodeFor(err) };
  }
  throw new Error('expected a configuration error');
}

async function collect(source: { stream(): AsyncIterable<SourceRecord> }): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of source.stream()) out.push(r);
  return out;
}

describe('prices config', () => {
  it('is off by default, with SPEC §14\'s defaults, and safety.maxPriceChangeRatio 0.2', async () => {
    const config = await load({ store: woo });
    expect(config.prices).toEqual({
      enabled: false, from: 'cost', markup: { percent: 30, fixed: 0 }, round: '0.99', floor: { minMarginPercent: 10, map: true }, ceiling: { msrp: true }, maxChangeRatio: 0.3,
    });
    expect(config.safety.maxPriceChangeRatio).toBe(0.2);
  });

  it('names a bad value by its path (exit 2)', async () => {
    expect(await failureOf({ store: woo, prices: { enabled: true, round: '0.9' } })).toMatchObject({ exit: 2, message: expect.stringContaining('prices.round') });
    expect(await failureOf({ store: woo, prices: { markup: { fixed: 1.234 } } })).toMatchObject({ exit: 2, message: expect.stringContaining('prices.markup.fixed') });
    expect(await failureOf({ store: woo, prices: { floor: { minMarginPercent: 100 } } })).toMatchObject({ exit: 2, message: expect.stringContaining('prices.floor.minMarginPercent') });
    expect(await failureOf({ store: woo, prices: { from: 'msrp' } })).toMatchObject({ exit: 2, message: expect.stringContaining('prices.from') });
  });

  it('a store that does not sync prices refuses prices.enabled at validation (exit 2, naming it); off, it is fine', async () => {
    const amazonOnly = {
      type: 'amazon', sellerId: 'A1', marketplaceId: 'ATVPDKIKX0DER', clientId: 'id', clientSecret: '${TOKEN}', refreshToken: '${TOKEN}',
    };
    expect(await failureOf({ store: amazonOnly, prices: { enabled: true } })).toEqual({
      exit: 2, message: expect.stringContaining('prices.enabled: store type "amazon" does not sync prices (invsync writes only fulfillment_availability to Amazon listings): set prices.enabled to false'),
    });
    await expect(load({ store: amazonOnly })).resolves.toBeDefined();
    const s4s = { type: 'shift4shop', secureUrl: 'https://s.example.com', privateKey: 'k', token: '${TOKEN}' };
    await expect(load({ store: s4s, prices: { enabled: true } })).resolves.toBeDefined();
    const shop = { type: 'shopify', url: 'https://s.myshopify.com', accessToken: '${TOKEN}', locationId: '1' };
    await expect(load({ store: shop, prices: { enabled: true } })).resolves.toBeDefined();
    await expect(load({ store: { type: 'magento2', url: 'https://m.example.com', token: '${TOKEN}' }, prices: { enabled: true } })).resolves.toBeDefined();
    const md = { type: 'medusa', url: 'https://m.example.com', email: 'a@b.c', password: '${TOKEN}', locationId: 'sloc_1' };
    await expect(load({ store: { ...md, currency: 'EUR' }, prices: { enabled: true } })).resolves.toBeDefined();
    expect(await failureOf({ store: { ...md, currency: 'euro' }, prices: { enabled: true } })).toMatchObject({ exit: 2, message: expect.stringContaining('currency') });
    const amazon = {
      name: 'amz', type: 'amazon', sellerId: 'A1', marketplaceId: 'ATVPDKIKX0DER', clientId: 'id', clientSecret: '${TOKEN}', refreshToken: '${TOKEN}',
    };
    const f = await failureOf({ stores: [{ name: 'web', ...woo }, amazon], prices: { enabled: true } });
    expect(f.exit).toBe(2);
    expect(f.message).toContain('store type "amazon" does not sync prices');
    expect(f.message).toContain('(store "amz")');
    await expect(load({ store: woo, prices: { enabled: true } })).resolves.toMatchObject({ prices: { enabled: true } });
  });
});

describe('sources read price, cost, MAP and MSRP', () => {
  it('CSV: columns.price|cost|map|msrp into exact cents; blank is absent; bad text rejects the row with the field named', async () => {
    const file = path.join(dir, 'feed.csv');
    fs.writeFileSync(file, 'sku,qty,Cost,MAP,RRP\nA,5,9.50,15,19.99\nB,3,,,\nC,2,$9,,\nD,1,9.505,,19.999\n');
    const records = await collect(createCsvSource(CsvSourceConfig.parse({
      name: 'feed', type: 'csv', path: file, columns: { cost: 'Cost', map: 'MAP', msrp: 'RRP' },
    })));
    expect(records).toEqual([
      { kind: 'item', sku: 'A', qty: 5, row: 2, amounts: { cost: 950, map: 1500, msrp: 1999 } },
      { kind: 'item', sku: 'B', qty: 3, row: 3 },
      { kind: 'rejected', sku: 'C', row: 4, reason: 'cost: not an amount ("$9"): expected digits with an optional decimal point, no currency sign or thousands separator' },
      // A third decimal rounds toward the guard: the cost up, the MSRP down.
      { kind: 'item', sku: 'D', qty: 1, row: 5, amounts: { cost: 951, msrp: 1999 } },
    ]);
  });

  it('CSV: a configured amount column missing from the header fails the source, naming it', async () => {
    const file = path.join(dir, 'nocost.csv');
    fs.writeFileSync(file, 'sku,qty\nA,5\n');
    const err = await collect(createCsvSource(CsvSourceConfig.parse({ name: 'feed', type: 'csv', path: file, columns: { cost: 'cost' } }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toContain('column "cost" not found in the header (found: sku, qty)');
  });

  it('JSON: pricePath/costPath/mapPath/msrpPath; numbers and strings; a bad value rejects the row naming the path', async () => {
    const file = path.join(dir, 'feed.json');
    fs.writeFileSync(file, JSON.stringify([
      { sku: 'A', qty: 5, p: { cost: 9.5, rrp: '19.99' } },
      { sku: 'B', qty: 2, p: { cost: 'n/a' } },
      { sku: 'C', qty: 1 },
    ]));
    const records = await collect(createJsonSource(JsonSourceConfig.parse({ name: 'feed', type: 'json', path: file, costPath: 'p.cost', msrpPath: 'p.rrp' }), { stateDir: dir }));
    expect(records).toEqual([
      { kind: 'item', sku: 'A', qty: 5, row: 1, amounts: { cost: 950, msrp: 1999 } },
      { kind: 'rejected', sku: 'B', row: 2, reason: expect.stringMatching(/^cost: not an amount \("n\/a"\).* at costPath "p\.cost"/) },
      { kind: 'item', sku: 'C', qty: 1, row: 3 },
    ]);
  });

  it('Dropshipzone: cost (else price) as the cost, RrpPrice as price and MSRP, only with prices enabled', () => {
    const p = { sku: 'D-1', stock_qty: 4, in_stock: '1', price: 29.31, cost: 29.31, RrpPrice: 58.61 };
    expect(productRecord(p, 1)).toEqual({ kind: 'item', sku: 'D-1', qty: 4, row: 1 });
    expect(productRecord(p, 1, undefined, true)).toEqual({ kind: 'item', sku: 'D-1', qty: 4, row: 1, amounts: { cost: 2931, price: 5861, msrp: 5861 } });
    expect(productRecord({ sku: 'D-2', stock_qty: 0, in_stock: '0', price: 10, RRP: { Standard: 20 } }, 2, undefined, true))
      .toEqual({ kind: 'item', sku: 'D-2', qty: 0, row: 2, amounts: { cost: 1000, price: 2000, msrp: 2000 } });
    expect(productRecord({ sku: 'D-3', stock_qty: 1, in_stock: '1', cost: 'x' }, 3, undefined, true)).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^cost: not an amount/) });
  });
});
