/**
 * SPEC §14 `rules.status`, the pure decision (rules/status.ts) and the per-store validation
 * (stores/status.ts): exact outputs for whenZero, whenMissing, restore, the grace period (a fake
 * clock: `nowMs`) and items hidden by hand.
 */
import { describe, expect, it } from '@jest/globals';
import type { ItemVisibility } from '../../src/domain/types.js';
import { decideStatus, type HiddenRecord, type StatusSettings, type StockSituation } from '../../src/pipeline/rules/status.js';
import { STATUS_BY_STORE, statusUnsupported } from '../../src/stores/status.js';

const WOO = STATUS_BY_STORE.woocommerce;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const settings = (over: Partial<StatusSettings> = {}): StatusSettings => ({ whenZero: 'hide', whenMissing: 'outofstock', restore: true, graceHours: 24, ...over });
const shown: ItemVisibility = { hidden: false, outOfStock: false, values: { catalog_visibility: 'visible', stock_status: 'instock' } };
const hiddenView: ItemVisibility = { hidden: true, outOfStock: true, values: { catalog_visibility: 'hidden', stock_status: 'outofstock' } };
const simple = (visibility: ItemVisibility | undefined = shown, managed = true) => ({ variationId: null, managed, ...(visibility ? { visibility } : {}) });

function decide(situation: StockSituation, options: { s?: Partial<StatusSettings>; item?: ReturnType<typeof simple>; record?: HiddenRecord; nowMs?: number } = {}) {
  return decideStatus({ settings: settings(options.s), facts: WOO, item: options.item ?? simple(), situation, record: options.record, nowMs: options.nowMs ?? T0 });
}

const record = (backSince: string | null = null): HiddenRecord => ({ action: 'hide', replaced: { catalog_visibility: 'visible' }, backSince });

describe('decideStatus', () => {
  it('whenZero "hide": writes the platform field, remembering the value it replaces', () => {
    expect(decide('zero')).toEqual({
      kind: 'apply', stockZero: false, why: 'whenZero "hide"',
      action: { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } },
    });
    // A variation: its status (the "Enabled" box).
    expect(decideStatus({ settings: settings(), facts: WOO, situation: 'zero', record: undefined, nowMs: T0,
      item: { variationId: 7, managed: true, visibility: { hidden: false, outOfStock: false, values: { status: 'publish', stock_status: 'instock' } } } }))
      .toEqual({ kind: 'apply', stockZero: false, why: 'whenZero "hide"', action: { to: 'hide', set: { status: 'private' }, from: { status: 'publish' } } });
  });

  it('an item already hidden (by hand or by invsync) gets no write', () => {
    expect(decide('zero', { item: simple(hiddenView) })).toEqual({ kind: 'none', why: 'whenZero "hide": already hidden' });
    expect(decide('zero', { item: simple({ ...shown, hidden: true }) })).toEqual({ kind: 'none', why: 'whenZero "hide": already hidden' });
  });

  it('whenZero "none" does nothing; whenMissing applies to items in no feed', () => {
    expect(decide('zero', { s: { whenZero: 'none' } })).toEqual({ kind: 'none', why: 'whenZero "none"' });
    expect(decide('missing', { s: { whenMissing: 'hide' } })).toMatchObject({ kind: 'apply', why: 'whenMissing "hide"', action: { to: 'hide' } });
    expect(decide('stocked')).toEqual({ kind: 'none', why: 'in stock' });
    expect(decide('unknown')).toEqual({ kind: 'none', why: 'supply unknown: visibility left as it is' });
  });

  it('"outofstock": quantity 0 on managed stock; stock_status on an unmanaged WooCommerce item; nothing where the store has no field', () => {
    expect(decide('missing')).toEqual({ kind: 'apply', action: null, stockZero: true, why: 'whenMissing "outofstock": quantity 0' });
    expect(decide('missing', { item: simple(shown, false) })).toEqual({
      kind: 'apply', stockZero: false, why: 'whenMissing "outofstock"',
      action: { to: 'outofstock', set: { stock_status: 'outofstock' }, from: { stock_status: 'instock' } },
    });
    expect(decide('missing', { item: simple(hiddenView, false) })).toEqual({ kind: 'none', why: 'whenMissing "outofstock": already out of stock' });
    expect(decideStatus({ settings: settings(), facts: STATUS_BY_STORE.shopify, item: simple(undefined, false), situation: 'missing', record: undefined, nowMs: T0 }))
      .toEqual({ kind: 'none', why: 'whenMissing "outofstock": the store does not manage its stock and has no out-of-stock field: left as it is' });
  });

  it('an item hidden by hand (no record) is never restored', () => {
    expect(decide('stocked', { item: simple(hiddenView) })).toEqual({ kind: 'none', why: 'in stock' });
    expect(decide('stocked', { item: simple(hiddenView), nowMs: T0 + 1000 * HOUR })).toEqual({ kind: 'none', why: 'in stock' });
  });

  it('back in stock: waits graceHours from the first run that saw it back, then restores exactly the replaced values', () => {
    // First sight: the time to remember is now.
    expect(decide('stocked', { item: simple(hiddenView), record: record() })).toEqual({
      kind: 'wait', backSince: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z',
      why: 'back in stock since 2026-12-01T00:00:00.000Z: restored after 2026-12-02T00:00:00.000Z (graceHours 24)',
    });
    // 23 h 59 m later: still waiting, from the remembered time.
    expect(decide('stocked', { item: simple(hiddenView), record: record('2026-12-01T00:00:00.000Z'), nowMs: T0 + 24 * HOUR - 60_000 }))
      .toMatchObject({ kind: 'wait', backSince: '2026-12-01T00:00:00.000Z' });
    // 24 h: restore.
    expect(decide('stocked', { item: simple(hiddenView), record: record('2026-12-01T00:00:00.000Z'), nowMs: T0 + 24 * HOUR })).toEqual({
      kind: 'restore', why: 'back in stock since 2026-12-01T00:00:00.000Z: restore',
      action: { to: 'restore', of: 'hide', set: { catalog_visibility: 'visible' }, from: { catalog_visibility: 'hidden' } },
    });
  });

  it('graceHours 0 restores in the first run that sees the item back', () => {
    expect(decide('stocked', { s: { graceHours: 0 }, item: simple(hiddenView), record: record() })).toMatchObject({ kind: 'restore', action: { set: { catalog_visibility: 'visible' } } });
  });

  it('restore: false keeps it hidden; back at 0 it is simply still hidden', () => {
    expect(decide('stocked', { s: { restore: false }, item: simple(hiddenView), record: record('2026-11-01T00:00:00.000Z') }))
      .toEqual({ kind: 'none', why: 'hidden by invsync; restore is off' });
    expect(decide('zero', { item: simple(hiddenView), record: record('2026-11-30T00:00:00.000Z') })).toEqual({ kind: 'none', why: 'whenZero "hide": already hidden' });
  });

  it('values already put back by hand: the record is forgotten, nothing written', () => {
    expect(decide('stocked', { item: simple(shown), record: record('2026-11-01T00:00:00.000Z') })).toEqual({ kind: 'forget', why: 'hidden by invsync, already put back by hand' });
  });
});

