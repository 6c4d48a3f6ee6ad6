import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DropshipzoneSourceConfig } from '../../src/config/schema.js';
import { HttpError, SourceError } from '../../src/domain/errors.js';
import type { SourceRecord } from '../../src/domain/types.js';
import { fetchAll, snapshotPath } from '../../src/pipeline/fetch.js';
import { writeSnapshot } from '../../src/pipeline/snapshot.js';
import { createDropshipzoneSource, dropshipzoneStateFiles } from '../../src/sources/dropshipzone/index.js';
import type { SourceAdapter } from '../../src/sources/types.js';
import { openDb } from '../../src/state/db.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import {
  DSZ_EMAIL, DSZ_PASSWORD, dszCatalog, dszProduct, startDropshipzoneFake, virtualClock, type DszFake, type DszFakeOptions,
} from '../fakes/dropshipzone.js';
import { readSnapshot } from '../helpers/snapshot.js';

// Retries in the HTTP client wait ~20 ms instead of ~500 ms.
process.env.INVSYNC_RETRY_BASE_MS = '20';

const MINUTE = 60_000;
const HOUR = 3_600_000;

let root: string;
let fake: DszFake | undefined;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-dsz-')); });
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }); });
afterEach(async () => { await fake?.close(); fake = undefined; });

let dirs = 0;
function stateDir(): string {
  const dir = path.join(root, `state-${++dirs}`);
  fs.mkdirSync(dir);
  return dir;
}

/** A fake and a virtual clock shared by the fake and the source: rate budgets pass in virtual time. */
async function setup(options: DszFakeOptions = {}) {
  const clock = virtualClock();
  fake = await startDropshipzoneFake({ now: clock.now, ...options });
  const dir = stateDir();
  const source = (overrides: Record<string, unknown> = {}): SourceAdapter => createDropshipzoneSource(
    DropshipzoneSourceConfig.parse({ name: 'dsz', type: 'dropshipzone', url: fake?.url, email: DSZ_EMAIL, password: DSZ_PASSWORD, ...overrides }),
    { stateDir: dir },
    { clock },
  );
  return { fake, clock, dir, source };
}

async function collect(source: SourceAdapter): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of source.stream()) out.push(record);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try { await promise; } catch (err) { return err as Error; }
  throw new Error('expected a failure');
}

const items = (records: SourceRecord[]) => records.filter((r) => r.kind === 'item');
const productPages = (f: DszFake) => f.log.filter((e) => e.path === '/v2/products').map((e) => Number(e.query.page_no));

