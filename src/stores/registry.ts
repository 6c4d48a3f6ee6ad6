import type { StoreConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import type { StoreAdapter, StoreContext } from './types.js';

export type { StoreContext } from './types.js';
import { createWooCommerceStore } from './woocommerce/index.js';
import { createVendureStore } from './vendure/index.js';
import { createMedusaStore } from './medusa/index.js';
import { createShopifyStore } from './shopify/index.js';
import { createShift4ShopStore } from './shift4shop/index.js';
import { createMagento2Store } from './magento2/index.js';
import { createBigCommerceStore } from './bigcommerce/index.js';
import { createAmazonStore } from './amazon/index.js';

/** One line per store type: the engine never knows which store it writes. */
export function createStore(config: StoreConfig, ctx: StoreContext = {}): StoreAdapter {
  switch (config.type) {
    case 'woocommerce': return createWooCommerceStore(config);
    case 'vendure': return createVendureStore(config);
    case 'medusa': return createMedusaStore(config);
    case 'shopify': return createShopifyStore(config);
    case 'shift4shop': return createShift4ShopStore(config);
    case 'magento2': return createMagento2Store(config, ctx);
    case 'bigcommerce': return createBigCommerceStore(config);
    case 'amazon': return createAmazonStore(config, ctx);
    // (one `case` per store type)
    // Unreachable while every type has its case; kept for configs that bypass the schema.
    default: throw new ConfigError(`store type "${(config as { type: string }).type}" is not available in this build`, 'store.type');
  }
}
