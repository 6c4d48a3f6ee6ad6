import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { JsonSourceConfig } from '../../src/config/schema.js';
import { HttpError, SourceError } from '../../src/domain/errors.js';
import type { SourceRecord } from '../../src/domain/types.js';
import { registerSecret } from '../../src/lib/redact.js';
import { createJsonSource } from '../../src/sources/json/index.js';
import type { SourceAdapter } from '../../src/sources/types.js';
import { jsonItem, startJsonApiFake, type JsonApiFake, type JsonApiFakeOptions } from '../fakes/json-api.js';

// Retries in the HTTP client wait ~20 ms instead of ~500 ms.
process.env.INVSYNC_RETRY_BASE_MS = '20';

let dir: string;
let fake: JsonApiFake | undefined;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-json-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });
afterEach(async () => { await fake?.close(); fake = undefined; });

async function api(options: JsonApiFakeOptions): Promise<JsonApiFake> {
  fake = await startJsonApiFake(options);
  return fake;
}

function jsonSource(options: Record<string, unknown>): SourceAdapter {
  return createJsonSource(JsonSourceConfig.parse({ name: 'feed', type: 'json', ...options }), { stateDir: dir });
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

/** The records the default fake item i (0-based) becomes. */
const expected = (n: number): SourceRecord[] => Array.from({ length: n }, (_, i) => ({ kind: 'item', sku: jsonItem(i).sku, qty: jsonItem(i).qty, row: i + 1 }));

const STYLES = {
  page: { route: '/page', itemsPath: 'data', paging: { type: 'page', totalPath: 'total' } },
  offset: { route: '/offset', itemsPath: 'results', paging: { type: 'offset', totalPath: 'meta.total' } },
  cursor: { route: '/cursor', itemsPath: 'items', paging: { type: 'cursor', cursorPath: 'meta.next_cursor' } },
  link: { route: '/link', itemsPath: undefined, paging: { type: 'link' } },
} as const;

describe('json source: paged HTTP APIs', () => {
  for (const [style, s] of Object.entries(STYLES)) {
    it(`${style} paging streams a multi-page catalog in full with one request per page`, async () => {
      const f = await api({ count: 250 });
      const records = await collect(jsonSource({ url: `${f.url}${s.route}`, itemsPath: s.itemsPath, paging: s.paging }));
      expect(records).toEqual(expected(250));
      expect(f.requests).toBe(3); // 100 + 100 + 50 (short: the last page)
      expect(f.log.every((r) => r.status === 200)).toBe(true);
    });

    it(`${style} paging needs no extra request when the last page is full`, async () => {
      const f = await api({ count: 300 });
      const records = await collect(jsonSource({ url: `${f.url}${s.route}`, itemsPath: s.itemsPath, paging: s.paging }));
      expect(records).toHaveLength(300);
      // With a total, a next cursor of null or no next link, the third page is known to be the last.
      expect(f.requests).toBe(3);
    });
  }

  it('without a total, a full last page costs one more request, and the empty page ends paging', async () => {
    const f = await api({ count: 200 });
    expect(await collect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', paging: { type: 'page' } }))).toEqual(expected(200));
    expect(f.log.map((r) => r.query.page)).toEqual(['1', '2', '3']);
  });

  it('a short page ends paging (no request past it)', async () => {
    const f = await api({ count: 130 });
    expect(await collect(jsonSource({ url: `${f.url}/offset`, itemsPath: 'results', paging: { type: 'offset' } }))).toHaveLength(130);
    expect(f.log.map((r) => r.query.offset)).toEqual(['0', '100']);
  });

  it('pageSize sets the size parameter; a size above the API maximum fails with the API\'s message', async () => {
    const f = await api({ count: 60, maxPageSize: 50 });
    expect(await collect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', pageSize: 25, paging: { type: 'page', totalPath: 'total' } }))).toHaveLength(60);
    expect(f.log.map((r) => `${r.query.page}:${r.query.per_page}`)).toEqual(['1:25', '2:25', '3:25']);
    const err = await failure(collect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', paging: { type: 'page' } })));
    expect(err).toBeInstanceOf(HttpError);
    expect(err.message).toMatch(/HTTP 400 per_page must be between 1 and 50/);
  });

  it('keeps the URL\'s own query parameters on every page, in every style', async () => {
    for (const [style, s] of Object.entries(STYLES)) {
      const f = await api({ count: 250, requireQuery: { store: '7', lang: 'en' } });
      const records = await collect(jsonSource({ url: `${f.url}${s.route}?store=7&lang=en`, itemsPath: s.itemsPath, paging: s.paging }));
      expect({ style, n: records.length }).toEqual({ style, n: 250 });
      expect(f.log.every((r) => r.query.store === '7' && r.query.lang === 'en')).toBe(true);
      await f.close();
      fake = undefined;
    }
  });

  it('follows relative Link headers as given', async () => {
    const f = await api({ count: 250, linkStyle: 'relative' });
    expect(await collect(jsonSource({ url: `${f.url}/link`, paging: { type: 'link', sizeParam: 'per_page' } }))).toEqual(expected(250));
    expect(f.log.map((r) => r.query.page)).toEqual([undefined, '2', '3']);
  });

  it('sends the configured headers (bearer token) on every request; a refused token fails without showing it', async () => {
    const token = 'tok-3f9a2c7d1e';
    registerSecret(token); // as the config loader does for header values
    const f = await api({ count: 150, token });
    const records = await collect(jsonSource({ url: `${f.url}/cursor`, itemsPath: 'items', headers: { Authorization: `Bearer ${token}` }, paging: { type: 'cursor', cursorPath: 'meta.next_cursor' } }));
    expect(records).toHaveLength(150);
    expect(f.log.map((r) => r.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    const before = f.requests;
    const err = await failure(collect(jsonSource({ url: `${f.url}/cursor`, itemsPath: 'items', headers: { Authorization: 'Bearer wrong-token-1' }, paging: { type: 'cursor', cursorPath: 'meta.next_cursor' } })));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.status).toBe(401);
    expect(f.requests - before).toBe(1); // auth errors are not retried
    expect(err.message).not.toContain('wrong-token-1');
    expect(err.message).not.toContain(token);
  });

  it('rejects malformed items with their position (row in the feed, page and index in the message)', async () => {
    const bad: Record<number, unknown> = {
      104: { sku: 'BAD-QTY', qty: 'many' },
      105: { qty: 3 },
      106: { sku: '   ', qty: 3 },
      107: { sku: 'NUM-STR', qty: ' 12 ' },
      108: { sku: 4711, qty: 2.5 },
      109: 'not an object',
      110: { sku: 'NO-QTY' },
    };
    const f = await api({ count: 150, item: (i) => (i in bad ? bad[i] : jsonItem(i)) });
    const records = await collect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', paging: { type: 'page' } }));
    expect(records).toHaveLength(150);
    expect(records.slice(104, 111)).toEqual([
      { kind: 'rejected', row: 105, reason: 'non-numeric quantity "many" (page 2, item 5)', sku: 'BAD-QTY' },
      { kind: 'rejected', row: 106, reason: 'no SKU at skuPath "sku" (page 2, item 6)' },
      { kind: 'rejected', row: 107, reason: 'no usable SKU at skuPath "sku" ("   ") (page 2, item 7)' },
      { kind: 'item', sku: 'NUM-STR', qty: 12, row: 108 },
      { kind: 'item', sku: '4711', qty: 2, row: 109 },
      { kind: 'rejected', row: 110, reason: 'no SKU at skuPath "sku" (page 2, item 10)' },
      { kind: 'rejected', row: 111, reason: 'no quantity at qtyPath "qty" (page 2, item 11)', sku: 'NO-QTY' },
    ]);
  });

  it('reads SKU and quantity from nested dot paths with numeric segments', async () => {
    const f = await api({ count: 120 });
    const records = await collect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', skuPath: 'codes.0', qtyPath: 'stock.available', paging: { type: 'page' } }));
    expect(records).toEqual(expected(120));
  });

  it('a truncated page is retried, and fails the source when it stays truncated', async () => {
    const f = await api({ count: 250, faults: { truncatedBodies: 1 } });
    const source = jsonSource({ url: `${f.url}/page`, itemsPath: 'data', retries: 2, paging: { type: 'page' } });
    expect(await collect(source)).toHaveLength(250);
    expect(f.requests).toBe(4);
    f.faults.truncatedBodies = 100;
    const err = await failure(collect(source));
    expect(err).toBeInstanceOf(HttpError);
    expect(err.message).toMatch(/page=1.*expected JSON, got application\/json/);
  });

  it('retries 503s, dropped connections and 429s (Retry-After honoured)', async () => {
    const f = await api({ count: 250, faults: { status503: 2, dropConnections: 1, status429: { count: 1, retryAfter: 1 } } });
    const started = Date.now();
    expect(await collect(jsonSource({ url: `${f.url}/offset`, itemsPath: 'results', paging: { type: 'offset' } }))).toEqual(expected(250));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(f.requests).toBe(3 + 4);
  });

  it('a page without the items array fails naming the path and the URL, without secrets', async () => {
    const f = await api({ count: 50, requireQuery: { api_key: 'k-93jd83hd' } });
    const err = await failure(collect(jsonSource({ url: `${f.url}/page?api_key=k-93jd83hd`, itemsPath: 'items', paging: { type: 'page' } })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/^source "feed": no array at itemsPath "items" in the response to page 1 \(http:\/\/127\.0\.0\.1:\d+\/page\?api_key=\*\*\*&page=1&per_page=100\)$/);
  });

  it('an API that ignores the page parameter fails instead of looping', async () => {
    const f = await api({ count: 500 });
    const err = await failure(collect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', paging: { type: 'page', pageParam: 'p' } })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/page 2 .* repeats the previous page: check the paging parameters \(pageParam "p"/);
    expect(f.requests).toBe(2);
  });

  it('check() reads the first page only', async () => {
    const f = await api({ count: 250 });
    await expect(jsonSource({ url: `${f.url}/page`, itemsPath: 'data', paging: { type: 'page' } }).check?.()).resolves.toBe('first page: 100 item(s), 0 rejected');
    expect(f.requests).toBe(1);
  });
});

describe('json source: one document (file or URL)', () => {
  function writeJson(name: string, content: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  }

  it('streams the items of a local file at itemsPath, with positions', async () => {
    const doc = {
      generated: '2026-11-22',
      warehouses: [{ name: 'decoy', items: [{ sku: 'X', qty: 1 }] }, {
        name: 'main',
        items: [
          { code: { sku: ' A-1 ' }, stock: [{ free: 5 }] },
          { code: { sku: 'B-2' }, stock: [{ free: '3' }] },
          { code: {}, stock: [{ free: 1 }] },
          { code: { sku: 'D-4' }, stock: [{ free: 'n/a' }] },
        ],
      }],
    };
    const file = writeJson('nested.json', JSON.stringify(doc, null, 2));
    const records = await collect(jsonSource({ path: file, itemsPath: 'warehouses.1.items', skuPath: 'code.sku', qtyPath: 'stock.0.free' }));
    expect(records).toEqual([
      { kind: 'item', sku: 'A-1', qty: 5, row: 1 },
      { kind: 'item', sku: 'B-2', qty: 3, row: 2 },
      { kind: 'rejected', row: 3, reason: 'no SKU at skuPath "code.sku"' },
      { kind: 'rejected', row: 4, reason: 'non-numeric quantity "n/a"', sku: 'D-4' },
    ]);
  });

  it('rejects implausible quantities (a 400-digit number, 2^32+1, NaN text) as rows naming the value, and reads on', async () => {
    const huge = '9'.repeat(400);
    const file = writeJson('huge.json', `[{"sku":"A","qty":${huge}},{"sku":"B","qty":"${huge}"},{"sku":"C","qty":4294967297},`
      + `{"sku":"D","qty":"NaN"},{"sku":"E","qty":2147483647},{"sku":"F","qty":-0},{"sku":"G","qty":"7"}]`);
    const records = await collect(jsonSource({ path: file }));
    expect(records).toEqual([
      { kind: 'rejected', row: 1, reason: 'quantity Infinity is out of range (0 … 2147483647)', sku: 'A' },
      { kind: 'rejected', row: 2, reason: `quantity "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647)`, sku: 'B' },
      { kind: 'rejected', row: 3, reason: 'quantity 4294967297 is out of range (0 … 2147483647)', sku: 'C' },
      { kind: 'rejected', row: 4, reason: 'non-numeric quantity "NaN"', sku: 'D' },
      { kind: 'item', sku: 'E', qty: 2147483647, row: 5 },
      { kind: 'item', sku: 'F', qty: 0, row: 6 },
      { kind: 'item', sku: 'G', qty: 7, row: 7 },
    ]);
  });

  it('rejects a numeric SKU above 2^53, whose digits JSON numbers cannot hold; keeps safe integers exactly', async () => {
    const file = writeJson('numeric-skus.json', '[{"sku":12345678901234567891,"qty":1},{"sku":12345678901234567000,"qty":2},'
      + '{"sku":9007199254740991,"qty":3},{"sku":"12345678901234567891","qty":4},{"sku":1e21,"qty":5}]');
    const records = await collect(jsonSource({ path: file }));
    const tooBig = (shown: string, row: number) => ({
      kind: 'rejected', row,
      reason: `numeric SKU ${shown} at skuPath "sku" is too large to read exactly (over 2^53): its digits may be lost; the feed must send it as a string`,
    });
    expect(records).toEqual([
      // Both would otherwise become SKU "12345678901234567000": two supplier items silently merged into one.
      tooBig('12345678901234567000', 1),
      tooBig('12345678901234567000', 2),
      { kind: 'item', sku: '9007199254740991', qty: 3, row: 3 },
      { kind: 'item', sku: '12345678901234567891', qty: 4, row: 4 },
      tooBig('1e+21', 5),
    ]);
  });

  it('reads a top-level array file larger than one read chunk', async () => {
    const n = 20_000;
    const file = writeJson('big.json', `[\n${Array.from({ length: n }, (_, i) => JSON.stringify(jsonItem(i))).join(',\n')}\n]\n`);
    expect(fs.statSync(file).size).toBeGreaterThan(1024 * 1024);
    const records = await collect(jsonSource({ path: file }));
    expect(records).toHaveLength(n);
    const wrong = records.filter((r, i) => r.kind !== 'item' || r.sku !== jsonItem(i).sku || r.qty !== jsonItem(i).qty || r.row !== i + 1);
    expect(wrong).toEqual([]);
  });

  it('fails on a truncated file, a missing itemsPath, a missing file', async () => {
    const cut = writeJson('cut.json', '{"items":[{"sku":"A","qty":1},{"sku":"B","q');
    const err = await failure(collect(jsonSource({ path: cut, itemsPath: 'items' })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/cut\.json: the JSON document is truncated/);

    const other = writeJson('other.json', '{"products":[]}');
    expect((await failure(collect(jsonSource({ path: other, itemsPath: 'items' })))).message)
      .toBe(`source "feed": no array at itemsPath "items" in ${other}`);
    expect((await failure(collect(jsonSource({ path: other })))).message)
      .toMatch(/the document is an object, not an array \(set itemsPath to the array of items\)/);
    expect((await failure(collect(jsonSource({ path: path.join(dir, 'nope.json') })))).message).toMatch(/file not found/);
  });

  it('streams one JSON document over HTTP, and fails when the download is cut short', async () => {
    const f = await api({ count: 5000 });
    expect(await collect(jsonSource({ url: `${f.url}/export`, itemsPath: 'products' }))).toEqual(expected(5000));
    f.faults.truncatedBodies = 1;
    const err = await failure(collect(jsonSource({ url: `${f.url}/export`, itemsPath: 'products' })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/truncated/);
  });
});
