import { afterEach, describe, expect, it } from '@jest/globals';
import { NetSuiteSourceConfig } from '../../src/config/schema.js';
import { ConfigError, HttpError, SourceError } from '../../src/domain/errors.js';
import type { SourceRecord, SupplierItem } from '../../src/domain/types.js';
import { ItemAggregator } from '../../src/sources/netsuite/aggregate.js';
import { createNetSuiteSource, defaultUrl, type NetSuiteInternalOptions } from '../../src/sources/netsuite/index.js';
import { authorizationHeader } from '../../src/sources/netsuite/oauth.js';
import { defaultQuery } from '../../src/sources/netsuite/query.js';
import { createSource, loadSourceAdapters } from '../../src/sources/registry.js';
import {
  expectedSums, netsuiteItems, startNetSuiteFake, type NetSuiteFake, type NetSuiteFakeOptions, type NsItem,
} from '../fakes/netsuite.js';

// Retries in the HTTP client wait ~20 ms instead of ~500 ms.
process.env.INVSYNC_RETRY_BASE_MS = '20';

const ctx = { stateDir: '/nonexistent-state-dir' };
const DEFAULT_Q = defaultQuery({ sku: 'itemid', location: 'location', qty: 'quantityavailable' });
let fake: NetSuiteFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function start(options: NetSuiteFakeOptions): Promise<NetSuiteFake> {
  fake = await startNetSuiteFake(options);
  return fake;
}

function config(f: NetSuiteFake, overrides: Record<string, unknown> = {}): NetSuiteSourceConfig {
  return NetSuiteSourceConfig.parse({ name: 'ns', type: 'netsuite', accountId: f.accountId, ...f.credentials, url: f.url, ...overrides });
}

function source(f: NetSuiteFake, overrides: Record<string, unknown> = {}, internal: NetSuiteInternalOptions = {}) {
  return createNetSuiteSource(config(f, overrides), ctx, internal);
}

async function collect(s: { stream(signal?: AbortSignal): AsyncIterable<SourceRecord> }): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of s.stream()) out.push(r);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try { await promise; } catch (err) { return err as Error; }
  throw new Error('expected a failure');
}

const items = (records: SourceRecord[]) => records.filter((r): r is SupplierItem => r.kind === 'item');
const sums = (records: SourceRecord[]) => new Map(items(records).map((r) => [r.sku, r.qty]));

/** 1-based position of each item's first row in the default query's full result. */
function firstRows(list: NsItem[]): Map<string, number> {
  const out = new Map<string, number>();
  let row = 1;
  for (const item of [...list].sort((a, b) => a.id - b.id)) {
    out.set(item.itemid as string, row);
    row += Object.keys(item.locations).length;
  }
  return out;
}