describe('statusUnsupported (config validation)', () => {
  it('names the store type and the option; "outofstock" works everywhere, "hide" only where built', () => {
    expect(statusUnsupported('amazon', 'whenZero', 'hide')).toBe('type "amazon" cannot do "hide" (whenZero): Amazon listings are not hidden through the quantity feed invsync writes: use "outofstock" (quantity 0)');
    expect(statusUnsupported('amazon', 'whenMissing', 'outofstock')).toBeNull();
    expect(statusUnsupported('woocommerce', 'whenMissing', 'hide')).toBeNull();
    expect(statusUnsupported('nosuch', 'whenZero', 'outofstock')).toBe('type "nosuch" cannot do "outofstock" (whenZero): not supported');
    expect(statusUnsupported('amazon', 'whenZero', 'none')).toBeNull();
    // Medusa cannot hide one variant: refused, never silently ignored.
    expect(statusUnsupported('medusa', 'whenZero', 'hide')).toBe('type "medusa" cannot do "hide" (whenZero): Medusa variants cannot be hidden one by one (only a whole product, by its status "draft", which hides every variant of it): use "outofstock" (quantity 0)');
    expect(statusUnsupported('medusa', 'whenZero', 'outofstock')).toBeNull();
    expect(statusUnsupported('magento2', 'whenMissing', 'hide')).toBeNull();
    expect(statusUnsupported('shopify', 'whenMissing', 'hide')).toBeNull();
    expect(statusUnsupported('bigcommerce', 'whenZero', 'hide')).toBeNull();
    expect(statusUnsupported('shift4shop', 'whenZero', 'hide')).toBeNull();
    expect(statusUnsupported('vendure', 'whenZero', 'hide')).toBeNull();
    expect(statusUnsupported('shopify', 'whenZero', 'hide')).toBeNull();
    expect(statusUnsupported('shopify', 'whenMissing', 'hide')).toBeNull();
  });
});

