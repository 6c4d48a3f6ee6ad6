/**
 * Issue 19, point 4: the pure parts of the incremental index refresh (when it may run, the merge,
 * durations), an unsupported store falling back to the full listing, and the emulator's
 * `modified_after` (never kinder than WooCommerce: strict, whole seconds, GMT, writes only).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { StoreItem } from '../../src/domain/types.js';
import { parseDuration } from '../../src/lib/duration.js';
import { decideRefresh, mergeIndex, OVERLAP_MS, SKEW_MS, stageRefresh, storeFingerprint } from '../../src/pipeline/index-refresh.js';
import { openDb } from '../../src/state/db.js';
import { getRefreshState } from '../../src/state/index-refresh.js';
import { iterateStoreItems } from '../../src/state/store-index.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { simpleProducts, startWooEmulator, wooRequest, type WooEmulator } from '../fakes/woocommerce.js';
import { tempDir } from '../helpers/cli.js';

const item = (productId: number, variationId: number | null, qty: number): StoreItem => ({ sku: `S${productId}-${variationId ?? 0}`, productId, variationId, qty, managed: true });

describe('decideRefresh', () => {
  const state = { fullAt: '2026-01-01T00:00:00.000Z', watermark: '2026-01-01T06:00:00.000Z', watermarkSource: 'server' as const, fingerprint: 'f', kind: 'full' as const, fetchId: 'r1' };
  const base = { storeType: 'woocommerce', supported: true, state, hasIndex: true, indexFetchId: 'r1', fingerprint: 'f', fullEveryMs: 24 * 3_600_000, nowMs: Date.parse('2026-01-01T07:00:00Z') };

  it('incremental from the watermark minus the overlap when everything agrees', () => {
    const d = decideRefresh(base);
    expect(d).toMatchObject({ kind: 'incremental', since: new Date(Date.parse(state.watermark) - OVERLAP_MS).toISOString() });
  });

  it('a watermark from invsync\'s clock (no Date header) starts earlier by the skew allowance', () => {
    const d = decideRefresh({ ...base, state: { ...state, watermarkSource: 'local' } });
    expect(d).toMatchObject({ kind: 'incremental', since: new Date(Date.parse(state.watermark) - OVERLAP_MS - SKEW_MS).toISOString() });
  });

  it.each([
    ['unsupported store', { supported: false }, /^the woocommerce store has no incremental listing/],
    ['first run', { state: undefined }, /^first refresh/],
    ['no live index', { hasIndex: false }, /^first refresh/],
    ['config changed', { fingerprint: 'g' }, /config changed/],
    ['index replaced by a refresh without the option', { indexFetchId: 'r2' }, /refreshed without index\.incremental/],
    ['fullEvery elapsed', { nowMs: Date.parse('2026-01-02T00:00:00Z') }, /older than fullEvery \(24h\)/],
    ['clock went back before the full refresh', { nowMs: Date.parse('2025-12-31T00:00:00Z') }, /older than fullEvery/],
  ])('full: %s', (_label, change, reason) => {
    expect(decideRefresh({ ...base, ...change })).toEqual({ kind: 'full', reason: expect.stringMatching(reason) });
  });
});

describe('mergeIndex', () => {
  it('replaces every item of a changed product, drops a product that now has none, and puts new products in id order', () => {
    const live = [item(1, null, 1), item(2, 10, 1), item(2, 11, 1), item(3, null, 1), item(7, null, 1)];
    const replaced = [2, 3, 5, 9];
    const replacement = [item(2, 11, 5), item(2, 12, 5), item(5, null, 5), item(9, null, 5)];
    expect([...mergeIndex(live, replaced, replacement)]).toEqual([
      item(1, null, 1), item(2, 11, 5), item(2, 12, 5), item(5, null, 5), item(7, null, 1), item(9, null, 5),
    ]);
  });

  it('an empty delta keeps the index as it is; an empty index takes the delta', () => {
    const live = [item(1, null, 1), item(4, null, 2)];
    expect([...mergeIndex(live, [], [])]).toEqual(live);
    expect([...mergeIndex([], [1, 4], live)]).toEqual(live);
  });
});

describe('parseDuration', () => {
  it.each([[24, 86_400_000], [0.5, 1_800_000], ['24h', 86_400_000], ['1d', 86_400_000], ['90m', 5_400_000], ['1h30m', 5_400_000], [' 30S ', 30_000]])('%p → %p ms', (v, ms) => {
    expect(parseDuration(v)).toBe(ms);
  });
  it.each([[0], [-1], ['daily'], ['24'], [''], ['0h'], ['1w']])('%p is refused', (v) => {
    expect(parseDuration(v)).toBeNull();
  });
});

describe('stageRefresh on a store without an incremental listing', () => {
  it('lists in full, says why, and records no incremental state', async () => {
    const dir = tempDir();
    const db = openDb(dir);
    try {
      let listed = 0;
      const adapter = {
        type: 'shift4shop', limits: { maxBatch: 100 }, batchKey: () => 'x', apply: async () => ({ failed: [] }), read: async () => new Map(),
        async *list() { listed++; yield item(1, null, 3); yield item(2, null, 4); },
      } satisfies StoreAdapter;
      const { staged, report } = await stageRefresh(db, {
        name: 'store', fetchId: 'f1', adapter, settings: { incremental: true, fullEvery: '24h' }, fingerprint: storeFingerprint({ type: 'woocommerce' } as never),
      }, new AbortController().signal);
      expect(report).toEqual({ kind: 'full', reason: 'the shift4shop store has no incremental listing: full refresh' });
      staged.commit();
      expect(listed).toBe(1);
      expect([...iterateStoreItems(db)].map((i) => i.qty)).toEqual([3, 4]);
      expect(getRefreshState(db)).toBeUndefined();
    } finally {
      db.close();
    }
  });
});

describe('WooCommerce emulator: modified_after', () => {
  const running: WooEmulator[] = [];
  afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

  it('returns only products saved strictly after the given second (GMT), by the emulator\'s clock; seeds keep their old dates', async () => {
    // Near the real time (OAuth refuses timestamps 15 minutes off), 700 ms into a second.
    let clock = Math.floor(Date.now() / 1000) * 1000 + 700;
    const gmt = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    const emu = await startWooEmulator({ products: simpleProducts(3), now: () => clock });
    running.push(emu);
    const ids = emu.items().map((r) => r.id);
    const list = async (after: string) => {
      const res = await wooRequest(emu, { path: 'products', query: { modified_after: after, dates_are_gmt: 'true', orderby: 'id', order: 'asc', per_page: 100 } });
      expect(res.status).toBe(200);
      return { ids: (res.body as Array<{ id: number; date_modified_gmt: string }>).map((p) => p.id), total: res.headers.get('x-wp-total'), date: res.headers.get('date') };
    };
    expect((await list('2026-01-01T00:00:00')).ids).toEqual([]);
    const res = await wooRequest(emu, { method: 'POST', path: 'products/batch', body: { update: [{ id: ids[1], manage_stock: true, stock_quantity: 9 }] } });
    expect(res.status).toBe(200);
    expect(emu.get(ids[1]!)?.date_modified).toBe(gmt(clock));
    // Strictly later, at whole seconds: the save's own second does not count, the one before does.
    expect(await list(gmt(clock))).toMatchObject({ ids: [], total: '0' });
    expect(await list(gmt(clock - 1000))).toMatchObject({ ids: [ids[1]], total: '1', date: new Date(clock).toUTCString() });
    // A zone in the value is applied (two hours ahead at +02:00 is the same instant).
    expect((await list(`${gmt(clock - 1000 + 7_200_000)}+02:00`)).ids).toEqual([ids[1]]);
    clock += 60_000;
    const bad = await wooRequest(emu, { path: 'products', query: { modified_after: 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'rest_invalid_param' });
  });

  it('a variation\'s save moves the variation\'s date, not its parent\'s', async () => {
    const clock = Date.now();
    const emu = await startWooEmulator({ now: () => clock, products: [{ type: 'variable', sku: 'V', variations: [{ sku: 'V-1', stock_quantity: 1 }] }] });
    running.push(emu);
    const parent = emu.items().find((r) => r.type === 'variable')!;
    await wooRequest(emu, { method: 'POST', path: `products/${parent.id}/variations/batch`, body: { update: [{ id: parent.variations[0], stock_quantity: 4 }] } });
    const hourAgo = new Date(clock - 3_600_000).toISOString().slice(0, 19);
    const products = await wooRequest(emu, { path: 'products', query: { modified_after: hourAgo } });
    const variations = await wooRequest(emu, { path: `products/${parent.id}/variations`, query: { modified_after: hourAgo } });
    expect((products.body as unknown[]).length).toBe(0);
    expect((variations.body as Array<{ id: number }>).map((v) => v.id)).toEqual([parent.variations[0]]);
  });
});

describe('stageRefresh against the emulator (in process)', () => {
  const running: WooEmulator[] = [];
  afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

  const tables = (db: ReturnType<typeof openDb>) =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'store_%' ORDER BY name").pluck().all() as string[]);

  it('a listing that fails half-way through an incremental refresh leaves the index, its products and its state as they were, and no staging behind', async () => {
    const emu = await startWooEmulator({ products: [...simpleProducts(5), { type: 'variable', sku: 'V', variations: [{ sku: 'V-1', stock_quantity: 1 }] }] });
    running.push(emu);
    const { createWooCommerceStore } = await import('../../src/stores/woocommerce/index.js');
    const config = { type: 'woocommerce' as const, url: emu.url, consumerKey: emu.keys[0]!.consumerKey, consumerSecret: emu.keys[0]!.consumerSecret };
    const adapter = createWooCommerceStore(config);
    const db = openDb(tempDir());
    try {
      const settings = { incremental: true, fullEvery: '24h' };
      const fingerprint = storeFingerprint(config);
      const first = await stageRefresh(db, { name: 'store', fetchId: 'f1', adapter, settings, fingerprint }, new AbortController().signal);
      expect(first.report.kind).toBe('full');
      first.staged.commit();
      const before = { items: [...iterateStoreItems(db)], state: getRefreshState(db), tables: tables(db) };
      expect(before.tables).toEqual(['store_items', 'store_products_1', 'store_slots']);

      const id = emu.items()[0]!.id;
      const res = await wooRequest(emu, { method: 'POST', path: 'products/batch', body: { update: [{ id, manage_stock: true, stock_quantity: 99 }] } });
      expect(res.status).toBe(200);
      const broken = { ...adapter, incremental: { ...adapter.incremental!, variations: async () => { throw new Error('connection reset'); } } };
      await expect(stageRefresh(db, { name: 'store', fetchId: 'f2', adapter: broken, settings, fingerprint }, new AbortController().signal))
        .rejects.toThrow('connection reset');
      expect({ items: [...iterateStoreItems(db)], state: getRefreshState(db), tables: tables(db) }).toEqual(before);

      // And when it works, the edit is in.
      const next = await stageRefresh(db, { name: 'store', fetchId: 'f3', adapter, settings, fingerprint }, new AbortController().signal);
      expect(next.report.kind).toBe('incremental');
      next.staged.commit();
      expect([...iterateStoreItems(db)].find((i) => i.productId === id)?.qty).toBe(99);
      expect(tables(db)).toEqual(before.tables);
    } finally {
      db.close();
    }
  });
});
