/**
 * Secrets never leave the config: not on stdout/stderr (checked for every CLI run by
 * test/helpers/cli.ts), not in the log file, the snapshot, the database or error messages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, TEST_TLS, type WooEmulator } from '../fakes/woocommerce.js';
import { KNOWN_SECRETS, runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('secrets', () => {
  it('appear nowhere on disk after a full run, a failed run and a rejected-auth run', async () => {
    const emu = await startWooEmulator({ products: simpleProducts(20) });
    running.push(emu);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: 20 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, k]));
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      log: { file: 'logs/invsync.log', level: 'debug' },
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
    expect((await runCli(['-c', config, 'full', '--json', '--log-level', 'debug'], { env })).code).toBe(0);
    emu.faults.status503 = { count: 100 };
    expect((await runCli(['-c', config, 'fetch', '--log-level', 'debug'], { env })).code).toBe(5);
    emu.resetFaults();
    const denied = await runCli(['-c', config, 'full', '--json'], { env: { ...env, WC_SECRET: 'cs_wrong_secret_4242424242424242' } });
    expect(denied.code).toBe(5);

    const files = filesUnder(dir).filter((f) => !f.endsWith('invsync.config.json'));
    expect(files.some((f) => f.endsWith('invsync.log'))).toBe(true);
    expect(files.some((f) => f.endsWith('snapshot.json'))).toBe(true);
    expect(files.some((f) => f.includes('invsync.db'))).toBe(true);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const secret of KNOWN_SECRETS) expect([path.basename(file), bytes.includes(Buffer.from(secret))]).toEqual([path.basename(file), false]);
    }
  });

  it('TLS verification stays on unless insecureTls, which logs a warning', async () => {
    const emu = await startWooEmulator({ products: simpleProducts(3), tls: TEST_TLS });
    running.push(emu);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), [['SKU-0001', 5], ['SKU-0002', 5], ['SKU-0003', 5]]);
    const base = {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', retries: 0 },
    };
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
    const config = writeJson(path.join(dir, 'invsync.config.json'), base);
    const refused = await runCli(['-c', config, 'full'], { env });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/certificate|self.signed|SELF_SIGNED/i);
    expect(emu.writeRequests()).toBe(0);
    writeJson(config, { ...base, store: { ...base.store, insecureTls: true } });
    const allowed = await runCli(['-c', config, 'full'], { env });
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/TLS certificate verification is OFF/);
  });
});
