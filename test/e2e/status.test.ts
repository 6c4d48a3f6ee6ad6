/**
 * SPEC §14 `rules.status` through the built CLI on the WooCommerce emulator: an item that reaches
 * 0 is hidden, comes back with its stock written at once and its visibility only after graceHours,
 * an item hidden by hand is never restored, rollback restores visibility, the gates hold status
 * changes back like stock changes, and a store that cannot hide refuses the config (exit 2).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { WooSeedProduct } from '../../src/demo/woocommerce-emulator.js';
import type { RunSummary } from '../../src/domain/types.js';
import type { Explanation } from '../../src/pipeline/explain.js';
import { startMagentoFake, type MagentoFake } from '../fakes/magento2.js';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

/** A: a plain product; BYHAND: hidden by the shop owner; KEEP: stays in stock; V: a variable product; LOOSE: stock not managed, in no feed. */
function catalog(): WooSeedProduct[] {
  return [
    { type: 'simple', name: 'a', sku: 'A', manage_stock: true, stock_quantity: 5 },
    { type: 'simple', name: 'by hand', sku: 'BYHAND', manage_stock: true, stock_quantity: 5, catalog_visibility: 'hidden' },
    { type: 'simple', name: 'keep', sku: 'KEEP', manage_stock: true, stock_quantity: 5 },
    { type: 'variable', name: 'v', sku: 'V', variations: [{ sku: 'V-1', manage_stock: true, stock_quantity: 3 }] },
    { type: 'simple', name: 'loose', sku: 'LOOSE', manage_stock: false, stock_status: 'instock' },
  ];
}

function shop(url: string, status: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const dir = tempDir();
  const feed = (rows: string) => fs.writeFileSync(path.join(dir, 'feed.csv'), `sku,qty\n${rows}`);
  feed('A,0\nBYHAND,0\nKEEP,5\nV-1,0\n');
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }],
    store: { type: 'woocommerce', url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    rules: { status },
    safety: { maxMissingRatio: 0.5, maxZeroRatio: 1, maxStockDropRatio: 1 },
    ...extra,
  });
  const run = (args: string[]) => runCli(['-c', config, ...args], { env });
  const db = <T>(fn: (d: Database.Database) => T): T => {
    const d = new Database(path.join(dir, 'state', 'invsync.db'));
    try { return fn(d); } finally { d.close(); }
  };
  return { dir, config, feed, run, db };
}

function visibility(emu: WooEmulator): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of emu.items()) {
    if (r.type === 'variation') out[r.sku] = r.status;
    else if (r.type === 'simple') out[r.sku] = r.catalog_visibility;
  }
  return out;
}

const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

