/**
 * Secrets never leave the config: not on stdout/stderr (checked for every CLI run by
 * test/helpers/cli.ts), not in the log file, the snapshot, the database or error messages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, TEST_TLS, type WooEmulator } from '../fakes/woocommerce.js';
import { KNOWN_SECRETS, runCli, type CliResult, startCli, tempDir, waitCli, waitFor, writeCsv, writeJson } from '../helpers/cli.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** None of `secrets` on any run's stdout or stderr (secrets of one test, beyond KNOWN_SECRETS). */
function expectNotPrinted(runs: CliResult[], secrets: string[]): void {
  for (const r of runs) {
    for (const secret of secrets) {
      expect([secret, r.stdout.includes(secret), r.stderr.includes(secret)]).toEqual([secret, false, false]);
    }
  }
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

  it('a config syntax error next to a secret prints file, line and column, never the secret (check --json, full --json: exit 2)', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'invsync.config.json');
    fs.writeFileSync(config, [
      '{',
      '  "sources": [{ "name": "feed", "type": "csv", "path": "supplier.csv" }],',
      '  "store": { "type": "woocommerce", "url": "https://shop.example.com", "consumerKey": "ck_LIVE_KEY_123456", "consumerSecret": "cs_TOPSECRET_abcdef" }',
      '  "rules": {}',
      '}',
    ].join('\n'));
    const check = await runCli(['-c', config, 'check', '--json']);
    const full = await runCli(['-c', config, 'full', '--json']);
    expect([check.code, full.code]).toEqual([2, 2]);
    expectNotPrinted([check, full], ['cs_TOPSECRET_abcdef', 'ck_LIVE_KEY_123456', 'TOPSECRET']);
    const where = `${config}:4:3: Expected ',' or '}' after property value`;
    expect((JSON.parse(check.stdout) as { checks: Array<{ detail: string }> }).checks[0]!.detail).toBe(`cannot read the configuration: ${where}`);
    expect((JSON.parse(full.stdout) as { message: string }).message).toBe(`cannot read the configuration: ${where}`);
  });

  it('a JS config (.invsyncrc.js) that fails to load names file, line and column, never the code it failed on', async () => {
    const dir = tempDir();
    const syntax = path.join(dir, '.invsyncrc.js');
    fs.writeFileSync(syntax, 'module.exports = {\n  store: { type: "woocommerce", consumerSecret: "x" cs_JS_SECRET_1 },\n};\n');
    const undefinedName = path.join(dir, 'invsync.config.js');
    fs.writeFileSync(undefinedName, 'module.exports = { store: { consumerSecret: cs_JS_SECRET_2 } };\n');
    const found = await runCli(['check', '--json'], { cwd: dir });
    const named = await runCli(['-c', undefinedName, 'full', '--json']);
    expect([found.code, named.code]).toEqual([2, 2]);
    expectNotPrinted([found, named], ['cs_JS_SECRET_1', 'cs_JS_SECRET_2']);
    expect((JSON.parse(found.stdout) as { checks: Array<{ detail: string }> }).checks[0]!.detail)
      .toBe(`cannot read the configuration: ${syntax}:2:53: Unexpected identifier`);
    expect((JSON.parse(named.stdout) as { message: string }).message)
      .toBe(`cannot read the configuration: ${undefinedName}:1:45: a name is not defined`);
  });

  it('a broken package.json on the search path is a config error naming file:line:col (exit 2), not a crash quoting its text', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "shop", "invsync": {"store": {"consumerSecret": "cs_PKG_SECRET" "type": "woocommerce"}}}');
    const r = await runCli(['check', '--json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect([r.stdout.includes('cs_PKG_SECRET'), r.stderr.includes('cs_PKG_SECRET')]).toEqual([false, false]);
    expect((JSON.parse(r.stdout) as { checks: Array<{ detail: string }> }).checks[0]!.detail)
      .toBe(`cannot read the configuration: ${path.join(dir, 'package.json')}:1:74: Expected ',' or '}' after property value`);
  });

  it('an unquoted YAML secret read as an alias (*…) or a tag (!…) is not quoted back in the syntax error', async () => {
    const dir = tempDir();
    const alias = path.join(dir, 'alias.yaml');
    fs.writeFileSync(alias, 'stateDir: state\nstore:\n  type: vendure\n  password: *Xy12_ALIAS_SECRET\n');
    const tag = path.join(dir, 'tag.yaml');
    fs.writeFileSync(tag, 'stateDir: state\nstore:\n  type: vendure\n  password: !Xy12_TAG_SECRET\n');
    const results = [await runCli(['-c', alias, 'check', '--json']), await runCli(['-c', tag, 'check', '--json'])];
    expect(results.map((r) => r.code)).toEqual([2, 2]);
    for (const r of results) expect([r.stdout.includes('Xy12_'), r.stderr.includes('Xy12_')]).toEqual([false, false]);
    expect(results.map((r) => (JSON.parse(r.stdout) as { checks: Array<{ detail: string }> }).checks[0]!.detail)).toEqual([
      `cannot read the configuration: ${alias}:4:31: unidentified alias`,
      `cannot read the configuration: ${tag}:5:1: unknown tag`,
    ]);
  });

  it('credentials in a feed URL\'s query (?customer=…&pw=…) reach neither stderr, --json nor the runs table', async () => {
    const emu = await startWooEmulator({ products: simpleProducts(3) });
    running.push(emu);
    const dir = tempDir();
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      log: { file: 'invsync.log', level: 'debug' },
      // Port 9 (discard) on loopback: connection refused at once.
      sources: [{ name: 'feed', type: 'csv', url: 'http://127.0.0.1:9/stock.csv?customer=4711&pw=hunter2secret', retries: 0 }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
    const full = await runCli(['-c', config, 'full', '--json', '--log-level', 'debug'], { env });
    expect(full.code).toBe(5);
    expect(full.stderr).toContain('stock.csv?customer=***&pw=***');
    const db = new Database(path.join(dir, 'state', 'invsync.db'), { readonly: true });
    const runs = db.prepare('select summary from runs').all() as Array<{ summary: string }>;
    db.close();
    expect(runs).toHaveLength(1);
    const log = fs.readFileSync(path.join(dir, 'invsync.log'), 'utf8');
    for (const [what, text] of [['stdout', full.stdout], ['stderr', full.stderr], ['runs', runs[0]!.summary], ['log', log]] as const) {
      expect([what, text.includes('hunter2secret'), text.includes('customer=4711')]).toEqual([what, false, false]);
    }
  });

  it('state is owner-only: dir 0700; database, snapshot, key, log and saved plan 0600; world-readable state is tightened', async () => {
    const emu = await startWooEmulator({ products: simpleProducts(3) });
    running.push(emu);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), [['SKU-0001', 5], ['SKU-0002', 5], ['SKU-0003', 5]]);
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      log: { file: 'logs/invsync.log' },
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
    // State an older invsync left readable by everyone.
    const state = path.join(dir, 'state');
    fs.mkdirSync(state, { mode: 0o755 });
    fs.chmodSync(state, 0o755);
    fs.writeFileSync(path.join(state, 'snapshot.json'), 'old', { mode: 0o644 });
    fs.chmodSync(path.join(state, 'snapshot.json'), 0o644);
    expect((await runCli(['-c', config, 'fetch'], { env })).code).toBe(0);
    expect((await runCli(['-c', config, 'match', '--out', path.join(dir, 'plan.json')], { env })).code).toBe(0);
    const mode = (file: string) => fs.statSync(path.join(dir, file)).mode & 0o777;
    expect(mode('state')).toBe(0o700);
    expect(fs.readdirSync(state).sort()).toEqual(['.key', 'invsync.db', 'snapshot.json']);
    for (const file of ['state/.key', 'state/invsync.db', 'state/snapshot.json', 'logs/invsync.log', 'plan.json']) {
      expect([file, mode(file).toString(8)]).toEqual([file, '600']);
    }
    // The saved plan keeps working across runs on the same state dir (the checksum key is kept).
    expect((await runCli(['-c', config, 'push', path.join(dir, 'plan.json')], { env })).code).toBe(0);
    expect(emu.stockBySku().get('SKU-0001')).toBe(5);
  });

  it('a fetch whose lock is taken over while the store lists stops there: exit 3, no snapshot and no index committed', async () => {
    const { emu, dir, config, env } = await lockTestShop({});
    // The listing's answer takes 4 s: the lock (refreshed every second) notices the takeover while it is in flight.
    emu.faults.latencyMs = 4000;
    const child = startCli(['-c', config, 'fetch', '--json'], { env });
    await waitFor(() => emu.requests.length >= 1, 30_000);
    const state = takeOverLock(dir, 'fetch');
    const result = await waitCli(child);
    expect(result.code).toBe(3);
    expect((JSON.parse(result.stdout) as { exitCode: number }).exitCode).toBe(3);
    expect(result.stderr).toMatch(/the lock on .* was lost while this run held it/);
    expect(fs.existsSync(path.join(state, 'snapshot.json'))).toBe(false);
    const db = new Database(path.join(state, 'invsync.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM store_items').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 60_000);

  it('a run whose lock is taken over stops before its next batch and exits 3', async () => {
    const { emu, dir, config, env } = await lockTestShop({ batchSize: 2, concurrency: 1 });
    // Each answer takes 2.5 s: the lock (refreshed every second) notices the takeover while the first batch is in flight.
    emu.faults.latencyMs = 2500;
    const child = startCli(['-c', config, 'full', '--json'], { env });
    await waitFor(() => emu.writeRequests() === 1, 30_000);
    const state = takeOverLock(dir, 'push');
    const result = await waitCli(child);
    expect(result.code).toBe(3);
    expect(emu.writeRequests()).toBe(1);
    expect([...emu.stockBySku().values()]).toEqual([50, 50, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(result.stderr).toMatch(/the lock on .* was lost while this run held it/);
    expect((JSON.parse(result.stdout) as { exitCode: number; status: string }).exitCode).toBe(3);
    // The new holder's lock is left as it is.
    expect(fs.existsSync(path.join(state, 'invsync.lock'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(state, 'lock-holder.json'), 'utf8'))).toMatchObject({ hostname: 'elsewhere' });
  }, 60_000);
});

/** Ten products at 1, a feed of 50 each, a 2 s lock staleness: the set-up of the lost-lock tests. */
async function lockTestShop(storeExtra: Record<string, unknown>) {
  const emu = await startWooEmulator({ products: simpleProducts(10, { stock: () => 1 }) });
  running.push(emu);
  const dir = tempDir();
  writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: 10 }, (_, k) => [`SKU-${String(k + 1).padStart(4, '0')}`, 50]));
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    lock: { staleMs: 2000 },
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...storeExtra },
  });
  return { emu, dir, config, env: { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret } };
}

/** What another run taking the lock over does: the old directory goes aside, a new one with its holder comes. Returns the state dir. */
function takeOverLock(dir: string, command: string): string {
  const state = path.join(dir, 'state');
  fs.renameSync(path.join(state, 'invsync.lock'), path.join(state, 'taken'));
  fs.mkdirSync(path.join(state, 'invsync.lock'));
  fs.writeFileSync(path.join(state, 'lock-holder.json'), JSON.stringify({ pid: 1, hostname: 'elsewhere', command, startedAt: new Date().toISOString() }));
  return state;
}
