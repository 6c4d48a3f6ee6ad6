/**
 * Issue 14's two-store case (SPEC §9 + §10): a web shop on WooCommerce and the same catalogue on
 * Amazon, both fed by ONE supplier CSV, the built CLI run as cron runs it. The CSV is read once
 * per run; each store gets its own levels (Amazon through one JSON_LISTINGS_FEED, FBA never
 * written); a second run writes nothing; Amazon's login failing leaves the web shop synced.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { startAmazonFake, type AmazonFake, type AmazonListing } from '../fakes/amazon.js';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

/** 30 shared SKUs: more than Amazon's patchMax (20), so its plan goes as a feed, not as patch calls. */
const N = 30;
const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;
const FBA_SKU = 'FBA-0001';
const supplierQty = (i: number) => 10 + i;
const REVOKED_REFRESH = 'Atzr|revoked-refresh-token-0000000000';

/** The supplier CSV over HTTP, counting reads (one fetch for both stores must read it once). */
async function feedServer(): Promise<{ url: string; reads: () => number }> {
  let reads = 0;
  const rows = [...Array.from({ length: N }, (_, k) => `${sku(k + 1)},${supplierQty(k + 1)}`), `${FBA_SKU},50`];
  const server = http.createServer((_req, res) => {
    reads++;
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.end(`sku,qty\n${rows.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.csv`, reads: () => reads };
}

/** Amazon's listings: the web shop's SKUs merchant-fulfilled (handling time 3), plus one FBA listing. */
function amazonListings(): AmazonListing[] {
  const listings: AmazonListing[] = Array.from({ length: N }, (_, k) => ({
    sku: sku(k + 1), asin: `B0${String(k + 1).padStart(8, '0')}`, name: `Café “Mug” ${k + 1}`, channel: 'DEFAULT', qty: 1, leadTime: 3, price: '12.99',
  }));
  listings.push({ sku: FBA_SKU, asin: 'B100000001', name: 'FBA item', channel: 'AMAZON_NA', qty: null, price: '9.99' });
  return listings;
}

async function twoStores(amazonExtra: Record<string, unknown> = {}) {
  const web: WooEmulator = await startWooEmulator({ products: simpleProducts(N, { stock: () => 1 }) });
  closers.push(() => web.close());
  const amazon: AmazonFake = await startAmazonFake({ listings: amazonListings() });
  closers.push(() => amazon.close());
  const feed = await feedServer();
  const dir = tempDir();
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'supplier', type: 'csv', url: feed.url }],
    stores: [
      { name: 'web', type: 'woocommerce', url: web.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
      {
        name: 'amazon', type: 'amazon', sellerId: amazon.options.sellerId, marketplaceId: amazon.options.marketplaceId,
        clientId: '${LWA_ID}', clientSecret: '${LWA_SECRET}', refreshToken: '${LWA_REFRESH}', url: amazon.url, tokenUrl: `${amazon.url}/auth/o2/token`,
        ...amazonExtra,
      },
    ],
  });
  const env = {
    WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret,
    LWA_ID: amazon.options.clientId, LWA_SECRET: amazon.options.clientSecret, LWA_REFRESH: amazon.options.refreshToken, INVSYNC_AMAZON_POLL_MS: '10',
  };
  const run = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const result = await runCli(['-c', config, ...args], { env: { ...env, ...extraEnv } });
    // runCli checks the WooCommerce keys; Amazon's secrets and tokens are checked here.
    for (const secret of [amazon.options.clientSecret, amazon.options.refreshToken, REVOKED_REFRESH, ...amazon.issuedTokens]) {
      expect([secret.slice(0, 8), result.stdout.includes(secret) || result.stderr.includes(secret)]).toEqual([secret.slice(0, 8), false]);
    }
    return { ...result, summary: result.stdout ? JSON.parse(result.stdout) as RunSummary : undefined };
  };
  const operations = () => amazon.requestsByOperation();
  return { web, amazon, feed, run, operations };
}

function expectWeb(web: WooEmulator, target: (i: number) => number): void {
  const stock = web.stockBySku();
  for (let i = 1; i <= N; i++) expect([sku(i), stock.get(sku(i))]).toEqual([sku(i), target(i)]);
}

function expectAmazon(amazon: AmazonFake, target: (i: number) => number): void {
  const stock = amazon.stockBySku();
  for (let i = 1; i <= N; i++) expect([sku(i), stock.get(sku(i))]).toEqual([sku(i), target(i)]);
  // FBA: Amazon owns its quantity; the CSV's 50 is never written.
  expect(stock.get(FBA_SKU)).toBeNull();
  // merge on fulfillment_availability keeps the handling time.
  expect(amazon.listings.get(sku(1))!.leadTime).toBe(3);
}

