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

describe('a bad option value', () => {
  it.each([
    ['full', '--limit', 'abc', '--limit: expected a whole number ≥ 0, got "abc"'],
    ['full', '--offset', '-1', '--offset: expected a whole number ≥ 0, got "-1"'],
    ['full', '--canary', 'x', '--canary: expected a whole number ≥ 0, got "x"'],
    ['match', '--limit', '0', '--limit: must be at least 1'],
    ['push', '--canary', '1.5', '--canary: expected a whole number ≥ 0, got "1.5"'],
  ])('%s %s %s: exit 2 before the lock, the run record and the healthcheck /start ping', async (command, option, value, message) => {
    const emu = await startWooEmulator({ products: simpleProducts(3) });
    running.push(emu);
    const hc = await startReceiver();
    running.push(hc);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), [['SKU-0001', 5]]);
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
      notify: { healthcheck: { url: `${hc.url}/ping-id` } },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
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
