/**
 * What each store type can tell about its open orders (SPEC §12). Pure data, read by the config
 * validation (a store that cannot tell refuses `rules.openOrders: "subtract"`, exit 2) and by the
 * fetch (which way to read them).
 *
 * - `orders`: the store reduces its stock when an order is placed and keeps no separate count of
 *   what open orders hold, so invsync reads the open order lines in the look-back window and
 *   subtracts them from the supply (`StoreAdapter.openOrders`).
 * - `listing`: the store takes open orders off the level invsync writes and reports the units they
 *   hold beside it (Shopify `committed`, taken off `available`): read with the listing
 *   (`StoreItem.held`, no extra request) and subtracted like order lines. No look-back window:
 *   every unfulfilled order counts until it is fulfilled or cancelled.
 * - `platform`: the store keeps units held by placed, unfulfilled orders apart from the level
 *   invsync writes (Vendure `stockAllocated` beside `stockOnHand`, Medusa `reserved_quantity`
 *   beside `stocked_quantity`, Magento MSI reservations beside the source quantity), and sells
 *   only the level minus them. Writing the supplier's level there already holds the open orders
 *   back; subtracting them again would hold them back twice. Nothing is subtracted from the
 *   store's own target. With several stores (SPEC §9) the units it holds are still a sale the
 *   supplier has not seen, so the OTHER stores must subtract them: `sharesHeld` says the listing
 *   reports them (`StoreItem.held`); a platform store whose held units invsync cannot read cannot
 *   share a supply with `subtract`.
 * - absent: not supported (yet); `subtract` is a configuration error.
 */
export type OpenOrdersSupport = 'orders' | 'listing' | 'platform';

export interface OpenOrdersFacts {
  support: OpenOrdersSupport;
  /** One line for the README table and `check`: how this store tells open orders. */
  how: string;
  /** `platform` only: the listing reports the held units per item (`StoreItem.held`). */
  sharesHeld?: boolean;
}

export const OPEN_ORDERS_BY_STORE: Readonly<Record<string, OpenOrdersFacts | undefined>> = {
  woocommerce: {
    support: 'orders',
    how: 'orders API: status processing and on-hold, created after the window start (GMT), 100 per page; line items by product and variation id',
  },
  shopify: {
    support: 'listing',
    how: 'committed quantity at the location (placed, unfulfilled orders; Shopify took them off available, which invsync writes), read with the listing at no extra request; every unfulfilled order, whatever its age',
  },
  bigcommerce: {
    support: 'orders',
    how: 'v2 orders API: status Awaiting Payment, Awaiting Fulfillment, Awaiting Shipment, Awaiting Pickup, Manual Verification Required and Partially Shipped (its unshipped units), created after the window start; line items inline, 250 orders per page',
  },
  shift4shop: {
    support: 'orders',
    how: 'orders API: status New, Processing, Partial (items not yet shipped), Hold, Unpaid and Review, from the day before the window start (the API filters by day in the store\'s time zone), 300 per page with items inline; custom statuses do not count',
  },
  amazon: {
    support: 'orders',
    how: 'Orders API: merchant-fulfilled (MFN) orders Pending, Unshipped and PartiallyShipped (its unshipped units) created after the window start, 100 per getOrders page, then getOrderItems per order (0.5 requests/s past a burst of 30); by seller SKU; FBA orders never count',
  },
  vendure: {
    support: 'platform',
    sharesHeld: true,
    how: 'invsync writes stockOnHand; Vendure sells stockOnHand − stockAllocated, so placed, unfulfilled orders are already held back; with several stores, stockAllocated (read with the listing) is subtracted for the other stores',
  },
  medusa: {
    support: 'platform',
    sharesHeld: true,
    how: 'invsync writes stocked_quantity at the location; Medusa sells stocked_quantity − reserved_quantity, so placed, unfulfilled orders are already held back; with several stores, reserved_quantity at the location (read with the listing) is subtracted for the other stores',
  },
  magento2: {
    support: 'platform',
    how: 'with MSI (msi: true) invsync writes the source quantity; the salable quantity is that minus the reservations of unshipped orders (one store only: reservations are not read for other stores yet)',
  },
};

/**
 * Why this store cannot honour `rules.openOrders: "subtract"`, or null when it can. Pure.
 * `msi` is the magento2 store's `msi` key (legacy stock items are reduced at order placement and
 * have no reservations invsync could rely on). `shared`: the store is one of several sharing one
 * supply (SPEC §9), where its open orders must also be read for the other stores.
 */
export function openOrdersUnsupported(store: { type: string; msi?: boolean }, shared = false): string | null {
  if (store.type === 'magento2' && store.msi === false) {
    return 'store type "magento2" with msi: false cannot tell open orders (legacy stock items have no reservations): use "ignore", or msi: true';
  }
  const facts = OPEN_ORDERS_BY_STORE[store.type];
  if (!facts) return `store type "${store.type}" cannot tell open orders yet: use "ignore"`;
  if (shared && facts.support === 'platform' && !facts.sharesHeld) {
    return `store type "${store.type}" holds its open orders back itself, but invsync cannot read them for the other stores sharing the supply (SPEC §12): use "ignore", or one store`;
  }
  return null;
}

/**
 * How one store takes part in `subtract` (pure):
 * - `read`: `orders` (StoreAdapter.openOrders), `listing` (StoreItem.held, read with the listing)
 *   or `none`;
 * - `subtractOwn`: whether what it reports is subtracted from its own target too (false for a
 *   platform store, which already holds it back; the other stores still subtract it).
 * `shared`: the store is one of several (SPEC §9).
 */
export function openOrdersRole(type: string, shared: boolean): { read: 'orders' | 'listing' | 'none'; subtractOwn: boolean } {
  const facts = OPEN_ORDERS_BY_STORE[type];
  if (!facts) return { read: 'none', subtractOwn: false };
  if (facts.support === 'orders') return { read: 'orders', subtractOwn: true };
  if (facts.support === 'listing') return { read: 'listing', subtractOwn: true };
  return { read: shared && facts.sharesHeld ? 'listing' : 'none', subtractOwn: false };
}