describe('dropshipzone source: reading the catalog', () => {
  it('streams a multi-page catalog in full, 200 per page, with one auth', async () => {
    const { fake, source } = await setup({ products: dszCatalog(450) });
    const records = await collect(source());
    expect(records).toHaveLength(450);
    expect(records.every((r) => r.kind === 'item')).toBe(true);
    expect(records[0]).toEqual({ kind: 'item', sku: 'V200-0000000', qty: 0, row: 1 });
    expect(records[449]).toEqual({ kind: 'item', sku: 'V249-0000449', qty: 449 % 17, row: 450 });
    expect(new Set(records.map((r) => (r as { sku: string }).sku)).size).toBe(450);
    expect(fake.authCalls).toBe(1);
    expect(productPages(fake)).toEqual([1, 2, 3]);
    expect(fake.log.filter((e) => e.path === '/v2/products').every((e) => e.query.limit === '200')).toBe(true);
  });

  it('keeps pageSize inside the API\'s 40–200', async () => {
    const { fake, source } = await setup({ products: dszCatalog(90) });
    expect(await collect(source({ pageSize: 10 }))).toHaveLength(90);
    expect(fake.log.filter((e) => e.path === '/v2/products').map((e) => e.query.limit)).toEqual(['40', '40', '40']);
    fake.log.length = 0;
    expect(await collect(source({ pageSize: 1000 }))).toHaveLength(90);
    expect(fake.log.filter((e) => e.path === '/v2/products').map((e) => e.query.limit)).toEqual(['200']);
  });

  it('rejects malformed products with their position in the catalog, and in_stock "0" means 0', async () => {
    const products = dszCatalog(40); // page 1 (limit 40)
    products.push(
      dszProduct(1000, 5, { sku: '  TRIM-ME  ' }), //            row 41
      dszProduct(1001, 44, { in_stock: '0' }), //                 row 42: 44 on hand, not shippable
      dszProduct(1002, 3, { sku: undefined }), //                 row 43
      dszProduct(1003, 3, { sku: '' }), //                        row 44
      dszProduct(1004, 3, { stock_qty: 'lots' }), //             row 45
      dszProduct(1005, 3, { stock_qty: null }), //               row 46
      dszProduct(1006, 0, { stock_qty: 'n/a', in_stock: '0' }), // row 47: out of stock whatever stock_qty says
      dszProduct(1007, 7, { stock_qty: '12' }), //                row 48: a numeric string is a number
    );
    const { source } = await setup({ products });
    const records = await collect(source({ pageSize: 40 }));
    expect(records).toHaveLength(48);
    expect(records.slice(40)).toEqual([
      { kind: 'item', sku: 'TRIM-ME', qty: 5, row: 41 },
      { kind: 'item', sku: 'V201-0001001', qty: 0, row: 42 },
      { kind: 'rejected', row: 43, reason: 'no SKU' },
      { kind: 'rejected', row: 44, reason: 'no SKU (empty or not a string)' },
      { kind: 'rejected', row: 45, reason: 'non-numeric stock_qty "lots"', sku: 'V204-0001004' },
      { kind: 'rejected', row: 46, reason: 'no stock_qty', sku: 'V205-0001005' },
      { kind: 'item', sku: 'V206-0001006', qty: 0, row: 47 },
      { kind: 'item', sku: 'V207-0001007', qty: 12, row: 48 },
    ]);
  });

  it('a 400-digit or above-2^31 stock_qty is a rejected row naming it, and the fetch still writes its snapshot', async () => {
    const huge = '9'.repeat(400);
    const products = dszCatalog(40);
    products.push(
      dszProduct(1000, 1, { stock_qty: huge }), //        row 41
      dszProduct(1001, 1, { stock_qty: 4294967297 }), //  row 42
      dszProduct(1002, 1, { stock_qty: '-0' }), //        row 43: counts as 0, written as 0
      dszProduct(1003, 1, { stock_qty: '-4' }), //        row 44: a negative counts as 0
    );
    const { dir, source } = await setup({ products });
    const db = openDb(dir);
    try {
      const outcome = await fetchAll({ stateDir: dir, db, sources: [source({ pageSize: 40 })], store: stubStore() });
      expect(outcome.snapshot.perSource).toEqual({ dsz: { items: 42, rejected: 2 } });
    } finally {
      db.close();
    }
    const records = [];
    for await (const r of readSnapshot(snapshotPath(dir))) records.push(r);
    expect(records.slice(40)).toEqual([
      { kind: 'rejected', source: 'dsz', row: 41, reason: `stock_qty "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647)`, sku: 'V200-0001000' },
      { kind: 'rejected', source: 'dsz', row: 42, reason: 'stock_qty 4294967297 is out of range (0 … 2147483647)', sku: 'V201-0001001' },
      { kind: 'item', source: 'dsz', sku: 'V202-0001002', qty: 0, row: 43 },
      { kind: 'item', source: 'dsz', sku: 'V203-0001003', qty: 0, row: 44 },
    ]);
    // The source itself never yields -0 (it used to, for "-0").
    const direct = await collect(source({ pageSize: 40 }));
    expect(Object.is((direct[42] as { qty: number }).qty, 0)).toBe(true);
  });

  it('check() authenticates and reads the first page at the smallest limit', async () => {
    const { fake, source } = await setup({ products: dszCatalog(450) });
    await expect(source().check?.()).resolves.toBe(`authenticated as ${DSZ_EMAIL}; 450 product(s), 3 page(s) of 200`);
    expect(fake.authCalls).toBe(1);
    expect(fake.log.map((e) => `${e.method} ${e.path}${e.query.limit ? ` limit=${e.query.limit}` : ''}`)).toEqual(['POST /auth', 'GET /v2/products limit=40']);
  });
});

