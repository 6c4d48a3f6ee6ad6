import type { StoreConfig, StoreSourceConfig } from '../../config/schema.js';
import { ConfigError } from '../../domain/errors.js';
import type { SourceRecord, StoreItem } from '../../domain/types.js';
import { createStore, loadStoreAdapters } from '../../stores/registry.js';
import type { StoreAdapter } from '../../stores/types.js';
import type { SourceAdapter, SourceContext } from '../types.js';

/**
 * Pure: one store item as a supplier row. An item without a SKU, or whose stock that store does
 * not manage (its level is unknown, not 0), is a rejected row: never turned into a quantity.
 */
export function storeItemRecord(item: StoreItem, row: number): SourceRecord {
  const sku = item.sku.trim();
  if (sku === '') return { kind: 'rejected', row, reason: `item ${itemId(item)} has no SKU`, code: 'no SKU' };
  if (!item.managed || item.qty === null) {
    return { kind: 'rejected', row, sku, reason: `item ${itemId(item)}: that store does not manage its stock`, code: 'stock not managed' };
  }
  return { kind: 'item', sku, qty: item.qty, row };
}

function itemId(item: StoreItem): string {
  return item.variationId === null ? `[${item.productId}]` : `[${item.productId}/${item.variationId}]`;
}

/**
 * A store read as a source (SPEC §9): it lists that store (its own adapter, rate limit and
 * credentials) and offers every item's stock as a supplier row. Read-only: it only ever calls
 * the adapter's `list` (and `check`), never `apply`.
 */
export function createStoreSource(config: StoreSourceConfig, ctx: SourceContext, adapter?: StoreAdapter): SourceAdapter {
  let store: StoreAdapter | undefined = adapter;
  const open = async (): Promise<StoreAdapter> => {
    if (store) return store;
    const storeConfig: StoreConfig | undefined = typeof config.store === 'string' ? ctx.resolveStore?.(config.store) : config.store;
    if (!storeConfig) throw new ConfigError(`source "${config.name}": no store named "${String(config.store)}"`, `sources.${config.name}.store`);
    await loadStoreAdapters([storeConfig.type]);
    return (store = createStore(storeConfig));
  };
  return {
    name: config.name,
    type: 'store',
    async *stream(signal) {
      let row = 0;
      for await (const item of (await open()).list(signal)) yield storeItemRecord(item, ++row);
    },
    async check() {
      const s = await open();
      return s.check ? s.check() : `${s.type} store configured`;
    },
  };
}
