import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { isLocalHost } from '../../src/config/plain-http.js';
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
    expect(config.rules).toEqual({
      openOrders: { mode: 'ignore', lookbackHours: 48 }, aggregate: 'sum', buffer: 0, maxQty: null, minQty: 0, missing: 'keep', skuCaseSensitive: false,
      status: { whenZero: 'none', whenMissing: 'none', restore: true, graceHours: 24 },
    });
    expect(config.safety).toEqual({ maxMissingRatio: 0.3, maxZeroRatio: 0.5, maxStockDropRatio: 0.5, maxStockRiseRatio: 1000, maxPlanAgeMs: 21_600_000, maxPriceChangeRatio: 0.2, breaker: { consecutiveFailures: 3, maxErrorRatio: 0.2 } });
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

describe('a configuration with a syntax error', () => {
  const SECRET = 'cs_TOPSECRET_abcdef';

  async function readError(file: string): Promise<string> {
    const err = await loadConfig({ explicitPath: file, env }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVSYNC_CONFIG' });
    return (err as Error).message;
  }

  it('JSON: names file, line, column and the reason, never the text around it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'invsync.config.json');
    fs.writeFileSync(file, `{\n  "sources": [],\n  "store": { "consumerKey": "ck_LIVE_KEY_123456", "consumerSecret": "${SECRET}" }\n  "rules": {}\n}\n`);
    expect(await readError(file)).toBe(`cannot read the configuration: ${file}:4:3: Expected ',' or '}' after property value`);
  });

  it('JSON: an unexpected token (V8 gives no position) is still located, and its quoted excerpt dropped', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'invsync.config.json');
    fs.writeFileSync(file, `{\n  "store": { "consumerSecret": "${SECRET}",\n    "consumerKey": ck_unquoted_KEY }\n}\n`);
    const message = await readError(file);
    expect(message).toBe(`cannot read the configuration: ${file}:3:20: Unexpected token 'c'`);
  });

  it('YAML (.invsyncrc): js-yaml\'s position and reason, without its snippet', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.invsyncrc');
    fs.writeFileSync(file, `store:\n  consumerSecret: "${SECRET}"\n consumerKey: [ck_x\n`);
    const message = await readError(file);
    expect(message).toMatch(new RegExp(`^cannot read the configuration: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:2: bad indentation of a mapping entry$`));
    expect(message).not.toContain(SECRET);
  });
});

describe('secrets in configured URLs', () => {
  it('every query value and the userinfo of source, store and notify URLs are registered for redaction', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), {
      ...minimal,
      sources: [{ name: 'feed', type: 'csv', url: 'https://feeds.example.com/stock.csv?customer=4711&pw=hunter2secret' }],
      notify: { webhook: 'https://hooks.example.com/in?code=whk_code_777', healthcheck: 'https://ops:opsPass99@hc.example.com/ping/x' },
    });
    await loadConfig({ explicitPath: file, env });
    expect(redact('pw hunter2secret, code whk_code_777, user ops pass opsPass99')).toBe('pw ***, code ***, user ops pass ***');
    // A plain number is masked with its name (customer=4711), never as a bare number (counts stay readable).
    expect(redact('GET /stock.csv?customer=4711 → 4711 rows')).toBe('GET /stock.csv?*** → 4711 rows');
  });

  it('a URL whose key names a token (amazon tokenUrl) is not a secret itself: its errors still say where', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), {
      ...minimal,
      store: {
        type: 'amazon', sellerId: 'A2SELLER', marketplaceId: 'ATVPDKIKX0DER', clientId: 'amzn1.application-oa2-client.abc123',
        clientSecret: 'amzn1.oa2-cs.v1.topsecret999', refreshToken: 'Atzr|IwEBIrefresh777', tokenUrl: 'https://lwa.example.com/auth/o2/token',
      },
    });
    await loadConfig({ explicitPath: file, env });
    expect(redact('POST https://lwa.example.com/auth/o2/token: ECONNREFUSED')).toBe('POST https://lwa.example.com/auth/o2/token: ECONNREFUSED');
    expect(redact('Atzr|IwEBIrefresh777 amzn1.oa2-cs.v1.topsecret999')).toBe('*** ***');
  });
});