describe('dropshipzone source: authentication', () => {
  it('authenticates once per token lifetime, across runs, with the token cached in a 0600 file', async () => {
    const { fake, clock, dir, source } = await setup({ products: dszCatalog(250), tokenTtlSeconds: 900 });
    await collect(source());
    expect(fake.authCalls).toBe(1);
    const files = dropshipzoneStateFiles(dir, 'dsz');
    if (process.platform !== 'win32') {
      expect(fs.statSync(files.token).mode & 0o777).toBe(0o600);
      expect(fs.statSync(files.budget).mode & 0o777).toBe(0o600);
    }
    const cached = JSON.parse(fs.readFileSync(files.token, 'utf8'));
    expect(cached.token.split('.')).toHaveLength(3);
    expect(JSON.stringify(cached)).not.toContain(DSZ_PASSWORD);

    // A second run (a new process: new adapter) 10 minutes later reuses the cached token…
    clock.advance(10 * MINUTE);
    expect(items(await collect(source()))).toHaveLength(250);
    expect(fake.authCalls).toBe(1);
    // …the next one, within 2 minutes of expiry, authenticates again before the token runs out.
    clock.advance(3 * MINUTE);
    expect(items(await collect(source()))).toHaveLength(250);
    expect(fake.authCalls).toBe(2);
    expect(fake.log.filter((e) => e.status === 401)).toHaveLength(0);
  });

  it('recovers from a token that expires mid-run with exactly one new auth, retrying the refused page', async () => {
    const { fake, dir, source } = await setup({ products: dszCatalog(200), faults: { expireTokenAfterRequests: 3 } });
    const records = await collect(source({ pageSize: 40 }));
    expect(items(records)).toHaveLength(200);
    expect(fake.authCalls).toBe(2);
    expect(fake.log.map((e) => [e.path, e.query.page_no, e.status].filter((x) => x !== undefined).join(' '))).toEqual([
      '/auth 200', '/v2/products 1 200', '/v2/products 2 200', '/v2/products 3 200',
      '/v2/products 4 401', '/auth 200', '/v2/products 4 200', '/v2/products 5 200',
    ]);
    // The cache holds the new token: the next run does not start with a refused one.
    const cached = JSON.parse(fs.readFileSync(dropshipzoneStateFiles(dir, 'dsz').token, 'utf8'));
    fake.faults.expireTokenAfterRequests = null;
    await collect(source({ pageSize: 40 }));
    expect(fake.authCalls).toBe(2);
    expect(typeof cached.token).toBe('string');
  });

  it('a cached token the server no longer accepts (password changed) is replaced once', async () => {
    const { fake, source } = await setup({ products: dszCatalog(50) });
    await collect(source());
    fake.revokeTokens();
    expect(items(await collect(source()))).toHaveLength(50);
    expect(fake.authCalls).toBe(2);
  });

  it('fails when a page is refused again right after a new auth (no loop)', async () => {
    const { fake, source } = await setup({ products: dszCatalog(50), faults: { expireTokenAfterRequests: 0 } });
    const err = await failure(collect(source()));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.status).toBe(401);
    expect(fake.authCalls).toBe(2);
    expect(fake.productRequests).toBe(2);
  });

  it('wrong credentials fail at once, without retries and without the password in the message', async () => {
    const { fake, source } = await setup({ products: dszCatalog(50) });
    const err = await failure(collect(source({ password: 'wrong-password-123' })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/^source "dsz": POST http:\/\/127\.0\.0\.1:\d+\/auth: HTTP 401 Invalid email or password: the email or password is refused$/);
    expect(err.message).not.toContain('wrong-password-123');
    expect(fake.authCalls).toBe(1);
    expect(fake.productRequests).toBe(0);
  });
});

