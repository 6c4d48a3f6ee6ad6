/**
 * Usage errors are found before anything is done (SPEC §2: exit 2, "nothing was done"): no
 * lock, no run record, no healthcheck ping, no request to the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator } from '../fakes/woocommerce.js';
import { startReceiver } from '../fakes/receiver.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

/** A three-product shop, a healthcheck receiver, a feed of `rows`, and the config keys every test here starts from. */
async function setUp(rows: Array<[string, number]>) {
  const emu = await startWooEmulator({ products: simpleProducts(3) });
  running.push(emu);
  const hc = await startReceiver();
  running.push(hc);
  const dir = tempDir();
  writeCsv(path.join(dir, 'supplier.csv'), rows);
  const woo = { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' };
  const base = { stateDir: 'state', sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }], store: woo };
  return { emu, hc, dir, woo, base };
}

describe('a bad option value', () => {
  it.each([
    ['full', '--limit', 'abc', '--limit: expected a whole number ≥ 0, got "abc"'],
    ['full', '--offset', '-1', '--offset: expected a whole number ≥ 0, got "-1"'],
    ['full', '--canary', 'x', '--canary: expected a whole number ≥ 0, got "x"'],
    ['match', '--limit', '0', '--limit: must be at least 1'],
    ['push', '--canary', '1.5', '--canary: expected a whole number ≥ 0, got "1.5"'],
  ])('%s %s %s: exit 2 before the lock, the run record and the healthcheck /start ping', async (command, option, value, message) => {
    const { emu, hc, dir, base } = await setUp([['SKU-0001', 5]]);
    const config = writeJson(path.join(dir, 'invsync.config.json'), { ...base, notify: { healthcheck: { url: `${hc.url}/ping-id` } } });
    const run = (args: string[]) => runCli(['-c', config, ...args], { env, cwd: dir });

    const bad = await run([command, option, value, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ command, status: 'failed', exitCode: 2, message });
    expect(fs.existsSync(path.join(dir, 'state', 'invsync.lock'))).toBe(false);
    const runs = await run(['runs', '--json']);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual([]);
    expect(hc.requests).toEqual([]);
    expect(emu.requests).toEqual([]);
  });
});

describe('rollback of a run it cannot roll back', () => {
  it.each([
    ['an unknown run', (_first: string) => 'no-such-run', 'no run "no-such-run" (see `invsync runs`)'],
    ['a run that applied nothing (a match)', (first: string) => first, 'applied no change: nothing to roll back'],
  ])('%s: exit 2 before the run record and the healthcheck /start ping; the store is not asked', async (_what, runSpec, message) => {
    const { emu, hc, dir, base } = await setUp([['SKU-0001', 5], ['SKU-0002', 2], ['SKU-0003', 3]]);
    const plain = writeJson(path.join(dir, 'plain.json'), base);
    expect((await runCli(['-c', plain, 'fetch'], { env, cwd: dir })).code).toBe(0);
    const match = await runCli(['-c', plain, 'match', '--json'], { env, cwd: dir });
    expect(match.code).toBe(0);
    const matchRun = (JSON.parse(match.stdout) as { runId: string }).runId;
    const requestsBefore = emu.requests.length;

    const config = writeJson(path.join(dir, 'invsync.config.json'), { ...base, notify: { healthcheck: { url: `${hc.url}/ping-id` } } });
    const run = (args: string[]) => runCli(['-c', config, ...args], { env, cwd: dir });
    const bad = await run(['rollback', runSpec(matchRun), '--json']);
    expect(bad.code).toBe(2);
    expect((JSON.parse(bad.stdout) as { message: string }).message).toContain(message);
    const runs = await run(['runs', '--json']);
    expect((JSON.parse(runs.stdout) as Array<{ command: string }>).map((r) => r.command)).toEqual(['match', 'fetch']);
    expect(hc.requests).toEqual([]);
    expect(emu.requests.length).toBe(requestsBefore);
  });
});

describe('a bad plan file or --out with several stores', () => {
  it.each([
    ['push missing.json', ['push', 'missing.json'], 'cannot read plan file missing.json: ENOENT', false],
    ['push broken.json', ['push', 'broken.json'], 'cannot read plan file broken.json: ', false],
    ['match --out with two stores', ['match', '--out', 'plan.json'], '--out: saves the plan of one store; pick it with --store (configured: web, amazon)', true],
  ])('%s: exit 2 before the lock, the run record and the healthcheck /start ping', async (_what, args, message, twoStores) => {
    const { emu, hc, dir, woo, base } = await setUp([['SKU-0001', 5]]);
    fs.writeFileSync(path.join(dir, 'broken.json'), '{');
    const { store: _one, ...common } = base;
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      ...common,
      ...(twoStores ? { stores: [{ name: 'web', ...woo }, { name: 'amazon', ...woo }] } : { store: woo }),
      notify: { healthcheck: { url: `${hc.url}/ping-id` } },
    });
    const run = (a: string[]) => runCli(['-c', config, ...a], { env, cwd: dir });

    const bad = await run([...args, '--json']);
    expect(bad.code).toBe(2);
    expect((JSON.parse(bad.stdout) as { message: string }).message).toContain(message);
    expect(fs.existsSync(path.join(dir, 'state', 'invsync.lock'))).toBe(false);
    const runs = await run(['runs', '--json']);
    expect(JSON.parse(runs.stdout)).toEqual([]);
    expect(hc.requests).toEqual([]);
    expect(emu.requests).toEqual([]);
  });
});

describe('a step before its inputs exist', () => {
  it('match and explain before any fetch: exit 4 (nothing fetched is no pair of snapshot and index), saying to fetch first; no request to the store', async () => {
    const { emu, dir, base } = await setUp([['SKU-0001', 5]]);
    const config = writeJson(path.join(dir, 'invsync.config.json'), base);
    const match = await runCli(['-c', config, 'match', '--json'], { env, cwd: dir });
    expect(match.code).toBe(4);
    expect(JSON.parse(match.stdout)).toMatchObject({ status: 'blocked', exitCode: 4, message: 'the store index is empty: run `invsync fetch` first' });
    const explain = await runCli(['-c', config, 'explain', 'SKU-0001'], { env, cwd: dir });
    expect(explain.code).toBe(4);
    expect(explain.stderr).toContain('the store index is empty: run `invsync fetch` first');
    expect(emu.requests).toHaveLength(0);
  });
});