describe('rules.status (SPEC §14) on WooCommerce', () => {
  it('hides at 0; on return writes the stock at once and restores visibility only after graceHours; never restores an item hidden by hand', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const t = shop(emu.url, { whenZero: 'hide', whenMissing: 'outofstock', graceHours: 24 });

    const dry = await t.run(['full', '--dry-run', '-v', '--no-progress']);
    expect(dry.code).toBe(0);
    if (process.env.INVSYNC_SHOW_TRANSCRIPT) process.stderr.write(`\n$ invsync full --dry-run\n${dry.stdout}\n`);
    const lines = new Map(dry.stdout.split('\n').map((l) => [l.trim().split(/\s+/)[0]!, l] as const));
    expect(lines.get('A')).toContain('feed 0 → hide');
    expect(lines.get('V-1')).toContain('feed 0 → hide');
    expect(lines.get('LOOSE')).toMatch(/—\s+→\s+—\s+in no feed → outofstock$/);
    expect(lines.get('BYHAND')).not.toContain('hide');

    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    const s1 = summary(first.stdout);
    // A, BYHAND, V-1: stock 0 (two with hiding); LOOSE: stock_status alone.
    expect(s1.counts).toMatchObject({ changed: 4, applied: 4, failed: 0 });
    expect(visibility(emu)).toEqual({ A: 'hidden', BYHAND: 'hidden', KEEP: 'visible', 'V-1': 'private', LOOSE: 'visible' });
    const loose = emu.items().find((r) => r.sku === 'LOOSE')!;
    expect([loose.manage_stock, loose.stock_status]).toEqual([false, 'outofstock']);
    // Products in one batch, the variation in its parent's: status costs no extra request.
    expect(emu.writeRequests()).toBe(2);
    expect(t.db((d) => d.prepare('SELECT sku, action, replaced FROM status_hidden ORDER BY sku').all())).toEqual([
      { sku: 'A', action: 'hide', replaced: '{"catalog_visibility":"visible"}' },
      { sku: 'LOOSE', action: 'outofstock', replaced: '{"stock_status":"instock"}' },
      { sku: 'V-1', action: 'hide', replaced: '{"status":"publish"}' },
    ]);

    // Back in stock: the stock is written now, the visibility waits out the grace period.
    t.feed('A,4\nBYHAND,4\nKEEP,5\nV-1,2\n');
    const second = await t.run(['full', '--json']);
    expect(second.code).toBe(0);
    expect(Object.fromEntries(emu.stockBySku())).toMatchObject({ A: 4, BYHAND: 4, 'V-1': 2 });
    expect(visibility(emu)).toMatchObject({ A: 'hidden', BYHAND: 'hidden', 'V-1': 'private' });
    const since = t.db((d) => d.prepare("SELECT back_since FROM status_hidden WHERE sku = 'A'").pluck().get()) as string;
    expect(Date.parse(since)).toBeGreaterThan(Date.now() - 3_600_000);

    // A later run within the grace period keeps the first-seen time and writes nothing.
    const writes = emu.writeRequests();
    expect((await t.run(['full'])).code).toBe(0);
    expect(emu.writeRequests()).toBe(writes);
    expect(t.db((d) => d.prepare("SELECT back_since FROM status_hidden WHERE sku = 'A'").pluck().get())).toBe(since);

    const explain = await t.run(['explain', 'A', '--json']);
    expect((JSON.parse(explain.stdout) as Explanation).status).toMatch(/^back in stock since .*: restored after .* \(graceHours 24\)$/);

    // 25 hours later (the first-seen time moved back instead of the clock forward).
    t.db((d) => d.prepare('UPDATE status_hidden SET back_since = ?').run(new Date(Date.now() - 25 * 3_600_000).toISOString()));
    const third = await t.run(['full', '--json']);
    expect(third.code).toBe(0);
    expect(summary(third.stdout).changes.map((c) => [c.sku, c.reason])).toEqual([
      ['A', 'feed 4 → restore catalog_visibility: "visible"'],
      ['V-1', 'feed 2 → restore status: "publish"'],
    ]);
    expect(visibility(emu)).toEqual({ A: 'visible', BYHAND: 'hidden', KEEP: 'visible', 'V-1': 'publish', LOOSE: 'visible' });
    expect(t.db((d) => d.prepare('SELECT sku FROM status_hidden').pluck().all())).toEqual(['LOOSE']);

    // Nothing more to do: the plan is empty (the index knows the visibility it wrote).
    const fourth = await t.run(['full', '--json']);
    expect(summary(fourth.stdout).counts.changed).toBe(0);
  });

  it('graceHours 0 restores in the run that sees the item back, in the same request as its stock', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const t = shop(emu.url, { whenZero: 'hide', graceHours: 0 });
    expect((await t.run(['full'])).code).toBe(0);
    expect(visibility(emu)).toMatchObject({ A: 'hidden' });
    t.feed('A,4\nBYHAND,4\nKEEP,5\nV-1,0\n');
    const writes = emu.writeRequests();
    const back = await t.run(['full', '--json']);
    expect(back.code).toBe(0);
    expect(summary(back.stdout).changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      ['A', 0, 4, 'feed 4 → restore catalog_visibility: "visible"'],
      ['BYHAND', 0, 4, 'supplier'],
    ]);
    expect(emu.writeRequests() - writes).toBe(1);
    expect(visibility(emu)).toMatchObject({ A: 'visible', BYHAND: 'hidden', 'V-1': 'private' });
  });

  it('rollback of the hiding run puts back the stock and the visibility it replaced', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const t = shop(emu.url, { whenZero: 'hide', whenMissing: 'outofstock' });
    expect((await t.run(['full'])).code).toBe(0);
    expect(visibility(emu)).toMatchObject({ A: 'hidden', 'V-1': 'private' });

    const rb = await t.run(['rollback', 'last', '--json']);
    expect(rb.code).toBe(0);
    expect(summary(rb.stdout).counts).toMatchObject({ applied: 4, failed: 0 });
    expect(visibility(emu)).toEqual({ A: 'visible', BYHAND: 'hidden', KEEP: 'visible', 'V-1': 'publish', LOOSE: 'visible' });
    expect(Object.fromEntries(emu.stockBySku())).toMatchObject({ A: 5, BYHAND: 5, 'V-1': 3 });
    expect(emu.items().find((r) => r.sku === 'LOOSE')!.stock_status).toBe('instock');
    // Put back: invsync no longer counts them as its own.
    expect(t.db((d) => d.prepare('SELECT COUNT(*) FROM status_hidden').pluck().get())).toBe(0);
  });

  it('status changes are in the plan\'s change count and a tripped gate holds them back with the stock (exit 4)', async () => {
    const emu = await startWooEmulator({ products: catalog() });
    running.push(emu);
    const t = shop(emu.url, { whenMissing: 'hide' }, { safety: { maxMissingRatio: 0.1, maxZeroRatio: 1, maxStockDropRatio: 1 } });
    t.feed('KEEP,5\n');
    const blocked = await t.run(['full', '--json']);
    expect(blocked.code).toBe(4);
    const s = summary(blocked.stdout);
    expect(s.safety.tripped).toBe('maxMissingRatio');
    // A, V-1 and LOOSE hidden (BYHAND is already): three changes, none written.
    expect(s.counts.changed).toBe(3);
    expect(emu.writeRequests()).toBe(0);
    expect(visibility(emu)).toMatchObject({ A: 'visible', 'V-1': 'publish', LOOSE: 'visible' });

    const forced = await t.run(['full', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(summary(forced.stdout).counts).toMatchObject({ changed: 3, applied: 3 });
    expect(visibility(emu)).toMatchObject({ A: 'hidden', 'V-1': 'private', LOOSE: 'hidden' });
    // missing: "keep": the levels stay.
    expect(Object.fromEntries(emu.stockBySku())).toMatchObject({ A: 5, 'V-1': 3 });
  });

  it('a store that cannot hide refuses rules.status "hide" at config validation: exit 2 naming the store and the option', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'feed.csv'), 'sku,qty\nA,1\n');
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }],
      store: { type: 'amazon', sellerId: 'S', marketplaceId: 'M', clientId: 'c', clientSecret: 's', refreshToken: 'r', url: 'http://127.0.0.1:9' },
      rules: { status: { whenZero: 'hide' } },
    });
    const res = await runCli(['-c', config, 'full', '--json']);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toMatchObject({
      exitCode: 2,
      message: 'rules.status.whenZero: store "store": type "amazon" cannot do "hide" (whenZero): Amazon listings are not hidden through the quantity feed invsync writes: use "outofstock" (quantity 0)',
    });
    expect(fs.existsSync(path.join(dir, 'state', 'invsync.db'))).toBe(false);
  });
});

