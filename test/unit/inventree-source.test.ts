import { afterEach, describe, expect, it } from '@jest/globals';
import { InvenTreeSourceConfig } from '../../src/config/schema.js';
import { HttpError, SourceError } from '../../src/domain/errors.js';
import type { SourceRecord, SupplierItem } from '../../src/domain/types.js';
import { createInvenTreeSource } from '../../src/sources/inventree/index.js';
import { apiRoot, partRecord } from '../../src/sources/inventree/parts.js';
import { createSource, loadSourceAdapters } from '../../src/sources/registry.js';
import {
  DEFAULT_INVENTREE_TOKEN, inventreeParts, startInvenTreeFake, type InvenTreeFake, type InvenTreeFakeOptions,
} from '../fakes/inventree.js';

// Retries in the HTTP client wait ~20 ms instead of ~500 ms.
process.env.INVSYNC_RETRY_BASE_MS = '20';

const ctx = { stateDir: '/nonexistent-state-dir' };
let fake: InvenTreeFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function start(options: InvenTreeFakeOptions): Promise<InvenTreeFake> {
  fake = await startInvenTreeFake(options);
  return fake;
}

function source(f: InvenTreeFake, overrides: Record<string, unknown> = {}) {
  return createInvenTreeSource(InvenTreeSourceConfig.parse({
    name: 'inv', type: 'inventree', url: f.url, token: DEFAULT_INVENTREE_TOKEN, ...overrides,
  }), ctx);
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

describe('inventree source: reading the part list', () => {
  it('streams a multi-page catalog in full: every active part once, unallocated stock floored, one request per page', async () => {
    const parts = inventreeParts(250);
    const f = await start({ parts });
    const records = await collect(source(f, { pageSize: 100 }));
    const active = parts.filter((p) => p.active);
    expect(active).toHaveLength(225);
    expect(records).toHaveLength(225);
    expect(records.every((r) => r.kind === 'item')).toBe(true);
    const bySku = new Map(items(records).map((r) => [r.sku, r.qty]));
    for (const p of active) expect(bySku.get(p.IPN as string)).toBe(Math.floor(p.unallocated_stock));
    // The shared quantity parser floors a fractional quantity (SPEC §8).
    expect(bySku.get('IPN-00005')).toBe(5);
    expect(records.map((r) => r.row)).toEqual(Array.from({ length: 225 }, (_, i) => i + 1));
    // 225 active parts at 100 per page: 3 requests, each authenticated with the token scheme.
    expect(f.requests).toHaveLength(3);
    expect(f.requests.map((r) => r.query)).toEqual([0, 100, 200].map((offset) => ({ limit: '100', offset: String(offset), ordering: 'pk', active: 'true' })));
    expect(f.requests.every((r) => r.authorization === `Token ${DEFAULT_INVENTREE_TOKEN}`)).toBe(true);
  });

  it('includes inactive parts when activeOnly is false', async () => {
    const f = await start({ parts: inventreeParts(30) });
    const records = await collect(source(f, { activeOnly: false }));
    expect(items(records)).toHaveLength(30);
    expect(f.requests[0]?.query.active).toBeUndefined();
  });

  it('accepts the site url with or without a trailing "/" or "/api"', async () => {
    const f = await start({ parts: inventreeParts(5) });
    for (const url of [f.url, `${f.url}/`, `${f.url}/api`, `${f.url}/api/`]) {
      expect(items(await collect(source(f, { url })))).toHaveLength(5);
    }
    expect(f.requests.every((r) => r.path === '/api/part/')).toBe(true);
    expect(apiRoot('https://example.com/inventree/API/')).toBe('https://example.com/inventree/api/');
    expect(apiRoot('https://inv.example.com/?x=1')).toBe('https://inv.example.com/api/');
  });

  it('takes the SKU and quantity from the configured fields (name, total_in_stock)', async () => {
    const parts = inventreeParts(12);
    const f = await start({ parts });
    const records = await collect(source(f, { skuField: 'name', qtyField: 'total_in_stock', pageSize: 5 }));
    const expected = parts.filter((p) => p.active).map((p) => [p.name, Math.floor(p.total_in_stock)]);
    expect(items(records).map((r) => [r.sku, r.qty]).sort()).toEqual(expected.sort());
    // total_in_stock counts stock already allocated to orders; unallocated_stock does not.
    const p3 = parts[2];
    expect(p3?.total_in_stock).toBeGreaterThan(p3?.unallocated_stock as number);
  });

  it('rejects parts without an IPN, and non-numeric quantities, with their position; never as 0', async () => {
    const parts = inventreeParts(8, { ipn: (pk) => (pk === 2 ? null : pk === 4 ? '  ' : `IPN-${pk}`), active: () => true });
    const f = await start({ parts, faults: { corrupt: [{ pk: 6, field: 'unallocated_stock', value: 'n/a' }, { pk: 7, field: 'unallocated_stock', value: null }] } });
    const records = await collect(source(f, { pageSize: 3, skuField: 'IPN' }));
    // Rows are positions in the list InvenTree returns (ordered by name here, not by pk).
    const rejected = records.filter((r) => r.kind === 'rejected');
    expect(rejected).toEqual(expect.arrayContaining([
      { kind: 'rejected', row: expect.any(Number), reason: 'no IPN (part pk 2)' },
      { kind: 'rejected', row: expect.any(Number), reason: 'no IPN (part pk 4)' },
      { kind: 'rejected', row: expect.any(Number), reason: 'non-numeric unallocated_stock "n/a" (part pk 6)', sku: 'IPN-6' },
      { kind: 'rejected', row: expect.any(Number), reason: 'no unallocated_stock (part pk 7)', sku: 'IPN-7' },
    ]));
    expect(rejected).toHaveLength(4);
    expect(items(records).map((r) => r.sku).sort()).toEqual(['IPN-1', 'IPN-3', 'IPN-5', 'IPN-8']);
    // The position is where the part sits in the list: check one against the fake's own order.
    const order = [...parts].sort((a, b) => (a.name < b.name ? -1 : 1)).map((p) => p.pk);
    const noIpn2 = rejected.find((r) => r.reason === 'no IPN (part pk 2)');
    expect(noIpn2?.row).toBe(order.indexOf(2) + 1);
  });

  it('fails at once with a clear message when skuField or qtyField names a field InvenTree does not send', async () => {
    const f = await start({ parts: inventreeParts(3) });
    const err = await failure(collect(source(f, { qtyField: 'available_stock_typo' })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toContain('"available_stock_typo"');
  });

  it('reads a part only once when the list shifts under offset paging', async () => {
    const parts = inventreeParts(10, { active: () => true });
    const f = await start({
      parts,
      // After the first page, a new part whose name sorts first pushes every later part one place down.
      onListRequest: (n) => { if (n === 2) fake?.seed([{ ...inventreeParts(1, { start: 99 })[0]!, name: 'AAA first', IPN: 'NEW' }]); },
    });
    const records = await collect(source(f, { pageSize: 4 }));
    const skus = items(records).map((r) => r.sku);
    expect(new Set(skus).size).toBe(skus.length);
    expect(skus).toHaveLength(10);
  });

  it('check() makes one request and reports the part count', async () => {
    const f = await start({ parts: inventreeParts(40) });
    await expect(source(f).check!()).resolves.toBe('36 active part(s)');
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]?.query.limit).toBe('1');
  });

  it('is created by the source registry for type "inventree"', async () => {
    const f = await start({ parts: inventreeParts(2) });
    await loadSourceAdapters(['inventree']);
    const s = createSource(InvenTreeSourceConfig.parse({ name: 'inv', type: 'inventree', url: f.url, token: DEFAULT_INVENTREE_TOKEN }), ctx);
    expect(s.type).toBe('inventree');
    expect(items(await collect(s))).toHaveLength(2);
  });
});

describe('inventree part records', () => {
  const fields = { skuField: 'IPN', qtyField: 'unallocated_stock' };

  it('reads quantities with the shared parser: floored, beyond 2^31-1 rejected naming the value and the part', () => {
    expect(partRecord({ pk: 1, IPN: 'A', unallocated_stock: 12.75 }, 1, fields)).toEqual({ kind: 'item', sku: 'A', qty: 12, row: 1 });
    expect(partRecord({ pk: 2, IPN: 'B', unallocated_stock: '-0' }, 2, fields)).toEqual({ kind: 'item', sku: 'B', qty: 0, row: 2 });
    expect(partRecord({ pk: 3, IPN: 'C', unallocated_stock: 4294967297 }, 3, fields)).toEqual({
      kind: 'rejected', row: 3, sku: 'C', reason: 'unallocated_stock 4294967297 is out of range (0 … 2147483647) (part pk 3)',
    });
    expect(partRecord({ pk: 4, IPN: 'D', unallocated_stock: '9'.repeat(400) }, 4, fields)).toEqual({
      kind: 'rejected', row: 4, sku: 'D', reason: `unallocated_stock "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647) (part pk 4)`,
    });
    expect(partRecord({ pk: 5, IPN: 'E', unallocated_stock: '' }, 5, fields)).toEqual({ kind: 'rejected', row: 5, sku: 'E', reason: 'no unallocated_stock (part pk 5)' });
  });
});

describe('inventree source: failures', () => {
  it('a refused token is an auth HttpError after one request, with the token nowhere in the message', async () => {
    const f = await start({ parts: inventreeParts(3) });
    const err = await failure(collect(source(f, { token: 'inv-wrong-token-value' })));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details).toMatchObject({ status: 401, auth: true });
    expect(err.message).toContain('Invalid token.');
    expect(err.message).not.toContain('inv-wrong-token-value');
    expect(f.requests).toHaveLength(1);
  });

  it('a token without the part view role is an auth HttpError (403)', async () => {
    const f = await start({ parts: inventreeParts(3), tokens: [{ token: 'inv-no-role', partView: false }] });
    const err = await failure(collect(source(f, { token: 'inv-no-role' })));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details).toMatchObject({ status: 403, auth: true });
    expect(f.requests).toHaveLength(1);
  });

  it('a page that fails repeatedly fails the stream after the retries', async () => {
    const f = await start({ parts: inventreeParts(30), faults: { failOffset: { offset: 10, status: 500 } } });
    const seen: SourceRecord[] = [];
    const err = await failure((async () => { for await (const r of source(f, { pageSize: 10, retries: 2 }).stream()) seen.push(r); })());
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.status).toBe(500);
    expect(seen).toHaveLength(10);
    // First page once, second page 1 + 2 retries, never a third page.
    expect(f.requests.map((r) => r.query.offset)).toEqual(['0', '10', '10', '10']);
  });

  it('recovers from 503s and a dropped connection', async () => {
    const f = await start({ parts: inventreeParts(30, { active: () => true }), faults: { status503: { count: 2 }, dropConnections: 1 } });
    const records = await collect(source(f, { pageSize: 10 }));
    expect(items(records)).toHaveLength(30);
    expect(f.requests).toHaveLength(3 + 3);
  });
});

