import type { StoreConfig } from '../config/schema.js';
import { lazyRegistry } from '../lib/lazy-registry.js';
import type { StoreAdapter, StoreContext } from './types.js';

export type { StoreContext } from './types.js';

type Of<T extends StoreConfig['type']> = Extract<StoreConfig, { type: T }>;
type StoreFactory = (config: StoreConfig, ctx: StoreContext) => StoreAdapter;

/**
 * One line per store type: the engine never knows which store it writes. Each adapter's module is
 * loaded only when a config uses its type (issue 19: a WooCommerce run does not load the Shopify,
 * Amazon… code and their schemas, ≈ 4 MB).
 */
const LOADERS: { [T in StoreConfig['type']]: () => Promise<StoreFactory> } = {
  woocommerce: async () => { const m = await import('./woocommerce/index.js'); return (c) => m.createWooCommerceStore(c as Of<'woocommerce'>); },
  vendure: async () => { const m = await import('./vendure/index.js'); return (c) => m.createVendureStore(c as Of<'vendure'>); },
  medusa: async () => { const m = await import('./medusa/index.js'); return (c) => m.createMedusaStore(c as Of<'medusa'>); },
  shopify: async () => { const m = await import('./shopify/index.js'); return (c) => m.createShopifyStore(c as Of<'shopify'>); },
  shift4shop: async () => { const m = await import('./shift4shop/index.js'); return (c) => m.createShift4ShopStore(c as Of<'shift4shop'>); },
  magento2: async () => { const m = await import('./magento2/index.js'); return (c, ctx) => m.createMagento2Store(c as Of<'magento2'>, ctx); },
  bigcommerce: async () => { const m = await import('./bigcommerce/index.js'); return (c) => m.createBigCommerceStore(c as Of<'bigcommerce'>); },
  amazon: async () => { const m = await import('./amazon/index.js'); return (c, ctx) => m.createAmazonStore(c as Of<'amazon'>, ctx); },
  // (one line per store type)
};

const registry = lazyRegistry<StoreConfig, StoreContext, StoreAdapter>(LOADERS, {
  kind: 'store', path: 'store.type', createName: 'createStore', loadName: 'loadStoreAdapters',
});

/**
 * Load the adapters of these store types (each once). `createStore` can only create a loaded
 * type; the CLI loads every type its config names before a command runs. Unknown types are
 * skipped here and refused by `createStore`.
 */
export function loadStoreAdapters(types: Iterable<string>): Promise<void> {
  return registry.load(types);
}

/**
 * The adapter for `config`. Throws ConfigError for a type this build does not have, and a plain
 * Error (a programming error) for a type whose adapter was not loaded with `loadStoreAdapters`.
 */
export function createStore(config: StoreConfig, ctx: StoreContext = {}): StoreAdapter {
  return registry.create(config, ctx);
}