describe('read-back and rollback of status actions', () => {
  const hide = { to: 'hide' as const, set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } };
  it('the rollback probe carries the status action (a store such as Magento 2 reads the status only for changes with one)', async () => {
    const { rollbackProbe } = await import('../../src/pipeline/rollback.js');
    const applied = { sku: 'A', productId: 1, variationId: null, from: 5, to: 0, statusAction: { to: 'hide' as const, set: { status: 2 }, from: { status: 1 } } };
    expect(rollbackProbe(applied, 0)).toEqual({ seq: 0, sku: 'A', productId: 1, variationId: null, from: 0, to: 5, statusAction: applied.statusAction });
  });

  it('readBackMismatch checks the written fields, and for a status write alone only them', async () => {
    const { readBackMismatch } = await import('../../src/pipeline/verify.js');
    const reading = (catalog_visibility: string, qty = 0) => ({ qty, managed: true, visibility: { hidden: catalog_visibility === 'hidden', outOfStock: false, values: { catalog_visibility } } });
    expect(readBackMismatch({ to: 0, statusAction: hide }, reading('hidden'))).toBeNull();
    expect(readBackMismatch({ to: 0, statusAction: hide }, reading('visible'))).toBe('read-back: the store reports catalog_visibility "visible", expected "hidden"');
    expect(readBackMismatch({ to: 0, statusAction: hide }, { qty: 0, managed: true })).toBe('read-back: the store did not report the listing\'s status');
    expect(readBackMismatch({ to: 0, statusAction: hide }, reading('hidden', 3))).toBe('read-back: the store reports 3, expected 0');
    expect(readBackMismatch({ to: 0, statusAction: { ...hide, alone: true } }, reading('hidden', 3))).toBeNull();
  });

  it('rollbackStatus undoes a hide with a restore of the replaced values, unless the store shows other values now', async () => {
    const { rollbackStatus } = await import('../../src/pipeline/rollback.js');
    const now = (catalog_visibility: string) => ({ qty: 0, managed: true, visibility: { hidden: false, outOfStock: false, values: { catalog_visibility } } });
    expect(rollbackStatus(hide, now('hidden'))).toEqual({ action: { to: 'restore', of: 'hide', set: { catalog_visibility: 'visible' }, from: { catalog_visibility: 'hidden' } } });
    expect(rollbackStatus(hide, now('catalog'))).toEqual({ skip: 'status changed since that run (the run set catalog_visibility "hidden", the store now has "catalog"): left as it is' });
    expect(rollbackStatus({ to: 'restore', of: 'hide', set: { catalog_visibility: 'visible' }, from: { catalog_visibility: 'hidden' } }, now('visible')))
      .toEqual({ action: { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } } });
    expect(rollbackStatus(hide, undefined)).toEqual({ skip: 'no longer in the store: left as it is' });
  });
});

/** The match set-up of the diffStore tests: rules with this `status`, one feed holding these rows. */
async function withOneFeed(status: StatusSettings, rows: Array<[string, number]>) {
  const { diffStore, SupplyAggregator } = await import('../../src/pipeline/match.js');
  const builders = await import('../helpers/builders.js');
  const r = builders.rules({ status });
  const supply = new SupplyAggregator(['feed'], r);
  for (const rec of builders.feed('feed', rows)) supply.add(rec);
  return { ...builders, diffStore, r, supply };
}

