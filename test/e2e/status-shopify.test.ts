/**
 * SPEC §14 `rules.status` "hide" through the built CLI on the Shopify fake: a product is drafted
 * only when every variant of it reaches 0; a variant that still sells keeps its product ACTIVE
 * (its sibling goes to 0, no hide, no failure); restore puts back the status it replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { DEFAULT_SHOPIFY_TOKEN, startShopifyFake, type ShopifyFake } from '../fakes/shopify.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';

let fake: ShopifyFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

describe('rules.status "hide" (SPEC §14) on the Shopify fake', () => {
  it('drafts a product whose every variant reaches 0, never one with a variant on sale; restores the replaced status once a variant is back', async () => {
    fake = await startShopifyFake({ bucket: { maximumAvailable: 2000, restoreRate: 20_000 } });
    fake.seed({ title: 'Shirt', variants: [{ sku: 'A-1', title: 'S', available: 3 }, { sku: 'A-2', title: 'M', available: 1 }] });
    fake.seed({ title: 'Mug', variants: [{ sku: 'B-1', title: 'S', available: 2 }, { sku: 'B-2', title: 'M', available: 5 }] });
    const dir = tempDir();
    const feed = (rows: string) => fs.writeFileSync(path.join(dir, 'feed.csv'), `sku,qty\n${rows}`);
    feed('A-1,0\nA-2,0\nB-1,0\nB-2,5\n');
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }],
      store: { type: 'shopify', url: fake.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: fake.locationId() },
      rules: { status: { whenZero: 'hide', graceHours: 0 } },
      safety: { maxZeroRatio: 1, maxStockDropRatio: 1 },
    });
    const run = (args: string[]) => runCli(['-c', config, ...args]);
    const hidden = () => {
      const d = new Database(path.join(dir, 'state', 'invsync.db'));
      try { return d.prepare('SELECT sku, action, replaced FROM status_hidden ORDER BY sku').all(); } finally { d.close(); }
    };

    const first = await run(['full', '--json']);
    expect(first.code).toBe(0);
    const s1 = summary(first.stdout);
    expect(s1.changes.map((c) => [c.sku, c.from, c.to, c.statusAction?.to ?? null])).toEqual([
      ['A-1', 3, 0, 'hide'], ['A-2', 1, 0, 'hide'], ['B-1', 2, 0, null],
    ]);
    expect(s1.counts).toMatchObject({ applied: 3, failed: 0 });
    expect([fake.productStatusOf('A-1'), fake.productStatusOf('B-1')]).toEqual(['DRAFT', 'ACTIVE']);
    expect(fake.counters.productUpdates).toBe(1);
    expect(hidden()).toEqual([
      { sku: 'A-1', action: 'hide', replaced: '{"status":"ACTIVE"}' },
      { sku: 'A-2', action: 'hide', replaced: '{"status":"ACTIVE"}' },
    ]);

    // Nothing more to do: the product is already hidden.
    const again = await run(['full', '--json']);
    expect(again.code).toBe(0);
    expect(summary(again.stdout).changes).toEqual([]);

    // A-1 back (graceHours 0): stock and status in the same run; A-2 at 0 alone does not draft it again.
    feed('A-1,4\nA-2,0\nB-1,0\nB-2,5\n');
    const back = await run(['full', '--json']);
    expect(back.code).toBe(0);
    expect(summary(back.stdout).changes.map((c) => [c.sku, c.from, c.to, c.statusAction?.to ?? null])).toEqual([['A-1', 0, 4, 'restore']]);
    expect([fake.productStatusOf('A-1'), fake.stockOf('A-1')]).toEqual(['ACTIVE', 4]);
    const quiet = await run(['full', '--json']);
    expect(quiet.code).toBe(0);
    expect(summary(quiet.stdout).changes).toEqual([]);
  });
});
