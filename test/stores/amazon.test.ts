import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AmazonStoreConfig } from '../../src/config/schema.js';
import { HttpError, StoreError } from '../../src/domain/errors.js';
import type { Change, StoreItem } from '../../src/domain/types.js';
import { clearSecrets, redact } from '../../src/lib/redact.js';
import { amazonBaseUrl, createAmazonStore, pollDelay } from '../../src/stores/amazon/index.js';
import { buildFeed, feedFailures } from '../../src/stores/amazon/feed.js';
import { createBucket, refill, waitForToken } from '../../src/stores/amazon/rates.js';
import { decodeCp1252, readListingsReport, reportColumns, FULFILLED_BY_AMAZON } from '../../src/stores/amazon/report.js';
import { refreshAt } from '../../src/stores/amazon/token.js';
import { createStore, loadStoreAdapters } from '../../src/stores/registry.js';
import { changeFor, collect, runStoreContract, toBatches, type StoreContractContext } from '../contracts/store-contract.js';
import { AMAZON_DEFAULTS, amazonCatalog, encodeCp1252, startAmazonFake, type AmazonFake, type AmazonFakeOptions } from '../fakes/amazon.js';
import { tempDir } from '../helpers/cli.js';

beforeAll(() => {
  process.env.INVSYNC_RETRY_BASE_MS = '5';
});

/** Usage plans run this much faster in tests, in the fake and the adapter alike. */
const SPEED = 400;

function configFor(fake: AmazonFake, overrides: Record<string, unknown> = {}): AmazonStoreConfig {
  return AmazonStoreConfig.parse({
    type: 'amazon', sellerId: fake.options.sellerId, marketplaceId: fake.options.marketplaceId, clientId: fake.options.clientId,
    clientSecret: fake.options.clientSecret, refreshToken: fake.options.refreshToken, url: fake.url, tokenUrl: `${fake.url}/auth/o2/token`,
    ...overrides,
  });
}

function adapterFor(fake: AmazonFake, overrides: Record<string, unknown> = {}, stateDir?: string) {
  return createAmazonStore(configFor(fake, overrides), { stateDir }, { rateSpeed: SPEED, pollMs: 2 });
}

function amazonContract(options: AmazonFakeOptions): () => Promise<StoreContractContext> {
  return async () => {
    const fake = await startAmazonFake({ rateSpeed: SPEED, ...options });
    // patchMax 0: every batch is a feed, so writes count one createFeed per batch.
    const overrides = { batchSize: 10, patchMax: 0 };
    return {
      adapter: adapterFor(fake, overrides),
      variations: false,
      fake: {
        seed: async (count) => { const { listings, skus } = amazonCatalog(count); fake.seed(listings); return skus; },
        stockOf: async (sku) => fake.stockBySku().get(sku),
        writeRequests: () => fake.writeRequests(),
        requests: () => fake.requests.length,
        inject429: (n) => { fake.faults.status429 = n; },
        inject503: (n) => { fake.faults.status503 = n; },
        rejectSkus: (skus) => { fake.faults.rejectSkus = skus; },
        badCredentialsAdapter: () => adapterFor(fake, { ...overrides, refreshToken: 'Atzr|revoked-refresh-token-000000' }),
        deleteItem: async (sku) => { fake.listings.delete(sku); },
      },
      // Up to 20 items: one getListingsItem each; more: one report (create, `reportPolls` + 1 polls, document, download).
      readRequests: (changes) => (changes.length <= 20 ? changes.length : 1 + ((options.reportPolls ?? 2) + 1) + 1 + 1),
      close: () => fake.close(),
    };
  };
}

runStoreContract('amazon (gzip reports)', amazonContract({}));
runStoreContract('amazon (plain reports, one poll)', amazonContract({ gzipReports: false, reportPolls: 1 }));

/* ------------------------------------------------------------------------------------------ */

