/**
 * SPEC §12 with §8 "Fetch is one unit": the open orders a fetch reads commit with its store index
 * or not at all. In process, the real CSV source and WooCommerce adapter against the emulator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Config } from '../../src/config/schema.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { configureLogging } from '../../src/lib/log.js';
import { fetchAll } from '../../src/pipeline/fetch.js';
import { createSources, loadSourceAdapters } from '../../src/sources/registry.js';
import { openDb, type Db } from '../../src/state/db.js';
import { getOpenOrdersMeta, openUnitsBySku } from '../../src/state/open-orders.js';
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
});
