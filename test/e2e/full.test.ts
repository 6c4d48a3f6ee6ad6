/**
 * The built `invsync` binary against the WooCommerce emulator, the way cron runs it:
 * a separate process, a cwd that is not the config's directory, exit codes and stdout JSON.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, mixedCatalog, simpleProducts, startWooEmulator, variableWithoutOwnSkus, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, startCli, stderrOf, tempDir, waitCli, waitFor, writeCsv, writeJson } from '../helpers/cli.js';
import { WOO_ENV, writeWooSetup } from '../helpers/woo-setup.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

async function shop(products: Parameters<typeof startWooEmulator>[0] extends infer O ? O extends { products?: infer P } ? P : never : never) {
  const emu = await startWooEmulator({ products });
  running.push(emu);
  return emu;
}

function setup(emu: WooEmulator, feedRows: Array<[string, number | string]>, overrides: Record<string, unknown> = {}) {
  const dir = tempDir();
  const config = writeWooSetup(dir, { url: emu.url, rows: feedRows, overrides });
  const env = WOO_ENV;
  return { dir, config, env, run: (args: string[]) => runCli(['-c', config, ...args], { env }) };
}

function json(stdout: string): RunSummary {
  return JSON.parse(stdout) as RunSummary;
}

/** Target = a deterministic function of the SKU, different from the seeded stock for most. */
const target = (i: number) => (i * 13) % 50;

function minimalWrites(emu: WooEmulator, changedSkus: Set<string>): number {
  const items = emu.items();
  const groups = new Map<string, number>();
  for (const item of items) {
    if (!changedSkus.has(item.sku)) continue;
    const key = item.type === 'variation' ? `v${item.parent_id}` : 'products';
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups.values()].reduce((n, count) => n + Math.ceil(count / 100), 0);
}

