/**
 * SPEC §12 with §8 "Fetch is one unit": the open orders a fetch reads commit with its store index
 * or not at all. In process, the real CSV source and WooCommerce adapter against the emulator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Config } from '../../src/config/schema.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { configureLogging } from '../../src/lib/log.js';
import { fetchAll } from '../../src/pipeline/fetch.js';
import { createSources, loadSourceAdapters } from '../../src/sources/registry.js';
import { openDb, type Db } from '../../src/state/db.js';
import { getOpenOrdersMeta, openUnitsBySku } from '../../src/state/open-orders.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { getIndexMeta } from '../../src/state/store-index.js';
import { createStore, loadStoreAdapters } from '../../src/stores/registry.js';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';

beforeAll(async () => {
  await loadSourceAdapters(['csv']);
  await loadStoreAdapters(['woocommerce']);
});

process.env.INVSYNC_RETRY_BASE_MS = '20';
configureLogging({ level: 'warn', stderrLevel: 'silent' });

let emu: WooEmulator;
let dir: string;
let db: Db | undefined;

beforeEach(async () => {
  emu = await startWooEmulator({ products: simpleProducts(3, { stock: () => 5 }) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-open-orders-'));
});
afterEach(async () => {
  db?.close();
  db = undefined;
  await emu.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const feedFile = path.join(dir, 'supplier.csv');
  fs.writeFileSync(feedFile, 'sku,qty\nSKU-0001,5\nSKU-0002,5\nSKU-0003,5\n');
  const config = Config.parse({
    stateDir: path.join(dir, 'state'),
    sources: [{ name: 'feed', type: 'csv', path: feedFile }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret },
  });
  db = openDb(config.stateDir);
  const theDb = db;
  const fetch = (openOrdersSince?: string) => fetchAll({
    stateDir: config.stateDir, db: theDb, sources: createSources(config.sources, { stateDir: config.stateDir }), store: createStore(config.store!),
    ...(openOrdersSince ? { openOrdersSince } : {}),
  });
  return { db: theDb, fetch };
}

const since = () => new Date(Date.now() - 3_600_000).toISOString();

describe('open orders commit with the store index (SPEC §12, §8)', () => {
  it('a fetch that reads them stores them per SKU under its own fetch id', async () => {
    const { db, fetch } = setup();
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }, { product_id: 2, quantity: 1 }] });
    emu.placeOrder({ status: 'on-hold', line_items: [{ product_id: 1, quantity: 1 }] });
    const out = await fetch(since());
    expect(getOpenOrdersMeta(db)).toMatchObject({ fetchId: out.fetchId, lines: 3, units: 4 });
    expect(getIndexMeta(db)?.fetchId).toBe(out.fetchId);
    expect(openUnitsBySku(db, false)).toEqual(new Map([['sku-0001', 3], ['sku-0002', 1]]));
  });

  it('a line counts under its item\'s SKU in the index, even when the order line carries an old SKU', async () => {
    const { db, fetch } = setup();
    emu.placeOrder({ line_items: [{ product_id: 3, quantity: 2 }] });
    // Renamed after the order was placed: the line keeps "SKU-0003".
    const { wooRequest } = await import('../fakes/woocommerce.js');
    expect((await wooRequest(emu, { method: 'PUT', path: 'products/3', body: { sku: 'NEW-3' } })).status).toBe(200);
    await fetch(since());
    expect(openUnitsBySku(db, false)).toEqual(new Map([['new-3', 2]]));
  });

  it('a failure to read them fails the fetch (exit 5): the previous index and open orders stay as they were', async () => {
    const { db, fetch } = setup();
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }] });
    const first = await fetch(since());
    emu.placeOrder({ line_items: [{ product_id: 2, quantity: 4 }] });
    emu.faults.failOrders = true;
    const err = await fetch(since()).catch((e: unknown) => e);
    expect(exitCodeFor(err)).toBe(5);
    expect(getIndexMeta(db)?.fetchId).toBe(first.fetchId);
    expect(getOpenOrdersMeta(db)).toMatchObject({ fetchId: first.fetchId, units: 2 });
    expect(openUnitsBySku(db, false)).toEqual(new Map([['sku-0001', 2]]));
  });

  it('a fetch that reads none drops the previous ones, so match can never use orders from another fetch', async () => {
    const { db, fetch } = setup();
    emu.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }] });
    await fetch(since());
    await fetch();
    expect(getOpenOrdersMeta(db)).toBeUndefined();
    expect(openUnitsBySku(db, false).size).toBe(0);
  });

  it('open orders kept before they were per store (migration 13) become those of the store named "store"', () => {
    const before = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('open_orders_meta_v13'));
    expect(before).toBeGreaterThan(8);
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const old = new Database(path.join(stateDir, 'invsync.db'));
    for (const m of MIGRATIONS.slice(0, before)) {
      if (typeof m === 'string') old.exec(m);
      else m(old);
    }
    old.pragma(`user_version = ${before}`);
    old.prepare("INSERT INTO open_orders (product_id, variation_id, sku, qty, lines, orders) VALUES ('1', NULL, 'MUG', 2, 1, 1)").run();
    old.prepare("INSERT INTO open_orders_meta (id, fetch_id, since, lines, units) VALUES (1, 'f1', '2026-12-01T00:00:00.000Z', 1, 2)").run();
    old.close();
    db = openDb(stateDir);
    expect(getOpenOrdersMeta(db)).toEqual({ fetchId: 'f1', since: '2026-12-01T00:00:00.000Z', lines: 1, units: 2 });
    expect(getOpenOrdersMeta(db, 'web')).toBeUndefined();
    expect(openUnitsBySku(db, false)).toEqual(new Map([['mug', 2]]));
    expect(openUnitsBySku(db, false, 'web').size).toBe(0);
  });
});