describe('rules.status with prices (SPEC §14) on WooCommerce', () => {
  it('an item going to 0 is hidden and gets its new price in the same batch item as its stock; rollback puts back stock, price and visibility together', async () => {
    const emu = await startWooEmulator({ products: [
      { type: 'simple', name: 'a', sku: 'A', manage_stock: true, stock_quantity: 5, regular_price: '12.00' },
      { type: 'simple', name: 'keep', sku: 'KEEP', manage_stock: true, stock_quantity: 5, regular_price: '13.99' },
    ] });
    running.push(emu);
    const t = shop(emu.url, { whenZero: 'hide' }, {
      sources: [{ name: 'feed', type: 'csv', path: 'feed.csv', columns: { cost: 'cost' } }],
      prices: { enabled: true },
    });
    fs.writeFileSync(path.join(t.dir, 'feed.csv'), 'sku,qty,cost\nA,0,10.00\nKEEP,5,10.00\n');
    const state = () => {
      const a = emu.items().find((r) => r.sku === 'A')!;
      return { stock: a.stock_quantity, price: a.regular_price, visibility: a.catalog_visibility };
    };

    const run = await t.run(['full', '--json']);
    expect(run.code).toBe(0);
    const s = summary(run.stdout);
    expect(s.counts).toMatchObject({ changed: 1, applied: 1, failed: 0 });
    expect(s.changes.map((c) => [c.sku, c.from, c.to, c.price, c.statusAction?.to])).toEqual([['A', 5, 0, { from: '12.00', to: '13.99' }, 'hide']]);
    expect(state()).toEqual({ stock: 0, price: '13.99', visibility: 'hidden' });
    // One write request holding one item: stock, regular_price and catalog_visibility together.
    const writes = emu.requests.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => [r.path, r.items])).toEqual([['/wp-json/wc/v3/products/batch', 1]]);
    expect(t.db((d) => d.prepare('SELECT sku, from_qty, to_qty, price_from, price_to, status_action IS NOT NULL AS status FROM plan_items').all())).toEqual([
      { sku: 'A', from_qty: 5, to_qty: 0, price_from: '12.00', price_to: '13.99', status: 1 },
    ]);

    const rb = await t.run(['rollback', 'last', '--json']);
    expect(rb.code).toBe(0);
    const r = summary(rb.stdout);
    expect(r.counts).toMatchObject({ applied: 1, failed: 0 });
    expect(r.changes.map((c) => [c.sku, c.from, c.to, c.price, c.statusAction?.to, c.reason])).toEqual([
      ['A', 0, 5, { from: '13.99', to: '12.00' }, 'restore', 'rollback → restore catalog_visibility: "visible"; price 13.99 → 12.00'],
    ]);
    expect(state()).toEqual({ stock: 5, price: '12.00', visibility: 'visible' });
    const after = emu.requests.filter((q) => q.method !== 'GET');
    expect(after.slice(1).map((q) => [q.path, q.items])).toEqual([['/wp-json/wc/v3/products/batch', 1]]);
    expect(t.db((d) => d.prepare('SELECT COUNT(*) FROM status_hidden').pluck().get())).toBe(0);
  });
});