describe('Amazon listings report: gzip, Windows-1252, columns by name', () => {
  it('decodes the bytes 0x80–0x9F as Windows-1252 does (TextDecoder maps them to control characters)', () => {
    expect(decodeCp1252(Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x4d, 0x96, 0x35, 0x80, 0x94, 0x99]))).toBe('Café “M–5€”™');
    expect(decodeCp1252(encodeCp1252('Über “quotes” – 5€ Œ ž'))).toBe('Über “quotes” – 5€ Œ ž');
  });

  it('finds its columns by name wherever Amazon puts them, and names a missing one', () => {
    expect(reportColumns(['Business Price', 'quantity', 'x', 'fulfillment-channel', 'seller-sku'])).toMatchObject({ sku: 4, quantity: 1, channel: 3 });
    expect(() => reportColumns(['seller-sku', 'price'])).toThrow(/no "quantity", "fulfillment-channel" column/);
  });

  it('streams a gzip report split at awkward places (inside a line, between CR and LF) into items, FBA rows marked', async () => {
    const text = 'item-name\tseller-sku\tNew Column\tquantity\tfulfillment-channel\tasin1\r\nCafé “A”\tA-1\tz\t7\tDEFAULT\tB01\r\nFBA thing\tF-1\t\t\tAMAZON_EU\tB02\r\nNo qty\tN-1\t\t\tDEFAULT\t\r\n';
    const bytes = gzipSync(encodeCp1252(text));
    const chunks = [bytes.subarray(0, 5), bytes.subarray(5, 17), bytes.subarray(17)];
    const items = await collect(readListingsReport(Readable.from(chunks), { gzip: true, charset: 'cp1252' }));
    expect(items).toEqual([
      { sku: 'A-1', productId: 'A-1', variationId: null, name: 'Café “A”', qty: 7, managed: true, ref: { channel: 'DEFAULT', asin: 'B01' } },
      { sku: 'F-1', productId: 'F-1', variationId: null, name: 'FBA thing', qty: null, managed: true, notWritten: FULFILLED_BY_AMAZON, ref: { channel: 'AMAZON_EU', asin: 'B02' } },
      { sku: 'N-1', productId: 'N-1', variationId: null, name: 'No qty', qty: null, managed: false, ref: { channel: 'DEFAULT' } },
    ]);
  });

  it('a quantity that is not a number fails the listing with the line and SKU named', async () => {
    const text = 'seller-sku\tquantity\tfulfillment-channel\nA\t3\tDEFAULT\nB\tlots\tDEFAULT\n';
    const err = await collect(readListingsReport(Readable.from([Buffer.from(text)]), { gzip: false, charset: 'cp1252' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/line 3, SKU "B": non-numeric quantity "lots"/);
  });

  it('streams 200,000 rows: items come out while the report is still arriving (it is never held whole)', async () => {
    const header = 'seller-sku\tquantity\tfulfillment-channel\n';
    const rows = 200_000;
    let chunksPulled = 0;
    async function* source() {
      yield Buffer.from(header);
      for (let i = 0; i < rows; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j++) chunk += `SKU-${j}\t${j % 50}\tDEFAULT\n`;
        chunksPulled++;
        yield Buffer.from(chunk);
      }
    }
    let n = 0;
    let pulledAtFirstItem = -1;
    let mostPulledAhead = 0;
    for await (const item of readListingsReport(Readable.from(source()), { gzip: false, charset: 'cp1252' })) {
      n++;
      if (pulledAtFirstItem < 0) pulledAtFirstItem = chunksPulled;
      // Chunk k holds items k*1000 … k*1000+999: how far the reader has read beyond the item it yields.
      mostPulledAhead = Math.max(mostPulledAhead, chunksPulled - Math.floor((n - 1) / 1000) - 1);
      expect(item.sku).toBe(`SKU-${n - 1}`);
    }
    expect(n).toBe(rows);
    expect(pulledAtFirstItem).toBeLessThanOrEqual(2);
    // A few chunks of read-ahead (stream buffering) at most, never the 200 chunks of the whole report.
    expect(mostPulledAhead).toBeLessThanOrEqual(20);
  });
});

