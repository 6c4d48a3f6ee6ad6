/**
 * Saved plans, read-back verification, canaries and rollback, end to end against the built CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
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
