import type { ZodType } from 'zod';
import type { BigCommerceStoreConfig } from '../../config/schema.js';
import { ConfigError, HttpError } from '../../domain/errors.js';
import { writesStock, type BatchResult, type Change, type ItemVisibility, type StoreItem } from '../../domain/types.js';
import { normaliseStorePrice } from '../../domain/price.js';
import { connectionOptions, createHttpClient, type HttpRequest, type HttpResponse } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { redact, safeUrl } from '../../lib/redact.js';
// NOTE: the halving search is shared with magento2 (both APIs refuse a bad batch as a whole).
import { sendIsolating } from '../isolate.js';
import { assertBatch } from '../batch-guard.js';
import type { OpenOrderLine, StockReading, StoreAdapter } from '../types.js';
import {
  BcAdjustmentResult, BcCountPage, BcInventoryPage, BcOrderPage, BcProductPage, BcProductsUpdated, BcVariantPage, BcVariantsUpdated,
  type BcInventoryItem, type BcProduct, type BcTracking, type BcVariant,
} from './schemas.js';
import { createQuotaGate } from './throttle.js';

/**
 * BigCommerce v3 Catalog + Inventory store (API_FACTS §5).
 *
 * - Auth: `X-Auth-Token`; requests go to `<url>/stores/<storeHash>/v3/…`.
 * - list(): products (for `inventory_tracking`), catalog variants and the Inventory API's items at
 *   `locationId` (the quantities absolute adjustments set), each paged at its maximum (250, 250,
 *   1000; a smaller `pageSize` applies to all three). A product without options (one base variant) or tracked at product level is one item
 *   with variationId null; the variants of a product with options tracked by variant are its
 *   items (variationId = variant id). Variants without a SKU are skipped.
 * - apply(): one `PUT /inventory/adjustments/absolute` (≤ 2000 items) per batch, by product_id
 *   or variant_id as the product's tracking requires. The API refuses the batch as a whole when
 *   one item is bad; the batch is then split in halves and resent until the refused items stand
 *   alone (logged). Items whose product does not track inventory yet get tracking turned on
 *   first (`PUT /catalog/products`, ≤ 10 products per request), in batches of their own.
 * - read(): per `pageSize` (≤ 250) products of the changes, one `GET /catalog/products?id:in=…`
 *   (tracking, and which products still exist) and one `GET /inventory/items?product_id:in=…` at
 *   `locationId` (≤ 1000 rows a page: one row per variant, plus a product-level row for a
 *   product with options tracked by product). NOTE: not the catalog's own `inventory_level`:
 *   it is the default location's only, while invsync writes `locationId`.
 * - Status (SPEC §14 `rules.status`): a product-level item is hidden with the product's
 *   `is_visible: false` (`PUT /catalog/products`, ≤ 10 a request), a variant with
 *   `purchasing_disabled: true` (`PUT /catalog/variants`, ≤ 50 a request): the catalog fields are
 *   not part of the inventory adjustment, so status adds ⌈products ÷ 10⌉ + ⌈variants ÷ 50⌉ write
 *   requests per batch that carries status actions (none otherwise).
 * - The shared quota: once `X-Rate-Limit-Requests-Left` reaches 0, the next request waits
 *   `X-Rate-Limit-Time-Reset-Ms`.
 */

/**
 * SPEC §12: the statuses of orders whose stock BigCommerce has taken (at checkout, the default
 * "update stock when an order is placed") and that have not left the warehouse, from the v2 order
 * status table (bigcommerce/docs reference/orders.v2.oas2.yml): 3 Partially Shipped (its unshipped
 * units), 7 Awaiting Payment, 8 Awaiting Pickup, 9 Awaiting Shipment, 11 Awaiting Fulfillment,
 * 12 Manual Verification Required. Not: 0 Incomplete and 1 Pending (checkout not completed),
 * 2 Shipped, 10 Completed, 4 Refunded, 5 Cancelled, 6 Declined, 13 Disputed, 14 Partially Refunded.
 */
export const BIGCOMMERCE_OPEN_STATUSES: ReadonlySet<number> = new Set([3, 7, 8, 9, 11, 12]);
/** `GET /v2/orders` page size (the API maximum). */
const ORDERS_MAX_PAGE = 250;

