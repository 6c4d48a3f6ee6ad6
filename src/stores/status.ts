/**
 * What each store type can do for `rules.status` (SPEC §14): take a listing out of the catalogue
 * (`hide`) and mark an item out of stock (`outofstock`), the platform's way. Pure data and pure
 * functions, read by the config validation (a store/mode pair a store cannot do is refused, exit 2,
 * never silently ignored), by match (which fields a status action writes) and the README table.
 *
 * `outofstock` on an item whose stock the store manages is its quantity 0, on every store: at 0
 * the platform itself sells it as out of stock. Only an item whose stock is not managed needs a
 * status field, and only WooCommerce has one (`stock_status`); elsewhere such an item is left as it
 * is (invsync never switches stock tracking on to mark it, SPEC §4).
 */
import type { ItemVisibility, StoreItem } from '../domain/types.js';

export type StatusMode = 'none' | 'outofstock' | 'hide';
type Fields = Record<string, string | boolean | number>;

export interface StatusFacts {
  /** One line for the README table: how the store hides a listing; absent: it cannot (yet). */
  hide?: string;
  /** One line: what `outofstock` does there. */
  outofstock: string;
  /** Extra write requests status changes add. */
  requests: string;
  /** Why `hide` is refused, when it is (the validation message). */
  noHide?: string;
  /**
   * The hide fields belong to the product, not the variant: a variant is hidden only with every
   * sibling (match drops a product's hides unless every variant of it gets one).
   */
  wholeProduct?: boolean;
  /** The fields that hide this item, or null when it cannot be hidden. */
  hideFields?(item: Pick<StoreItem, 'variationId'>): Fields | null;
  /** The fields that mark this unmanaged item out of stock, or null when none exist. */
  outOfStockFields?(item: Pick<StoreItem, 'variationId'>): Fields | null;
}

const QTY_ZERO = 'quantity 0 (the platform sells an item at 0 as out of stock); an item whose stock it does not manage is left as it is';

export const STATUS_BY_STORE: Readonly<Record<string, StatusFacts | undefined>> = {
  woocommerce: {
    // NOTE: catalog_visibility, not status "draft": a hidden product keeps its URL, its admin
    // state and its place in the shop owner's publishing workflow (draft/pending/publish are
    // theirs), and it comes back exactly as it was. Variations have no catalog_visibility; their
    // own `status` "private" is WooCommerce's "Enabled" box off.
    hide: 'product `catalog_visibility: "hidden"`; a variation `status: "private"` (its "Enabled" box off)',
    outofstock: 'quantity 0; an item without managed stock gets `stock_status: "outofstock"`',
    requests: 'none: the fields go in the same products/batch or variations/batch request as the stock',
    hideFields: (item): Fields => (item.variationId === null ? { catalog_visibility: 'hidden' } : { status: 'private' }),
    outOfStockFields: () => ({ stock_status: 'outofstock' }),
  },
  amazon: {
    outofstock: 'quantity 0 (the offer stays listed, unbuyable)',
    requests: 'none',
    noHide: 'Amazon listings are not hidden through the quantity feed invsync writes: use "outofstock" (quantity 0)',
  },
  shopify: {
    // NOTE: Shopify has no per-variant visibility: DRAFT takes the whole product off every sales
    // channel, so it is written only when every variant of the product is hidden with it.
    hide: 'product `status: DRAFT`, only when every variant of the product qualifies (one that still sells keeps it ACTIVE); restore puts back the status it replaced',
    outofstock: `${QTY_ZERO}; inventoryPolicy (DENY/CONTINUE) is left untouched, so a CONTINUE variant keeps selling at 0`,
    requests: 'a product with hides gets its own stock batch, plus one product read and one `productUpdate` per product; a restore one `productUpdate` per product',
    hideFields: (): Fields => ({ status: 'DRAFT' }),
    wholeProduct: true,
  },
  bigcommerce: {
    hide: 'product `is_visible: false`; a variant `purchasing_disabled: true` (BigCommerce has no per-variant visibility)',
    outofstock: QTY_ZERO,
    requests: 'the catalog fields are not part of the inventory adjustment: ⌈products ÷ 10⌉ `PUT /catalog/products` + ⌈variants ÷ 50⌉ `PUT /catalog/variants` per batch with status changes',
    hideFields: (item): Fields => (item.variationId === null ? { is_visible: false } : { purchasing_disabled: true }),
  },
  magento2: {
    hide: 'product `status: 2` (Disabled); a configurable\'s child is its own product, disabled alone',
    outofstock: QTY_ZERO,
    requests: 'one `PUT /V1/products/{sku}` per status change (Magento has no synchronous bulk product save): 1,000 more per 1,000 hides',
    hideFields: (): Fields => ({ status: 2 }),
  },
  medusa: {
    outofstock: QTY_ZERO,
    requests: 'none',
    // NOTE: Medusa v2 variants have no enabled flag; only the product's `status` (draft) takes a
    // listing out, and with it every variant of the product. Hiding needs a per-product decision
    // (every variant qualifies) that the per-item status rules do not make yet.
    noHide: 'Medusa variants cannot be hidden one by one (only a whole product, by its status "draft", which hides every variant of it): use "outofstock" (quantity 0)',
  },
  vendure: {
    hide: 'the variant `enabled: false` (every item is a variant)',
    outofstock: QTY_ZERO,
    requests: 'none: `enabled` goes in the same updateProductVariants input as the stock',
    hideFields: (): Fields => ({ enabled: false }),
  },
  shift4shop: {
    hide: 'product `Hide: true`; an advanced option has no Hide of its own: left as it is (explain says so)',
    outofstock: QTY_ZERO,
    requests: 'none: `Hide` goes in the same PUT /Products record as the stock',
    hideFields: (item): Fields | null => (item.variationId === null ? { Hide: true } : null),
  },
};

/**
 * Why a store of this type cannot do `mode` for `rules.status.<option>`, or null when it can. Pure.
 */
export function statusUnsupported(type: string, option: 'whenZero' | 'whenMissing', mode: StatusMode): string | null {
  if (mode === 'none') return null;
  const facts = STATUS_BY_STORE[type];
  if (!facts) return `type "${type}" cannot do "${mode}" (${option}): not supported`;
  if (mode === 'hide' && !facts.hide) {
    return `type "${type}" cannot do "hide" (${option}): ${facts.noHide ?? 'hiding listings is not built for this store type yet; use "outofstock" or "none"'}`;
  }
  return null;
}

/** Pure: does the store's visibility already show what these fields would set? */
export function alreadySet(visibility: ItemVisibility | undefined, fields: Fields): boolean {
  if (!visibility) return false;
  return Object.entries(fields).every(([k, v]) => visibility.values[k] === v);
}
