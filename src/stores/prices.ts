/**
 * Which store types write prices (SPEC §14 `prices`) and how. Pure data, read by the config
 * validation: a store that cannot write and read back a price refuses `prices.enabled` (exit 2,
 * naming it) rather than syncing stock alone while the user expects prices too.
 */
import { StoreError } from '../domain/errors.js';
import { storePriceCents } from '../domain/price.js';

/** NOTE: Amazon writes no prices (see `pricesUnsupported`). */
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
  shopify: {
    how: '`price` (a Money string) via productVariantsBulkUpdate, which takes one product\'s variants: one request per product with price changes, besides the inventorySetQuantities stock mutation (which has no price)',
    extraPer1000: 'one per product: 1,000 for single-variant products; 20 for 1,000 variants of 50-variant products',
  },
  vendure: {
    how: '`price` (Money: an integer in minor units, the channel\'s list price, gross when the channel\'s prices include tax) in the same updateProductVariants input as `stockOnHand`',
    extraPer1000: '0',
  },
  magento2: {
    how: 'neither stock route takes a price: `price` (a number, store_id 0: the default scope) via POST /V1/products/base-prices after each stock batch, one request per batch (≤ 500, or the shop\'s Web API input cap); without MSI one per item, as the stock writes are',
    extraPer1000: '2 with MSI (batches of 500; 50 with input limits at 20); 1,000 without MSI (one per item, like the stock writes)',
  },
  medusa: {
    how: 'inventory levels have no price: the variant\'s price in `store.currency` (default: the store\'s default currency; main units, a number) via POST /admin/products/{id}/variants/batch, one request per product, sending the variant\'s other prices back (Medusa replaces the price set), after a GET of the current prices (100 products a request)',
    extraPer1000: 'one per product: 1,000 for single-variant products; 20 for 1,000 variants of 50-variant products (plus 1 price read per 100 products)',
  },
  shift4shop: {
    how: 'a product\'s `Price` (a number) in the same PUT /Products record as its `Stock`; advanced-option items list no price and keep their AdvancedOptionPrice (an adjustment to the product\'s price, not a price)',
    extraPer1000: '0',
  },
};

/** Why this store cannot sync prices, or null when it can. Pure. */
export function pricesUnsupported(store: { type: string }): string | null {
  if (PRICES_BY_STORE[store.type]) return null;
  if (store.type === 'amazon') return 'store type "amazon" does not sync prices (invsync writes only fulfillment_availability to Amazon listings)';
  return `store type "${store.type}" does not sync prices yet (supported: ${Object.keys(PRICES_BY_STORE).join(', ')})`;
}

/**
 * A planned price (the two-decimal string match writes into `Change.price.to`) in integer cents,
 * for the stores that send a number. The plan only holds such strings: anything else is a
 * StoreError naming the store.
 */
export function plannedPriceCents(storeType: string, price: string): number {
  const cents = storePriceCents(price);
  if (typeof cents !== 'number') throw new StoreError(`${storeType}: "${price}" is not a price`);
  return cents;
}
