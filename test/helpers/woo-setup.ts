import path from 'node:path';
import { DEFAULT_WOO_KEY } from '../fakes/woocommerce.js';
import { writeCsv, writeJson } from './cli.js';

/** The environment the config below reads its WooCommerce credentials from (`${WC_KEY}`, `${WC_SECRET}`). */
export const WOO_ENV = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

/**
 * The most common test set-up: `<dir>/supplier.csv` holding `rows`, and `<dir>/invsync.config.json`
 * syncing that one CSV feed into the WooCommerce (emulator) store at `url`, state in `<dir>/state`.
 * `store` is merged into the store entry (batchSize, …); `overrides` into the whole config.
 * Returns the config's path.
 */
export function writeWooSetup(dir: string, options: {
  url: string;
  rows: Array<[string, number | string]>;
  store?: Record<string, unknown>;
  overrides?: Record<string, unknown>;
}): string {
  writeCsv(path.join(dir, 'supplier.csv'), options.rows);
  return writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    store: { type: 'woocommerce', url: options.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...options.store },
    ...options.overrides,
  });
}
