/**
 * The `invsync serve` page in a real headless Chromium (SPEC §13, issue 17): the built server
 * from dist/ over a state dir, the WooCommerce emulator as the store, a CSV feed. The tests run in
 * order and share one browser, one server and one store: login → dry run from the page → its diff
 * → apply exactly that plan → explain → a CLI run holding the lock → the phone layout.
 *
 * SCREENSHOTS=1 also writes docs/screenshots/*.png of the main views (after a few extra runs,
 * so the runs chart has something to show).
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'puppeteer-core';
import { simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { freePort, launchChromium } from '../helpers/browser.js';
import { runCli, startCli, stderrOf, tempDir, waitCli, waitFor, writeCsv } from '../helpers/cli.js';
import { WOO_ENV, writeWooSetup } from '../helpers/woo-setup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : null;
const TOKEN = 'page-test-token-0123456789abcdef';
const COUNT = 40;
const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;
/** Product 7's name is markup: the page must show it as text, never make it an element. */
const EVIL_NAME = '<img src=x id=pwned>Mug & "Co"';

let emu: WooEmulator;
let dir: string;
let config: string;
let env: Record<string, string>;
let server: ChildProcess & { started: number };
let base: string;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let page: Page;
const pageErrors: string[] = [];
let dryRunId = '';

const feedRows = (target: (i: number) => number) => Array.from({ length: COUNT }, (_, k) => [sku(k + 1), target(k + 1)] as [string, number]);

function writeFeed(target: (i: number) => number): void {
  writeCsv(path.join(dir, 'supplier.csv'), feedRows(target));
}

beforeAll(async () => {
  const products = simpleProducts(COUNT, { stock: () => 1 });
  products[6] = { ...products[6]!, name: EVIL_NAME };
  emu = await startWooEmulator({ products });
  dir = tempDir();
  config = writeWooSetup(dir, {
    url: emu.url, rows: feedRows((i) => i + 10),
    // A schedule that never fires during a test: 03:00 on 29 February (screenshots: daily at 03:00).
    overrides: { serve: { token: '${SERVE_TOKEN}', schedule: SHOTS ? '0 3 * * *' : '0 3 29 2 *' } },
  });
  env = { ...WOO_ENV, SERVE_TOKEN: TOKEN };
  if (SHOTS) await historyForTheChart();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startCli(['-c', config, 'serve', '--port', String(port)], { env, cwd: dir });
  await waitForHealth();
  ({ browser, close: closeBrowser } = await launchChromium());
  page = await browser.newPage();
  page.on('pageerror', (err) => { pageErrors.push(String(err)); });
  page.on('console', (msg) => { if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text()); });
  await page.setViewport({ width: 1200, height: 900 });
}, 120_000);

afterAll(async () => {
  await closeBrowser?.();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await waitCli(server).catch(() => undefined);
  }
  await emu?.close();
});

