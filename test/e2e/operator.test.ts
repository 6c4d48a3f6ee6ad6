/**
 * The operator's experience with the built `invsync` binary: a real pseudo-terminal (util-linux
 * `script`) for progress bars and colour, a pipe for cron, the history and setup commands, and
 * notifications, metrics and log files against local receivers on 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, mixedCatalog, simpleProducts, startWooEmulator, type WooEmulator, type WooSeedProduct } from '../fakes/woocommerce.js';
import { startReceiver, type Receiver } from '../fakes/receiver.js';
import { BIN, runCli, startCli, tempDir, waitCli, waitFor, writeCsv, writeJson, type CliResult } from '../helpers/cli.js';
import { WOO_ENV, writeWooSetup } from '../helpers/woo-setup.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

async function shop(products: WooSeedProduct[]): Promise<WooEmulator> {
  const emu = await startWooEmulator({ products });
  running.push(emu);
  return emu;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  running.push(r);
  return r;
}

const ENV = WOO_ENV;
const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;

function setup(emu: WooEmulator, rows: Array<[string, number]>, overrides: Record<string, unknown> = {}) {
  const dir = tempDir();
  const config = writeWooSetup(dir, { url: emu.url, rows, overrides });
  fs.chmodSync(config, 0o600);
  return { dir, config, run: (args: string[], env: Record<string, string> = {}) => runCli(['-c', config, ...args], { env: { ...ENV, ...env } }) };
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run the CLI inside a real pseudo-terminal (stdout and stderr both a TTY, merged, as a person sees them). */
function runInTerminal(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const command = `stty cols 120 2>/dev/null; exec ${[process.execPath, BIN, ...args].map(shq).join(' ')}`;
  const fullEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm-256color', INVSYNC_RETRY_BASE_MS: '20', ...ENV, ...env };
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: tempDir('invsync-cwd-'), env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started })));
}

