/**
 * Saved plans, read-back verification, canaries and rollback, end to end against the built CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, wooRequest, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;

async function setup(count: number, target: (i: number) => number, stock: (i: number) => number = () => 1) {
  const emu = await startWooEmulator({ products: simpleProducts(count, { stock }) });
  running.push(emu);
  const dir = tempDir();
  writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: count }, (_, k) => [sku(k + 1), target(k + 1)]));
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
  });
  const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
  const run = (args: string[]) => runCli(['-c', config, ...args], { env, cwd: dir });
  return { emu, dir, config, run };
}

const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;

/** A sale (or a person in wp-admin) sets a product's stock through the store's own API: invsync is not told. */
async function storeSets(emu: WooEmulator, productId: number, qty: number): Promise<void> {
  const res = await wooRequest(emu, { method: 'PUT', path: `products/${productId}`, body: { stock_quantity: qty } });
  expect(res.status).toBe(200);
}

/** Run SQL against the state database while no invsync runs. */
function withDb<T>(dir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'state', 'invsync.db'));
  try { return fn(db); } finally { db.close(); }
}

interface StatusDoc { pendingPlan: { id: number; status: string } | null }

describe('saved plans', () => {
  it('push plan.json applies exactly the saved plan', async () => {
    const { emu, dir, run } = await setup(30, (i) => i + 10);
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match', '--out', 'plan.json'])).code).toBe(0);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'plan.json'), 'utf8'));
    expect(saved.changes).toHaveLength(30);
    expect(saved.builtFrom).toEqual(expect.objectContaining({ indexGeneration: 1, configChecksum: expect.any(String), snapshotChecksum: expect.any(String) }));
    const pushed = await run(['push', 'plan.json', '--json']);
    expect(pushed.code).toBe(0);
    expect(summary(pushed.stdout).counts).toMatchObject({ applied: 30, failed: 0 });
    expect(emu.stockBySku().get(sku(7))).toBe(17);
  });

  it('refuses a plan file whose store index was refreshed since, exit 4 saying why', async () => {
    const { emu, run } = await setup(10, (i) => i + 10);
    await run(['fetch']);
    await run(['match', '--out', 'plan.json']);
    await run(['fetch']);
    const stale = await run(['push', 'plan.json']);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/stale: the store index was refreshed after it was built/);
    expect(emu.writeRequests()).toBe(0);
  });

  it('refuses an edited plan file, exit 4', async () => {
    const { emu, dir, run } = await setup(10, (i) => i + 10);
    await run(['fetch']);
    await run(['match', '--out', 'plan.json']);
    const file = path.join(dir, 'plan.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    doc.changes[0].to = 999;
    fs.writeFileSync(file, JSON.stringify(doc));
    const edited = await run(['push', 'plan.json']);
    expect(edited.code).toBe(4);
    expect(edited.stderr).toMatch(/does not match plan \d+ in the database/);
    expect(emu.writeRequests()).toBe(0);
  });

  it('refuses a plan older than safety.maxPlanAgeMs (default 6 h), exit 4 naming the age and the limit; --force pushes it', async () => {
    const { emu, dir, run } = await setup(10, (i) => i + 10);
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    const sevenHoursAgo = new Date(Date.now() - 7 * 3_600_000 - 60_000).toISOString();
    withDb(dir, (db) => db.prepare('UPDATE plans SET created_at = ?').run(sevenHoursAgo));
    const stale = await run(['push']);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/plan 1 is stale: built 7h 1m ago .*older than safety\.maxPlanAgeMs 21600000 \(6h\).*invsync push --force/);
    expect(emu.writeRequests()).toBe(0);
    const forced = await run(['push', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/OVERRIDDEN by --force/);
    expect(summary(forced.stdout).counts).toMatchObject({ applied: 10, failed: 0 });
    expect(emu.stockBySku().get(sku(3))).toBe(13);
  });

  it('a plan within a configured safety.maxPlanAgeMs is pushed', async () => {
    const { emu, dir, config, run } = await setup(4, (i) => i + 10);
    writeJson(config, { ...JSON.parse(fs.readFileSync(config, 'utf8')), safety: { maxPlanAgeMs: 86_400_000 } });
    await run(['fetch']);
    await run(['match']);
    withDb(dir, (db) => db.prepare('UPDATE plans SET created_at = ?').run(new Date(Date.now() - 7 * 3_600_000).toISOString()));
    expect((await run(['push'])).code).toBe(0);
    expect(emu.stockBySku().get(sku(4))).toBe(14);
  });

  it('refuses a plan file after the config changed, exit 4', async () => {
    const { config, run } = await setup(10, (i) => i + 10);
    await run(['fetch']);
    await run(['match', '--out', 'plan.json']);
    const raw = JSON.parse(fs.readFileSync(config, 'utf8'));
    writeJson(config, { ...raw, rules: { buffer: 1 } });
    const stale = await run(['push', 'plan.json']);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/configuration changed/);
  });

  it('a dry run and the real run report the same changes', async () => {
    const { run } = await setup(25, (i) => (i * 3) % 11);
    const dry = summary((await run(['full', '--dry-run', '--json'])).stdout);
    const real = summary((await run(['push', '--json'])).stdout);
    expect(real.changes.map((c) => [c.sku, c.from, c.to])).toEqual(dry.changes.map((c) => [c.sku, c.from, c.to]));
    expect(real.changes.every((c) => c.status === 'applied')).toBe(true);
  });
});

