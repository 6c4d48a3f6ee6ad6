/**
 * SPEC §9: many stores from one fetch, the built CLI against two WooCommerce emulators, as cron
 * runs it. Every guarantee of the one-store case holds per store.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { startMedusaFake } from '../fakes/medusa.js';
import { runCli, startCli, tempDir, waitCli, waitFor, writeJson } from '../helpers/cli.js';
import type { Explanation } from '../../src/pipeline/explain.js';
import type { RunSummary } from '../../src/domain/types.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;
const ENV = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

async function shop(n: number, stock: (i: number) => number): Promise<WooEmulator> {
  const emu = await startWooEmulator({ products: simpleProducts(n, { stock }) });
  closers.push(() => emu.close());
  return emu;
}

/** A CSV feed over HTTP that counts how often it is read (one fetch must read it once). */
async function feedServer(rows: () => Array<[string, number]>): Promise<{ url: string; reads: () => number }> {
  let reads = 0;
  const server = http.createServer((_req, res) => {
    reads++;
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.end(`sku,qty\n${rows().map(([s, q]) => `${s},${q}`).join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.csv`, reads: () => reads };
}

interface Setup {
  dir: string;
  config: string;
  raw: Record<string, unknown>;
  run: (args: string[]) => ReturnType<typeof runCli>;
}

function setup(raw: Record<string, unknown>): Setup {
  const dir = tempDir();
  const full = { stateDir: 'state', ...raw };
  const config = writeJson(path.join(dir, 'invsync.config.json'), full);
  return { dir, config, raw: full, run: (args) => runCli(['-c', config, ...args], { env: ENV }) };
}

function woo(name: string, emu: WooEmulator, extra: Record<string, unknown> = {}) {
  return { name, type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...extra };
}

const json = (stdout: string) => JSON.parse(stdout) as RunSummary;

/** Two shops of 20 items; feed A lists all 20 (qty 10 + i), feed B the first 10 (qty 3). */
async function twoShops(options: { webExtra?: Record<string, unknown>; amazonExtra?: Record<string, unknown>; top?: Record<string, unknown> } = {}) {
  const web = await shop(20, () => 1);
  const amazon = await shop(20, () => 1);
  const a = await feedServer(() => Array.from({ length: 20 }, (_, k) => [sku(k + 1), 10 + k + 1]));
  const b = await feedServer(() => Array.from({ length: 10 }, (_, k) => [sku(k + 1), 3]));
  const t = setup({
    sources: [{ name: 'a', type: 'csv', url: a.url }, { name: 'b', type: 'csv', url: b.url }],
    stores: [
      woo('web', web, options.webExtra),
      woo('amazon', amazon, { sources: ['a'], rules: { share: 0.5, buffer: 2 }, ...options.amazonExtra }),
    ],
    ...options.top,
  });
  return { web, amazon, a, b, ...t };
}

/** web: a + b summed (sum is the default aggregate); amazon: ⌊a × 0.5⌋ − 2. */
const webTarget = (i: number) => 10 + i + (i <= 10 ? 3 : 0);
const amazonTarget = (i: number) => Math.max(0, Math.floor((10 + i) * 0.5) - 2);

function expectSynced(emu: WooEmulator, target: (i: number) => number, n = 20): void {
  const stock = emu.stockBySku();
  for (let i = 1; i <= n; i++) expect([sku(i), stock.get(sku(i))]).toEqual([sku(i), target(i)]);
}

describe('many stores from one fetch (SPEC §9)', () => {
  it('one fetch reads each source once; each store gets its own sources, share and buffer, exactly, in minimal writes; a second run writes nothing', async () => {
    const t = await twoShops();
    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    expect([t.a.reads(), t.b.reads()]).toEqual([1, 1]);
    expectSynced(t.web, webTarget);
    expectSynced(t.amazon, amazonTarget);
    // 20 changes per shop fit one batch of 100: one write request each.
    expect([t.web.writeRequests(), t.amazon.writeRequests()]).toEqual([1, 1]);

    const s = json(first.stdout);
    expect(s).toMatchObject({ command: 'full', status: 'ok', exitCode: 0 });
    expect(s.stores!.map((x) => [x.name, x.status, x.exitCode, x.counts.applied, x.counts.storeItems])).toEqual([
      ['web', 'ok', 0, 20, 20], ['amazon', 'ok', 0, 20, 20],
    ]);
    expect(s.counts).toMatchObject({ sourceItems: 30, storeItems: 40, changed: 40, applied: 40, failed: 0 });
    expect(s.changes).toHaveLength(40);
    expect(s.changes.find((c) => c.store === 'amazon' && c.sku === sku(1))).toMatchObject({ from: 1, to: amazonTarget(1), status: 'applied' });
    expect(s.changes.find((c) => c.store === 'web' && c.sku === sku(1))).toMatchObject({ from: 1, to: webTarget(1), status: 'applied' });
    expect(s.changes.every((c) => c.store === 'web' || c.store === 'amazon')).toBe(true);

    const again = await t.run(['full', '--json']);
    expect(again.code).toBe(0);
    expect([t.web.writeRequests(), t.amazon.writeRequests()]).toEqual([1, 1]);
    expect(json(again.stdout).stores!.map((x) => x.counts.changed)).toEqual([0, 0]);

    // explain answers per store, with that store's sources and rules: the targets match planned.
    const explain = async (args: string[]) => JSON.parse((await t.run(['explain', sku(4), '--json', ...args])).stdout) as Explanation;
    const forWeb = await explain([]);
    expect([forWeb.target, forWeb.sources.map((r) => r.source), forWeb.storeItems.map((i) => i.store)]).toEqual([webTarget(4), ['a', 'b'], ['web']]);
    const forAmazon = await explain(['--store', 'amazon']);
    expect([forAmazon.target, forAmazon.sources.map((r) => r.source), forAmazon.storeItems.map((i) => i.store)]).toEqual([amazonTarget(4), ['a'], ['amazon']]);
    expect(forAmazon.rules.map((r) => r.rule)).toEqual(['aggregate', 'share', 'buffer', 'maxQty']);
    // After a fetch narrowed to amazon, match refuses web until the next full fetch: so does explain.
    expect((await t.run(['fetch', '--store', 'amazon'])).code).toBe(0);
    const stale = await explain([]);
    expect([stale.target, stale.notWritten]).toEqual([null, expect.stringMatching(/^match refuses this store until the next fetch: the snapshot .* do not come from the same fetch .*a later `fetch --store` left this store out/)]);
    expect((await explain(['--store', 'amazon'])).target).toBe(amazonTarget(4));
    const unknown = await t.run(['explain', sku(4), '--store', 'ebay']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no store named .{0,2}"ebay/);
  });

  it('a store with wrong credentials next to a good one: the good one syncs, the run exits 5 and says which store failed', async () => {
    const t = await twoShops({ amazonExtra: { consumerSecret: 'cs_wrong_secret_4242424242424242' } });
    const r = await t.run(['full', '--json']);
    expect(r.code).toBe(5);
    expectSynced(t.web, webTarget);
    expect(t.amazon.writeRequests()).toBe(0);
    const s = json(r.stdout);
    expect(s).toMatchObject({ status: 'failed', exitCode: 5 });
    expect(s.stores!.map((x) => [x.name, x.status, x.exitCode])).toEqual([['web', 'ok', 0], ['amazon', 'failed', 5]]);
    expect(s.stores![1]!.message).toMatch(/401|auth/i);
    expect(s.message).toMatch(/^store "amazon": exit 5/);
  });

  it('a store whose gate trips stops alone (exit 4); the other store is synced', async () => {
    // amazon now allows no missing SKU at all, while 5 of its items are in no feed.
    const web = await shop(20, () => 1);
    const amazon = await shop(25, () => 1);
    const a = await feedServer(() => Array.from({ length: 20 }, (_, k) => [sku(k + 1), 10 + k + 1]));
    const t = setup({
      sources: [{ name: 'a', type: 'csv', url: a.url }],
      stores: [woo('web', web), woo('amazon', amazon, { safety: { maxMissingRatio: 0 } })],
    });
    const r = await t.run(['full', '--json']);
    expect(r.code).toBe(4);
    expectSynced(web, (i) => 10 + i);
    expect(amazon.writeRequests()).toBe(0);
    const s = json(r.stdout);
    expect(s.stores!.map((x) => [x.name, x.exitCode, x.safety.tripped])).toEqual([['web', 0, null], ['amazon', 4, 'maxMissingRatio']]);
    expect(s.safety.tripped).toBe('maxMissingRatio');
  });

  it('--store narrows every command to the named stores; an unknown name exits 2 naming it and records nothing', async () => {
    const t = await twoShops();
    const unknown = await t.run(['full', '--store', 'ebay', '--json']);
    expect(unknown.code).toBe(2);
    expect(json(unknown.stdout).message).toBe('--store: no store named "ebay" (configured: web, amazon)');
    expect(fs.existsSync(path.join(t.dir, 'state', 'invsync.db'))).toBe(false);

    const onlyAmazon = await t.run(['full', '--store', 'amazon', '--json']);
    expect(onlyAmazon.code).toBe(0);
    // Only the sources feeding amazon were read.
    expect([t.a.reads(), t.b.reads()]).toEqual([1, 0]);
    expectSynced(t.amazon, amazonTarget);
    expect(t.web.writeRequests()).toBe(0);
    expect(json(onlyAmazon.stdout).stores!.map((x) => x.name)).toEqual(['amazon']);

    // web's index was never fetched: its match refuses, amazon's is untouched by that.
    const matchWeb = await t.run(['match', '--store', 'web', '--json']);
    expect(matchWeb.code).toBe(4);
    expect(json(matchWeb.stdout).stores![0]!.message).toMatch(/store index of store "web" is empty: run `invsync fetch` first/);

    const runs = await t.run(['runs', '--store', 'web', '--json']);
    expect((JSON.parse(runs.stdout) as Array<{ command: string }>).map((r) => r.command)).toEqual(['match']);
    const runsAmazon = await t.run(['runs', '--store', 'amazon', '--json']);
    expect((JSON.parse(runsAmazon.stdout) as Array<{ command: string }>).map((r) => r.command)).toEqual(['full']);
  });

  it('full --dry-run writes nothing to either store and records each store\'s plan; push then applies exactly those plans', async () => {
    const t = await twoShops();
    const dry = await t.run(['full', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect([t.web.writeRequests(), t.amazon.writeRequests()]).toEqual([0, 0]);
    const s = json(dry.stdout);
    expect(s.stores!.map((x) => [x.name, x.counts.changed, x.counts.applied])).toEqual([['web', 20, 0], ['amazon', 20, 0]]);
    expect(s.changes.every((c) => c.status === 'planned')).toBe(true);

    const push = await t.run(['push', '--json']);
    expect(push.code).toBe(0);
    expectSynced(t.web, webTarget);
    expectSynced(t.amazon, amazonTarget);
    expect(json(push.stdout).stores!.map((x) => [x.name, x.planId, x.counts.applied])).toEqual([
      ['web', s.stores![0]!.planId, 20], ['amazon', s.stores![1]!.planId, 20],
    ]);
  });

  it('killed (kill -9) half-way through the pushes: push finishes every store\'s plan, no item applied twice, none lost', async () => {
    // 150 items per shop: two batches each; the kill comes after the 3rd batch was journaled as sent.
    const web = await shop(150, () => 1);
    const amazon = await shop(150, () => 1);
    const a = await feedServer(() => Array.from({ length: 150 }, (_, k) => [sku(k + 1), 7]));
    const t = setup({
      sources: [{ name: 'a', type: 'csv', url: a.url }],
      stores: [woo('web', web), woo('amazon', amazon, { rules: { share: 0.5 } })],
      storeConcurrency: 1,
    });
    const killed = await runCli(['-c', t.config, 'full'], { env: { ...ENV, INVSYNC_FAULT_KILL_AT: 'push:batch-sent:3' } });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await t.run(['push', '--json']);
    expect(resumed.code).toBe(0);
    expectSynced(web, () => 7, 150);
    expectSynced(amazon, () => 3, 150);
    // Each item written at most twice (the batch in flight at the kill is re-sent once), every batch of 100 at most.
    const items = (emu: WooEmulator) => emu.requests.filter((r) => r.items !== undefined).reduce((n, r) => n + r.items!, 0);
    expect(items(web) + items(amazon)).toBeLessThanOrEqual(300 + 100);
    const s = json(resumed.stdout);
    expect(s.counts.pending).toBe(0);
    const again = await t.run(['push', '--json']);
    expect(json(again.stdout).counts.applied).toBe(0);
  });

  it('a second run started meanwhile exits 3 at once (one lock for every store of the state dir)', async () => {
    const t = await twoShops();
    t.web.faults.latencyMs = 1500;
    const first = startCli(['-c', t.config, 'full'], { env: ENV });
    await waitFor(() => t.web.requests.length > 0);
    const second = await t.run(['full', '--store', 'amazon']);
    expect(second.code).toBe(3);
    expect((await waitCli(first)).code).toBe(0);
    expectSynced(t.amazon, amazonTarget);
  });

  it('rollback --store puts back one store\'s levels and leaves the other store as it is', async () => {
    const t = await twoShops();
    expect((await t.run(['full'])).code).toBe(0);
    const rb = await t.run(['rollback', 'last', '--store', 'amazon', '--json']);
    expect(rb.code).toBe(0);
    expectSynced(t.amazon, () => 1);
    expectSynced(t.web, webTarget);
    expect(json(rb.stdout).stores!.map((x) => [x.name, x.counts.applied])).toEqual([['amazon', 20]]);
    // Rolling that back for every store changes amazon only: the run is amazon's, not web's.
    const undo = await t.run(['rollback', json(rb.stdout).runId, '--json']);
    expect(undo.code).toBe(0);
    expectSynced(t.amazon, amazonTarget);
    const runsOf = async (store: string) => (JSON.parse((await t.run(['runs', '--store', store, '--json'])).stdout) as Array<{ command: string }>).map((r) => r.command);
    expect([await runsOf('web'), await runsOf('amazon')]).toEqual([['full'], ['rollback', 'rollback', 'full']]);
  });

  it('status shows each store: its index and its pending plan', async () => {
    const t = await twoShops();
    const dry = await t.run(['full', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const [webPlan, amazonPlan] = json(dry.stdout).stores!.map((s) => s.planId);
    const status = await t.run(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('\nstores\n  web     woocommerce  20 item(s), refreshed ');
    expect(status.stdout).toMatch(new RegExp(`\\n {2}web +woocommerce +20 item\\(s\\), refreshed .*; sources a, b\\n {4}pending plan ${webPlan} .*: 20 to send, 0 applied, 0 failed`));
    expect(status.stdout).toMatch(new RegExp(`\\n {2}amazon +woocommerce +20 item\\(s\\), refreshed .*; sources a\\n {4}pending plan ${amazonPlan} .*: 20 to send, 0 applied, 0 failed`));
    const one = await t.run(['status', '--store', 'amazon', '--json']);
    const parsed = JSON.parse(one.stdout) as { stores: Array<{ name: string; pendingPlan: { id: number } | null }> };
    expect(parsed.stores.map((s) => [s.name, s.pendingPlan?.id])).toEqual([['amazon', amazonPlan]]);
  });

  it('single-store state migrates forward: its index and pending plan belong to the store named "store"', async () => {
    const web = await shop(5, () => 1);
    const t = setup({
      sources: [{ name: 'a', type: 'csv', path: 'feed.csv' }],
      store: { type: 'woocommerce', url: web.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    });
    fs.writeFileSync(path.join(t.dir, 'feed.csv'), `sku,qty\n${Array.from({ length: 5 }, (_, k) => `${sku(k + 1)},4`).join('\n')}\n`);
    expect((await t.run(['match'])).code).toBe(4); // nothing fetched yet
    expect((await t.run(['fetch'])).code).toBe(0);
    expect((await t.run(['match'])).code).toBe(0);
    // Back to schema 9, as an invsync before SPEC §9 left it (index_meta id 1, plans without a store).
    const dbFile = path.join(t.dir, 'state', 'invsync.db');
    const db = new Database(dbFile);
    // Migrations undone newest first: 13 (open orders per store: back to migration 9's tables), 12 (rules.status), 11 (prices), then 10.
    db.exec('DROP TABLE open_orders_staged; DROP TABLE open_orders; DROP TABLE open_orders_meta;');
    db.exec(MIGRATIONS.find((m): m is string => typeof m === 'string' && m.includes('CREATE TABLE open_orders_staged'))!);
    db.exec(`DROP TABLE status_hidden; ALTER TABLE plan_items DROP COLUMN status_action; ALTER TABLE store_items DROP COLUMN visibility;`);
    db.exec('ALTER TABLE store_items DROP COLUMN price; ALTER TABLE plan_items DROP COLUMN price_from; ALTER TABLE plan_items DROP COLUMN price_to;');
    db.exec(`DROP TABLE run_stores; DROP TABLE store_slots; DROP INDEX plans_store_status; ALTER TABLE plans DROP COLUMN store;`);
    db.pragma('user_version = 9');
    db.close();
    const push = await t.run(['push', '--json']);
    expect(push.code).toBe(0);
    expect(json(push.stdout).counts.applied).toBe(5);
    expectSynced(web, () => 4, 5);
    expect(json(push.stdout).stores).toBeUndefined();
  });

  it('stores are pushed concurrently, storeConcurrency at a time', async () => {
    const firstWrite = (emu: WooEmulator) => emu.requests.find((r) => r.method === 'POST' && r.path.endsWith('/batch'))!.at;
    for (const storeConcurrency of [4, 1]) {
      const t = await twoShops({ top: { storeConcurrency } });
      expect((await t.run(['fetch'])).code).toBe(0);
      expect((await t.run(['match'])).code).toBe(0);
      // Every request now takes 1.5 s: one store's push (write + read-back) takes at least 3 s.
      t.web.faults.latencyMs = 1500;
      t.amazon.faults.latencyMs = 1500;
      const push = await t.run(['push']);
      expect(push.code).toBe(0);
      const gap = Math.abs(firstWrite(t.web) - firstWrite(t.amazon));
      if (storeConcurrency === 4) expect(gap).toBeLessThan(1500);
      else expect(gap).toBeGreaterThanOrEqual(3000);
    }
  });

  it('two entries on one shop with different locationIds: supplier a feeds warehouse X, supplier b warehouse Y, each level exact', async () => {
    const skus = ['MUG', 'CAP', 'PEN'];
    const medusa = await startMedusaFake({ products: skus.map((s) => ({ title: s, variants: [{ sku: s, stock: 1 }] })) });
    closers.push(() => medusa.close());
    for (const s of skus) medusa.addLevel(s, 1, medusa.otherLocationId);
    const a = await feedServer(() => [['MUG', 10], ['CAP', 11], ['PEN', 12]]);
    const b = await feedServer(() => [['MUG', 20], ['CAP', 21], ['PEN', 22]]);
    const entry = (name: string, locationId: string, sources: string[]) => ({
      name, type: 'medusa', url: medusa.url, email: medusa.email, password: medusa.password, locationId, sources,
    });
    const t = setup({
      sources: [{ name: 'a', type: 'csv', url: a.url }, { name: 'b', type: 'csv', url: b.url }],
      stores: [entry('x', medusa.locationId, ['a']), entry('y', medusa.otherLocationId, ['b'])],
    });
    const r = await t.run(['full', '--json']);
    expect(r.code).toBe(0);
    expect(skus.map((s) => [s, medusa.stockOf(s, medusa.locationId), medusa.stockOf(s, medusa.otherLocationId)])).toEqual([
      ['MUG', 10, 20], ['CAP', 11, 21], ['PEN', 12, 22],
    ]);
    expect([a.reads(), b.reads()]).toEqual([1, 1]);
    expect(json(r.stdout).stores!.map((x) => [x.name, x.counts.storeItems, x.counts.applied])).toEqual([['x', 3, 3], ['y', 3, 3]]);
    // Each entry's index holds its own location's level: a second run writes nothing at either.
    const again = await t.run(['full', '--json']);
    expect(again.code).toBe(0);
    expect(json(again.stdout).stores!.map((x) => [x.name, x.counts.changed])).toEqual([['x', 0], ['y', 0]]);
  });
});