describe('InvenTree fake behaves like DRF LimitOffsetPagination', () => {
  const get = async (f: InvenTreeFake, path: string, token: string | null = DEFAULT_INVENTREE_TOKEN) => {
    const res = await fetch(`${f.url}${path}`, { headers: token ? { authorization: `Token ${token}` } : {}, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) as unknown : null, headers: res.headers };
  };

  it('returns a bare array of every row without limit, and an envelope with absolute next/previous with it', async () => {
    const f = await start({ parts: inventreeParts(7, { active: () => true }) });
    const all = await get(f, '/api/part/');
    expect(Array.isArray(all.body)).toBe(true);
    expect(all.body).toHaveLength(7);
    expect(all.text).toContain('"unallocated_stock":');
    expect(all.text).toMatch(/"total_in_stock":\d+\.\d/);
    const invalid = await get(f, '/api/part/?limit=0');
    expect(Array.isArray(invalid.body)).toBe(true);

    const mid = await get(f, '/api/part/?offset=3&limit=2&active=true');
    expect(mid.body).toMatchObject({
      count: 7,
      next: `${f.url}/api/part/?active=true&limit=2&offset=5`,
      previous: `${f.url}/api/part/?active=true&limit=2&offset=1`,
    });
    const first = await get(f, '/api/part/?limit=2&offset=1');
    expect((first.body as { previous: string }).previous).toBe(`${f.url}/api/part/?limit=2`);
    const last = await get(f, '/api/part/?limit=5&offset=5');
    expect(last.body).toMatchObject({ next: null });
    expect((last.body as { results: unknown[] }).results).toHaveLength(2);
  });

  it('ignores ordering=pk (not an ordering field of PartList) and sorts by name, pk as tie-breaker', async () => {
    const f = await start({ parts: inventreeParts(12, { active: () => true }) });
    const byPk = await get(f, '/api/part/?limit=12&ordering=pk');
    const names = (byPk.body as { results: Array<{ name: string; pk: number }> }).results.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    const byIpnDesc = await get(f, '/api/part/?limit=12&ordering=-IPN');
    expect((byIpnDesc.body as { results: Array<{ pk: number }> }).results[0]?.pk).toBe(12);
  });

  it('answers 401 without or with a wrong token, 301 without the trailing slash, 400 for a bad boolean', async () => {
    const f = await start({ parts: inventreeParts(2) });
    expect(await get(f, '/api/part/?limit=1', null)).toMatchObject({ status: 401, body: { detail: 'Authentication credentials were not provided.' } });
    expect(await get(f, '/api/part/?limit=1', 'nope')).toMatchObject({ status: 401, body: { detail: 'Invalid token.' } });
    const redirect = await get(f, '/api/part?limit=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/api/part/?limit=1');
    expect((await get(f, '/api/part/?limit=1&active=maybe')).status).toBe(400);
  });
});