describe('netsuite source: quantities per SKU', () => {
  it('sums the available quantity over all locations into one item per SKU, across pages', async () => {
    const list = netsuiteItems(150);
    const f = await start({ items: list });
    const records = await collect(source(f, { pageSize: 100 }));
    // 150 items × 3 locations, minus location 3 on every 4th item: 413 rows, 5 pages.
    expect(f.requests.map((r) => [r.offset, r.status])).toEqual([0, 100, 200, 300, 400].map((o) => [String(o), 200]));
    expect(records).toHaveLength(150);
    expect(sums(records)).toEqual(expectedSums(list));
    // Ids run 98, 99, 100, …: numeric order, not string order, and each item once, in id order.
    expect(items(records).map((r) => r.sku)).toEqual(list.map((i) => i.itemid));
    const rows = firstRows(list);
    expect(items(records).every((r) => r.row === rows.get(r.sku))).toBe(true);
    expect(f.requests.every((r) => r.q === DEFAULT_Q)).toBe(true);
  });

  it('sums only the configured locations, given as numbers or strings; an item stocked elsewhere only is 0', async () => {
    const list: NsItem[] = [...netsuiteItems(40), { id: 5000, itemid: 'ONLY-AT-2', locations: { 2: { quantityavailable: '7' } } }];
    const f = await start({ items: list });
    const records = await collect(source(f, { locations: [1, '3'] }));
    const expected = expectedSums(list, ['1', '3']);
    expect(expected.get('ONLY-AT-2')).toBe(0);
    expect(sums(records)).toEqual(expected);
    expect(sums(records)).not.toEqual(expectedSums(list));
  });

  it('reads another quantity column with the default query when qtyField says so', async () => {
    const list = netsuiteItems(10);
    const f = await start({ items: list });
    const records = await collect(source(f, { qtyField: 'quantityOnHand' }));
    const onHand = new Map(list.map((i) => [i.itemid as string, Object.values(i.locations).reduce((s, l) => s + (l.quantityonhand == null ? 0 : Number(l.quantityonhand)), 0)]));
    expect(sums(records)).toEqual(onHand);
  });

  it('leaves inactive and non-inventory items out (the default query filters them)', async () => {
    const list: NsItem[] = [
      ...netsuiteItems(3),
      { id: 900, itemid: 'INACTIVE', isinactive: 'T', locations: { 1: { quantityavailable: '5' } } },
      { id: 901, itemid: 'A-KIT', itemtype: 'Kit', locations: { 1: { quantityavailable: '5' } } },
    ];
    const f = await start({ items: list });
    expect(items(await collect(source(f))).map((r) => r.sku)).toEqual(['NS-00001', 'NS-00002', 'NS-00003']);
  });

  it('rejects an item with a non-numeric quantity or no itemid, at its first row, without a partial sum', async () => {
    const list = netsuiteItems(6);
    list[1]!.locations['2']!.quantityavailable = '12 pcs';
    list[3]!.itemid = null;
    const f = await start({ items: list });
    const records = await collect(source(f, { pageSize: 4 }));
    const rows = firstRows(list.map((i, k) => (k === 3 ? { ...i, itemid: 'x' } : i)));
    expect(records.filter((r) => r.kind === 'rejected')).toEqual([
      { kind: 'rejected', row: rows.get('NS-00002'), sku: 'NS-00002', reason: `non-numeric quantityavailable "12 pcs" at location 2 (row ${(rows.get('NS-00002') as number) + 1})` },
      { kind: 'rejected', row: rows.get('x'), reason: 'no itemid (item id 101)' },
    ]);
    expect(items(records).map((r) => r.sku)).toEqual(['NS-00001', 'NS-00003', 'NS-00005', 'NS-00006']);
  });

  it('continues past the 100,000-row cap with a keyset query on item id, every item once with its full sum', async () => {
    // The cap is scaled down to 3,000 rows on both sides; 2,500 items × ~2.75 locations ≈ 6,875 rows.
    const list = netsuiteItems(2500);
    const f = await start({ items: list, rowCap: 3000 });
    const records = await collect(source(f, {}, { rowCap: 3000 }));
    expect(f.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(records).toHaveLength(2500);
    expect(sums(records)).toEqual(expectedSums(list));
    const keyset = f.requests.filter((r) => r.q?.includes('AND i.id >'));
    // 3,000 rows per query: the first query and two keyset continuations.
    expect(new Set(keyset.map((r) => r.q)).size).toBe(2);
    expect(keyset.every((r) => r.q?.endsWith('ORDER BY i.id'))).toBe(true);
    // Positions stay those of one continuous result, even for the item cut at the cap and read again.
    const rows = firstRows(list);
    expect(items(records).filter((r) => r.row !== rows.get(r.sku))).toEqual([]);
    expect(Math.max(...f.requests.map((r) => Number(r.offset)))).toBeLessThan(3000);
  });

  it('fails a custom query that reaches the row cap instead of reading a truncated result', async () => {
    const q = 'SELECT i.id, i.itemid, iil.location, iil.quantityavailable FROM item i JOIN inventoryitemlocations iil ON iil.item = i.id ORDER BY i.id';
    const rows = Array.from({ length: 3500 }, (_, k) => ({ id: String(k + 1), itemid: `C-${k + 1}`, location: '1', quantityavailable: '1' }));
    const f = await start({ customQueries: { [q]: rows }, rowCap: 3000 });
    const err = await failure(collect(source(f, { query: q }, { rowCap: 3000 })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toContain('more than 3000 rows');
    expect(f.requests).toHaveLength(3);
  });

  it('runs a custom query; rows of an item that come back after other items are rejected, never added later', async () => {
    const q = 'SELECT i.id, i.itemid, iil.location, iil.quantityavailable FROM item i JOIN inventoryitemlocations iil ON iil.item = i.id ORDER BY iil.location';
    const rows = [
      { id: '7', itemid: 'A', location: '1', quantityavailable: '2' },
      { id: '8', itemid: 'B', location: '1', quantityavailable: '3' },
      { id: '7', itemid: 'A', location: '2', quantityavailable: '4' },
      { id: '9', itemid: 'C', location: '2', quantityavailable: '5' },
    ];
    const f = await start({ customQueries: { [q]: rows } });
    const records = await collect(source(f, { query: q }));
    expect(records).toEqual([
      { kind: 'item', sku: 'A', qty: 2, row: 1 },
      { kind: 'rejected', row: 3, sku: 'A', reason: expect.stringContaining('item 7 (A) came back after other items') },
      { kind: 'item', sku: 'B', qty: 3, row: 2 },
      { kind: 'item', sku: 'C', qty: 5, row: 4 },
    ]);
  });

  it('fails at once when a configured column is in none of the rows (a typo or a query that does not select it)', async () => {
    const q = 'SELECT i.id, i.itemid AS sku, iil.quantityavailable FROM item i JOIN inventoryitemlocations iil ON iil.item = i.id ORDER BY i.id';
    const f = await start({ customQueries: { [q]: [{ id: '1', sku: 'A', quantityavailable: '1' }] } });
    const err = await failure(collect(source(f, { query: q })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toContain('column "itemid" (skuField)');
    expect(await collect(source(f, { query: q, skuField: 'SKU' }))).toEqual([{ kind: 'item', sku: 'A', qty: 1, row: 1 }]);
  });

  it('check() runs the query for one row and reports the row count', async () => {
    const f = await start({ items: netsuiteItems(8) });
    await expect(source(f).check!()).resolves.toBe('query ok: 22 row(s)');
    expect(f.requests.map((r) => [r.limit, r.offset])).toEqual([['1', '0']]);
  });

  it('is created by the source registry for type "netsuite"', async () => {
    const f = await start({ items: netsuiteItems(2) });
    await loadSourceAdapters(['netsuite']);
    const s = createSource(config(f), ctx);
    expect(s.type).toBe('netsuite');
    expect(items(await collect(s))).toHaveLength(2);
  });
});

describe('netsuite source: authentication and failures', () => {
  it('signs with the account realm in upper case even when accountId is given in URL form', async () => {
    const f = await start({ items: netsuiteItems(3) });
    expect(items(await collect(source(f, { accountId: '1234567-sb1' })))).toHaveLength(3);
    expect(defaultUrl('1234567_SB1')).toBe('https://1234567-sb1.suitetalk.api.netsuite.com');
  });

  it('a bad signature is an auth HttpError after one request, naming INVALID_LOGIN_ATTEMPT and no secret', async () => {
    const f = await start({ items: netsuiteItems(3) });
    const err = await failure(collect(source(f, { tokenSecret: 'a-wrong-token-secret' })));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
    expect(err.message).toContain('Invalid login attempt');
    expect(err.message).toContain('[INVALID_LOGIN_ATTEMPT]');
    expect(err.message).not.toContain('a-wrong-token-secret');
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]?.error).toBe('signature mismatch');
  });

  it('recovers from 429 CONCURRENCY_LIMIT_EXCEEDED, re-signing every attempt with a fresh nonce', async () => {
    const list = netsuiteItems(30);
    const f = await start({ items: list, faults: { status429: { count: 2, retryAfter: 0 } } });
    const records = await collect(source(f, { pageSize: 50 }));
    expect(sums(records)).toEqual(expectedSums(list));
    // 2 pages + 2 refused attempts; the fake refuses any reused nonce.
    expect(f.requests.map((r) => r.status)).toEqual([429, 429, 200, 200]);
    expect(new Set(f.requests.map((r) => r.nonce)).size).toBe(4);
  });

  it('never exceeds the account concurrency limit with default settings', async () => {
    const f = await start({ items: netsuiteItems(300), concurrencyLimit: 1, faults: { latencyMs: 5 } });
    await collect(source(f, { pageSize: 100 }));
    expect(f.maxInFlight()).toBe(1);
    expect(f.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('a page that fails repeatedly fails the stream after the retries', async () => {
    const f = await start({ items: netsuiteItems(60), faults: { failOffset: { offset: 100, status: 500 } } });
    const err = await failure(collect(source(f, { pageSize: 100, retries: 2 })));
    expect(err).toBeInstanceOf(HttpError);
    expect(err.message).toContain('An unexpected error occurred. [UNEXPECTED_ERROR]');
    expect(f.requests.map((r) => r.offset)).toEqual(['0', '100', '100', '100']);
  });

  it('a query NetSuite refuses fails with its detail and is not retried', async () => {
    const f = await start({ items: netsuiteItems(3) });
    const err = await failure(collect(source(f, { query: 'SELECT nonsense FROM nowhere' })));
    expect(err).toBeInstanceOf(HttpError);
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('Invalid or unsupported search. [INVALID_PARAMETER]');
    expect(f.requests).toHaveLength(1);
  });

  it('refuses a pageSize above 1000 (SuiteQL maximum) at creation', async () => {
    const f = await start({});
    expect(() => source(f, { pageSize: 1001 })).toThrow(ConfigError);
    expect(() => source(f, { skuField: 'itemid; DROP' })).toThrow(ConfigError);
  });
});

describe('netsuite row aggregation', () => {
  const agg = (order: 'ascending-id' | 'grouped', locations?: string[]) =>
    new ItemAggregator({ skuField: 'itemid', qtyField: 'quantityavailable', locationField: 'location', order, locations: locations && new Set(locations) });

  it('counts a location listed twice for the same item once (data shifting under offset paging)', () => {
    const a = agg('ascending-id');
    const out: SourceRecord[] = [];
    a.push({ id: '1', itemid: 'A', location: '1', quantityavailable: '2' }, out);
    a.push({ id: '1', itemid: 'A', location: '2', quantityavailable: '3' }, out);
    a.push({ id: '1', itemid: 'A', location: '2', quantityavailable: '3' }, out);
    a.finish(out);
    expect(out).toEqual([
      { kind: 'rejected', row: 3, sku: 'A', reason: 'item 1 (A) location 2 listed twice (the data changed while paging?): counted once' },
      { kind: 'item', sku: 'A', qty: 5, row: 1 },
    ]);
  });

  it('treats an empty (left out) quantity as 0 and a row that is not an object as rejected', () => {
    const a = agg('grouped');
    const out: SourceRecord[] = [];
    a.push({ id: '1', itemid: 'A', location: '1' }, out);
    a.push('garbage', out);
    a.push({ id: '2', itemid: 'B', location: '1', quantityavailable: '1.5' }, out);
    a.finish(out);
    expect(out).toEqual([
      { kind: 'rejected', row: 2, reason: 'row is not an object' },
      { kind: 'item', sku: 'A', qty: 0, row: 1 },
      { kind: 'item', sku: 'B', qty: 1, row: 3 },
    ]);
  });

  it('rejects an item whose quantity at a location, or whose sum over locations, is beyond 2^31-1; floors each location', () => {
    const a = agg('ascending-id');
    const out: SourceRecord[] = [];
    a.push({ id: '1', itemid: 'A', location: '1', quantityavailable: '9'.repeat(400) }, out);
    a.push({ id: '1', itemid: 'A', location: '2', quantityavailable: '3' }, out);
    a.push({ id: '2', itemid: 'B', location: '1', quantityavailable: '2000000000' }, out);
    a.push({ id: '2', itemid: 'B', location: '2', quantityavailable: '2000000000' }, out);
    a.push({ id: '3', itemid: 'C', location: '1', quantityavailable: '2.5' }, out);
    a.push({ id: '3', itemid: 'C', location: '2', quantityavailable: '-4' }, out);
    a.push({ id: '3', itemid: 'C', location: '3', quantityavailable: '1.5' }, out);
    a.finish(out);
    expect(out).toEqual([
      { kind: 'rejected', row: 1, sku: 'A', reason: `quantityavailable "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647) at location 1 (row 1)` },
      { kind: 'rejected', row: 3, sku: 'B', reason: 'quantityavailable summed over its locations 4000000000 is out of range (0 … 2147483647)' },
      { kind: 'item', sku: 'C', qty: 3, row: 5 },
    ]);
  });

  it('restarts after the last finished item, dropping the pending one and its row numbers', () => {
    const a = agg('ascending-id');
    const out: SourceRecord[] = [];
    expect(a.restartAfterLastFinished()).toBeUndefined();
    a.push({ id: '9', itemid: 'A', location: '1', quantityavailable: '1' }, out);
    a.push({ id: '10', itemid: 'B', location: '1', quantityavailable: '1' }, out);
    expect(a.restartAfterLastFinished()).toBe(9);
    a.push({ id: '10', itemid: 'B', location: '1', quantityavailable: '1' }, out);
    a.push({ id: '10', itemid: 'B', location: '2', quantityavailable: '2' }, out);
    a.finish(out);
    expect(out).toEqual([{ kind: 'item', sku: 'A', qty: 1, row: 1 }, { kind: 'item', sku: 'B', qty: 3, row: 2 }]);
  });
});

describe('NetSuite fake behaves like SuiteQL over REST', () => {
  async function raw(f: NetSuiteFake, options: { limit?: number | string; offset?: number | string; prefer?: boolean; nonce?: string; q?: string } = {}) {
    const url = new URL(`${f.url}/services/rest/query/v1/suiteql`);
    if (options.limit !== undefined) url.searchParams.set('limit', String(options.limit));
    if (options.offset !== undefined) url.searchParams.set('offset', String(options.offset));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: authorizationHeader({ method: 'POST', url, realm: f.realm, credentials: f.credentials, nonce: options.nonce }),
    };
    if (options.prefer !== false) headers.prefer = 'transient';
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ q: options.q ?? DEFAULT_Q }) });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  }
  const code = (body: Record<string, unknown>) => (body['o:errorDetails'] as Array<{ 'o:errorCode': string }>)[0]?.['o:errorCode'];

  it('pages with hasMore/count/offset/totalResults/links and string values, empty columns left out', async () => {
    const f = await start({ items: netsuiteItems(7) });
    const res = await raw(f, { limit: 5, offset: 5 });
    expect(res.status).toBe(200);
    // 7 items × 3 locations, minus location 3 of the 4th item.
    expect(res.body).toMatchObject({ count: 5, hasMore: true, offset: 5, totalResults: 20 });
    expect((res.body.links as Array<{ rel: string }>).map((l) => l.rel)).toEqual(['previous', 'first', 'next', 'last', 'self']);
    const rows = res.body.items as Array<Record<string, unknown>>;
    expect(rows[0]).toEqual({ links: [], id: '99', itemid: 'NS-00002', location: '3', quantityavailable: '4' });
    // Item 7 (index 6) has no available quantity at location 2: the column is absent.
    const all = (await raw(f, { limit: 100, offset: 0 })).body.items as Array<Record<string, unknown>>;
    expect(all.find((r) => r.itemid === 'NS-00007' && r.location === '2')).toEqual({ links: [], id: '104', itemid: 'NS-00007', location: '2' });
  });

  it('refuses a missing Prefer header, a limit above 1000, an offset not a multiple of limit, and offsets past the cap', async () => {
    const f = await start({ items: netsuiteItems(3), rowCap: 3000 });
    const noPrefer = await raw(f, { prefer: false });
    expect([noPrefer.status, code(noPrefer.body)]).toEqual([400, 'INVALID_HEADER']);
    expect((await raw(f, { limit: 1001 })).status).toBe(400);
    expect((await raw(f, { limit: 10, offset: 15 })).status).toBe(400);
    expect((await raw(f, { limit: 1000, offset: 3000 })).status).toBe(400);
    expect((await raw(f, { limit: 1000, offset: 2000 })).status).toBe(200);
  });

  it('refuses a reused nonce and a wrong realm with 401 INVALID_LOGIN_ATTEMPT', async () => {
    const f = await start({ items: netsuiteItems(3) });
    expect((await raw(f, { nonce: 'same-nonce-1' })).status).toBe(200);
    const replay = await raw(f, { nonce: 'same-nonce-1' });
    expect([replay.status, code(replay.body)]).toEqual([401, 'INVALID_LOGIN_ATTEMPT']);
    const wrongRealm = await startNetSuiteFake({ accountId: 'OTHER_ACCOUNT', credentials: f.credentials });
    try {
      const url = `${wrongRealm.url}/services/rest/query/v1/suiteql`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { prefer: 'transient', 'content-type': 'application/json', authorization: authorizationHeader({ method: 'POST', url: new URL(url), realm: f.realm, credentials: f.credentials }) },
        body: JSON.stringify({ q: DEFAULT_Q }),
      });
      expect(res.status).toBe(401);
    } finally {
      await wrongRealm.close();
    }
  });

  it('answers 429 CONCURRENCY_LIMIT_EXCEEDED above the concurrency limit', async () => {
    const f = await start({ items: netsuiteItems(3), concurrencyLimit: 2, faults: { latencyMs: 50 } });
    const results = await Promise.all([1, 2, 3, 4].map(() => raw(f)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(code(results.find((r) => r.status === 429)!.body)).toBe('CONCURRENCY_LIMIT_EXCEEDED');
  });
});
