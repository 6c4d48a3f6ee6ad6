/**
 * The serve page's pure parts (src/serve/public/app.js, loaded as the ES module the browser
 * loads): the diff table's filter and sort, and how a lock holder is said.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';

interface Change { sku: string; name?: string; from: number | null; to: number; status: string; error: string | null; store?: string }
interface ViewState { text: string; status: string; sort: string; dir: 'asc' | 'desc' }
let viewOf: (changes: Change[], state: ViewState) => number[];
let holderText: (h: unknown) => string;

beforeAll(async () => {
  // A computed specifier: the page is plain JS without type declarations, so tsc must not resolve it.
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/serve/public/app.js');
  const mod = await import(pathToFileURL(file).href) as { viewOf: typeof viewOf; holderText: typeof holderText };
  ({ viewOf, holderText } = mod);
});

const changes: Change[] = [
  { sku: 'SKU-10', name: 'Mug', from: 4, to: 9, status: 'applied', error: null },
  { sku: 'SKU-2', name: 'Cup <b>', from: null, to: 3, status: 'failed', error: 'HTTP 400 invalid stock' },
  { sku: 'SKU-1', name: 'Plate', from: 7, to: 0, status: 'applied', error: null },
  { sku: 'sku-3', name: 'Bowl', from: 2, to: 9, status: 'planned', error: null },
];
const none: ViewState = { text: '', status: '', sort: '', dir: 'asc' };
const skus = (idx: number[]) => idx.map((i) => changes[i]!.sku);

describe('the diff table view', () => {
  it('keeps the plan order with no sort or filter', () => {
    expect(viewOf(changes, none)).toEqual([0, 1, 2, 3]);
  });

  it('filters by SKU, product name or note, ignoring case, and by status', () => {
    expect(skus(viewOf(changes, { ...none, text: 'cup <B' }))).toEqual(['SKU-2']);
    expect(skus(viewOf(changes, { ...none, text: 'invalid' }))).toEqual(['SKU-2']);
    expect(skus(viewOf(changes, { ...none, text: ' SKU-1 ' }))).toEqual(['SKU-10', 'SKU-1']);
    expect(skus(viewOf(changes, { ...none, status: 'applied' }))).toEqual(['SKU-10', 'SKU-1']);
    expect(skus(viewOf(changes, { ...none, status: 'applied', text: 'plate' }))).toEqual(['SKU-1']);
  });

  it('sorts SKUs in natural order (SKU-2 before SKU-10), case-insensitively', () => {
    expect(skus(viewOf(changes, { ...none, sort: 'sku' }))).toEqual(['SKU-1', 'SKU-2', 'sku-3', 'SKU-10']);
    expect(skus(viewOf(changes, { ...none, sort: 'sku', dir: 'desc' }))).toEqual(['SKU-10', 'sku-3', 'SKU-2', 'SKU-1']);
  });

  it('sorts numbers as numbers, unknown levels last either way, ties in plan order', () => {
    expect(skus(viewOf(changes, { ...none, sort: 'to' }))).toEqual(['SKU-1', 'SKU-2', 'SKU-10', 'sku-3']);
    expect(skus(viewOf(changes, { ...none, sort: 'to', dir: 'desc' }))).toEqual(['SKU-10', 'sku-3', 'SKU-2', 'SKU-1']);
    expect(skus(viewOf(changes, { ...none, sort: 'from' }))).toEqual(['sku-3', 'SKU-10', 'SKU-1', 'SKU-2']);
    expect(skus(viewOf(changes, { ...none, sort: 'from', dir: 'desc' }))).toEqual(['SKU-1', 'SKU-10', 'sku-3', 'SKU-2']);
  });

  it('sorts by the change (to − from), an untracked level (no from) last', () => {
    expect(skus(viewOf(changes, { ...none, sort: 'delta' }))).toEqual(['SKU-1', 'SKU-10', 'sku-3', 'SKU-2']);
  });

  it('filters and sorts a 50,000-row plan', () => {
    const big: Change[] = Array.from({ length: 50_000 }, (_, i) => ({ sku: `SKU-${i}`, from: i % 97, to: i % 89, status: i % 10 ? 'planned' : 'failed', error: null }));
    const idx = viewOf(big, { text: '', status: 'failed', sort: 'to', dir: 'desc' });
    expect(idx).toHaveLength(5000);
    expect(big[idx[0]!]!.to).toBe(88);
  });
});

describe('the lock holder', () => {
  it('reads a 409 body (host, since) and a status lock (hostname, startedAt) alike', () => {
    expect(holderText({ pid: 42, host: 'cron1', command: 'full', since: '2026-01-01T00:00:00.000Z' })).toMatch(/^held by `invsync full` \(pid 42 on cron1\) since /);
    expect(holderText({ pid: 7, hostname: 'box', command: 'push', startedAt: '2026-01-01T00:00:00.000Z' })).toMatch(/^held by `invsync push` \(pid 7 on box\) since /);
    expect(holderText(null)).toBe('free');
  });
});