async function waitForHealth(): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`invsync serve exited ${server.exitCode}: ${stderrOf(server)}`);
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new Error(`invsync serve did not answer /healthz: ${stderrOf(server)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Screenshots only: a few real runs first (some applied, one dry), so the chart shows a history. */
async function historyForTheChart(): Promise<void> {
  // All 40 change, then 15, then 7, then a mix up and down (so the dry run's diff has both signs).
  const levels = [
    (i: number) => i + 3,
    (i: number) => (i <= 15 ? i + 5 : i + 3),
    (i: number) => (i <= 15 ? i + 5 : i % 4 === 0 ? 0 : i + 3),
    (i: number) => (i % 3 === 0 ? i + 14 : i % 7 === 0 ? 2 : i + 5),
  ];
  for (const level of levels) {
    writeFeed(level);
    expect((await runCli(['-c', config, 'full'], { env, cwd: dir })).code).toBe(0);
  }
  writeFeed((i) => i + 10);
}

async function shot(name: string, fullPage = true): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

let loads = 0;
/** A fresh load of the page at `hash` (goto to the URL the page is already on would wait for a navigation that never comes). */
const visit = (hash: string) => page.goto(`${base}/?load=${++loads}${hash}`);
const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? '');
const cells = (column: number) => page.$$eval(`.diff tbody tr.row td:nth-child(${column})`, (tds) => tds.map((td) => td.textContent ?? ''));

/** The run the page shows now (from its address), once the view shows it finished (the page polls a running one). */
async function finishedRun(): Promise<string> {
  await page.waitForFunction(() => location.hash.startsWith('#/run/'));
  const runId = decodeURIComponent(new URL(page.url()).hash.replace('#/run/', ''));
  await page.waitForSelector(`.run-head[data-run="${runId}"]`, { timeout: 60_000 });
  return runId;
}

describe('the serve page in Chromium', () => {
  it('logs in with the token: a wrong one is refused, the right one opens the status view', async () => {
    const response = await page.goto(`${base}/`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'; style-src 'self'/);
    await page.waitForSelector('#login-form', { visible: true });
    await page.type('#token', 'not-the-token-at-all');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error', { visible: true });
    expect(await text('#login-error')).toMatch(/not right/);

    await page.$eval('#token', (e) => { (e as HTMLInputElement).value = ''; });
    await page.type('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#dry-run', { visible: true });
    expect(await text('#lock-card')).toMatch(/free/);
    // The session is a cookie the page's scripts cannot read (HttpOnly).
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // No inline script or handler anywhere: the page works under a strict CSP.
    expect(await page.evaluate(() => document.querySelectorAll('script:not([src])').length)).toBe(0);
    expect(await page.evaluate(() => [...document.querySelectorAll('*')].some((e) => [...e.attributes].some((a) => a.name.startsWith('on'))))).toBe(false);
  }, 60_000);

  it('a dry run started from the page shows its diff: every row, sortable, filterable, store text as text; nothing written', async () => {
    // A slow store keeps the run going long enough to see the page follow it live.
    emu.faults.latencyMs = 700;
    const writesBefore = emu.writeRequests();
    await page.click('#dry-run');
    await page.waitForSelector('#progress');
    expect(await text('#progress')).toMatch(/running invsync full --dry-run/);
    emu.faults.latencyMs = 0;
    dryRunId = await finishedRun();
    await page.waitForSelector('.diff tbody tr.row');
    expect(dryRunId).toMatch(/^\d{4}-/);
    expect(await text('.run-head')).toMatch(/ok.*full --dry-run/);
    expect(await text('.diff-count')).toBe(`${COUNT} of ${COUNT} changes`);
    expect(emu.writeRequests()).toBe(writesBefore);

    await page.click('button.sort[data-sort="to"]');
    await page.click('button.sort[data-sort="to"]');
    await page.waitForFunction(() => document.querySelector('button.sort[data-sort="to"]')?.closest('th')?.getAttribute('aria-sort') === 'descending');
    expect((await cells(4)).slice(0, 3)).toEqual(['50', '49', '48']);
    await page.click('button.sort[data-sort="sku"]');
    await page.waitForFunction(() => document.querySelector('.diff tbody tr.row td')?.textContent === 'SKU-0001');

    await page.type('.diff-filter', 'mug & "co"');
    await page.waitForFunction(() => document.querySelector('.diff-count')?.textContent === '1 of 40 changes');
    expect(await cells(1)).toEqual([sku(7)]);
    expect(await cells(2)).toEqual([EVIL_NAME]);
    expect(await page.$('#pwned')).toBeNull();
    await page.$eval('.diff-filter', (e) => { (e as HTMLInputElement).value = ''; });
    await page.type('.diff-filter', sku(12));
    await page.waitForFunction((want) => document.querySelector('.diff tbody tr.row td')?.textContent === want, {}, sku(12));
    expect(await text('.diff-count')).toBe('1 of 40 changes');
    expect(await cells(1)).toEqual([sku(12)]);
    expect(await cells(4)).toEqual(['22']);
    await page.$eval('.diff-filter', (e) => { (e as HTMLInputElement).value = ''; e.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('.diff-count')?.textContent === '40 of 40 changes');
    await shot('diff');
  }, 90_000);

  it('the diff table keeps only the rows in view in the DOM: 20,000 changes scroll to the last and sort', async () => {
    const result = await page.evaluate(async () => {
      const url = '/app.js'; // a variable: tsc must not resolve the page's own module
      const m = await import(url) as { diffTable: (changes: unknown[]) => HTMLElement };
      const changes = Array.from({ length: 20_000 }, (_, i) => ({ sku: `BIG-${i}`, productId: i + 1, variationId: null, from: i % 50, to: (i * 7) % 50, status: 'planned', error: null }));
      const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const started = performance.now();
      const table = m.diffTable(changes);
      table.id = 'big';
      document.querySelector('#view')!.append(table);
      await frames();
      const firstDraw = performance.now() - started;
      const rowsInDom = table.querySelectorAll('tr.row').length;
      const scroller = table.querySelector('.diff-scroll') as HTMLElement;
      scroller.scrollTop = scroller.scrollHeight;
      scroller.dispatchEvent(new Event('scroll'));
      await frames();
      const lastSku = [...table.querySelectorAll('tr.row td:first-child')].pop()?.textContent;
      const sortStart = performance.now();
      (table.querySelector('button.sort[data-sort="delta"]') as HTMLElement).click();
      await frames();
      const sortMs = performance.now() - sortStart;
      const firstAfterSort = table.querySelector('tr.row td:nth-child(5)')?.textContent;
      const rowsAfterScroll = table.querySelectorAll('tr.row').length;
      table.remove();
      return { rowsInDom, rowsAfterScroll, lastSku, firstAfterSort, firstDraw, sortMs };
    });
    expect(result.rowsInDom).toBeLessThan(100);
    expect(result.rowsAfterScroll).toBeLessThan(100);
    expect(result.lastSku).toBe('BIG-19999');
    expect(result.firstAfterSort).toBe('-42');
    process.stderr.write(`page: 20,000-row diff drawn in ${result.firstDraw.toFixed(0)} ms, sorted in ${result.sortMs.toFixed(0)} ms\n`);
  }, 60_000);

  it('"apply exactly this plan" pushes that plan: the store holds the reviewed levels', async () => {
    expect(await text('#apply')).toMatch(`Apply exactly this plan (${COUNT} changes)`);
    await page.click('#apply');
    await page.waitForFunction((id) => !location.hash.includes(encodeURIComponent(id)) && location.hash.startsWith('#/run/'), {}, dryRunId);
    expect(await finishedRun()).not.toBe(dryRunId);
    expect(await text('.run-head')).toMatch(/^ok invsync push/);
    const stock = emu.stockBySku();
    for (let i = 1; i <= COUNT; i++) expect(stock.get(sku(i))).toBe(i + 10);
    expect(await page.$('#apply')).toBeNull();
  }, 90_000);

  it('explains a SKU: its source row, the rules, the target, and its level over the recent runs', async () => {
    await visit(`#/explain/${sku(7)}`);
    await page.waitForSelector('.target-qty');
    expect(await text('.target-qty')).toBe('17');
    expect(await page.$$eval('table.sources tbody tr td', (tds) => tds.slice(0, 4).map((td) => td.textContent))).toEqual(['feed', sku(7), expect.any(String), '17']);
    expect(await page.$$eval('.rules li code', (c) => c.map((e) => e.textContent))).toContain('aggregate');
    expect(await page.$$eval('table.store-items tbody td', (tds) => tds[3]?.textContent)).toBe('17');
    // The applied change to 17 is the chart's newest point, filled (applied).
    await page.waitForSelector('#sku-chart circle.after.applied');
    expect(await page.$$eval('#sku-chart g.point title', (t) => t[t.length - 1]?.textContent ?? '')).toMatch(SHOTS ? /→ 17 \(applied\)/ : /1 → 17 \(applied\)/);
    await shot('explain');
    await visit('#/status');
    await page.waitForSelector('#runs-chart rect.bar.applied');
    expect(await page.$$eval('#runs-chart g.run', (g) => g.length)).toBeGreaterThanOrEqual(2);
    await shot('status');
  }, 60_000);

  it('a run that a CLI run holds the lock for is refused on the page, naming the holder', async () => {
    emu.faults.latencyMs = 1500;
    writeFeed((i) => i + 20);
    const before = emu.requests.length;
    const cli = startCli(['-c', config, 'full'], { env, cwd: dir });
    try {
      // The CLI takes the lock before its first request to the store.
      await waitFor(() => emu.requests.length > before, 20_000);
      await visit('#/status');
      await page.waitForFunction(() => /held by/.test(document.querySelector('#lock-card')?.textContent ?? ''), { timeout: 20_000 });
      expect(await text('#lock-card')).toContain(`pid ${cli.pid}`);
      await page.click('#dry-run');
      await page.waitForSelector('#notice.lock', { visible: true });
      const notice = await text('#notice');
      expect(notice).toMatch(/Another run is in progress/);
      expect(notice).toContain('`invsync full`');
      expect(notice).toContain(`pid ${cli.pid}`);
      await shot('lock-conflict', false);
    } finally {
      emu.faults.latencyMs = 0;
      expect((await waitCli(cli)).code).toBe(0);
    }
  }, 90_000);

  it('pauses and resumes the schedule from the status view', async () => {
    await visit('#/status');
    await page.waitForSelector('#schedule-card button');
    expect(await text('#schedule-card')).toMatch(/0 3 29 2 \* — running.*next run: .*2\/29\/2028.*Pause/);
    await page.click('#schedule-card button');
    await page.waitForFunction(() => /paused/.test(document.querySelector('#schedule-card')?.textContent ?? ''));
    expect(await text('#schedule-card')).toMatch(/— paused.*next run: –.*Resume/);
    await page.click('#schedule-card button');
    await page.waitForFunction(() => /running/.test(document.querySelector('#schedule-card')?.textContent ?? ''));
  }, 30_000);

  it('a plan `invsync match` recorded is pending on the status view; Review opens its diff with the apply button', async () => {
    writeFeed((i) => i + 30);
    expect((await runCli(['-c', config, 'fetch'], { env, cwd: dir })).code).toBe(0);
    expect((await runCli(['-c', config, 'match'], { env, cwd: dir })).code).toBe(0);
    await visit('#/status');
    await page.waitForSelector('#plan-card button[data-action="review-plan"]');
    expect(await text('#plan-card')).toMatch(/plan \d+ \(pending, built .* ago\): 40 to send, 0 applied, 0 failed/);
    await page.click('#plan-card button[data-action="review-plan"]');
    await finishedRun();
    expect(await text('.run-head')).toMatch(/^ok invsync match/);
    expect(await text('#apply')).toBe('Apply exactly this plan (40 changes)');
    expect(await cells(4)).toContain('37');
  }, 60_000);

  it('a run a safety gate stopped shows the gate and its reason; the run history links to it', async () => {
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: 20 }, (_, k) => [sku(k + 1), 5] as [string, number]));
    const blocked = await runCli(['-c', config, 'full', '--json'], { env, cwd: dir });
    expect(blocked.code).toBe(4);
    const runId = (JSON.parse(blocked.stdout) as { runId: string }).runId;
    await visit('#/runs');
    await page.waitForSelector('table.runs tbody tr');
    expect(await page.$eval('table.runs tbody tr', (tr) => tr.textContent ?? '')).toMatch(/full.*blocked.*4/);
    await page.click('table.runs tbody tr a');
    expect(await finishedRun()).toBe(runId);
    await page.waitForSelector('#gate');
    expect(await text('.run-head')).toMatch(/^blocked invsync full · exit 4/);
    expect(await text('#gate')).toMatch(/^Safety gate tripped: maxMissingRatio\. .*50% of in-scope store SKUs \(20 of 40\) are in no supplier feed, limit 30%; nothing was written/);
    expect(await page.$('#apply')).toBeNull();
  }, 60_000);

  it('a run killed with -9 shows as interrupted and is not polled as running', async () => {
    emu.faults.latencyMs = 3000;
    const requests = emu.requests.length;
    const cli = startCli(['-c', config, 'full'], { env, cwd: dir });
    await waitFor(() => emu.requests.length > requests, 30_000);
    cli.kill('SIGKILL');
    await waitCli(cli).catch(() => undefined);
    emu.faults.latencyMs = 0;
    const runs = JSON.parse((await runCli(['-c', config, 'runs', '--json'], { env, cwd: dir })).stdout) as Array<{ runId?: string; id?: string }>;
    const runId = runs[0]!.runId ?? runs[0]!.id!;
    await visit(`#/run/${encodeURIComponent(runId)}`);
    await page.waitForSelector(`.run-head[data-run="${runId}"]`, { timeout: 20_000 });
    expect(await text('.run-head')).toMatch(/^interrupted invsync full · exit –/);
    expect(await text('.message.warn')).toContain('This run was interrupted');
  }, 60_000);

  it('on a 390×844 phone the status, a diff and an explanation fit the width (no sideways scrolling)', async () => {
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await visit('#/status');
    await page.waitForSelector('#runs-chart');
    expect(await overflow()).toBe(0);
    await shot('phone-status');
    await visit(`#/run/${encodeURIComponent(dryRunId)}`);
    await page.waitForSelector('.diff tbody tr.row');
    expect(await overflow()).toBe(0);
    await shot('phone-diff', false);
    await visit(`#/explain/${sku(7)}`);
    await page.waitForSelector('#sku-chart');
    expect(await overflow()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