describe('read-back verification', () => {
  it('reports a write the store accepted but did not keep as failed, with the reason seen (exit 1)', async () => {
    const { emu, run } = await setup(20, () => 8);
    emu.faults.revertStockSkus = [sku(3), sku(12)];
    const result = await run(['full', '--json']);
    expect(result.code).toBe(1);
    const s = summary(result.stdout);
    const failed = s.changes.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.sku)).toEqual([sku(3), sku(12)]);
    expect(failed[0]!.error).toMatch(/read-back: the store reports 1, expected 8/);
    expect(s.counts).toMatchObject({ applied: 18, failed: 2 });
  });

  it('--no-verify skips the read-back requests', async () => {
    const { emu, run } = await setup(20, () => 8);
    await run(['fetch']);
    await run(['match']);
    const before = emu.requests.length;
    expect((await run(['push', '--no-verify'])).code).toBe(0);
    expect(emu.requests.length - before).toBe(1);
  });

  it('verifies in the fewest requests: one GET per 100 items', async () => {
    const { emu, run } = await setup(250, () => 8);
    await run(['fetch']);
    await run(['match']);
    const before = emu.requests.length;
    expect((await run(['push'])).code).toBe(0);
    const reads = emu.requests.slice(before).filter((r) => r.method === 'GET');
    expect(reads).toHaveLength(3);
  });
});

describe('canary', () => {
  it('stops after the canary when one of its changes did not land: exit 4, the rest pending and untouched', async () => {
    const { emu, run } = await setup(50, () => 9);
    emu.faults.revertStockSkus = [sku(2)];
    const result = await run(['full', '--canary', '5', '--json']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/canary failed: 1 of 5/);
    const s = summary(result.stdout);
    expect(s.counts).toMatchObject({ applied: 4, failed: 1, pending: 45 });
    expect(emu.writeRequests()).toBe(1);
    expect(emu.stockBySku().get(sku(10))).toBe(1);
  });

  it('continues with the rest when every canary change landed', async () => {
    const { emu, run } = await setup(50, () => 9);
    const result = await run(['full', '--canary', '5', '--json']);
    expect(result.code).toBe(0);
    expect(summary(result.stdout).counts).toMatchObject({ applied: 50, pending: 0 });
    expect(emu.writeRequests()).toBe(2);
  });
});