describe('the config checksum stored in plans', () => {
  const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

  it('is keyed by <stateDir>/.key (created once, 0600): no plain sha256 of the config, stable across loads, changed by a secret', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), { ...minimal, stateDir: 'state' });
    const first = await loadConfig({ explicitPath: file, env });
    const keyFile = path.join(dir, 'state', '.key');
    expect(fs.existsSync(keyFile)).toBe(false);
    const checksum = first.checksum;
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'state')).mode & 0o777).toBe(0o700);
    const { stateDir, sources, store, rules, safety } = first.config;
    for (const text of [JSON.stringify({ stateDir, sources, store, rules, safety }), JSON.stringify(first.config), fs.readFileSync(file, 'utf8')]) {
      expect(checksum).not.toBe(sha256(text));
    }
    expect((await loadConfig({ explicitPath: file, env })).checksum).toBe(checksum);
    expect((await loadConfig({ explicitPath: file, env: { ...env, WC_SECRET: 'cs_other_secret_789' } })).checksum).not.toBe(checksum);
  });

  it('processes creating the key at the same moment agree on one key', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const module = path.resolve('dist/state/state-key.js');
    const script = `const m = await import(${JSON.stringify(module)}); process.stdout.write(m.stateKey(${JSON.stringify(stateDir)}).toString('hex'));`;
    const keys = await Promise.all(Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    })));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(fs.readFileSync(path.join(stateDir, '.key'), 'utf8').trim());
    expect(fs.readdirSync(stateDir)).toEqual(['.key']);
  });
});

describe('plain http://', () => {
  it('to a store or source that may be on the Internet is refused (exit 2, naming the path) unless allowInsecureHttp', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), { ...minimal, store: { ...minimal.store, url: 'http://shop.example.com' } });
    await expect(loadConfig({ explicitPath: file, env })).rejects.toMatchObject({
      code: 'INVSYNC_CONFIG', message: expect.stringMatching(/^store\.url: plain http:\/\/ to shop\.example\.com, which may be on the Internet.*"allowInsecureHttp": true/),
    });
    writeJson(file, { ...minimal, sources: [{ name: 'feed', type: 'csv', url: 'http://feeds.example.com/stock.csv' }] });
    await expect(loadConfig({ explicitPath: file, env })).rejects.toThrow(/^sources\.0\.url: plain http:\/\//);
    writeJson(file, { ...minimal, store: { ...minimal.store, url: 'http://shop.example.com', allowInsecureHttp: true } });
    expect((await loadConfig({ explicitPath: file, env })).warnings).toEqual([
      'store.url: plain http:// to shop.example.com (allowInsecureHttp): the catalog and the stock writes travel unprotected',
    ]);
  });

  it('to loopback, private and intranet hosts is accepted without a flag', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'c.json'), {
      ...minimal,
      sources: [{ name: 'feed', type: 'csv', url: 'http://192.168.1.20/stock.csv' }],
      store: { ...minimal.store, url: 'http://127.0.0.1:8080' },
    });
    expect((await loadConfig({ explicitPath: file, env })).warnings).toEqual([]);
    const local = ['localhost', 'shop.localhost', '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.1.1', '100.64.0.1', '[::1]', '[fd00::1]', '[fe80::1]', '[::ffff:10.0.0.1]', 'erp', 'nas.local', 'erp.internal', 'box.lan', 'x.home.arpa'];
    const remote = ['shop.example.com', '8.8.8.8', '172.32.0.1', '172.15.0.1', '192.169.0.1', '100.128.0.1', '[2001:db8::1]', '[::ffff:8.8.8.8]', 'local.example.com'];
    expect(local.filter((h) => !isLocalHost(h))).toEqual([]);
    expect(remote.filter((h) => isLocalHost(h))).toEqual([]);
  });
});
