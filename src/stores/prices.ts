/**
 * Which store types write prices (SPEC §14 `prices`) and how. Pure data, read by the config
 * validation: a store that cannot write and read back a price refuses `prices.enabled` (exit 2,
 * naming it) rather than syncing stock alone while the user expects prices too.
 */

/**
 * NOTE: Shopify (productVariantsBulkUpdate, one request per product), Shift4Shop (`Price` in the
 * same PUT), Magento 2 (`/V1/products/base-prices`), Medusa and Vendure are not built yet: they
 * refuse `prices.enabled` (exit 2) rather than syncing stock only. Amazon writes no prices.
 */
export interface PriceFacts {
  /** One line for the README table: which field, in which request. */
  how: string;
  /** Extra write requests price sync adds per 1,000 changes (beyond the stock writes), measured on the fakes. */
  extraPer1000: string;
}

export const PRICES_BY_STORE: Readonly<Record<string, PriceFacts | undefined>> = {
  woocommerce: {
    how: '`regular_price` (a string) in the same products/batch or variations/batch request as the stock',
    extraPer1000: '0',
  },
  bigcommerce: {
    how: 'stock goes through the Inventory API, which has no price: `price` (a number) via PUT /v3/catalog/variants (≤ 50 variants a request) or PUT /v3/catalog/products (≤ 10 products without options a request), after each stock batch',
    extraPer1000: '20 for variants (50 a request), 100 for products without options (10 a request)',
  },
};

/** Why this store cannot sync prices, or null when it can. Pure. */
export function pricesUnsupported(store: { type: string }): string | null {
  if (PRICES_BY_STORE[store.type]) return null;
  if (store.type === 'amazon') return 'store type "amazon" does not sync prices (invsync writes only fulfillment_availability to Amazon listings)';
  return `store type "${store.type}" does not sync prices yet (supported: ${Object.keys(PRICES_BY_STORE).join(', ')})`;
}