const hasScript = spawnSync('script', ['--version']).status === 0;
const COLOUR = /\x1b\[(?:1;)?3\dm/;

describe('on a terminal and in cron', () => {
  it('a terminal shows progress bars on stderr and a coloured diff; NO_COLOR and --no-progress turn them off; a pipe gets neither', async () => {
    expect(hasScript).toBe(true); // util-linux `script` provides the pseudo-terminal
    const { products, skus } = mixedCatalog(300);
    const emu = await shop(products);
    const { config } = setup(emu, skus.map((s, i) => [s, 1000 + i] as [string, number]));

    const tty = await runInTerminal(['-c', config, 'full', '--dry-run']);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/\r\x1b\[2Kfetch \S [\d,]+ supplier item\(s\) · [\d,]+ items\/s/);
    expect(tty.stdout).toMatch(/fetch: 300 supplier item\(s\) in /);
    expect(tty.stdout).toMatch(/\r\x1b\[2Kpush {2}[█░]+ \d+\/\d+ batches · \d+% · /);
    expect(tty.stdout).toMatch(COLOUR);
    expect(tty.stdout).toContain('\x1b[1mSKU');
    expect(tty.stdout).toMatch(/✔.*invsync full --dry-run: .*OK/);

    const plain = await runInTerminal(['-c', config, 'full', '--dry-run', '--no-progress'], { NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('\x1b[2K');
    expect(plain.stdout).not.toMatch(COLOUR);
    expect(plain.stdout).toMatch(/^SKU\s+PRODUCT\s+FROM\s+TO\s+Δ\s+REASON/m);

    const pipe = await runCli(['-c', config, 'full', '--dry-run'], { env: ENV });
    expect(pipe.code).toBe(0);
    expect(pipe.stdout + pipe.stderr).not.toContain('\x1b');
    expect(pipe.stdout).toMatch(/^SKU\s+PRODUCT/);
    expect(pipe.stderr).toBe('');
    expect(emu.writeRequests()).toBe(0);
  });

  it('cron: a successful sync prints nothing at all; --verbose prints the summary; a failure explains itself on stderr only', async () => {
    const emu = await shop(simpleProducts(20, { stock: () => 1 }));
    const { run } = setup(emu, Array.from({ length: 20 }, (_, k) => [sku(k + 1), 4] as [string, number]));
    const ok = await run(['full']);
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    expect([...emu.stockBySku().values()].every((q) => q === 4)).toBe(true);

    const verbose = await run(['full', '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toMatch(/^✔ invsync full: OK \(exit 0\)/);
    expect(verbose.stdout).toContain('Nothing to change');

    const bad = await run(['full'], { WC_SECRET: 'cs_wrong_secret_000000000000' });
    expect(bad.code).toBe(5);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('✖ invsync full: FAILED (exit 5)');
    expect(bad.stderr).toMatch(/401/);
    expect(bad.stderr).not.toContain('cs_wrong_secret');
  });
});

describe('history commands', () => {
  it('status shows the lock holder and its age, the pending plan, the last sync and each source\'s last fetch', async () => {
    const emu = await shop(simpleProducts(30, { stock: () => 1 }));
    const { run, config } = setup(emu, Array.from({ length: 30 }, (_, k) => [sku(k + 1), 5] as [string, number]));
    const fresh = await run(['status']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^lock {10}free$/m);
    expect(fresh.stdout).toMatch(/^last sync {5}never/m);
    expect(fresh.stdout).toMatch(/^ {2}feed {2}csv {10}never fetched$/m);

    expect((await run(['full'])).code).toBe(0);
    expect((await run(['match'])).code).toBe(0);
    const after = JSON.parse((await run(['status', '--json'])).stdout) as Record<string, any>;
    expect(after.lock).toBeNull();
    expect(Date.now() - Date.parse(after.lastSuccess)).toBeLessThan(60_000);
    expect(after.sources).toEqual([expect.objectContaining({ name: 'feed', type: 'csv', lastFetch: expect.objectContaining({ items: 30 }) })]);
    expect(after.lastRuns.map((r: { command: string }) => r.command)).toEqual(['match', 'full']);
    expect(after.pendingPlan).toBeNull(); // the feed did not change: the new plan is empty

    emu.faults.latencyMs = 2000;
    const seen = emu.requests.length;
    const slow = startCli(['-c', config, 'fetch'], { env: ENV });
    await waitFor(() => emu.requests.length > seen);
    const during = await run(['status']);
    expect(during.stdout).toMatch(/^lock {10}held by `invsync fetch` \(pid \d+ on .+\) for [\d.]+ (ms|s)$/m);
    expect(during.stdout).toMatch(/ fetch +running /);
    expect((await waitCli(slow)).code).toBe(0);
  });

  it('runs lists the history; show prints a run\'s diff as a table, JSON or CSV; an unknown run exits 2', async () => {
    const emu = await shop(simpleProducts(5, { stock: (i) => i }));
    const { run } = setup(emu, Array.from({ length: 5 }, (_, k) => [sku(k + 1), 10] as [string, number]));
    const full = JSON.parse((await run(['full', '--json'])).stdout) as RunSummary;
    await run(['full', '--dry-run']);

    const runs = await run(['runs']);
    expect(runs.stdout.split('\n')[0]).toMatch(/^RUN\s+COMMAND\s+STATUS\s+EXIT\s+DURATION$/);
    expect(runs.stdout).toMatch(new RegExp(`^${full.runId.replace(/[.]/g, '\\.')}\\s+full\\s+ok\\s+0\\s+\\S`, 'm'));
    expect(runs.stdout).toMatch(/full --dry-run\s+ok/);

    const table = await run(['show', full.runId]);
    expect(table.stdout).toMatch(/^SKU-0001\s+Product 1 \[1\]\s+1\s+→\s+10\s+\+9\s+feed\s+applied$/m);
    expect(table.stdout).toContain('✔ invsync full: OK');
    const json = JSON.parse((await run(['show', full.runId.slice(0, 26), '--format', 'json'])).stdout) as RunSummary;
    expect(json).toMatchObject({ runId: full.runId, counts: full.counts });
    const csv = (await run(['show', full.runId, '--format', 'csv'])).stdout.split('\r\n');
    expect(csv[0]).toBe('sku,name,product_id,variation_id,from,to,delta,reason,status,error');
    expect(csv).toContain('SKU-0002,Product 2,2,,2,10,8,supplier,applied,');
    expect(csv.filter(Boolean)).toHaveLength(1 + 5);

    const unknown = await run(['show', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no run \\"nope\\" \(see `invsync runs`/); // a JSON log line: stderr is not a terminal
    const badFormat = await run(['show', 'last', '--format', 'xml']);
    expect(badFormat.code).toBe(2);
  });
});

describe('first-time setup: init → check → dry run → full', () => {
  it('a starter config from init validates, check tests every connection read-only, a dry run shows the diff, full applies it', async () => {
    const emu = await shop(simpleProducts(12, { stock: () => 3 }));
    const dir = tempDir('invsync-setup-');
    const cli = (args: string[], env: Record<string, string> = ENV) => runCli(args, { cwd: dir, env });

    const init = await cli(['init', '--source', 'csv', '--store', 'woocommerce']);
    expect(init.code).toBe(0);
    const file = path.join(dir, '.invsyncrc.yaml');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(init.stderr).toContain('export WC_KEY=… WC_SECRET=…');
    const again = await cli(['init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists: not overwritten (use --force');

    // The operator fills in the shop URL and puts the supplier file next to the config.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('url: https://shop.example.com', `url: ${emu.url}`));
    const before = await cli(['check']);
    expect(before.code).toBe(5);
    expect(before.stdout).toMatch(/^✖ source feed \(csv\) .*supplier\.csv/m);
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: 12 }, (_, k) => [sku(k + 1), 7] as [string, number]));

    const check = await cli(['check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^✔ config +.*\.invsyncrc\.yaml: 1 source\(s\) enabled, store woocommerce$/m);
    expect(check.stdout).toMatch(/^✔ state dir +/m);
    expect(check.stdout).toMatch(/^✔ source feed \(csv\) +header ok: sku, qty/m);
    expect(check.stdout).toMatch(/^✔ store \(woocommerce\) +WooCommerce at .* authenticated .* 12 products/m);
    expect(check.stdout).toMatch(/All 4 checks passed\./);
    expect(emu.writeRequests()).toBe(0);

    const dry = await cli(['full', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^SKU-0012\s+Product 12 \[12\]\s+3\s+→\s+7\s+\+4\s+feed$/m);
    expect(dry.stdout).toContain('12 change(s) planned, nothing written to the store');
    expect(emu.writeRequests()).toBe(0);

    const full = await cli(['full']);
    expect([full.code, full.stdout, full.stderr]).toEqual([0, '', '']);
    expect([...emu.stockBySku().values()].every((q) => q === 7)).toBe(true);
  });

  it('check exits 2 naming the bad config value, and 5 for refused credentials without printing the secret', async () => {
    const emu = await shop(simpleProducts(3));
    const { config, run } = setup(emu, [[sku(1), 1]]);
    const refused = await run(['check'], { WC_SECRET: 'cs_wrong_secret_111111111111' });
    expect(refused.code).toBe(5);
    expect(refused.stdout).toMatch(/^✔ source feed \(csv\)/m);
    expect(refused.stdout).toMatch(/^✖ store \(woocommerce\) +.*401/m);
    expect(refused.stdout).toMatch(/1 of 4 checks failed \(exit 5\)/);
    expect(refused.stdout + refused.stderr).not.toContain('cs_wrong_secret');

    const raw = JSON.parse(fs.readFileSync(config, 'utf8'));
    writeJson(config, { ...raw, store: { ...raw.store, url: 'shop.example.com' } });
    const bad = await run(['check', '--json']);
    expect(bad.code).toBe(2);
    const report = JSON.parse(bad.stdout) as { ok: boolean; checks: Array<{ check: string; ok: boolean; detail: string }> };
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([expect.objectContaining({ check: 'config', ok: false, detail: expect.stringMatching(/^store\.url: Invalid url/) })]);
    expect(emu.requests).toHaveLength(1);
  });
});

describe('notifications, metrics, logs and low stock', () => {
  it('a failed run POSTs its summary to the webhook and pings /start then /fail; a good run pings success and posts nothing', async () => {
    const emu = await shop(simpleProducts(10, { stock: () => 1 }));
    const hook = await receiver();
    const hc = await receiver();
    const { run } = setup(emu, Array.from({ length: 10 }, (_, k) => [sku(k + 1), 2] as [string, number]), {
      notify: { webhook: { url: `${hook.url}/hooks/invsync` }, healthcheck: { url: `${hc.url}/0f1e2d3c` } },
    });
    const good = await run(['full']);
    expect([good.code, good.stdout, good.stderr]).toEqual([0, '', '']);
    expect(hc.requests.map((r) => r.path)).toEqual(['/0f1e2d3c/start', '/0f1e2d3c']);
    expect(hook.requests).toHaveLength(0);

    const bad = await run(['full'], { WC_SECRET: 'cs_wrong_secret_222222222222' });
    expect(bad.code).toBe(5);
    expect(hc.requests.slice(2).map((r) => r.path)).toEqual(['/0f1e2d3c/start', '/0f1e2d3c/fail']);
    expect(hc.requests[3]!.body).toContain('FAILED (exit 5)');
    expect(hook.requests).toHaveLength(1);
    const body = JSON.parse(hook.requests[0]!.body) as RunSummary & { host: string };
    expect(body).toMatchObject({ command: 'full', status: 'failed', exitCode: 5 });
    expect(hook.requests[0]!.body).not.toContain('cs_wrong_secret');
  });

  it('a run refused by the lock notifies nothing; an unreachable webhook never changes the exit code', async () => {
    const emu = await shop(simpleProducts(10, { stock: () => 1 }));
    const hc = await receiver();
    const { config, run } = setup(emu, Array.from({ length: 10 }, (_, k) => [sku(k + 1), 2] as [string, number]), {
      notify: { webhook: { url: 'http://127.0.0.1:9/unreachable', on: 'always' }, healthcheck: { url: hc.url } },
    });
    // Slow enough that the first run surely still holds the lock when the second starts, even on a loaded machine.
    emu.faults.latencyMs = 1500;
    const first = startCli(['-c', config, 'full'], { env: ENV });
    await waitFor(() => emu.requests.length > 0);
    const locked = await run(['full']);
    expect(locked.code).toBe(3);
    const firstResult = await waitCli(first);
    expect(firstResult.code).toBe(0);
    expect(firstResult.stderr).toMatch(/webhook notification failed \(the run itself is not affected\): .*ECONNREFUSED/);
    expect(hc.requests.map((r) => r.path)).toEqual(['/start', '/']);
  });

  it('metrics.textfile, a rotated log.file and the low-stock list come from one run', async () => {
    const emu = await shop(simpleProducts(10, { stock: () => 5 }));
    const { dir, run } = setup(emu, Array.from({ length: 10 }, (_, k) => [sku(k + 1), k] as [string, number]), {
      metrics: { textfile: 'metrics/invsync.prom' },
      log: { file: 'logs/invsync.log', maxSize: '400B', maxFiles: 2 },
      alerts: { lowStock: 2 },
    });
    const result = await run(['full', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary.lowStock).toEqual([{ sku: sku(1), qty: 0, name: 'Product 1' }, { sku: sku(2), qty: 1, name: 'Product 2' }, { sku: sku(3), qty: 2, name: 'Product 3' }]);

    const prom = fs.readFileSync(path.join(dir, 'metrics', 'invsync.prom'), 'utf8');
    expect(prom).toContain('invsync_last_run_status{status="ok"} 1');
    expect(prom).toContain('invsync_items{state="applied"} 9');
    expect(prom).toContain('invsync_items{state="unchanged"} 1');
    expect(prom).toContain('invsync_low_stock_items 3');
    expect(prom).toMatch(/^invsync_last_success_timestamp_seconds \d+(\.\d+)?$/m);
    expect(fs.readdirSync(path.join(dir, 'metrics'))).toEqual(['invsync.prom']);

    await run(['full', '--dry-run']);
    expect(fs.readFileSync(path.join(dir, 'metrics', 'invsync.prom'), 'utf8')).toBe(prom); // a dry run does not mask the real state

    await run(['full']);
    const logs = fs.readdirSync(path.join(dir, 'logs')).sort();
    expect(logs).toEqual(['invsync.log', 'invsync.log.1', 'invsync.log.2']);
    for (const f of logs) expect(fs.statSync(path.join(dir, 'logs', f)).size).toBeLessThan(400 + 800);
    const lines = fs.readFileSync(path.join(dir, 'logs', 'invsync.log.1'), 'utf8').trim().split('\n');
    expect(lines.every((l) => typeof (JSON.parse(l) as { msg: string }).msg === 'string')).toBe(true);
    expect(lines.join('\n')).not.toContain(DEFAULT_WOO_KEY.consumerSecret);
  });
});