describe('JSON_LISTINGS_FEED documents and processing reports', () => {
  const batch: Change[] = [1, 2, 3].map((i) => ({ seq: 10 + i, sku: `S-${i}`, productId: `S-${i}`, variationId: null, from: 0, to: i }));

  it('builds PATCH messages that merge fulfillment_availability (the handling time survives)', () => {
    const feed = JSON.parse(buildFeed('SELLER', 'PRODUCT', batch)) as { header: unknown; messages: unknown[] };
    expect(feed.header).toEqual({ sellerId: 'SELLER', version: '2.0', issueLocale: 'en_US' });
    expect(feed.messages[1]).toEqual({
      messageId: 2, sku: 'S-2', operationType: 'PATCH', productType: 'PRODUCT',
      patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 2 }] }],
    });
    expect(() => buildFeed('S', 'PRODUCT', [])).toThrow(RangeError);
  });

  it('ERROR issues fail their message with Amazon\'s message; warnings fail nothing; feed-level errors fail all', () => {
    const summary = { errors: 1, warnings: 1, messagesProcessed: 3, messagesAccepted: 2, messagesInvalid: 1 };
    expect(feedFailures({ issues: [
      { messageId: 2, sku: 'S-2', code: '90220', severity: 'ERROR', message: "'[batteries_required]' is required but not supplied." },
      { messageId: 3, severity: 'WARNING', message: 'meh' },
    ], summary }, batch)).toEqual([{ seq: 12, message: "90220: '[batteries_required]' is required but not supplied." }]);
    const parse = feedFailures({ issues: [{ code: '4002001', severity: 'ERROR', message: "Item 'Feed' cannot be parsed." }], summary: { ...summary, messagesProcessed: 0 } }, batch);
    expect(parse.map((f) => f.seq)).toEqual([11, 12, 13]);
    expect(parse[0]!.message).toBe("feed refused: 4002001: Item 'Feed' cannot be parsed.");
    // A report that silently processed fewer messages than were sent is no success.
    expect(feedFailures({ issues: [], summary: { ...summary, messagesProcessed: 2 } }, batch)).toHaveLength(3);
  });
});

describe('usage plans (token buckets)', () => {
  it('refills at the rate, never above the burst, and says how long to wait', () => {
    const spec = { rate: 0.5, burst: 15 };
    expect(refill({ tokens: 0, at: 0 }, spec, 4000).tokens).toBe(2);
    expect(refill({ tokens: 14, at: 0 }, spec, 60_000).tokens).toBe(15);
    expect(waitForToken({ tokens: 0.5, at: 0 }, spec, 0)).toBe(1000);
    expect(waitForToken({ tokens: 1, at: 0 }, spec, 0)).toBe(0);
  });

  it('a drained bucket (429) holds the next request for one refill', async () => {
    let now = 0;
    const slept: number[] = [];
    const clock = { now: () => now, sleep: async (ms: number) => { slept.push(ms); now += ms; } };
    const bucket = createBucket({ rate: 5 / 300, burst: 5 }, clock);
    for (let i = 0; i < 5; i++) await bucket.take();
    expect(slept).toEqual([]);
    await bucket.take();
    // One refill plus the margin for requests that reach Amazon unevenly late.
    expect(slept).toEqual([60_050]);
    bucket.drain();
    await bucket.take();
    expect(slept).toEqual([60_050, 60_050]);
  });

  it('poll delays grow from the base to 8× it', () => {
    expect([0, 1, 2, 3, 4, 9].map((n) => pollDelay(n, 5000))).toEqual([5000, 10_000, 20_000, 40_000, 40_000, 40_000]);
  });
});

