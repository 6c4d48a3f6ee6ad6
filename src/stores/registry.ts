import type { StoreConfig } from '../config/schema.js';
import type { StoreAdapter } from './types.js';
import { createWooCommerceStore } from './woocommerce/index.js';

/** One line per store type: the engine never knows which store it writes. */
export function createStore(config: StoreConfig): StoreAdapter {
  switch (config.type) {
    case 'woocommerce': return createWooCommerceStore(config);
  }
}