/** Items per absolute adjustment (the API maximum). */
export const BIGCOMMERCE_MAX_BATCH = 2000;
const CATALOG_MAX_PAGE = 250;
const INVENTORY_MAX_PAGE = 1000;
/** Products per PUT /catalog/products. */
const PRODUCT_BATCH = 10;
/** Variants per PUT /catalog/variants. */
const VARIANT_BATCH = 50;

/** How an item's stock is written: by product id (product-level tracking) or by variant id. */
export interface BcRef {
  by: 'product' | 'variant';
  /** The variant written to when `by` is "variant" (the base variant for a product without options). */
  variantId?: number;
  /** Tracking to turn on before the first write (the product does not track inventory yet). */
  enable?: 'product' | 'variant';
}

/**
 * Throws ConfigError when `batchSize` exceeds the API maximum. Listing and writes throw the
 * client's HttpError on whole-request failures (401/403 carry `details.auth`).
 */
export function createBigCommerceStore(config: BigCommerceStoreConfig): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > BIGCOMMERCE_MAX_BATCH) {
    throw new ConfigError(`at most ${BIGCOMMERCE_MAX_BATCH} for bigcommerce (the API maximum)`, 'store.batchSize');
  }
  const log = logger('bigcommerce');
  const base = apiBase(config.url ?? 'https://api.bigcommerce.com', config.storeHash);
  const locationId = config.locationId ?? 1;
  const maxBatch = config.batchSize ?? BIGCOMMERCE_MAX_BATCH;
  const catalogLimit = Math.min(config.pageSize ?? CATALOG_MAX_PAGE, CATALOG_MAX_PAGE);
  const inventoryLimit = Math.min(config.pageSize ?? INVENTORY_MAX_PAGE, INVENTORY_MAX_PAGE);
  const gate = createQuotaGate();
  const http = createHttpClient({
    name: 'store',
    baseUrl: base,
    ...connectionOptions(config, { concurrency: 2 }),
    headers: { 'x-auth-token': config.accessToken, 'content-type': 'application/json' },
    // Runs before every attempt, retries included: holds it while the store's quota is spent.
    sign: () => gate.wait(),
    // A 429 says when the quota window resets in its own header, not in Retry-After.
    retryAfter: (headers, status) => {
      if (status !== 429) return undefined;
      const reset = Number(Array.isArray(headers['x-rate-limit-time-reset-ms']) ? headers['x-rate-limit-time-reset-ms'][0] : headers['x-rate-limit-time-reset-ms']);
      return Number.isFinite(reset) && reset >= 0 ? reset : undefined;
    },
  });

  async function request<T>(req: HttpRequest, schema: ZodType<T>): Promise<HttpResponse<T>> {
    const res = await http.json(req, schema);
    gate.observe(res.headers);
    return res;
  }

  /** Every item of a v3 collection, page by page. */
  async function pages<T>(url: string, params: Record<string, string | number>, schema: ZodType<{ data: T[]; meta: { pagination: { current_page: number; total_pages: number } } }>, limit: number, signal?: AbortSignal): Promise<T[]> {
    const all: T[] = [];
    for (let page = 1; ; page++) {
      const res = await request({ url, searchParams: { ...params, limit, page }, signal }, schema);
      for (const row of res.body.data) all.push(row);
      const { total_pages: totalPages } = res.body.meta.pagination;
      log.debug({ url, page, items: res.body.data.length, totalPages }, 'listed page');
      if (page >= totalPages || res.body.data.length < limit) return all;
    }
  }

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    const products = await pages<BcProduct>('catalog/products', { include_fields: 'id,sku,name,inventory_tracking,base_variant_id,price,is_visible' }, BcProductPage, catalogLimit, signal);
    const variants = await pages<BcVariant>('catalog/variants', { include_fields: 'id,product_id,sku,price,purchasing_disabled' }, BcVariantPage, catalogLimit, signal);
    const inventory = await pages<BcInventoryItem>('inventory/items', { 'location_id:in': locationId }, BcInventoryPage, inventoryLimit, signal);
    // Buffered: three listings are joined, and store order is by product id, then variant id.
    yield* buildItems(products, variants, inventory, locationId);
  }

  /**
   * SPEC §12: the open order lines created at or after `sinceIso`. One paged listing of every order
   * in the window (`min_date_created`, 250 a page, by id) with its line items inline
   * (`include=consignments.line_items`): one request for most shops, instead of one per status and
   * one more per order; orders that are not open are dropped here. A line counts its unshipped units.
   */
  async function* openOrders(sinceIso: string, signal?: AbortSignal): AsyncIterable<OpenOrderLine> {
    if (!Number.isFinite(Date.parse(sinceIso))) throw new RangeError(`openOrders: not an ISO 8601 time: ${sinceIso}`);
    const url = `${base.replace(/\/v3$/, '')}/v2/orders`;
    for (let page = 1; ; page++) {
      const res = await request({
        url,
        searchParams: {
          min_date_created: sinceIso, sort: 'id:asc', limit: ORDERS_MAX_PAGE, page, include: 'consignments.line_items', consignment_structure: 'object',
        },
        signal,
      }, BcOrderPage);
      const orders = res.body ?? [];
      for (const order of orders) {
        if (!BIGCOMMERCE_OPEN_STATUSES.has(order.status_id)) continue;
        const { shipping, pickups, downloads } = order.consignments;
        for (const consignments of [shipping, pickups, downloads]) {
          for (const consignment of consignments) {
            for (const line of consignment.line_items) {
              const qty = line.quantity - line.quantity_shipped;
              if (qty > 0) yield { orderId: order.id, sku: line.sku, productId: line.product_id, variationId: line.variant_id, qty };
            }
          }
        }
      }
      log.debug({ page, orders: orders.length }, 'listed orders page');
      if (orders.length < ORDERS_MAX_PAGE) return;
    }
  }

  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const out = new Map<number, StockReading>();
    const productIds = [...new Set(changes.map((c) => Number(c.productId)))];
    for (let start = 0; start < productIds.length; start += catalogLimit) {
      const chunk = productIds.slice(start, start + catalogLimit);
      const ids = chunk.join(',');
      // One page: the chunk is no longer than the page.
      const found = await call(() => request({
        url: 'catalog/products', searchParams: { 'id:in': ids, include_fields: 'id,inventory_tracking,base_variant_id,price,is_visible', limit: chunk.length, page: 1 }, signal,
      }, BcProductPage));
      const products = new Map(found.body.data.map((p) => [p.id, p]));
      if (products.size === 0) continue;
      const inventory = await call(() => pages<BcInventoryItem>('inventory/items', {
        'location_id:in': locationId, 'product_id:in': [...products.keys()].join(','),
      }, BcInventoryPage, inventoryLimit, signal));
      const wanted = new Set(chunk);
      // SPEC §14: a variant's own price and purchasing_disabled cost a catalog read: only for the
      // products whose variant changes of this chunk wrote a price or a status (one read for both).
      const variantProducts = [...new Set(changes.filter((c) => wanted.has(Number(c.productId)) && c.variationId !== null && (c.price || c.statusAction))
        .map((c) => Number(c.productId)))];
      const variantRows = variantProducts.length === 0 ? undefined : await call(() => pages<BcVariant>('catalog/variants', {
        'product_id:in': variantProducts.join(','), include_fields: 'id,product_id,sku,price,purchasing_disabled',
      }, BcVariantPage, catalogLimit, signal));
      const variantById = variantRows && new Map(variantRows.map((v) => [v.id, v]));
      for (const change of changes) {
        if (!wanted.has(Number(change.productId))) continue;
        const product = products.get(Number(change.productId));
        const reading = product ? readingOf(change, product, inventory, locationId) : undefined;
        if (!reading) continue;
        const price = priceReading(change, product!, variantById);
        const visibility = change.variationId === null ? productVisibility(product!) : variantVisibility(variantById?.get(Number(change.variationId)));
        out.set(change.seq, { ...reading, ...(price === undefined ? {} : { price }), ...(visibility ? { visibility } : {}) });
      }
    }
    return out;
  }

  function batchKey(change: Change): string {
    return refOf(change).enable ? 'enable-tracking' : 'adjust';
  }

  /** Turn inventory tracking on for the products of these changes (≤ 10 products per request). */
  async function enableTracking(batch: Change[]): Promise<void> {
    const wanted = new Map<number, 'product' | 'variant'>();
    for (const c of batch) {
      const enable = refOf(c).enable;
      if (enable) wanted.set(Number(c.productId), enable);
    }
    const updates = [...wanted].map(([id, tracking]) => ({ id, inventory_tracking: tracking }));
    for (let i = 0; i < updates.length; i += PRODUCT_BATCH) {
      await call(() => request({ method: 'PUT', url: 'catalog/products', json: updates.slice(i, i + PRODUCT_BATCH) }, BcProductsUpdated));
    }
    log.info({ products: updates.length }, `turned inventory tracking on for ${updates.length} product(s)`);
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    const key = assertBatch('bigcommerce', batch, batchKey, maxBatch);
    if (key === 'enable-tracking') await enableTracking(batch);
    // A price-only change or a status write alone (SPEC §14) writes no stock.
    const stock = batch.filter(writesStock);
    const refused = stock.length === 0 ? [] : await sendIsolating(stock, async (part) => {
      const items = part.map((c) => adjustmentItem(c, locationId));
      await call(() => request({ method: 'PUT', url: 'inventory/adjustments/absolute', json: { reason: 'invsync', items } }, BcAdjustmentResult));
    }, {
      rejection: refusal,
      onSplit: (size, message) => log.warn({ size }, `adjustment of ${size} item(s) refused as a whole (${message}); resending it in halves to find the refused item(s)`),
    });
    const failed = refused.map((r) => ({ seq: r.item.seq, message: r.message }));
    const refusedSeqs = new Set(failed.map((f) => f.seq));
    const catalog = batch.filter((c) => (c.price || c.statusAction) && !refusedSeqs.has(c.seq));
    if (catalog.length) for (const f of await writeCatalog(catalog)) failed.push(f);
    return { failed };
  }

  /**
   * SPEC §14: the catalog holds prices and visibility (is_visible, purchasing_disabled), the
   * Inventory API the stock, so they need requests of their own: `PUT /catalog/variants` (≤ 50)
   * for variants, `PUT /catalog/products` (≤ 10) for products without options or tracked by
   * product, a change's price and status fields in the same record. A request the store refuses
   * for its content fails its items (the stock already written stays: the retry rewrites it,
   * absolute writes being idempotent); an auth or transport failure throws like any write.
   */
  async function writeCatalog(changes: Change[]): Promise<BatchResult['failed']> {
    const failed: BatchResult['failed'] = [];
    const send = async (group: Change[], size: number, url: string, id: (c: Change) => number, schema: ZodType<unknown>) => {
      for (let i = 0; i < group.length; i += size) {
        const part = group.slice(i, i + size);
        try {
          await call(() => request({ method: 'PUT', url, json: part.map((c) => catalogRecord(c, id(c))) }, schema));
        } catch (err) {
          const message = refusal(err);
          if (message === null) throw err;
          for (const c of part) failed.push({ seq: c.seq, message: `${[c.price ? 'price' : '', c.statusAction ? 'status' : ''].filter(Boolean).join(' and ')} not applied: ${message}` });
        }
      }
    };
    await send(changes.filter((c) => c.variationId === null), PRODUCT_BATCH, 'catalog/products', (c) => Number(c.productId), BcProductsUpdated);
    await send(changes.filter((c) => c.variationId !== null), VARIANT_BATCH, 'catalog/variants', (c) => Number(c.variationId), BcVariantsUpdated);
    return failed;
  }

  async function check(): Promise<string> {
    const res = await call(() => request({ url: 'catalog/products', searchParams: { limit: 1, include_fields: 'id' } }, BcCountPage));
    await call(() => request({ url: 'inventory/items', searchParams: { 'location_id:in': locationId, limit: 1 } }, BcInventoryPage));
    return `BigCommerce store ${config.storeHash} at ${safeUrl(base)}: authenticated, ${res.body.meta.pagination.total} products, inventory at location ${locationId}`;
  }

  return {
    type: 'bigcommerce',
    limits: { maxBatch },
    list,
    batchKey,
    apply,
    read,
    openOrders,
    check,
  } satisfies StoreAdapter;
}