describe('WooCommerce + Amazon from one CSV (issue 14, SPEC §9 + §10)', () => {
  it('full: one read of the CSV, both stores exact, Amazon in one feed, FBA counted not written; a second full writes nothing', async () => {
    const t = await twoStores();
    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    expect(t.feed.reads()).toBe(1);
    expectWeb(t.web, supplierQty);
    expectAmazon(t.amazon, supplierQty);
    // 30 changes > patchMax 20: one feed, no patch calls; the web shop's 30 fit one batch.
    expect(t.operations()).toMatchObject({ createFeed: 1 });
    expect(t.operations().patchListingsItem).toBeUndefined();
    expect(t.amazon.feeds.size).toBe(1);
    expect([...t.amazon.feeds.values()][0]!.messages).toBe(N);
    expect(t.web.writeRequests()).toBe(1);

    const s = first.summary!;
    expect(s).toMatchObject({ command: 'full', status: 'ok', exitCode: 0 });
    expect(s.stores!.map((x) => [x.name, x.status, x.exitCode, x.counts.storeItems, x.counts.changed, x.counts.applied, x.counts.failed, x.counts.pending, x.counts.missing])).toEqual([
      ['web', 'ok', 0, N, N, N, 0, 0, 0],
      ['amazon', 'ok', 0, N + 1, N, N, 0, 0, 0],
    ]);
    expect(s.stores![0]!.counts.notWritten).toBeUndefined();
    expect(s.stores![1]!.counts.notWritten).toEqual({ 'fulfilled by Amazon': 1 });
    expect(s.counts).toMatchObject({ sourceItems: N + 1, storeItems: 2 * N + 1, changed: 2 * N, applied: 2 * N, failed: 0, pending: 0, notWritten: { 'fulfilled by Amazon': 1 } });
    expect(s.changes.some((c) => c.sku === FBA_SKU)).toBe(false);
    expect(s.changes.find((c) => c.store === 'amazon' && c.sku === sku(1))).toMatchObject({ from: 1, to: supplierQty(1), status: 'applied' });

    const again = await t.run(['full', '--json']);
    expect(again.code).toBe(0);
    expect(t.feed.reads()).toBe(2);
    expect(t.web.writeRequests()).toBe(1);
    expect(t.amazon.writeRequests()).toBe(1);
    expect(t.operations().createFeed).toBe(1);
    expect(again.summary!.stores!.map((x) => [x.name, x.exitCode, x.counts.changed, x.counts.applied])).toEqual([['web', 0, 0, 0], ['amazon', 0, 0, 0]]);
    expectWeb(t.web, supplierQty);
    expectAmazon(t.amazon, supplierQty);
  });

  it('a per-store rule: amazon with share 0.5 gets exactly half (rounded down); the web shop gets the full quantity', async () => {
    const t = await twoStores({ rules: { share: 0.5 } });
    const r = await t.run(['full', '--json']);
    expect(r.code).toBe(0);
    expect(t.feed.reads()).toBe(1);
    expectWeb(t.web, supplierQty);
    expectAmazon(t.amazon, (i) => Math.floor(supplierQty(i) * 0.5));
    expect(t.operations().createFeed).toBe(1);
    expect(r.summary!.stores!.map((x) => [x.name, x.exitCode, x.counts.applied])).toEqual([['web', 0, N], ['amazon', 0, N]]);
    expect(r.summary!.changes.find((c) => c.store === 'amazon' && c.sku === sku(2))).toMatchObject({ from: 1, to: 6, status: 'applied' });
    expect(r.summary!.changes.find((c) => c.store === 'web' && c.sku === sku(2))).toMatchObject({ from: 1, to: 12, status: 'applied' });
  });

  it('Amazon refusing the refresh token (invalid_grant) while WooCommerce works: the web shop syncs, exit 5, per store [0, 5], no secret printed', async () => {
    const t = await twoStores();
    // The seller revoked the app's authorization: Login with Amazon answers 400 invalid_grant.
    const r = await t.run(['full', '--json'], { LWA_REFRESH: REVOKED_REFRESH });
    expect(r.code).toBe(5);
    expect(t.operations().token).toBeGreaterThanOrEqual(1);
    expectWeb(t.web, supplierQty);
    expect(t.amazon.writeRequests()).toBe(0);
    expectAmazon(t.amazon, () => 1);
    const s = r.summary!;
    expect(s).toMatchObject({ status: 'failed', exitCode: 5 });
    expect(s.stores!.map((x) => [x.name, x.status, x.exitCode])).toEqual([['web', 'ok', 0], ['amazon', 'failed', 5]]);
    expect(s.stores![0]!.counts.applied).toBe(N);
    expect(s.stores![1]!.message).toMatch(/invalid_grant/);
    expect(s.message).toMatch(/^store "amazon": exit 5/);
    expect(r.stderr).toMatch(/invalid_grant/);
  });
});