describe('match with rules.status (diffStore)', () => {
  it('a status change alone when the level is right, with the stock when it changes; gates count them; the first sight back is handed over', async () => {
    const { diffStore, storeOf, r, supply } = await withOneFeed({ whenZero: 'hide', whenMissing: 'none', restore: true, graceHours: 24 }, [['AT0', 0], ['DROP', 0], ['BACK', 4], ['BYHAND', 4]]);
    const store = storeOf([['AT0', 0], ['DROP', 5], ['BACK', 0], ['BYHAND', 0]]).map((i) => ({
      ...i, visibility: i.sku === 'BACK' || i.sku === 'BYHAND' ? hiddenView : shown,
    }));
    const seen: Array<[string, string | null]> = [];
    const records: Record<number, HiddenRecord> = { 3: record() };
    const diff = diffStore(supply, store, r, store.length, undefined, undefined, {
      status: { settings: r.status, facts: WOO, nowMs: T0, record: (pid) => records[Number(pid)], onBackSince: (item, since) => { seen.push([item.sku, since]); } },
    });
    expect(diff.changes.map((c) => [c.sku, c.from, c.to, c.reason, c.statusAction])).toEqual([
      ['AT0', 0, 0, 'feed 0 → hide', { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' }, alone: true }],
      ['DROP', 5, 0, 'feed 0 → hide', { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } }],
      // Back in stock: the level is written now, the visibility waits (no status action).
      ['BACK', 0, 4, 'supplier', undefined],
      ['BYHAND', 0, 4, 'supplier', undefined],
    ]);
    expect(diff.counts.changed).toBe(4);
    // Only a stock write to 0 is a new zero: the status-alone change is not.
    expect(diff.newZeros).toBe(1);
    expect(seen).toEqual([['BACK', '2026-12-01T00:00:00.000Z']]);
  });

  it('whenMissing "outofstock" sets a managed item in no feed to 0 (missing: "keep" would leave it), counted as a new zero', async () => {
    const { diffStore, storeOf, r, supply } = await withOneFeed({ whenZero: 'none', whenMissing: 'outofstock', restore: true, graceHours: 24 }, [['LISTED', 3]]);
    const store = storeOf([['LISTED', 3], ['GONE', 7], ['GONE0', 0]]);
    const diff = diffStore(supply, store, r, store.length, undefined, undefined, { status: { settings: r.status, facts: STATUS_BY_STORE.shopify, nowMs: T0, record: () => undefined } });
    expect(diff.changes.map((c) => [c.sku, c.from, c.to, c.reason, c.statusAction])).toEqual([['GONE', 7, 0, 'in no feed → outofstock', undefined]]);
    expect([diff.counts.missing, diff.newZeros, diff.stock]).toEqual([2, 1, { before: 10, after: 3 }]);
  });
});

describe('the diff of a status write alone', () => {
  it('shows the level unchanged, no Δ, no "starts stock tracking"; low-stock alerts skip it', async () => {
    const { renderCsv, renderDiffTable } = await import('../../src/cli/render.js');
    const { lowStockItems } = await import('../../src/lib/low-stock.js');
    const loose = {
      sku: 'LOOSE', productId: 6, variationId: null, from: null, to: 0, status: 'planned' as const, error: null, reason: 'in no feed → outofstock',
      statusAction: { to: 'outofstock' as const, set: { stock_status: 'outofstock' }, from: { stock_status: 'instock' }, alone: true },
    };
    const table = renderDiffTable([loose]).split('\n');
    expect(table[1]).toMatch(/^LOOSE\s+\[6\]\s+—\s+→\s+—\s+in no feed → outofstock$/);
    expect(renderCsv([loose]).split('\r\n')[1]).toBe('LOOSE,,6,,,,,in no feed → outofstock,planned,');
    expect(lowStockItems([loose], 5)).toEqual([]);
  });
});

describe('whole-product hides (Shopify: DRAFT hides every variant of the product)', () => {
  it('hides a product only when every variant of it qualifies; a variant that still sells keeps its siblings shown, with the reason', async () => {
    const { diffStore, storeItem, r, supply } = await withOneFeed({ whenZero: 'hide', whenMissing: 'none', restore: true, graceHours: 24 }, [['A-1', 0], ['A-2', 0], ['B-1', 0], ['B-2', 4], ['C', 0]]);
    const active: ItemVisibility = { hidden: false, outOfStock: false, values: { status: 'ACTIVE' } };
    const store = [
      storeItem('A-1', 3, { ord: 0, productId: 1, variationId: 11, visibility: active }),
      storeItem('A-2', 0, { ord: 1, productId: 1, variationId: 12, visibility: active }),
      storeItem('B-1', 2, { ord: 2, productId: 2, variationId: 21, visibility: active }),
      storeItem('B-2', 4, { ord: 3, productId: 2, variationId: 22, visibility: active }),
      storeItem('C', 1, { ord: 4, productId: 3, variationId: null, visibility: active }),
    ];
    const diff = diffStore(supply, store, r, store.length, undefined, undefined, { status: { settings: r.status, facts: STATUS_BY_STORE.shopify, nowMs: T0, record: () => undefined } });
    expect(diff.changes.map((c) => [c.sku, c.from, c.to, c.statusAction?.to ?? null, c.statusAction?.alone ?? false])).toEqual([
      ['A-1', 3, 0, 'hide', false],
      ['A-2', 0, 0, 'hide', true],
      // B-2 still sells: B-1 goes to 0 and stays on sale (no hide).
      ['B-1', 2, 0, null, false],
      ['C', 1, 0, 'hide', false],
    ]);
    expect(diff.changes.find((c) => c.sku === 'A-1')?.statusAction).toEqual({ to: 'hide', set: { status: 'DRAFT' }, from: { status: 'ACTIVE' } });
  });
});