describe('Amazon store against the fake', () => {
  let fake: AmazonFake;
  afterEach(async () => { await fake?.close(); clearSecrets(); });

  it('config: region picks the host, url overrides it, defaults as SPEC §10 says', async () => {
    const c = AmazonStoreConfig.parse({ type: 'amazon', sellerId: 'S', marketplaceId: 'M', clientId: 'c', clientSecret: 'secret', refreshToken: 'refresh' });
    expect(c).toMatchObject({ region: 'na', tokenUrl: 'https://api.amazon.com/auth/o2/token', productType: 'PRODUCT', patchMax: 20, feedWaitMinutes: 20 });
    expect(amazonBaseUrl(c)).toBe('https://sellingpartnerapi-na.amazon.com');
    expect(amazonBaseUrl({ region: 'eu', url: undefined })).toBe('https://sellingpartnerapi-eu.amazon.com');
    expect(amazonBaseUrl({ region: 'fe', url: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9');
    expect(() => createAmazonStore({ ...c, batchSize: 25_001 })).toThrow(/store.batchSize: at most 25000/);
    await loadStoreAdapters(['amazon']);
    expect(createStore(c).type).toBe('amazon');
  });

  it('lists FBA listings marked notWritten, and never writes them even when asked to', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(3, { fba: 2 }).listings });
    const store = adapterFor(fake);
    const items = await collect(store.list());
    expect(items.map((i) => [i.sku, i.notWritten ?? null])).toEqual([
      ['AMZ-00001', null], ['AMZ-00002', null], ['AMZ-00003', null], ['FBA-00001', FULFILLED_BY_AMAZON], ['FBA-00002', FULFILLED_BY_AMAZON],
    ]);
    expect(items[0]!.name).toBe('Café “Mug” 1 – 5€');
    const fba = items[3] as StoreItem;
    const writes = fake.writeRequests();
    expect(await store.apply([changeFor(fba, 1, 5), changeFor(items[0]!, 2, 5)])).toEqual({ failed: [{ seq: 1, message: 'fulfilled by Amazon: Amazon\'s stock, never written' }] });
    expect(fake.writeRequests() - writes).toBe(1);
    expect(fake.stockBySku().get('FBA-00001')).toBeNull();
  });

  it('small batches go as patchListingsItem (merge keeps the handling time); INVALID fails the item with Amazon\'s issue', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(4).listings });
    const store = adapterFor(fake);
    const items = await collect(store.list());
    fake.faults.rejectSkus = ['AMZ-00002'];
    const result = await store.apply(items.map((item, i) => changeFor(item, i, 20 + i)));
    expect(result).toEqual({ failed: [{ seq: 1, message: "INVALID: 90220: '[fulfillment_availability]' is invalid for SKU AMZ-00002." }] });
    expect(fake.requestsByOperation()).toMatchObject({ patchListingsItem: 4 });
    expect(fake.requestsByOperation().createFeed).toBeUndefined();
    expect(fake.listings.get('AMZ-00001')).toMatchObject({ qty: 20, leadTime: 3 });
  });

  it('a feed keeps the handling time, and its items land', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(30).listings });
    const store = adapterFor(fake);
    const items = await collect(store.list());
    const submitted: string[] = [];
    expect(await store.apply(items.map((item, i) => changeFor(item, i, 40 + i)), { submitted: (id) => submitted.push(id) })).toEqual({ failed: [] });
    expect(submitted).toHaveLength(1);
    expect(fake.listings.get('AMZ-00030')).toMatchObject({ qty: 69, leadTime: 3 });
    expect(fake.requestsByOperation()).toMatchObject({ createFeedDocument: 1, 's3-put': 1, createFeed: 1, getFeed: 3, getFeedDocument: 1 });
  });

  it('a feed still processing after feedWaitMinutes comes back inFlight; settle() later polls it, submitting nothing', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(25).listings, feedPolls: 0 });
    const store = adapterFor(fake, { feedWaitMinutes: 0.001 });
    const items = await collect(store.list());
    const changes = items.map((item, i) => changeFor(item, i, 50));
    fake.faults.holdFeeds = true;
    let feedId = '';
    expect(await store.apply(changes, { submitted: (id) => { feedId = id; } })).toEqual({ failed: [], inFlight: true });
    expect(fake.stockBySku().get('AMZ-00001')).not.toBe(50);
    expect(await store.settle!(feedId, changes)).toEqual({ failed: [], inFlight: true });
    fake.faults.holdFeeds = false;
    fake.faults.rejectSkus = ['AMZ-00003'];
    const creates = fake.requestsByOperation().createFeed;
    const settled = await store.settle!(feedId, changes);
    expect(settled.inFlight).toBeUndefined();
    expect(settled.failed).toEqual([{ seq: 2, message: "90220: '[fulfillment_availability]' is invalid for SKU AMZ-00003." }]);
    expect(fake.requestsByOperation().createFeed).toBe(creates);
    expect(fake.stockBySku().get('AMZ-00001')).toBe(50);
  });

  it('a FATAL feed fails every item with the feed-level issue', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(22).listings });
    const store = adapterFor(fake);
    const items = await collect(store.list());
    fake.faults.fatalFeed = true;
    const result = await store.apply(items.map((item, i) => changeFor(item, i, 5)));
    expect(result.failed).toHaveLength(22);
    expect(result.failed[0]!.message).toBe("feed refused: 4002001: Item 'Feed' cannot be parsed.");
  });

  it('never exceeds 5 JSON feeds per 5 minutes: the sixth waits for the bucket instead of earning a 429', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(7).listings, feedPolls: 0 });
    const store = adapterFor(fake, { batchSize: 1, patchMax: 0 });
    const items = await collect(store.list());
    for (const [i, item] of items.entries()) expect(await store.apply([changeFor(item, i, 30)])).toEqual({ failed: [] });
    const creates = fake.requests.filter((r) => r.path === '/feeds/2021-06-30/feeds');
    expect(creates).toHaveLength(7);
    expect(fake.quotaRefusals()).toBe(0);
    // 5 per 300 s at SPEED: one more every 60 s / SPEED = 150 ms.
    expect(creates[5]!.at - creates[0]!.at).toBeGreaterThanOrEqual(60_000 / SPEED - 20);
  });

  it('waits out QuotaExceeded from a usage plan another client spent', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(3).listings });
    const store = adapterFor(fake);
    await collect(store.list());
    fake.faults.status429 = 3;
    const items = await collect(store.list());
    expect(items).toHaveLength(3);
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(3);
  });

  it('invalid_grant stops at once as an auth error (exit 5) without printing a secret', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED });
    const store = adapterFor(fake, { refreshToken: 'Atzr|this-one-was-revoked-1234567890' });
    const before = fake.requests.length;
    const err = await collect(store.list()).catch((e: unknown) => e) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.details.auth).toBe(true);
    expect(err.code).toBe('INVSYNC_AUTH');
    expect(fake.requests.length - before).toBe(1);
    expect(err.message).toMatch(/Login with Amazon refused the credentials: invalid_grant/);
    expect(redact(err.message)).not.toContain('Atzr|this-one-was-revoked');
  });

  it('403 Unauthorized stops at once; check() names the missing Product Listing role', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, roles: [] });
    const store = adapterFor(fake);
    const before = fake.requests.length;
    const err = await store.check!().catch((e: unknown) => e) as HttpError;
    expect(err.details.auth).toBe(true);
    expect(err.message).toMatch(/Product Listing role/);
    expect(fake.requests.length - before).toBe(2);
  });

  it('check(): a fresh token exchange, then one read-only call', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(3).listings });
    const message = await adapterFor(fake).check!();
    expect(message).toMatch(/Login with Amazon token obtained; the Product Listing role is granted \(3 listing\(s\) readable\)/);
    expect(fake.requestsByOperation()).toEqual({ token: 1, searchListingsItems: 1 });
    expect(fake.writeRequests()).toBe(0);
  });

  it('caches the access token in the state dir (0600) and reuses it across runs; another refresh token never reuses it', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(2).listings });
    const dir = tempDir();
    await collect(adapterFor(fake, {}, dir).list());
    await collect(adapterFor(fake, {}, dir).list());
    expect(fake.requestsByOperation().token).toBe(1);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('amazon-lwa-'));
    expect(files).toHaveLength(1);
    expect(fs.statSync(path.join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    const cached = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    expect(cached).not.toContain(AMAZON_DEFAULTS.refreshToken);
    expect(redact(cached)).not.toContain(fake.issuedTokens[0]!);
    const other = adapterFor(fake, { refreshToken: 'Atzr|another-refresh-token-999999999' }, dir);
    await expect(collect(other.list())).rejects.toMatchObject({ details: { auth: true } });
  });

  it('a cached token Amazon revoked is exchanged once more and the call retried', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(2).listings });
    const dir = tempDir();
    await collect(adapterFor(fake, {}, dir).list());
    fake.revokeTokens();
    expect(await collect(adapterFor(fake, {}, dir).list())).toHaveLength(2);
    expect(fake.requestsByOperation().token).toBe(2);
  });

  it('refreshes five minutes before expiry (or at half life for short tokens)', () => {
    expect(refreshAt({ expiresAt: 3_600_000, lifetimeMs: 3_600_000 })).toBe(3_300_000);
    expect(refreshAt({ expiresAt: 60_000, lifetimeMs: 60_000 })).toBe(30_000);
  });

  it('toBatches keeps one key (feeds take any listing)', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(3).listings });
    const store = adapterFor(fake, { batchSize: 2 });
    const items = await collect(store.list());
    expect(toBatches(store, items.map((item, i) => changeFor(item, i, 1))).map((b) => b.length)).toEqual([2, 1]);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('the SP-API fake is never kinder than Amazon (API_FACTS §11)', () => {
  let fake: AmazonFake;
  afterEach(async () => { await fake?.close(); clearSecrets(); });

  async function accessToken(): Promise<string> {
    const res = await fetch(`${fake.url}/auth/o2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: fake.options.refreshToken, client_id: fake.options.clientId, client_secret: fake.options.clientSecret }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const sp = async (token: string, method: string, p: string, body?: unknown) => {
    const res = await fetch(`${fake.url}${p}`, {
      method, headers: { 'x-amz-access-token': token, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('an access token past expires_in is refused (403, "revoked, malformed or invalid"), as Amazon does', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, expiresIn: 1 });
    const token = await accessToken();
    const search = `/listings/2021-08-01/items/${fake.options.sellerId}?marketplaceIds=${fake.options.marketplaceId}&pageSize=1`;
    expect((await sp(token, 'GET', search)).status).toBe(200);
    await sleep(1100);
    expect(await sp(token, 'GET', search)).toEqual({ status: 403, body: { errors: [expect.objectContaining({ code: 'Unauthorized', details: 'The access token you provided is revoked, malformed or invalid.' })] } });
  });

  it('the adapter never sends an expired token: a short-lived one is exchanged again before it runs out', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, expiresIn: 2, listings: amazonCatalog(2).listings });
    const store = adapterFor(fake);
    expect(await collect(store.list())).toHaveLength(2);
    await sleep(1200);
    expect(await collect(store.list())).toHaveLength(2);
    expect(fake.requestsByOperation().token).toBe(2);
    expect(fake.requests.filter((r) => r.status === 403)).toHaveLength(0);
  });

  it('a presigned document URL expires (S3 403 "Request has expired")', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, documentUrlTtlMs: 200 });
    const token = await accessToken();
    const doc = await sp(token, 'POST', '/feeds/2021-06-30/documents', { contentType: 'application/json; charset=UTF-8' });
    expect(doc.status).toBe(201);
    await sleep(400);
    const put = await fetch(String(doc.body.url), { method: 'PUT', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: '{}' });
    expect(put.status).toBe(403);
    expect(await put.text()).toContain('Request has expired');
  });

  it('a feed message whose messageId is not an integer 1..2147483647 is refused with BAD_REQUEST', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, feedPolls: 0, listings: amazonCatalog(2).listings });
    const token = await accessToken();
    const doc = await sp(token, 'POST', '/feeds/2021-06-30/documents', { contentType: 'application/json; charset=UTF-8' });
    const message = (messageId: number, sku: string) => ({ messageId, sku, operationType: 'PATCH', productType: 'PRODUCT', patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 4 }] }] });
    const feed = { header: { sellerId: fake.options.sellerId, version: '2.0' }, messages: [message(0, 'AMZ-00001'), message(1.5, 'AMZ-00002')] };
    expect((await fetch(String(doc.body.url), { method: 'PUT', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: JSON.stringify(feed) })).status).toBe(200);
    const created = await sp(token, 'POST', '/feeds/2021-06-30/feeds', { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [fake.options.marketplaceId], inputFeedDocumentId: doc.body.feedDocumentId });
    const status = await sp(token, 'GET', `/feeds/2021-06-30/feeds/${String(created.body.feedId)}`);
    const result = await sp(token, 'GET', `/feeds/2021-06-30/documents/${String(status.body.resultFeedDocumentId)}`);
    const report = JSON.parse(gunzipSync(Buffer.from(await (await fetch(String(result.body.url))).arrayBuffer())).toString('utf8')) as { summary: Record<string, number> };
    expect(report.summary).toMatchObject({ messagesProcessed: 2, messagesAccepted: 0, messagesInvalid: 2 });
    expect(fake.stockBySku().get('AMZ-00001')).toBe(1);
  });

  it('patchListingsItem takes one marketplace per request: two are refused with 400 InvalidInput', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(1).listings });
    const token = await accessToken();
    const body = { productType: 'PRODUCT', patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 4 }] }] };
    const item = `/listings/2021-08-01/items/${fake.options.sellerId}/AMZ-00001`;
    expect(await sp(token, 'PATCH', `${item}?marketplaceIds=${fake.options.marketplaceId},A2EUQ1WTGCTBG2`, body)).toEqual({ status: 400, body: { errors: [expect.objectContaining({ code: 'InvalidInput' })] } });
    expect(fake.stockBySku().get('AMZ-00001')).toBe(1);
    expect((await sp(token, 'PATCH', `${item}?marketplaceIds=${fake.options.marketplaceId}`, body)).body).toMatchObject({ status: 'ACCEPTED' });
    expect(fake.stockBySku().get('AMZ-00001')).toBe(4);
  });

  it('a seller without listings: Amazon cancels the report (no data) and the index is empty, not an error', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED });
    expect(await collect(adapterFor(fake).list())).toEqual([]);
    expect(fake.requestsByOperation()).toMatchObject({ createReport: 1, getReport: 3 });
    expect(fake.requestsByOperation().getReportDocument).toBeUndefined();
  });

  it('a FATAL listings report fails the listing with a StoreError naming it', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(2).listings });
    fake.faults.fatalReport = true;
    const err = await collect(adapterFor(fake).list()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/^amazon: the listings report \S+ failed \(FATAL\); try again later$/);
  });

  it('a feed Amazon cancels before processing fails every item, to be sent again', async () => {
    fake = await startAmazonFake({ rateSpeed: SPEED, listings: amazonCatalog(21).listings });
    const store = adapterFor(fake);
    const items = await collect(store.list());
    fake.faults.cancelFeeds = true;
    let feedId = '';
    const result = await store.apply(items.map((item, i) => changeFor(item, i, 9)), { submitted: (id) => { feedId = id; } });
    expect(result.failed).toHaveLength(21);
    expect(result.failed[0]).toEqual({ seq: 0, message: `feed ${feedId} was cancelled before processing; it will be sent again` });
    expect(fake.stockBySku().get('AMZ-00001')).toBe(1);
  });
});
