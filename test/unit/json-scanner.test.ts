import { describe, expect, it } from '@jest/globals';
import { JsonPaging } from '../../src/config/schema.js';
import { createPager, nextLink, PagingError, type PageOutcome, type PageRequest } from '../../src/sources/json/paging.js';
import { getAt, parseDotPath } from '../../src/sources/json/paths.js';
import { JsonArrayScanner, JsonScanError } from '../../src/sources/json/scanner.js';

/** Scan `doc` fed in pieces of `piece` characters; returns the elements. */
function scan(doc: string, path: string | undefined, piece = doc.length || 1): unknown[] {
  const scanner = new JsonArrayScanner(parseDotPath(path));
  const out: unknown[] = [];
  for (let i = 0; i < doc.length; i += piece) out.push(...scanner.write(doc.slice(i, i + piece)));
  scanner.end();
  return out;
}

function scanError(doc: string, path?: string): JsonScanError {
  try {
    scan(doc, path);
  } catch (err) {
    if (err instanceof JsonScanError) return err;
    throw err;
  }
  throw new Error('expected a JsonScanError');
}

describe('streaming JSON array scanner', () => {
  const tricky = JSON.stringify({
    meta: { note: 'brackets ] } [ { and "quotes" and \\ and , inside strings', n: -1.5e3, ok: true, none: null },
    'it"ems': [{ sku: 'decoy' }],
    data: {
      skipped: [[1, 2, { items: [{ sku: 'decoy' }] }], 'x'],
      items: [
        { sku: 'A-1', qty: 5, note: '}],{"sku":"fake"' },
        { sku: 'B\u00e9\u{1F600}', qty: '7', nested: { deep: [1, [2, [3]]] } },
        42,
        'text',
        null,
        [],
        { sku: 'C', qty: 0 },
      ],
      after: { big: Array.from({ length: 50 }, (_, i) => ({ i })) },
    },
  }, null, 1);

  it('returns exactly what JSON.parse finds at the path, whatever the piece size', () => {
    const expected = (JSON.parse(tricky) as { data: { items: unknown[] } }).data.items;
    for (const piece of [1, 2, 3, 5, 7, 64, tricky.length]) {
      expect(scan(tricky, 'data.items', piece)).toEqual(expected);
    }
  });

  it('reads a top-level array, with a BOM and whitespace around it', () => {
    expect(scan('\ufeff  [ {"sku":"A","qty":1} ,\n{"sku":"B","qty":2} ]\n', undefined, 3)).toEqual([{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }]);
    expect(scan('[]', undefined)).toEqual([]);
    expect(scan('{"items":[]}', 'items')).toEqual([]);
  });

  it('follows numeric segments into arrays, and keys with escapes', () => {
    expect(scan('{"results":[{"items":[1]},{"items":[2,3]}]}', 'results.1.items')).toEqual([2, 3]);
    expect(scan('{"it\\"ems":[1,2]}', 'it"ems')).toEqual([1, 2]);
    expect(scan('[[9],[8,7]]', '1', 1)).toEqual([8, 7]);
  });

  it('reports a document cut short, wherever it is cut', () => {
    const doc = '{"data":{"items":[{"sku":"A","qty":1},{"sku":"B","qty":2}]},"total":2}';
    for (let cut = 1; cut < doc.length; cut++) {
      expect(() => scan(doc.slice(0, cut), 'data.items', 4)).toThrow(JsonScanError);
    }
    expect(scanError(doc.slice(0, 30), 'data.items').message).toMatch(/truncated: it ends inside an element/);
    expect(scanError(doc.slice(0, doc.length - 1), 'data.items').message).toMatch(/truncated/);
  });

  it('names what is wrong: missing target, not an array, garbage, bad elements', () => {
    expect(scanError('{"data":{"rows":[]}}', 'data.items').message).toBe('no array at this path');
    expect(scanError('{"items":{"a":1}}', 'items').message).toMatch(/the value at this path is an object, not an array/);
    expect(scanError('{"items":[]}', undefined).message).toMatch(/the document is an object, not an array/);
    expect(scanError('[1,2] x', undefined).message).toMatch(/unexpected data after the end/);
    expect(scanError('[1,2,]', undefined).message).toMatch(/expected an element after ","/);
    expect(scanError('[{"a":1},{"a":}]', undefined).message).toMatch(/malformed element 2/);
    expect(scanError('{"a" 1}', 'a').message).toMatch(/expected ":"/);
    expect(scanError('', undefined).message).toBe('the document is empty');
    expect(scanError('   ', undefined).message).toBe('the document is empty');
  });

  it('refuses an element larger than the limit instead of buffering it forever', () => {
    const scanner = new JsonArrayScanner([], { maxElementChars: 100 });
    expect(() => { scanner.write('[{"sku":"'); scanner.write('x'.repeat(200)); }).toThrow(/longer than/);
  });
});

