import type { StoreConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import type { StoreAdapter } from './types.js';
import { createWooCommerceStore } from './woocommerce/index.js';

/** One line per store type: the engine never knows which store it writes. */
export function createStore(config: StoreConfig): StoreAdapter {
  switch (config.type) {
    case 'woocommerce': return createWooCommerceStore(config);
    // (one `case` per store type)
    default: throw new ConfigError(`store type "${config.type}" is not available in this build`, 'store.type');
  }
}
