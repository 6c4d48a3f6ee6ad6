import type { IndexedStoreItem, SnapshotRecord } from '../../src/domain/types.js';
import { Rules } from '../../src/config/schema.js';

/** Readable builders for the pure core's tests. */
export function storeItem(sku: string, qty: number | null, overrides: Partial<IndexedStoreItem> = {}): IndexedStoreItem {
  return { ord: 0, sku, productId: 1, variationId: null, qty, managed: qty !== null, ...overrides };
}

/** Store items with ids 1..n in store order. */
export function storeOf(entries: Array<[string, number | null]>): IndexedStoreItem[] {
  return entries.map(([sku, qty], i) => storeItem(sku, qty, { ord: i, productId: i + 1 }));
}

export function feed(source: string, entries: Array<[string, number]>): SnapshotRecord[] {
  return entries.map(([sku, qty], i) => ({ kind: 'item', source, sku, qty, row: i + 2 }));
}

export function rules(overrides: Partial<Rules> = {}): Rules {
  return Rules.parse(overrides);
}
