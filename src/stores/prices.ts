/**
 * Which store types write prices (SPEC §14 `prices`) and how. Pure data, read by the config
 * validation: a store that cannot write and read back a price refuses `prices.enabled` (exit 2,
 * naming it) rather than syncing stock alone while the user expects prices too.
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
    how: '`price` (a number) in the same PUT /v3/catalog/variants batch as `inventory_level`',
    extraPer1000: '0',
  },
  shopify: {
    how: '`price` (a Decimal string) via productVariantsBulkUpdate, one request per product with price changes, besides the stock mutation',
    extraPer1000: 'one per product whose price changes (1,000 single-variant products: 1,000; variants of one product share one)',
  },
};

/** Why this store cannot sync prices, or null when it can. Pure. */
export function pricesUnsupported(store: { type: string }): string | null {
  if (PRICES_BY_STORE[store.type]) return null;
  if (store.type === 'amazon') return 'store type "amazon" does not sync prices (invsync writes only fulfillment_availability to Amazon listings)';
  return `store type "${store.type}" does not sync prices yet (supported: ${Object.keys(PRICES_BY_STORE).join(', ')})`;
}