describe('rollback', () => {
  it('puts back the levels a run replaced (run id or a unique prefix), --dry-run writing nothing', async () => {
    const { emu, run } = await setup(20, (i) => 100 + i, (i) => i);
    const full = summary((await run(['full', '--json'])).stdout);
    expect(emu.stockBySku().get(sku(5))).toBe(105);

    const dry = await run(['rollback', full.runId, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(summary(dry.stdout).changes).toHaveLength(20);
    expect(emu.stockBySku().get(sku(5))).toBe(105);

    await run(['fetch']);
    const rb = await run(['rollback', full.runId.slice(0, 23), '--json']);
    expect(rb.code).toBe(0);
    const s = summary(rb.stdout);
    expect(s.command).toBe('rollback');
    expect(s.counts.applied).toBe(20);
    const stock = emu.stockBySku();
    for (let i = 1; i <= 20; i++) expect([sku(i), stock.get(sku(i))]).toEqual([sku(i), i]);
  });

  it('never puts back a level a sale changed after the run, with no fetch in between (reads the store, not the index)', async () => {
    const { emu, dir, run } = await setup(3, () => 5, () => 10);
    const full = await run(['full', '--json']);
    expect(full.code).toBe(0);
    expect(summary(full.stdout).counts.applied).toBe(3);
    await storeSets(emu, 1, 4); // a customer buys one SKU-0001: 5 → 4
    const writes = emu.writeRequests();
    const before = emu.requests.length;

    const rb = await run(['rollback', 'last', '--json']);
    expect(rb.code).toBe(0);
    const s = summary(rb.stdout);
    expect(s.counts).toMatchObject({ applied: 2, failed: 0 });
    expect(s.errors).toEqual([expect.objectContaining({ sku: sku(1), message: expect.stringMatching(/changed since that run \(the run set 5, the store now has 4\)/) })]);
    const stock = emu.stockBySku();
    expect([stock.get(sku(1)), stock.get(sku(2)), stock.get(sku(3))]).toEqual([4, 10, 10]);
    expect(emu.writeRequests() - writes).toBe(1);
    // One GET reads the 3 current levels before deciding, one reads the 2 restored ones back.
    expect(emu.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /wp-json/wc/v3/products', 'POST /wp-json/wc/v3/products/batch', 'GET /wp-json/wc/v3/products',
    ]);
    // The index learned what the store said.
    expect(withDb(dir, (db) => db.prepare("SELECT qty FROM store_items WHERE sku = 'SKU-0001'").get())).toEqual({ qty: 4 });
  });

  it('--dry-run leaves nothing pushable: status shows no plan pending and push writes nothing', async () => {
    const { emu, run } = await setup(5, () => 5, () => 10);
    expect((await run(['full'])).code).toBe(0);
    const writes = emu.writeRequests();
    const dry = await run(['rollback', 'last', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(summary(dry.stdout).changes).toHaveLength(5);
    const status = JSON.parse((await run(['status', '--json'])).stdout) as StatusDoc;
    expect(status.pendingPlan).toBeNull();
    const push = await run(['push', '--json']);
    expect(push.code).toBe(0);
    expect(summary(push.stdout).message).toMatch(/no pending plan/);
    expect(emu.writeRequests()).toBe(writes);
    expect([...emu.stockBySku().values()]).toEqual([5, 5, 5, 5, 5]);
  });

  it('a partly applied plan survives rollback --dry-run and stays pushable', async () => {
    const { emu, run } = await setup(6, () => 5, () => 10);
    emu.faults.rejectSkus = [sku(4)];
    const partial = await run(['full', '--json']);
    expect(partial.code).toBe(1);
    const planId = summary(partial.stdout).planId;
    expect((await run(['rollback', 'last', '--dry-run'])).code).toBe(0);
    const status = JSON.parse((await run(['status', '--json'])).stdout) as StatusDoc;
    expect(status.pendingPlan).toMatchObject({ id: planId, status: 'partial' });
    emu.faults.rejectSkus = [];
    const resumed = await run(['push', '--json']);
    expect(resumed.code).toBe(0);
    expect(summary(resumed.stdout)).toMatchObject({ planId, counts: { applied: 6, failed: 0 } });
    expect([...emu.stockBySku().values()]).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('full --dry-run after a partly applied push: its fetch made that plan stale, so push applies exactly what the dry run showed', async () => {
    const { emu, run } = await setup(6, () => 5, () => 10);
    emu.faults.rejectSkus = [sku(4)];
    expect((await run(['full'])).code).toBe(1);
    emu.faults.rejectSkus = [];
    const dry = await run(['full', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const d = summary(dry.stdout);
    expect(d.changes.map((c) => [c.sku, c.from, c.to])).toEqual([[sku(4), 10, 5]]);
    const again = await run(['full', '--dry-run', '--json']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    const pushed = await run(['push', '--json']);
    expect(pushed.code).toBe(0);
    expect(summary(pushed.stdout)).toMatchObject({ planId: summary(again.stdout).planId, counts: { applied: 1 } });
    expect([...emu.stockBySku().values()]).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('rollback last is the newest run that applied a change, not a later dry run or match', async () => {
    const { emu, dir, run } = await setup(4, () => 5, () => 10);
    const applied = summary((await run(['full', '--json'])).stdout);
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: 4 }, (_, k) => [sku(k + 1), 7]));
    expect((await run(['full', '--dry-run'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    const rb = await run(['rollback', 'last', '--json']);
    expect(rb.code).toBe(0);
    const s = summary(rb.stdout);
    expect(s.message).toMatch(new RegExp(`rollback of run ${applied.runId.replace(/[.]/g, '\\.')}: 4 level`));
    expect(s.counts.applied).toBe(4);
    expect([...emu.stockBySku().values()]).toEqual([10, 10, 10, 10]);
  });

  it('skips an item whose level changed since the run', async () => {
    const { emu, dir, run } = await setup(10, () => 50);
    const full = summary((await run(['full', '--json'])).stdout);
    // Another sync sets SKU-0004 to 7 afterwards.
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: 10 }, (_, k) => [sku(k + 1), k === 3 ? 7 : 50]));
    await run(['full']);
    const rb = summary((await run(['rollback', full.runId, '--json'])).stdout);
    expect(rb.counts.applied).toBe(9);
    expect(rb.errors).toEqual([expect.objectContaining({ sku: sku(4), message: expect.stringMatching(/changed since that run.*set 50.*now has 7/) })]);
    expect(emu.stockBySku().get(sku(4))).toBe(7);
    expect(emu.stockBySku().get(sku(1))).toBe(1);
  });
});
