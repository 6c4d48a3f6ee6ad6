/**
 * What each store type can tell about its open orders (SPEC §12). Pure data, read by the config
 * validation (a store that cannot tell refuses `rules.openOrders: "subtract"`, exit 2) and by the
 * fetch (which way to read them).
 *
 * - `orders`: the store reduces its stock when an order is placed and keeps no separate count of
 *   what open orders hold, so invsync reads the open order lines in the look-back window and
 *   subtracts them from the supply (`StoreAdapter.openOrders`).
 * - `platform`: the store keeps units held by placed, unfulfilled orders apart from the level
 *   invsync writes (Vendure `stockAllocated` beside `stockOnHand`, Medusa `reserved_quantity`
 *   beside `stocked_quantity`, Magento MSI reservations beside the source quantity), and sells
 *   only the level minus them. Writing the supplier's level there already holds the open orders
 *   back; subtracting them again would hold them back twice. Nothing is read or subtracted.
 * - absent: not supported (yet); `subtract` is a configuration error.
 */
export type OpenOrdersSupport = 'orders' | 'platform';

export interface OpenOrdersFacts {
  support: OpenOrdersSupport;
  /** One line for the README table and `check`: how this store tells open orders. */
  how: string;
}

export const OPEN_ORDERS_BY_STORE: Readonly<Record<string, OpenOrdersFacts | undefined>> = {
  woocommerce: {
    support: 'orders',
    how: 'orders API: status processing and on-hold, created after the window start (GMT), 100 per page; line items by product and variation id',
  },
  vendure: {
    support: 'platform',
    how: 'invsync writes stockOnHand; Vendure sells stockOnHand − stockAllocated, so placed, unfulfilled orders are already held back',
  },
  medusa: {
    support: 'platform',
    how: 'invsync writes stocked_quantity; Medusa sells stocked_quantity − reserved_quantity, so placed, unfulfilled orders are already held back',
  },
  magento2: {
    support: 'platform',
    how: 'with MSI (msi: true) invsync writes the source quantity; the salable quantity is that minus the reservations of unshipped orders',
  },
};

/**
 * Why this store cannot honour `rules.openOrders: "subtract"`, or null when it can. Pure.
 * `msi` is the magento2 store's `msi` key (legacy stock items are reduced at order placement and
 * have no reservations invsync could rely on).
 */
export function openOrdersUnsupported(store: { type: string; msi?: boolean }): string | null {
  if (store.type === 'magento2' && store.msi === false) {
    return 'store type "magento2" with msi: false cannot tell open orders (legacy stock items have no reservations): use "ignore", or msi: true';
  }
  if (OPEN_ORDERS_BY_STORE[store.type]) return null;
  return `store type "${store.type}" cannot tell open orders yet: use "ignore"`;
}
