/**
 * Issue 19, point 4 (built CLI, WooCommerce emulator): `index.incremental` refreshes the store
 * index with `modified_after` and gives exactly the index a full refresh gives; a deletion (which
 * the filter cannot show) fails the count check and makes it a full refresh, as does an index
 * older than `fullEvery`. The summary says which kind ran, and why.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import type { RunSummary } from '../../src/domain/types.js';
import { DEFAULT_WOO_KEY, mixedCatalog, startWooEmulator, wooRequest, type WooEmulator } from '../fakes/woocommerce.js';
import { startShift4ShopFake } from '../fakes/shift4shop.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

/** ord, sku, product id, variation id, qty, managed, name, price, visibility (SPEC §14: both kept by an incremental refresh too). */
type Row = [number, string, string, string | null, number | null, number, string | null, string | null, string | null];

async function setup(index: Record<string, unknown> = { incremental: true }) {
  const { products, skus } = mixedCatalog(40);
  const emu = await startWooEmulator({ products });
  running.push(emu);
  const dir = tempDir();
  writeCsv(path.join(dir, 'supplier.csv'), skus.map((s) => [s, 5]));
  const store = { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' };
  const config = (stateDir: string, idx?: Record<string, unknown>) => writeJson(path.join(dir, `${stateDir}.json`), {
    stateDir, sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }], store: idx ? { ...store, index: idx } : store,
  });
  const incremental = config('incr', index);
  const plain = config('plain');
  const fetch = async (file: string): Promise<RunSummary> => {
    const r = await runCli(['-c', file, 'fetch', '--json'], { env, cwd: dir });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    return JSON.parse(r.stdout) as RunSummary;
  };
  const db = (stateDir: string, readonly = true) => new Database(path.join(dir, stateDir, 'invsync.db'), { readonly });
  const rows = (stateDir: string): Row[] => {
    const d = db(stateDir);
    try {
      return d.prepare('SELECT ord, sku, product_id, variation_id, qty, managed, name, price, visibility FROM store_items ORDER BY ord').raw(true).all() as Row[];
    } finally {
      d.close();
    }
  };
  /** The incremental index equals what a full listing of the same shop gives now. */
  const expectExact = async () => {
    const full = await fetch(plain);
    expect(full.index).toBeUndefined();
    expect(rows('incr')).toEqual(rows('plain'));
  };
  const write = async (p: string, body: unknown) => {
    const res = await wooRequest(emu, { method: 'POST', path: p, body });
    expect(res.status).toBe(200);
    return res.body as Record<string, Array<{ id: number; error?: unknown }>>;
  };
  return { emu, dir, fetch, incremental, plain, rows, db, expectExact, write, config };
}