describe('rules.status (SPEC §14) on Magento 2', () => {
  const fakes: MagentoFake[] = [];
  afterEach(async () => { await Promise.all(fakes.splice(0).map((f) => f.close())); });

  it('disables a product at 0 (read back), enables it again when it returns, never one disabled by hand; rollback puts back status and stock', async () => {
    const fake = await startMagentoFake({ products: [
      { sku: 'A', qty: 5 }, { sku: 'BYHAND', qty: 5, status: 2 }, { sku: 'KEEP', qty: 5 },
      { sku: 'C', type: 'configurable', children: [{ sku: 'C-1', qty: 3 }, { sku: 'C-2', qty: 3 }] },
    ] });
    fakes.push(fake);
    const t = shop(fake.url, { whenZero: 'hide', graceHours: 0 }, { store: { type: 'magento2', url: fake.url, token: fake.token } });
    t.feed('A,0\nBYHAND,0\nKEEP,5\nC-1,0\nC-2,3\n');
    const status = () => Object.fromEntries(['A', 'BYHAND', 'KEEP', 'C', 'C-1', 'C-2'].map((sku) => [sku, fake.bySku(sku)!.status]));

    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    expect(summary(first.stdout).counts).toMatchObject({ changed: 3, applied: 3, failed: 0 });
    expect(status()).toEqual({ A: 2, BYHAND: 2, KEEP: 1, C: 1, 'C-1': 2, 'C-2': 1 });
    expect(fake.productSaves()).toBe(2);
    expect(t.db((d) => d.prepare('SELECT sku, action, replaced FROM status_hidden ORDER BY sku').all())).toEqual([
      { sku: 'A', action: 'hide', replaced: '{"status":1}' },
      { sku: 'C-1', action: 'hide', replaced: '{"status":1}' },
    ]);

    const rb = await t.run(['rollback', 'last', '--json']);
    expect(rb.code).toBe(0);
    expect(status()).toEqual({ A: 1, BYHAND: 2, KEEP: 1, C: 1, 'C-1': 1, 'C-2': 1 });
    expect(Object.fromEntries(fake.stockBySku())).toMatchObject({ A: 5, BYHAND: 5, 'C-1': 3 });

    // Hidden again, then back in stock: graceHours 0 enables it in the run that sees it back.
    expect((await t.run(['full'])).code).toBe(0);
    expect(status()).toMatchObject({ A: 2, 'C-1': 2 });
    t.feed('A,4\nBYHAND,4\nKEEP,5\nC-1,2\nC-2,3\n');
    const back = await t.run(['full', '--json']);
    expect(back.code).toBe(0);
    expect(summary(back.stdout).changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([
      ['A', 0, 4, 'feed 4 → restore status: 1'],
      ['BYHAND', 0, 4, 'supplier'],
      ['C-1', 0, 2, 'feed 2 → restore status: 1'],
    ]);
    expect(status()).toEqual({ A: 1, BYHAND: 2, KEEP: 1, C: 1, 'C-1': 1, 'C-2': 1 });
    expect(summary((await t.run(['full', '--json'])).stdout).counts.changed).toBe(0);
  });
});