describe('dropshipzone source: rate limits', () => {
  it('with default settings never exceeds 60/minute or 600/hour, even across two back-to-back runs', async () => {
    // 310 pages of 40 per run: the two runs together need 622 requests, more than one hour allows.
    const { fake, clock, source } = await setup({ catalog: { count: 310 * 40 } });
    const first = await collect(source({ pageSize: 40 }));
    const afterFirst = clock.now();
    const second = await collect(source({ pageSize: 40 }));
    expect(items(first)).toHaveLength(310 * 40);
    expect(items(second)).toHaveLength(310 * 40);
    expect(fake.saw429).toBe(0);
    expect(fake.log.every((e) => e.status === 200)).toBe(true);
    expect(fake.maxInWindow(MINUTE)).toBeLessThanOrEqual(60);
    expect(fake.maxInWindow(HOUR)).toBeLessThanOrEqual(600);
    // The second run really waited for the hourly budget (and did not wait needlessly long).
    const elapsed = clock.now() - afterFirst;
    expect(elapsed).toBeGreaterThan(40 * MINUTE);
    // Each run: one auth + 310 pages. The second run's token (cached from the first) ran out
    // during the hourly wait, and was renewed before it was sent, never refused.
    expect(fake.requests).toBe(2 * 311);
    expect(fake.authCalls).toBe(2);
    expect(clock.now() - fake.log[0]!.at).toBeLessThan(HOUR + 15 * MINUTE);
  });

  it('on the real clock, the next run keeps the pace of the previous one (persisted budget)', async () => {
    fake = await startDropshipzoneFake({ products: dszCatalog(40) });
    const dir = stateDir();
    const config = DropshipzoneSourceConfig.parse({
      name: 'dsz', type: 'dropshipzone', url: fake.url, email: DSZ_EMAIL, password: DSZ_PASSWORD, rateLimit: { perSecond: 2 },
    });
    await collect(createDropshipzoneSource(config, { stateDir: dir })); // auth + 1 page
    const firstRunEnded = Date.now();
    await collect(createDropshipzoneSource(config, { stateDir: dir })); // 1 page (cached token)
    expect(fake.log.map((e) => e.path)).toEqual(['/auth', '/v2/products', '/v2/products']);
    // A fresh process would send at once; the persisted budget makes it wait for its 500 ms slot.
    const gap = (fake.log[2] as { at: number }).at - (fake.log[1] as { at: number }).at;
    expect(gap).toBeGreaterThanOrEqual(450);
    expect(Date.now() - firstRunEnded).toBeGreaterThanOrEqual(300);
    expect(fake.saw429).toBe(0);
  });

  it('retries 503s, dropped connections and 429s, honouring Retry-After', async () => {
    const { fake, source } = await setup({ products: dszCatalog(120) });
    fake.faults.status503 = 2;
    fake.faults.dropConnections = 1;
    const records = await collect(source({ pageSize: 40 }));
    expect(items(records)).toHaveLength(120);
    fake.faults.status429 = { count: 1, retryAfter: 1 };
    const started = Date.now();
    expect(items(await collect(source({ pageSize: 40 })))).toHaveLength(120);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });
});

describe('dropshipzone source: failures', () => {
  it('a page that fails repeatedly fails the fetch and keeps the previous snapshot', async () => {
    const { fake, dir, source } = await setup({ products: dszCatalog(120) });
    // A previous successful snapshot.
    const file = snapshotPath(dir);
    await writeSnapshot(file, { sources: ['dsz'] }, (async function* () {
      yield { kind: 'item' as const, source: 'dsz', sku: 'OLD-1', qty: 3, row: 1 };
    })());
    const before = fs.readFileSync(file);
    fake.faults.failPage = { page: 2 };
    const db = openDb(dir);
    try {
      const err = await failure(fetchAll({ stateDir: dir, db, sources: [source({ pageSize: 40, retries: 2 })], store: stubStore() }));
      expect(err).toBeInstanceOf(SourceError);
      expect(err.message).toMatch(/source "dsz".*page_no=2.*HTTP 500/);
      expect(err.message).not.toContain(DSZ_PASSWORD);
    } finally {
      db.close();
    }
    expect(fake.log.filter((e) => e.query.page_no === '2')).toHaveLength(3); // first attempt + 2 retries
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    const kept = [];
    for await (const r of readSnapshot(file)) kept.push(r);
    expect(kept).toEqual([{ kind: 'item', source: 'dsz', sku: 'OLD-1', qty: 3, row: 1 }]);
  });
});

/** A store with one item: enough for fetchAll to refresh its index. */
function stubStore(): StoreAdapter {
  return {
    type: 'stub',
    limits: { maxBatch: 10 },
    async *list() { yield { sku: 'OLD-1', productId: 1, variationId: null, qty: 3, managed: true }; },
    batchKey: () => 'all',
    apply: async () => ({ failed: [] }),
    read: async (changes) => new Map(changes.filter((c) => c.sku === 'OLD-1').map((c) => [c.seq, { qty: 3, managed: true }])),
  };
}