/** `<url>/stores/<hash>/v3` (a URL that already ends so is kept). */
export function apiBase(url: string, storeHash: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/stores\/[^/]+\/v3$/.test(trimmed) ? trimmed : `${trimmed}/stores/${encodeURIComponent(storeHash)}/v3`;
}

/**
 * Join products, variants and location inventory into store items, in store order.
 * Pure. See the module comment for which variants are items.
 */
export function buildItems(products: BcProduct[], variants: BcVariant[], inventory: BcInventoryItem[], locationId: number): StoreItem[] {
  const byVariant = new Map<number, number>();
  const byProduct = new Map<number, number>();
  for (const record of inventory) {
    const here = record.locations.find((l) => l.location_id === locationId);
    if (!here) continue;
    const { variant_id: variantId, product_id: productId } = record.identity;
    if (variantId !== null) byVariant.set(variantId, here.total_inventory_onhand);
    else if (productId !== null) byProduct.set(productId, here.total_inventory_onhand);
  }
  const variantsOf = new Map<number, BcVariant[]>();
  for (const v of variants) variantsOf.set(v.product_id, [...(variantsOf.get(v.product_id) ?? []), v]);

  const items: StoreItem[] = [];
  const uniqueProducts = new Map(products.map((p) => [p.id, p]));
  for (const p of [...uniqueProducts.values()].sort((a, b) => a.id - b.id)) {
    const own = [...new Map((variantsOf.get(p.id) ?? []).map((v) => [v.id, v])).values()].sort((a, b) => a.id - b.id);
    const simple = p.base_variant_id !== null;
    const tracking: BcTracking = p.inventory_tracking;
    const name = p.name ?? undefined;
    if (simple || tracking === 'product') {
      const base = simple ? own.find((v) => v.id === p.base_variant_id) : undefined;
      const sku = (simple ? base?.sku || p.sku : p.sku) ?? '';
      if (sku === '') continue;
      const productLevel = tracking !== 'variant';
      const onhand = productLevel
        ? (p.base_variant_id !== null ? byVariant.get(p.base_variant_id) : undefined) ?? byProduct.get(p.id)
        : byVariant.get(p.base_variant_id as number);
      const ref: BcRef = productLevel
        ? { by: 'product', ...(tracking === 'none' ? { enable: 'product' as const } : {}) }
        : { by: 'variant', variantId: p.base_variant_id as number };
      items.push(withVisibility(withPrice(item(sku, p.id, null, tracking, onhand, name, ref), p.price), productVisibility(p)));
      continue;
    }
    for (const v of own) {
      if (v.sku === '') continue;
      const ref: BcRef = { by: 'variant', variantId: v.id, ...(tracking === 'none' ? { enable: 'variant' as const } : {}) };
      items.push(withVisibility(withPrice(item(v.sku, p.id, v.id, tracking, byVariant.get(v.id), name ? `${name} (${v.sku})` : undefined, ref), v.price ?? p.price), variantVisibility(v)));
    }
  }
  return items;
}

