/**
 * SPEC §14 rules and `invsync explain` through the built CLI, on a small catalog that exercises
 * every rule: a skuMap pack column and a packSize, text stock values, minQty, kits (one with an
 * unlisted component), an exclusion, buffer and maxQty.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { WooSeedProduct } from '../../src/demo/woocommerce-emulator.js';
import type { RunSummary } from '../../src/domain/types.js';
import type { Explanation } from '../../src/pipeline/explain.js';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
const STORE_SKUS = ['CASE-6', 'SINGLE-4', 'TXT-IN', 'TXT-NO', 'FEW', 'KIT-1', 'KIT-GHOST', 'DISC-9', 'PLAIN', 'TXT-HUH'];

function catalog(): WooSeedProduct[] {
  return STORE_SKUS.map((sku) => ({ type: 'simple', name: sku.toLowerCase(), sku, manage_stock: true, stock_quantity: 1 }));
}

/** The shop's files: two CSV feeds, a skuMap with a pack column, a kits file and the config. */
function shop(url: string, overrides: { rules?: Record<string, unknown>; kits?: string; skuMap?: string } = {}): { dir: string; config: string } {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'feed.csv'), 'sku,qty\nSUP-CASE,12\nTXT-IN,In Stock\nTXT-NO,N\nFEW,2\nC-A,10\nC-B,7\nDISC-9,50\nPLAIN,7\nTXT-HUH,maybe\n');
  fs.writeFileSync(path.join(dir, 'bulk.csv'), 'sku,qty\nSINGLE-4,23\n');
  fs.writeFileSync(path.join(dir, 'sku-map.csv'), overrides.skuMap ?? 'supplier_sku,store_sku,pack\nSUP-CASE,CASE-6,6\n');
  fs.writeFileSync(path.join(dir, 'kits.csv'), overrides.kits ?? 'kit_sku,component_sku,units\nKIT-1,C-A,2\nKIT-1,C-B,1\nKIT-GHOST,C-A,1\nKIT-GHOST,GHOST,1\n');
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [
      { name: 'feed', type: 'csv', path: 'feed.csv', skuMap: 'sku-map.csv', qtyMap: { 'in stock': 10, Y: 1, N: 0 } },
      { name: 'bulk', type: 'csv', path: 'bulk.csv', packSize: '1/4' },
    ],
    store: { type: 'woocommerce', url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    rules: { buffer: 1, maxQty: 60, minQty: 3, kits: 'kits.csv', exclude: ['DISC-*'], ...overrides.rules },
  });
  return { dir, config };
}