describe('dot paths', () => {
  it('reads nested keys and array indexes, and nothing else', () => {
    const v = { a: { b: [{ c: 1 }, { c: 2 }] }, '0': 'zero' };
    expect(getAt(v, parseDotPath('a.b.1.c'))).toBe(2);
    expect(getAt(v, parseDotPath('0'))).toBe('zero');
    expect(getAt(v, parseDotPath('a.b.x'))).toBeUndefined();
    expect(getAt(v, parseDotPath('a.missing.c'))).toBeUndefined();
    expect(getAt(v, parseDotPath('toString'))).toBeUndefined();
    expect(getAt(v, parseDotPath(undefined))).toBe(v);
  });
});

describe('json paging (pure)', () => {
  const outcome = (body: unknown, items: number, seen: number, headers: Record<string, string> = {}): PageOutcome => ({ body, headers, items, seen });
  const base = 'https://api.example.com/v1/items?store=7';

  it('page: keeps the URL\'s own parameters and ends on a short page', () => {
    const pager = createPager(base, JsonPaging.parse({ type: 'page' }), 100);
    const first = pager.first();
    expect(first.url).toBe('https://api.example.com/v1/items?store=7&page=1&per_page=100');
    const second = pager.next(first, outcome([], 100, 100)).next as PageRequest;
    expect(second.url).toBe('https://api.example.com/v1/items?store=7&page=2&per_page=100');
    expect(pager.next(second, outcome([], 40, 140)).next).toBeNull();
    expect(pager.next(second, outcome([], 0, 100)).next).toBeNull();
  });

  it('page with totalPath: stops at the total, and goes on (with a warning) when the API caps the page size', () => {
    const pager = createPager(base, JsonPaging.parse({ type: 'page', firstPage: 0, totalPath: 'meta.total' }), 100);
    const first = pager.first();
    expect(new URL(first.url).searchParams.get('page')).toBe('0');
    expect(pager.next(first, outcome({ meta: { total: 100 } }, 100, 100)).next).toBeNull();
    const capped = pager.next(first, outcome({ meta: { total: '120' } }, 50, 50));
    expect(capped.next?.page).toBe(1);
    expect(capped.warning).toMatch(/caps the page size/);
    expect(() => pager.next(first, outcome({ meta: {} }, 100, 100))).toThrow(PagingError);
  });

  it('offset: advances by the items received', () => {
    const pager = createPager(base, JsonPaging.parse({ type: 'offset', totalPath: 'total' }), 100);
    const first = pager.first();
    const next = pager.next(first, outcome({ total: 500 }, 60, 60)).next as PageRequest;
    expect(next.url).toBe('https://api.example.com/v1/items?store=7&offset=60&limit=100');
  });

  it('cursor: null, missing or empty cursor ends; a cursor that does not move is an error', () => {
    const pager = createPager(base, JsonPaging.parse({ type: 'cursor', cursorPath: 'meta.next' }), 2);
    const first = pager.first();
    expect(first.url).toBe('https://api.example.com/v1/items?store=7&limit=2');
    const second = pager.next(first, outcome({ meta: { next: 'abc' } }, 2, 2)).next as PageRequest;
    expect(second.url).toBe('https://api.example.com/v1/items?store=7&limit=2&cursor=abc');
    for (const next of [null, '', undefined]) expect(pager.next(second, outcome({ meta: { next } }, 2, 4)).next).toBeNull();
    expect(() => pager.next(second, outcome({ meta: { next: 'abc' } }, 2, 4))).toThrow(/did not change/);
    expect(() => pager.next(second, outcome({ meta: { next: { x: 1 } } }, 2, 4))).toThrow(/not a string/);
  });

  it('link: follows rel="next" as given, resolves relative links, refuses another origin', () => {
    const pager = createPager(base, JsonPaging.parse({ type: 'link' }), 2);
    const first = pager.first();
    expect(first.url).toBe('https://api.example.com/v1/items?store=7&per_page=2');
    const abs = pager.next(first, outcome([], 2, 2, { link: '<https://api.example.com/v1/items?store=7&page=2&per_page=2&sig=x>; rel="next", <https://api.example.com/v1/items?page=9>; rel="last"' }));
    expect(abs.next?.url).toBe('https://api.example.com/v1/items?store=7&page=2&per_page=2&sig=x');
    const rel = pager.next(first, outcome([], 2, 2, { link: '</v1/items?after=Zm9v&per_page=2>; rel=next' }));
    expect(rel.next?.url).toBe('https://api.example.com/v1/items?after=Zm9v&per_page=2');
    expect(pager.next(first, outcome([], 2, 2, { link: '<https://api.example.com/v1/items?page=1>; rel="prev"' })).next).toBeNull();
    expect(() => pager.next(first, outcome([], 2, 2, { link: '<https://evil.example.net/steal>; rel="next"' }))).toThrow(/another origin/);
  });

  it('parses Link headers the way servers write them', () => {
    expect(nextLink('<a?x=1,2>; rel="prev", <b?y=2>; rel="next"')).toBe('b?y=2');
    expect(nextLink(['<a>; rel="first"', '<c>; title="x"; rel="next last"'])).toBe('c');
    expect(nextLink('<a>; REL=Next')).toBe('a');
    expect(nextLink('<a>; rel="nextish"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});