/**
 * What the store holds now for one change's item, judged as `buildItems` judges a listing;
 * undefined when the item no longer exists (its variant is gone, or the product gained options
 * it tracks by variant, so the product itself is no longer an item). Pure.
 */
export function readingOf(change: Change, product: BcProduct, inventory: BcInventoryItem[], locationId: number): StockReading | undefined {
  const byVariant = new Map<number, number | undefined>();
  let productLevel: number | undefined;
  for (const record of inventory) {
    const { variant_id: variantId, product_id: productId } = record.identity;
    if (productId !== null && productId !== product.id) continue;
    const here = record.locations.find((l) => l.location_id === locationId)?.total_inventory_onhand;
    if (variantId !== null) byVariant.set(variantId, here);
    else if (productId !== null) productLevel = here;
  }
  const tracking = product.inventory_tracking;
  let onhand: number | undefined;
  if (change.variationId === null) {
    const base = product.base_variant_id;
    if (base === null && tracking !== 'product') return undefined;
    onhand = tracking === 'variant' ? byVariant.get(base as number) : (base !== null ? byVariant.get(base) : undefined) ?? productLevel;
  } else {
    const variantId = Number(change.variationId);
    if (!byVariant.has(variantId)) return undefined;
    // Tracked by product now: the variant's own level is not what the store sells from.
    if (tracking === 'product') return { qty: null, managed: false };
    onhand = byVariant.get(variantId);
  }
  const managed = tracking !== 'none' && onhand !== undefined;
  return { qty: managed ? onhand as number : null, managed };
}

