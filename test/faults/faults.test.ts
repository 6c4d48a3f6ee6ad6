/**
 * Fault injection, end to end against the built CLI: every case asserts the store's final state
 * and the files on disk. Crashes are real SIGKILLs, at exact phases (INVSYNC_FAULT_KILL_AT, see
 * src/lib/faults.ts) or at a moment chosen from outside.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { BIN, runCli, startCli, tempDir, waitCli, writeCsv, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';
import { spawn } from 'node:child_process';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;
const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

async function setup(count: number, target: (i: number) => number, storeOverrides: Record<string, unknown> = {}) {
  const emu = await startWooEmulator({ products: simpleProducts(count, { stock: () => 0 }) });
  running.push(emu);
  const dir = tempDir();
  writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: count }, (_, k) => [sku(k + 1), target(k + 1)]));
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...storeOverrides },
  });
  const run = (args: string[], extraEnv: Record<string, string> = {}) => runCli(['-c', config, ...args], { env: { ...env, ...extraEnv } });
  const expectExact = () => {
    const stock = emu.stockBySku();
    for (let i = 1; i <= count; i++) expect([sku(i), stock.get(sku(i))]).toEqual([sku(i), target(i)]);
  };
  const stateFiles = () => fs.readdirSync(path.join(dir, 'state'));
  return { emu, dir, config, run, expectExact, stateFiles };
}

describe('kill -9 at every phase, then a normal run, ends at the exact state', () => {
  it.each([
    ['during fetch', 'fetch:item:150'],
    ['between fetch and match', 'full:after-fetch'],
    ['mid-push (a batch journaled as sent, its request not made)', 'push:batch-sent:2'],
  ])('%s', async (_name, point) => {
    const t = await setup(400, (i) => i % 13);
    const crashed = await t.run(['full'], { INVSYNC_FAULT_KILL_AT: point });
    expect(crashed.signal).toBe('SIGKILL');
    const again = await t.run(['full', '--json']);
    expect(again.code).toBe(0);
    t.expectExact();
    expect(t.stateFiles().filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(t.stateFiles()).not.toContain('invsync.lock');
  });

  it('after the last batch, before the journal closes: `invsync push` re-sends only that batch', async () => {
    const t = await setup(400, (i) => i % 13 + 1);
    const crashed = await t.run(['full'], { INVSYNC_FAULT_KILL_AT: 'push:after-apply:4' });
    expect(crashed.signal).toBe('SIGKILL');
    t.expectExact();
    const writes = t.emu.writeRequests();
    expect(writes).toBe(4);
    const resumed = await t.run(['push', '--json']);
    expect(resumed.code).toBe(0);
    expect(t.emu.writeRequests()).toBe(5);
    const s = JSON.parse(resumed.stdout) as RunSummary;
    expect(s.counts).toMatchObject({ applied: 400, failed: 0, pending: 0 });
    t.expectExact();
  });
});

describe('files on disk survive failures', () => {
  it('a snapshot write failing half-way (file size limit) leaves the previous snapshot intact and accepted', async () => {
    const t = await setup(50, () => 3);
    expect((await t.run(['fetch'])).code).toBe(0);
    const snapshot = path.join(t.dir, 'state', 'snapshot.json');
    const good = fs.readFileSync(snapshot);
    // A big feed whose snapshot cannot fit under a 256 KiB file size limit.
    writeCsv(path.join(t.dir, 'supplier.csv'), Array.from({ length: 20_000 }, (_, k) => [`BIG-${k}`, 1]));
    const limited = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn('bash', ['-c', `ulimit -f 256; exec "${process.execPath}" "${BIN}" -c "${t.config}" fetch`], { env: { ...process.env, ...env }, stdio: 'ignore' });
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    // Node does not ignore SIGXFSZ: the kernel kills the run at the write that crosses the limit.
    expect(limited).toEqual({ code: null, signal: 'SIGXFSZ' });
    expect(fs.readFileSync(snapshot).equals(good)).toBe(true);
    writeCsv(path.join(t.dir, 'supplier.csv'), Array.from({ length: 50 }, (_, k) => [sku(k + 1), 3]));
    const match = await t.run(['match', '--json']);
    expect(match.code).toBe(0);
    expect((JSON.parse(match.stdout) as RunSummary).counts.changed).toBe(50);
  });

  it('the SQLite file deleted between runs is rebuilt, no crash', async () => {
    const t = await setup(30, (i) => i);
    expect((await t.run(['full'])).code).toBe(0);
    for (const f of t.stateFiles().filter((f) => f.startsWith('invsync.db'))) fs.rmSync(path.join(t.dir, 'state', f));
    t.emu.seed(simpleProducts(5, { start: 31, stock: () => 0 }));
    writeCsv(path.join(t.dir, 'supplier.csv'), Array.from({ length: 35 }, (_, k) => [sku(k + 1), k + 1]));
    const again = await t.run(['full', '--json']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as RunSummary).counts).toMatchObject({ storeItems: 35, changed: 5, applied: 5 });
  });
});

describe('remote failures', () => {
  it('a supplier that hangs: timeouts fire, exit 5, the lock is released', async () => {
    const hang = http.createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    running.push({ close: () => new Promise<void>((r) => { hang.closeAllConnections(); hang.close(() => r()); }) });
    const t = await setup(10, () => 1);
    const raw = JSON.parse(fs.readFileSync(t.config, 'utf8'));
    writeJson(t.config, { ...raw, sources: [{ name: 'feed', type: 'csv', url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/feed.csv`, timeoutMs: 300, retries: 1 }] });
    const result = await t.run(['full']);
    expect(result.code).toBe(5);
    expect(result.ms).toBeLessThan(10_000);
    expect(result.stderr).toMatch(/ETIMEDOUT|timed out|timeout/i);
    expect(t.stateFiles()).not.toContain('invsync.lock');
    expect(t.emu.writeRequests()).toBe(0);
  });

  it('a store answering 200 with an HTML maintenance page is a failure, not a success', async () => {
    const t = await setup(10, () => 4);
    t.emu.faults.htmlMaintenance = true;
    const listing = await t.run(['full', '--json']);
    expect(listing.code).toBe(5);
    expect(listing.stderr).toMatch(/expected JSON, got text\/html/);
    t.emu.faults.htmlMaintenance = false;
    expect((await t.run(['fetch'])).code).toBe(0);
    expect((await t.run(['match'])).code).toBe(0);
    t.emu.faults.htmlMaintenance = true;
    const push = await t.run(['push', '--json']);
    expect(push.code).toBe(5);
    expect(push.stderr).toMatch(/the store failed outright: none of 10 change\(s\) could be applied/);
    const s = JSON.parse(push.stdout) as RunSummary;
    expect(s.counts).toMatchObject({ applied: 0, failed: 10 });
    t.emu.faults.htmlMaintenance = false;
    expect([...t.emu.stockBySku().values()].every((q) => q === 0)).toBe(true);
  });

  it('a store that is down at push time (connection refused): exit 5, not 1, every change still pending for the next push', async () => {
    const t = await setup(10, () => 4);
    expect((await t.run(['fetch'])).code).toBe(0);
    expect((await t.run(['match'])).code).toBe(0);
    await t.emu.close();
    const push = await t.run(['push', '--json']);
    expect(push.code).toBe(5);
    expect(push.stderr).toMatch(/ECONNREFUSED/);
    const s = JSON.parse(push.stdout) as RunSummary;
    expect(s).toMatchObject({ status: 'failed', exitCode: 5, counts: { applied: 0, failed: 10 } });
  });

  it('a store down during a push the breaker can stop: exit 4 with the rest pending (the breaker takes precedence over exit 5)', async () => {
    const t = await setup(500, () => 4);
    expect((await t.run(['fetch'])).code).toBe(0);
    expect((await t.run(['match'])).code).toBe(0);
    t.emu.faults.status503 = { count: 1_000_000 };
    const push = await t.run(['push', '--json']);
    expect(push.code).toBe(4);
    const s = JSON.parse(push.stdout) as RunSummary;
    // The first failed batch already exceeds maxErrorRatio: the breaker stops before the next one.
    expect(s.counts).toMatchObject({ applied: 0, failed: 100, pending: 400 });
    expect(s.safety.tripped).toBe('breaker');
  });

  it('items the store refuses one by one while it is up: exit 1, not 5', async () => {
    const t = await setup(10, () => 4);
    t.emu.faults.rejectSkus = [sku(1), sku(2), sku(3), sku(4), sku(5), sku(6), sku(7), sku(8), sku(9), sku(10)];
    const result = await t.run(['full', '--json']);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as RunSummary).counts).toMatchObject({ applied: 0, failed: 10 });
  });

  it('a CSV with mixed line endings, a BOM, quoted delimiters and a non-numeric quantity', async () => {
    const t = await setup(4, () => 0);
    fs.writeFileSync(path.join(t.dir, 'supplier.csv'), `\uFEFFsku,qty,name\r\n${sku(1)},5,"Mug, large"\n${sku(2)},"7","Poster ""A2"""\r\n${sku(3)},lots,Pen\r${sku(4)},2.9,Cap\n`);
    const result = await t.run(['full', '--json']);
    expect(result.code).toBe(0);
    const s = JSON.parse(result.stdout) as RunSummary;
    expect(s.counts).toMatchObject({ rejected: 1, applied: 3 });
    expect(s.errors[0]).toMatchObject({ source: 'feed', sku: sku(3), message: expect.stringMatching(/line 4|row 4/) });
    const stock = t.emu.stockBySku();
    expect([stock.get(sku(1)), stock.get(sku(2)), stock.get(sku(3)), stock.get(sku(4))]).toEqual([5, 7, 0, 2]);
  });
});

describe('concurrency', () => {
  it('two runs started in the same second: one runs, the other exits 3 and changes nothing', async () => {
    const t = await setup(40, () => 6);
    // Slow enough that the two runs overlap even when the machine is loaded.
    t.emu.faults.latencyMs = 1500;
    const a = startCli(['-c', t.config, 'full', '--json'], { env });
    const b = startCli(['-c', t.config, 'full', '--json'], { env });
    const [ra, rb] = await Promise.all([waitCli(a), waitCli(b)]);
    expect([ra.code, rb.code].sort()).toEqual([0, 3]);
    const loser = ra.code === 3 ? ra : rb;
    expect((JSON.parse(loser.stdout) as RunSummary).status).toBe('locked');
    t.expectExact();
  });
});