describe('rules beyond a plain quantity (SPEC §14)', () => {
  it('a dry run shows each rule\'s effect in the reason; the push writes exactly those targets; excluded and unknown items stay', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const { config } = shop(emu.url);

    const dry = await runCli(['-c', config, 'full', '--dry-run', '-v', '--no-progress'], { env });
    expect(dry.code).toBe(0);
    if (process.env.INVSYNC_SHOW_TRANSCRIPT) process.stderr.write(`\n$ invsync full --dry-run\n${dry.stdout}\n`);
    const reasons = new Map(dry.stdout.split('\n').map((l) => [l.split(/\s+/)[0]!, l] as const));
    expect(reasons.get('CASE-6')).toContain('feed 12 → pack ×6 → 72 → buffer −1 → 71 → maxQty ≤ 60 → 60');
    expect(reasons.get('SINGLE-4')).toContain('bulk 23 → pack ÷4 → 5 → buffer −1 → 4');
    expect(reasons.get('TXT-IN')).toContain('feed "In Stock" → qtyMap → 10 → buffer −1 → 9');
    expect(reasons.get('TXT-NO')).toContain('feed "N" → qtyMap → 0');
    expect(reasons.get('FEW')).toContain('feed 2 → minQty < 3 → 0');
    expect(reasons.get('KIT-1')).toContain('kit min(C-A 10÷2, C-B 7÷1) → 5 → buffer −1 → 4');
    expect(reasons.get('PLAIN')).toContain('feed 7 → buffer −1 → 6');
    expect(dry.stdout).toContain('1 excluded by rules.exclude');
    expect(Object.fromEntries(emu.stockBySku())).toEqual(Object.fromEntries(STORE_SKUS.map((s) => [s, 1])));

    const run = await runCli(['-c', config, 'full', '--json'], { env });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as RunSummary;
    expect(summary.counts).toMatchObject({ storeItems: 10, inScope: 9, excluded: 1, changed: 7, applied: 7, rejected: 1 });
    expect(summary.errors).toEqual(expect.arrayContaining([
      { sku: 'KIT-GHOST', source: null, message: 'kit unknown (kit component GHOST: no source lists it): left unchanged' },
      expect.objectContaining({ sku: 'TXT-HUH', source: 'feed', message: 'row 10: non-numeric quantity "maybe"' }),
    ]));
    expect(Object.fromEntries(emu.stockBySku())).toEqual({
      'CASE-6': 60, 'SINGLE-4': 4, 'TXT-IN': 9, 'TXT-NO': 0, FEW: 0, 'KIT-1': 4, 'KIT-GHOST': 1, 'DISC-9': 1, PLAIN: 6, 'TXT-HUH': 1,
    });
  });

  it('explain lists the source rows, every rule in order with from/to, the store item and the target, as SPEC §13\'s JSON', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const { config } = shop(emu.url);
    expect((await runCli(['-c', config, 'fetch'], { env })).code).toBe(0);
    const requests = emu.requests.length;

    const res = await runCli(['-c', config, 'explain', 'case-6', '--json'], { env });
    expect(res.code).toBe(0);
    const e = JSON.parse(res.stdout) as Explanation;
    expect(e).toEqual({
      sku: 'case-6',
      target: 60,
      sources: [{ source: 'feed', sku: 'SUP-CASE', qty: 12, row: 2 }],
      rules: [
        { rule: 'packSize', source: 'feed', from: 12, to: 72, detail: '×6' },
        { rule: 'aggregate', from: 72, to: 72, detail: 'sum of feed' },
        { rule: 'minQty', from: 72, to: 72, detail: '< 3' },
        { rule: 'buffer', from: 72, to: 71, detail: '−1' },
        { rule: 'maxQty', from: 71, to: 60, detail: '≤ 60' },
      ],
      storeItems: [{ store: 'store', productId: expect.anything(), variationId: null, qty: 1 }],
      notWritten: null,
    });
    // Local state only: explain sends nothing to the store.
    expect(emu.requests.length).toBe(requests);

    const text = await runCli(['-c', config, 'explain', 'TXT-IN'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/qtyMap \(feed\) +"In Stock" → 10\n/);
    if (process.env.INVSYNC_SHOW_TRANSCRIPT) process.stderr.write(`\n$ invsync explain TXT-IN\n${text.stdout}\n`);

    const why = async (sku: string) => (JSON.parse((await runCli(['-c', config, 'explain', sku, '--json'], { env })).stdout) as Explanation);
    expect(await why('DISC-9')).toMatchObject({ target: null, notWritten: 'excluded by rules.exclude pattern "DISC-*"' });
    expect(await why('KIT-GHOST')).toMatchObject({ target: null, notWritten: 'kit unknown (kit component GHOST: no source lists it): left unchanged' });
    expect(await why('TXT-HUH')).toMatchObject({
      target: null, sources: [{ source: 'feed', sku: 'TXT-HUH', qty: null, row: 10, rejected: 'non-numeric quantity "maybe"' }],
      notWritten: 'rejected row (feed): a row for this SKU was rejected: left unchanged until the feed is fixed',
    });
    const kit = await why('KIT-1');
    expect(kit.rules.map((r) => [r.rule, r.from, r.to])).toEqual([['kit', null, 5], ['minQty', 5, 5], ['buffer', 5, 4], ['maxQty', 4, 4]]);
    expect(await why('C-A')).toMatchObject({ target: 9, storeItems: [], notWritten: 'no store item has this SKU' });
  });

  it('explain and match use the same rules: every target explain gives is the one match planned', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const { config } = shop(emu.url);
    const dry = await runCli(['-c', config, 'full', '--dry-run', '--json'], { env });
    const planned = new Map((JSON.parse(dry.stdout) as RunSummary).changes.map((c) => [c.sku, c.to]));
    for (const sku of STORE_SKUS) {
      const e = JSON.parse((await runCli(['-c', config, 'explain', sku, '--json'], { env })).stdout) as Explanation;
      if (planned.has(sku)) expect([sku, e.target, e.notWritten]).toEqual([sku, planned.get(sku), null]);
      // Not planned: either explain says why it is not written, or the store already holds its target (1).
      else if (e.notWritten === null) expect([sku, e.target]).toEqual([sku, 1]);
    }
  });

  it('a bad rule setting is exit 2 naming it, before anything is fetched', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const cases: Array<[{ rules?: Record<string, unknown>; kits?: string; skuMap?: string }, RegExp]> = [
      [{ rules: { minQty: -1 } }, /rules\.minQty/],
      [{ kits: 'KIT-1,C-A,2\nKIT-1,C-B,two\n' }, /rules\.kits: kits file .*kits\.csv line 2: units \\"two\\" is not a whole number/],
      [{ skuMap: 'SUP-CASE,CASE-6,6\nSUP-X,,1/0\n' }, /sources\.0\.skuMap: sku map .*sku-map\.csv line 2: pack size \\"1\/0\\" is not valid/],
    ];
    for (const [overrides, message] of cases) {
      const { dir, config } = shop(emu.url, overrides);
      const res = await runCli(['-c', config, 'full'], { env });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(fs.existsSync(path.join(dir, 'state', 'snapshot.json'))).toBe(false);
    }
    const { dir, config } = shop(emu.url);
    const json = JSON.parse(fs.readFileSync(config, 'utf8')) as { sources: Array<Record<string, unknown>> };
    json.sources[1]!.packSize = '1/0';
    writeJson(config, json);
    const res = await runCli(['-c', config, 'full'], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/sources\.1\.packSize: pack size \\"1\/0\\" is not valid/);
    expect(fs.existsSync(path.join(dir, 'state', 'snapshot.json'))).toBe(false);
    expect(Object.fromEntries(emu.stockBySku())).toEqual(Object.fromEntries(STORE_SKUS.map((s) => [s, 1])));
  });
});