function item(sku: string, productId: number, variationId: number | null, tracking: BcTracking, onhand: number | undefined, name: string | undefined, ref: BcRef): StoreItem {
  // Untracked stock, or none recorded at this location yet, is not managed (invsync sets it on first write).
  const managed = tracking !== 'none' && onhand !== undefined;
  return { sku, productId, variationId, qty: managed ? onhand as number : null, managed, ...(name ? { name } : {}), ref: { ...ref } };
}

/** SPEC §14: the price shoppers see (a variant's own, else its product's), when the listing had prices. */
function withPrice(item: StoreItem, price: number | null | undefined): StoreItem {
  return price === undefined ? item : { ...item, price: normaliseStorePrice(price) };
}

/** A change's price as the store holds it now: the variant's own (else the product's), or the product's; undefined when not read. */
function priceReading(change: Change, product: BcProduct, variants: Map<number, BcVariant> | undefined): string | null | undefined {
  if (!change.price || product.price === undefined) return undefined;
  if (change.variationId === null) return normaliseStorePrice(product.price);
  if (!variants) return undefined;
  return normaliseStorePrice(variants.get(Number(change.variationId))?.price ?? product.price);
}

function withVisibility(i: StoreItem, visibility: ItemVisibility | undefined): StoreItem {
  return visibility ? { ...i, visibility } : i;
}

