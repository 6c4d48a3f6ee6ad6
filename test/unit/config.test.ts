import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { redact } from '../../src/lib/redact.js';
import { tempDir, writeJson } from '../helpers/cli.js';

const minimal = {
  sources: [{ name: 'feed', type: 'csv', path: 'feed/supplier.csv' }],
  store: { type: 'woocommerce', url: 'https://shop.example.com', consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
};
const env = { WC_KEY: 'ck_test_key_123', WC_SECRET: 'cs_test_secret_456' };

describe('configuration', () => {
  it('is found by cosmiconfig from a subdirectory, with defaults filled in and paths resolved against its own directory', async () => {
    const dir = tempDir();
    writeJson(path.join(dir, 'invsync.config.json'), minimal);
    const sub = path.join(dir, 'a', 'b');
    fs.mkdirSync(sub, { recursive: true });
    const { config, filePath } = await loadConfig({ cwd: sub, env });
    expect(filePath).toBe(path.join(dir, 'invsync.config.json'));
    expect(config.stateDir).toBe(path.join(dir, '.invsync'));
    expect(config.sources[0]).toMatchObject({ path: path.join(dir, 'feed', 'supplier.csv'), columns: { sku: 'sku', qty: 'qty' }, delimiter: ',' });
    expect(config.rules).toEqual({ aggregate: 'sum', buffer: 0, maxQty: null, missing: 'keep', skuCaseSensitive: false });
    expect(config.safety).toEqual({ maxMissingRatio: 0.3, maxZeroRatio: 0.5, maxStockDropRatio: 0.5, maxStockRiseRatio: 1000, breaker: { consecutiveFailures: 3, maxErrorRatio: 0.2 } });
    expect(config.lock.staleMs).toBe(30000);
  });

  it('reads .invsyncrc and package.json#invsync too', async () => {
    const a = tempDir();
    fs.writeFileSync(path.join(a, '.invsyncrc'), JSON.stringify(minimal));
    expect((await loadConfig({ cwd: a, env })).filePath).toBe(path.join(a, '.invsyncrc'));
    const b = tempDir();
    writeJson(path.join(b, 'package.json'), { name: 'shop', invsync: minimal });
    expect((await loadConfig({ cwd: b, env })).filePath).toBe(path.join(b, 'package.json'));
  });

  it('names the path of an invalid value', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), { ...minimal, store: { ...minimal.store, url: 'shop' } });
    await expect(loadConfig({ explicitPath: file, env })).rejects.toThrow(/^store\.url: /);
    writeJson(file, { ...minimal, safety: { maxMissingRatio: 2 } });
    await expect(loadConfig({ explicitPath: file, env })).rejects.toThrow(/^safety\.maxMissingRatio: /);
    writeJson(file, { ...minimal, sources: [{ ...minimal.sources[0], colums: {} }] });
    await expect(loadConfig({ explicitPath: file, env })).rejects.toThrow(/^sources\.0: unknown key\(s\) "colums"/);
    writeJson(file, { ...minimal, store: { ...minimal.store, type: 'woocomerce' } });
    await expect(loadConfig({ explicitPath: file, env })).rejects.toThrow(/^store\.type: /);
  });

  it('refuses an unset ${VAR}, naming the variable and where it is used', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), minimal);
    await expect(loadConfig({ explicitPath: file, env: { WC_KEY: 'x' } })).rejects.toThrow('store.consumerSecret: environment variable WC_SECRET is not set');
  });

  it('registers secrets so that redact() masks them', async () => {
    const dir = tempDir();
    await loadConfig({ explicitPath: writeJson(path.join(dir, 'c.json'), minimal), env });
    expect(redact(`GET https://shop/?k=${env.WC_SECRET}`)).toBe('GET https://shop/?k=***');
  });

  it('warns about literal secrets in a file others can read', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), { ...minimal, store: { ...minimal.store, consumerSecret: 'cs_literal' } });
    fs.chmodSync(file, 0o644);
    expect((await loadConfig({ explicitPath: file, env })).warnings.join()).toMatch(/store\.consumerSecret.*chmod 600/);
    fs.chmodSync(file, 0o600);
    expect((await loadConfig({ explicitPath: file, env })).warnings).toEqual([]);
  });

  it('config.example.json is valid', async () => {
    const example = path.resolve('config.example.json');
    const dir = tempDir();
    fs.copyFileSync(example, path.join(dir, 'invsync.config.json'));
    await expect(loadConfig({ cwd: dir, env })).resolves.toBeDefined();
  });

  it('says how to start when there is no configuration', async () => {
    await expect(loadConfig({ cwd: tempDir(), env })).rejects.toThrow(/no configuration found.*--config/);
  });
});