describe('incremental store index refresh (built CLI, WooCommerce emulator)', () => {
  it('lists only what changed (a stock edit, a variation edit, a new product) and ends with the index a full refresh gives (prices and visibility too)', async () => {
    const t = await setup();
    const first = await t.fetch(t.incremental);
    expect(first).toMatchObject({ index: 'full', indexReason: expect.stringMatching(/^first refresh with index\.incremental/) });

    const simple = t.emu.items().find((r) => r.type === 'simple' && r.manage_stock)!;
    const variable = t.emu.items().find((r) => r.type === 'variable')!;
    await t.write('products/batch', {
      update: [{ id: simple.id, manage_stock: true, stock_quantity: 77, regular_price: '8.50', catalog_visibility: 'hidden' }],
      create: [{ sku: 'NEW-1', name: 'New one', manage_stock: true, stock_quantity: 3, regular_price: '4.00' }],
    });
    await t.write(`products/${variable.id}/variations/batch`, { update: [{ id: variable.variations[0], manage_stock: true, stock_quantity: 55, regular_price: '6.25', status: 'private' }] });
    t.emu.requests.length = 0;

    const second = await t.fetch(t.incremental);
    expect(second).toMatchObject({ index: 'incremental', indexReason: expect.stringMatching(/^changes since /) });
    const listed = t.emu.requests.filter((r) => r.path.endsWith('/products') && r.method === 'GET');
    // The count probe, and one filtered page holding the two products written since.
    expect(listed.map((r) => r.query.modified_after === undefined ? 'probe' : 'delta')).toEqual(['probe', 'delta']);
    const rows = t.rows('incr');
    expect(rows.find((r) => r[2] === String(simple.id))?.[4]).toBe(77);
    expect(rows.find((r) => r[3] === String(variable.variations[0]))?.[4]).toBe(55);
    expect(rows.some((r) => r[1] === 'NEW-1')).toBe(true);
    const edited = rows.find((r) => r[2] === String(simple.id))!;
    expect([edited[7], JSON.parse(edited[8]!).hidden]).toEqual(['8.50', true]);
    const variation = rows.find((r) => r[3] === String(variable.variations[0]))!;
    expect([variation[7], JSON.parse(variation[8]!).hidden]).toEqual(['6.25', true]);
    await t.expectExact();
  });

  it('a deleted product is invisible to modified_after: the count check fails and the same fetch refreshes in full', async () => {
    const t = await setup();
    await t.fetch(t.incremental);
    const gone = t.emu.items().find((r) => r.type === 'simple')!;
    const deleted = await t.write('products/batch', { delete: [gone.id] });
    expect(deleted.delete?.[0]?.error).toBeUndefined();

    const next = await t.fetch(t.incremental);
    expect(next).toMatchObject({ index: 'full', indexReason: expect.stringMatching(/^count check failed: the merged index has \d+ product\(s\), the store reports \d+/) });
    expect(t.rows('incr').some((r) => r[2] === String(gone.id))).toBe(false);
    await t.expectExact();
    // Back in step: the next refresh is incremental again.
    expect((await t.fetch(t.incremental)).index).toBe('incremental');
  });

  it('an index whose last full refresh is older than fullEvery is refreshed in full', async () => {
    const t = await setup({ incremental: true, fullEvery: '2h' });
    await t.fetch(t.incremental);
    expect((await t.fetch(t.incremental)).index).toBe('incremental');
    const d = t.db('incr', false);
    d.prepare('UPDATE index_refresh SET full_at = ?').run(new Date(Date.now() - 2 * 3_600_000 - 1000).toISOString());
    d.close();
    const next = await t.fetch(t.incremental);
    expect(next).toMatchObject({ index: 'full', indexReason: expect.stringMatching(/is older than fullEvery \(2h\): full refresh$/) });
    expect((await t.fetch(t.incremental)).index).toBe('incremental');
  });

  it('a changed store config (another key or URL) makes the next refresh full', async () => {
    const t = await setup();
    await t.fetch(t.incremental);
    // Same shop, but the config now names it differently (a trailing path): invsync cannot tell it is the same shop.
    const emuUrl = t.emu.url;
    writeJson(t.incremental, {
      stateDir: 'incr', sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: `${emuUrl}/`, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', index: { incremental: true } },
    });
    expect(await t.fetch(t.incremental)).toMatchObject({ index: 'full', indexReason: expect.stringMatching(/config changed/) });
  });

  it('with several stores, each store says how its index was refreshed; a store without the option says nothing', async () => {
    const t = await setup();
    const other = await startWooEmulator({ products: mixedCatalog(10, 'O-').products });
    running.push(other);
    const store = (url: string) => ({ type: 'woocommerce', url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' });
    const file = writeJson(path.join(t.dir, 'multi.json'), {
      stateDir: 'multi', sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      stores: [{ name: 'plain', ...store(other.url) }, { name: 'big', ...store(t.emu.url), index: { incremental: true } }],
    });
    const names = (s: RunSummary) => Object.fromEntries((s.stores ?? []).map((x) => [x.name, x.index ?? null]));
    expect(names(await t.fetch(file))).toEqual({ plain: null, big: 'full' });
    const simple = t.emu.items().find((r) => r.type === 'simple' && r.manage_stock)!;
    await t.write('products/batch', { update: [{ id: simple.id, manage_stock: true, stock_quantity: 61 }] });
    expect(names(await t.fetch(file))).toEqual({ plain: null, big: 'incremental' });
    const d = t.db('multi');
    try {
      const slot = d.prepare("SELECT id FROM store_slots WHERE name = 'big'").pluck().get() as number;
      const table = slot === 1 ? 'store_items' : `store_items_${slot}`;
      expect(d.prepare(`SELECT qty FROM ${table} WHERE product_id = ?`).pluck().get(String(simple.id))).toBe(61);
      expect(d.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%delta%' OR name LIKE '%_new'").pluck().get()).toBe(0);
    } finally {
      d.close();
    }
  });

  it('a store without an incremental listing (Shift4Shop) is refreshed in full every time, saying why', async () => {
    const fake = await startShift4ShopFake({ products: [{ sku: 'A', stock: 1 }, { sku: 'B', stock: 2 }] });
    running.push(fake);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), [['A', 5]]);
    const file = writeJson(path.join(dir, 'c.json'), {
      stateDir: 'state', sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: {
        type: 'shift4shop', url: fake.apiUrl, secureUrl: fake.credentials.secureUrl, privateKey: fake.credentials.privateKey, token: fake.credentials.token,
        rateLimit: { perSecond: 1000 }, index: { incremental: true },
      },
    });
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['-c', file, 'fetch', '--json'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ index: 'full', indexReason: 'the shift4shop store has no incremental listing: full refresh', counts: { storeItems: 2 } });
    }
  });

  it('an index refreshed with the option off in between is refreshed in full when the option is back on', async () => {
    const t = await setup();
    await t.fetch(t.incremental);
    t.config('incr');
    expect((await t.fetch(t.incremental)).index).toBeUndefined();
    t.config('incr', { incremental: true });
    expect(await t.fetch(t.incremental)).toMatchObject({ index: 'full', indexReason: expect.stringMatching(/^the index was refreshed without index\.incremental/) });
    expect((await t.fetch(t.incremental)).index).toBe('incremental');
  });

  it('a bad fullEvery is a config error naming the key (exit 2)', async () => {
    const t = await setup({ incremental: true, fullEvery: 'daily' });
    const r = await runCli(['-c', t.incremental, 'fetch', '--json'], { env, cwd: t.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/store\.index\.fullEvery/);
  });
});