/** SPEC §14: a product is out of the storefront at is_visible false (undefined when not read). */
export function productVisibility(p: Pick<BcProduct, 'is_visible'>): ItemVisibility | undefined {
  return p.is_visible === undefined ? undefined : { hidden: !p.is_visible, outOfStock: false, values: { is_visible: p.is_visible } };
}

/** A variant is "hidden" when it cannot be bought (purchasing_disabled). */
export function variantVisibility(v: Pick<BcVariant, 'purchasing_disabled'> | undefined): ItemVisibility | undefined {
  return v?.purchasing_disabled === undefined ? undefined : { hidden: v.purchasing_disabled, outOfStock: false, values: { purchasing_disabled: v.purchasing_disabled } };
}

/** One catalog record of a change: the price (the API's `price` is a number: two-decimal strings become numbers here, exact to the cent) and the status fields. */
function catalogRecord(c: Change, id: number): Record<string, unknown> {
  return { id, ...(c.price ? { price: Number(c.price.to) } : {}), ...(c.statusAction ? c.statusAction.set : {}) };
}

function refOf(change: Change): BcRef {
  const ref = change.ref as Partial<BcRef> | undefined;
  if (ref && (ref.by === 'product' || ref.by === 'variant')) return ref as BcRef;
  return change.variationId === null ? { by: 'product' } : { by: 'variant', variantId: Number(change.variationId) };
}

function adjustmentItem(change: Change, locationId: number): Record<string, number> {
  const ref = refOf(change);
  return ref.by === 'product'
    ? { location_id: locationId, product_id: Number(change.productId), quantity: change.to }
    : { location_id: locationId, variant_id: ref.variantId ?? Number(change.variationId), quantity: change.to };
}

/** BigCommerce's problem body as one line: title, then the per-field errors. */
export function describeProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { title?: unknown; errors?: unknown };
  const title = typeof b.title === 'string' ? b.title : undefined;
  const errors = typeof b.errors === 'object' && b.errors !== null && !Array.isArray(b.errors)
    ? Object.entries(b.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    : [];
  if (!title && errors.length === 0) return undefined;
  return [title, errors.join('; ')].filter(Boolean).join(' — ');
}

async function call<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    const detail = describeProblem(err.details.body);
    if (!detail || err.message.includes(detail)) throw err;
    const title = (err.details.body as { title?: unknown }).title;
    const message = typeof title === 'string' && err.message.includes(redact(title.slice(0, 200)))
      ? err.message.replace(redact(title.slice(0, 200)), redact(detail.slice(0, 400)))
      : `${err.message}: ${redact(detail.slice(0, 400))}`;
    throw new HttpError(message, err.details, { cause: err });
  }
}

/** The store's message when it refused an adjustment for its content (400/404/409/422); null otherwise. */
function refusal(err: unknown): string | null {
  if (!(err instanceof HttpError) || err.details.auth || err.details.retryable) return null;
  const status = err.details.status;
  if (status !== 400 && status !== 404 && status !== 409 && status !== 422) return null;
  return `${status}: ${describeProblem(err.details.body) ?? 'refused'}`;
}