describe('invsync full against the WooCommerce emulator', () => {
  it('syncs a few hundred products and variations exactly, in the minimal number of writes; a second run writes nothing', async () => {
    const { products, skus } = mixedCatalog(300);
    const emu = await shop(products);
    const before = emu.stockBySku();
    const rows = skus.map((sku, i) => [sku, target(i)] as [string, number]);
    const { run } = setup(emu, rows);
    const changed = new Set(skus.filter((sku, i) => before.get(sku) !== target(i)));

    const first = await run(['full', '--json']);
    expect(first.code).toBe(0);
    const summary = json(first.stdout);
    expect(summary).toMatchObject({ command: 'full', status: 'ok', exitCode: 0, dryRun: false });
    expect(summary.counts).toMatchObject({ storeItems: 300, inScope: 300, matched: 300, changed: changed.size, applied: changed.size, failed: 0, pending: 0 });
    const after = emu.stockBySku();
    skus.forEach((sku, i) => expect([sku, after.get(sku)]).toEqual([sku, target(i)]));
    expect(emu.writeRequests()).toBe(minimalWrites(emu, changed));
    expect(first.stderr).not.toContain(DEFAULT_WOO_KEY.consumerSecret);

    const writesBefore = emu.writeRequests();
    const second = await run(['full', '--json']);
    expect(second.code).toBe(0);
    expect(json(second.stdout).counts.changed).toBe(0);
    expect(emu.writeRequests()).toBe(writesBefore);
  });

  it('--dry-run sends no write and lists every planned change with sku, from and to', async () => {
    const emu = await shop(simpleProducts(40, { stock: (i) => i }));
    const { run } = setup(emu, Array.from({ length: 40 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, k + 100] as [string, number]));
    const human = await run(['full', '--dry-run']);
    expect(human.code).toBe(0);
    // The human table: SKU, product (name [id]), from → to, Δ.
    for (let i = 1; i <= 40; i++) expect(human.stdout).toMatch(new RegExp(`SKU-${String(i).padStart(4, '0')}\\s+Product ${i} \\[${i}\\]\\s+${i}\\s+→\\s+${i + 99}\\s+\\+99\\s`));
    const machine = await run(['full', '--dry-run', '--json']);
    const summary = json(machine.stdout);
    expect(summary.dryRun).toBe(true);
    expect(summary.changes).toHaveLength(40);
    expect(summary.changes[0]).toMatchObject({ sku: 'SKU-0001', from: 1, to: 100, status: 'planned' });
    expect(emu.writeRequests()).toBe(0);
  });

  it('a feed missing more than 30% of store SKUs exits 4 and writes nothing', async () => {
    const emu = await shop(simpleProducts(10));
    const { run } = setup(emu, Array.from({ length: 6 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 99] as [string, number]));
    const result = await run(['full']);
    expect(result.code).toBe(4);
    expect(result.stdout + result.stderr).toMatch(/maxMissingRatio.*40%.*30%.*--force/);
    expect(emu.writeRequests()).toBe(0);
  });

  it('an empty feed exits 5 and writes nothing', async () => {
    const emu = await shop(simpleProducts(10));
    const { run } = setup(emu, []);
    const result = await run(['full', '--json']);
    expect(result.code).toBe(5);
    expect(json(result.stdout).status).toBe('failed');
    expect(result.stderr).toMatch(/no items/);
    expect(emu.writeRequests()).toBe(0);
  });

  it('a second run started meanwhile exits 3 at once; the first completes', async () => {
    const emu = await shop(simpleProducts(30, { stock: () => 1 }));
    // Slow enough that the first run surely still holds the lock when the second starts, even on a loaded machine.
    emu.faults.latencyMs = 1500;
    const { config, env } = setup(emu, Array.from({ length: 30 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 5] as [string, number]));
    const first = startCli(['-c', config, 'full'], { env });
    await waitFor(() => emu.requests.length > 0);
    const second = await runCli(['-c', config, 'full'], { env });
    expect(second.code).toBe(3);
    expect(second.ms).toBeLessThan(3000);
    expect(second.stderr).toMatch(/lock/);
    const firstResult = await waitCli(first);
    expect(firstResult.code).toBe(0);
    expect([...emu.stockBySku().values()].every((q) => q === 5)).toBe(true);
  });

  it('full --limit=100 --offset=250 changes exactly that window of the store order', async () => {
    const { products, skus } = mixedCatalog(400);
    const emu = await shop(products);
    const before = emu.stockBySku();
    const { run } = setup(emu, skus.map((sku) => [sku, 1000] as [string, number]));
    const result = await run(['full', '--limit=100', '--offset=250', '--json']);
    expect(result.code).toBe(0);
    const after = emu.stockBySku();
    skus.forEach((sku, i) => {
      const inWindow = i >= 250 && i < 350;
      expect([sku, after.get(sku)]).toEqual([sku, inWindow ? 1000 : before.get(sku)]);
    });
    expect(json(result.stdout).counts.inScope).toBe(100);
  });

  it('an invalid config exits 2 naming the path; an unset ${VAR} exits 2 naming it', async () => {
    const emu = await shop(simpleProducts(2));
    const { dir, config, env } = setup(emu, [['SKU-0001', 1]]);
    const raw = JSON.parse(fs.readFileSync(config, 'utf8'));
    writeJson(config, { ...raw, store: { ...raw.store, url: 'not a url' } });
    const bad = await runCli(['-c', config, 'full'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('store.url');

    writeJson(config, raw);
    const unset = await runCli(['-c', config, 'full'], { env: { WC_KEY: 'x' } });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/WC_SECRET/);
    expect(unset.stderr).toContain('store.consumerSecret');
    expect(fs.existsSync(path.join(dir, 'state', 'snapshot.json'))).toBe(false);
    expect(emu.requests).toHaveLength(0);
  });

  it('kill -9 in the middle of a push, then `invsync push`, ends at the exact state with at most one batch re-sent', async () => {
    const emu = await shop(simpleProducts(1000, { stock: () => 0 }));
    const rows = Array.from({ length: 1000 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, k + 1] as [string, number]);
    const { config, env, run } = setup(emu, rows);
    emu.faults.latencyMs = 150;
    const child = startCli(['-c', config, 'full'], { env });
    await waitFor(() => emu.writeRequests() >= 3, 30_000, 5);
    child.kill('SIGKILL');
    await waitCli(child);
    const writesAtKill = emu.writeRequests();
    expect(writesAtKill).toBeLessThan(10);
    emu.faults.latencyMs = 0;

    const resumed = await run(['push', '--json']);
    expect(resumed.code).toBe(0);
    const stock = emu.stockBySku();
    rows.forEach(([sku, qty]) => expect([sku, stock.get(sku)]).toEqual([sku, qty]));
    expect(emu.writeRequests()).toBeLessThanOrEqual(10 + 1);
    expect(json(resumed.stdout).counts).toMatchObject({ applied: 1000, failed: 0, pending: 0 });
  });

  it('429s and 503s along the way still end at the exact state with exit 0', async () => {
    const emu = await shop(simpleProducts(250, { stock: () => 0 }));
    const rows = Array.from({ length: 250 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 7] as [string, number]);
    const { run } = setup(emu, rows);
    emu.faults.status429 = { count: 2, retryAfter: 1 };
    emu.faults.status503 = { count: 2 };
    const result = await run(['full', '--json']);
    expect(result.code).toBe(0);
    expect([...emu.stockBySku().values()].every((q) => q === 7)).toBe(true);
    expect(emu.requests.filter((r) => r.status === 429 || r.status === 503).length).toBe(4);
  });

  it('three items rejected by the store exit 1, listed as failed, all others applied', async () => {
    const emu = await shop(simpleProducts(120, { stock: () => 0 }));
    const rows = Array.from({ length: 120 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 3] as [string, number]);
    const { run } = setup(emu, rows);
    emu.faults.rejectSkus = ['SKU-0005', 'SKU-0050', 'SKU-0110'];
    const result = await run(['full', '--json']);
    expect(result.code).toBe(1);
    const summary = json(result.stdout);
    expect(summary.status).toBe('partial');
    expect(summary.changes.filter((c) => c.status === 'failed').map((c) => c.sku).sort()).toEqual(['SKU-0005', 'SKU-0050', 'SKU-0110']);
    expect(summary.counts).toMatchObject({ applied: 117, failed: 3, pending: 0 });
    const stock = emu.stockBySku();
    expect([...stock.entries()].filter(([, q]) => q === 3)).toHaveLength(117);
  });

  it('wrong credentials exit 5 after at most a couple of requests, the secret never printed', async () => {
    const emu = await shop(simpleProducts(5));
    const { config } = setup(emu, [['SKU-0001', 1]]);
    const secret = 'cs_wrong_secret_4242424242424242';
    const result = await runCli(['-c', config, 'full', '--json'], { env: { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: secret } });
    expect(result.code).toBe(5);
    expect(emu.requests.length).toBeLessThanOrEqual(2);
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.stderr).toMatch(/401/);
  });

  it('kill -9 during fetch leaves the previous snapshot intact and still accepted', async () => {
    const emu = await shop(simpleProducts(20, { stock: () => 1 }));
    const { dir, config, env, run } = setup(emu, Array.from({ length: 20 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 2] as [string, number]));
    expect((await run(['fetch'])).code).toBe(0);
    const snapshotFile = path.join(dir, 'state', 'snapshot.json');
    const good = fs.readFileSync(snapshotFile);

    // A supplier that sends half its CSV, then stalls.
    let stalled = false;
    const feed = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write(`sku,qty\n${Array.from({ length: 5000 }, (_, k) => `X-${k},1`).join('\n')}\n`);
      stalled = true;
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', () => r()));
    const raw = JSON.parse(fs.readFileSync(config, 'utf8'));
    writeJson(config, { ...raw, sources: [{ name: 'feed', type: 'csv', url: `http://127.0.0.1:${(feed.address() as AddressInfo).port}/feed.csv` }] });
    const child = startCli(['-c', config, 'fetch'], { env });
    await waitFor(() => stalled);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await waitCli(child);
    feed.closeAllConnections();
    feed.close();

    expect(fs.readFileSync(snapshotFile).equals(good)).toBe(true);
    writeJson(config, raw);
    const match = await run(['match', '--json']);
    expect(match.code).toBe(0);
    expect(json(match.stdout).counts.changed).toBe(20);
    expect(stderrOf(child)).not.toContain(DEFAULT_WOO_KEY.consumerSecret);
  });

  it('a store failing every batch opens the circuit breaker: exit 4, the rest pending, and a later push resumes it', async () => {
    const emu = await shop(simpleProducts(600, { stock: () => 0 }));
    const rows = Array.from({ length: 600 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 9] as [string, number]);
    const { run } = setup(emu, rows);
    expect((await run(['fetch'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    emu.faults.status503 = { count: 1_000_000 };
    const broken = await run(['push', '--json']);
    expect(broken.code).toBe(4);
    const summary = json(broken.stdout);
    expect(summary.status).toBe('blocked');
    expect(summary.safety.tripped).toBe('breaker');
    // The first batch fails after its retries: 100 of 100 items > maxErrorRatio 20% opens the breaker.
    expect(summary.counts).toMatchObject({ applied: 0, failed: 100, pending: 500 });
    expect(broken.stderr).toMatch(/circuit breaker open: 100 of 100 items failed/);

    emu.resetFaults();
    const resumed = await run(['push', '--json']);
    expect(resumed.code).toBe(0);
    expect(json(resumed.stdout).counts).toMatchObject({ applied: 600, failed: 0, pending: 0 });
    expect([...emu.stockBySku().values()].every((q) => q === 9)).toBe(true);
  });

  it('a source that shrinks below minItemsRatio of its last fetch fails the fetch (exit 5) and keeps the old snapshot; --force accepts it', async () => {
    const emu = await shop(simpleProducts(100, { stock: () => 1 }));
    const all = Array.from({ length: 100 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 2] as [string, number]);
    const { dir, run } = setup(emu, all);
    expect((await run(['fetch'])).code).toBe(0);
    const snapshotFile = path.join(dir, 'state', 'snapshot.json');
    const good = fs.readFileSync(snapshotFile);
    writeCsv(path.join(dir, 'supplier.csv'), all.slice(0, 40));
    const shrunk = await run(['full', '--json']);
    expect(shrunk.code).toBe(5);
    expect(shrunk.stderr).toMatch(/40 item\(s\), 40% of its usual count \(100, median/);
    expect(json(shrunk.stdout).safety.tripped).toBe('minItemsRatio');
    expect(fs.readFileSync(snapshotFile).equals(good)).toBe(true);
    expect(emu.writeRequests()).toBe(0);
    const forced = await run(['fetch', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/OVERRIDDEN by --force/);
  });
});

describe('integrity (SPEC §8) through the built CLI', () => {
  it('variations without own SKUs (listed under the parent\'s SKU) are never written when the feed lists that SKU: both reported, exit 0', async () => {
    const emu = await shop([...simpleProducts(3, { stock: () => 1 }), variableWithoutOwnSkus('VAR-1', 2)]);
    const { run } = setup(emu, [['SKU-0001', 5], ['SKU-0002', 5], ['SKU-0003', 5], ['VAR-1', 10]]);
    const report = 'duplicate store SKU: held by [4/5], [4/6]';

    // A window holding one of the twins only: the twin outside it still makes the SKU ambiguous.
    const windowed = await run(['full', '--limit=1', '--offset=3', '--json']);
    expect(windowed.code).toBe(0);
    const w = json(windowed.stdout);
    expect(w.counts).toMatchObject({ inScope: 1, matched: 1, unchanged: 1, changed: 0 });
    expect(w.errors).toEqual([{ sku: 'VAR-1', source: null, message: report }]);
    expect(emu.writeRequests()).toBe(0);

    const result = await run(['full', '--json']);
    expect(result.code).toBe(0);
    const summary = json(result.stdout);
    expect(summary.counts).toMatchObject({ inScope: 5, matched: 5, unchanged: 2, changed: 3, applied: 3, failed: 0 });
    expect(summary.errors).toEqual([{ sku: 'VAR-1', source: null, message: report }]);
    expect(summary.errorCounts).toEqual({ '(store)': { 'duplicate store SKU': 1 } });
    expect(summary.changes.map((c) => c.sku)).toEqual(['SKU-0001', 'SKU-0002', 'SKU-0003']);
    expect([emu.get(5), emu.get(6)].map((v) => [v!.sku, v!.manage_stock, v!.stock_quantity])).toEqual([['', true, 1], ['', true, 2]]);
  });

  it('missing=zero leaves an unmanaged item no feed lists alone (no stock tracking switched on) and never calls a missing item "feed"', async () => {
    const emu = await shop([
      { type: 'simple', name: 'Gift card', sku: 'GIFT-25', manage_stock: false, stock_quantity: null },
      ...simpleProducts(3, { stock: () => 2 }),
      { type: 'simple', name: 'Old mug', sku: 'OLD-1', manage_stock: true, stock_quantity: 4 },
    ]);
    const { run } = setup(emu, [['SKU-0001', 2], ['SKU-0002', 2], ['SKU-0003', 3]], {
      rules: { missing: 'zero' }, safety: { maxMissingRatio: 0.5 },
    });
    const dry = await run(['full', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^OLD-1\s+Old mug \[5\]\s+4\s+→\s+0\s+-4\s+in no feed → 0$/m);
    expect(dry.stdout).not.toMatch(/GIFT-25/);
    const result = await run(['full', '--json']);
    expect(result.code).toBe(0);
    const summary = json(result.stdout);
    expect(summary.counts).toMatchObject({ inScope: 5, matched: 3, missing: 2, changed: 2, applied: 2 });
    expect(summary.changes.map((c) => [c.sku, c.from, c.to, c.reason])).toEqual([['SKU-0003', 2, 3, 'supplier'], ['OLD-1', 4, 0, 'missing']]);
    expect(emu.get(1)).toMatchObject({ sku: 'GIFT-25', manage_stock: false, stock_quantity: null });
  });

  it('a plan that multiplies the stock in scope more than maxStockRiseRatio (default 1000) exits 4 and writes nothing; --force applies it', async () => {
    const emu = await shop(simpleProducts(3, { stock: () => 5 }));
    // A feed that switched from kilograms to grams: one item jumps from 5 to 30,000.
    const { run } = setup(emu, [['SKU-0001', 30_000], ['SKU-0002', 5], ['SKU-0003', 5]]);
    const blocked = await run(['full', '--json']);
    expect(blocked.code).toBe(4);
    expect(json(blocked.stdout).safety).toMatchObject({ tripped: 'maxStockRiseRatio', stockRiseRatio: 2000.6667 });
    expect(blocked.stderr).toContain('safety gate maxStockRiseRatio tripped: the plan would multiply the total stock in scope by ×2001 (15 → 30010 units), limit ×1000; nothing was written.');
    expect(emu.writeRequests()).toBe(0);
    const forced = await run(['full', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect([...emu.stockBySku().values()]).toEqual([30_000, 5, 5]);
  });

  it('150,000 rejected rows: match, full and push finish with a summary of 1,000 errors and the right totals', async () => {
    const emu = await shop(simpleProducts(3, { stock: () => 1 }));
    const rows: Array<[string, number | string]> = [['SKU-0001', 4], ['SKU-0002', 4], ['SKU-0003', 4]];
    for (let i = 0; i < 150_000; i++) rows.push([`R-${i}`, 'In stock']);
    const { run } = setup(emu, rows);
    const totals = { errorsTotal: 150_000, errorCounts: { feed: { 'non-numeric quantity': 150_000 } } };

    expect((await run(['fetch'])).code).toBe(0);
    const match = await run(['match', '--json']);
    expect(match.code).toBe(0);
    const planned = json(match.stdout);
    expect(planned.errors).toHaveLength(1000);
    expect(planned.errors[0]).toEqual({ sku: 'R-0', source: 'feed', row: 5, message: 'row 5: non-numeric quantity "In stock"' });
    expect(planned).toMatchObject({ ...totals, counts: { rejected: 150_000, changed: 3 } });

    const push = await run(['push', '--json']);
    expect(push.code).toBe(0);
    const pushed = json(push.stdout);
    expect(pushed.errors).toHaveLength(1000);
    expect(pushed).toMatchObject({ ...totals, counts: { applied: 3 } });

    const full = await run(['full', '--json']);
    expect(full.code).toBe(0);
    const again = json(full.stdout);
    expect(again.errors).toHaveLength(1000);
    expect(again).toMatchObject({ ...totals, counts: { rejected: 150_000, changed: 0 } });
  }, 120_000);
});

