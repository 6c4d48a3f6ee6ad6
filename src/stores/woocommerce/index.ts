import type { WooCommerceStoreConfig } from '../../config/schema.js';
import { ConfigError } from '../../domain/errors.js';
import { writesStock, type BatchResult, type Change, type ItemVisibility, type StoreItem } from '../../domain/types.js';
import { normaliseStorePrice } from '../../domain/price.js';
import { connectionOptions, createHttpClient, type HttpResponse, type SignableRequest } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { registerSecret, safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import type { IncrementalListing, ListedProduct, OpenOrderLine, StockReading, StoreAdapter, StoreProbe } from '../types.js';
import { signUrl } from '../../lib/oauth1.js';
import {
  WOO_OPEN_ORDER_STATUSES, WooBatchResponse, WooOrderPage, WooProductPage, WooVariationPage,
  type WooBatchItem, type WooOrder, type WooProduct, type WooVariation,
} from './schemas.js';

/**
 * WooCommerce REST v3 store (API_FACTS §1).
 *
 * - Auth: HTTP Basic over https; OAuth 1.0a one-legged signatures over plain http (WooCommerce
 *   refuses Basic there).
 * - list(): products by id ascending; a variable product is replaced by its variations (yielded
 *   right after it, by variation id); grouped and external products carry no stock and are skipped.
 * - apply(): one POST to products/batch or products/{parent}/variations/batch per call; status
 *   fields (SPEC §14: catalog_visibility, a variation's status, stock_status) go in the same item.
 */

/** wc/v3 batch limit (create + update + delete per request) and WordPress's per_page cap. */
export const WOO_MAX_BATCH = 100;
const WOO_MAX_PAGE = 100;

/** Only fetched over https, see NOTE in `listFields`. */
const PRODUCT_FIELDS = 'id,sku,type,name,manage_stock,stock_quantity,parent_id,variations,regular_price,catalog_visibility,status,stock_status';
const VARIATION_FIELDS = 'id,sku,name,manage_stock,stock_quantity,parent_id,regular_price,status,stock_status';
const ORDER_FIELDS = 'id,status,date_created_gmt,line_items';

type Query = Record<string, string | number>;

/**
 * Throws ConfigError when `batchSize` exceeds the API maximum. Listing and writes throw the
 * client's HttpError on whole-request failures (auth refusals carry `details.auth`).
 */
export function createWooCommerceStore(config: WooCommerceStoreConfig): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > WOO_MAX_BATCH) {
    throw new ConfigError(`at most ${WOO_MAX_BATCH} for woocommerce (the API maximum)`, 'store.batchSize');
  }
  const log = logger('woocommerce');
  const base = apiBase(config.url);
  const secure = new URL(base).protocol === 'https:';
  const perPage = Math.min(config.pageSize ?? WOO_MAX_PAGE, WOO_MAX_PAGE);
  const maxBatch = config.batchSize ?? WOO_MAX_BATCH;
  const http = createHttpClient({
    name: 'store',
    baseUrl: base,
    ...connectionOptions(config, { concurrency: 2 }),
    ...authentication(config, secure),
  });

  /**
   * NOTE: `_fields` (a comma list) is sent over https only. Over http every query parameter is
   * part of the OAuth signature, and a comma is a reserved character: WooCommerce's own
   * encoding matches RFC 5849 there, but implementations and proxies disagree about reserved
   * characters (single vs double encoding, "%2C" vs ","), while for unreserved characters they all
   * agree. Keeping signed query strings unreserved-only costs bandwidth, never a 401.
   */
  function listFields(fields: string): Query {
    return secure ? { _fields: fields } : {};
  }

  async function fetchVariations(productId: number, signal: AbortSignal): Promise<WooVariation[]> {
    const seen = new Map<number, WooVariation>();
    for (let page = 1; ; page++) {
      const res = await http.json({
        url: `products/${productId}/variations`,
        searchParams: { per_page: WOO_MAX_PAGE, orderby: 'id', order: 'asc', page, ...listFields(VARIATION_FIELDS) },
        signal,
      }, WooVariationPage);
      for (const v of res.body) seen.set(v.id, v);
      if (isLastPage(res, WOO_MAX_PAGE, page)) break;
    }
    return [...seen.values()].sort((a, b) => a.id - b.id);
  }

  /** Start every variation listing of one page at once (the client bounds concurrency); yield order stays fixed. */
  function prefetchVariations(products: WooProduct[], signal: AbortSignal): Map<number, Promise<WooVariation[]>> {
    const pending = new Map<number, Promise<WooVariation[]>>();
    for (const p of products.filter(hasVariations)) {
      const promise = fetchVariations(p.id, signal);
      // Handled when awaited; this only keeps an abandoned listing from raising an unhandled rejection.
      promise.catch(() => {});
      pending.set(p.id, promise);
    }
    return pending;
  }

  /** The full listing: every product and variation carrying stock, in id order (the incremental listing with no date filter). */
  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    for await (const product of listedProducts(null, signal)) yield* product.items;
  }

  /**
   * Issue 19: the incremental listing. `modified_after` (WC 5.8+, with `dates_are_gmt`) is a strict
   * "later than" on post_modified_gmt at whole seconds, sent zone-free as rest_parse_date reads it
   * the same everywhere; a shop that ignores the parameter lists everything (slower, still exact).
   */
  async function* listedProducts(since: string | null, signal?: AbortSignal): AsyncIterable<ListedProduct> {
    const inner = new AbortController();
    const forward = () => inner.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    const filter: Query = since === null ? {} : { modified_after: wooDate(since), dates_are_gmt: 'true' };
    // A product that joins the set before the current page while it lists (modified during a filtered
    // listing, restored from the trash) shifts the rest by one: the next page repeats a product,
    // skipped here (the listing is in ascending id order).
    let last = 0;
    try {
      for (let page = 1; ; page++) {
        const res = await http.json({
          url: 'products',
          searchParams: { per_page: perPage, orderby: 'id', order: 'asc', page, ...filter, ...listFields(PRODUCT_FIELDS) },
          signal: inner.signal,
        }, WooProductPage);
        const fresh = res.body.filter((p) => p.id > last);
        const variations = prefetchVariations(fresh, inner.signal);
        for (const product of fresh) {
          const pending = variations.get(product.id);
          const items = pending
            ? (await pending).map((v) => variationItem(product, v))
            : carriesStock(product) ? [productItem(product)] : [];
          last = product.id;
          yield { productId: product.id, variable: hasVariations(product), name: product.name ?? null, items };
        }
        if (isLastPage(res, perPage, page)) return;
      }
    } finally {
      signal?.removeEventListener('abort', forward);
      inner.abort();
    }
  }

  /** One request: `X-WP-Total` of the unfiltered listing (every type and status it shows) and the server's clock. */
  async function probe(signal?: AbortSignal): Promise<StoreProbe> {
    const res = await http.json({ url: 'products', searchParams: { per_page: 1, orderby: 'id', order: 'asc', ...listFields('id') }, signal }, WooProductPage);
    const total = Number(header(res, 'x-wp-total'));
    const date = Date.parse(header(res, 'date') ?? '');
    return {
      products: header(res, 'x-wp-total') !== undefined && Number.isSafeInteger(total) && total >= 0 ? total : null,
      serverTime: Number.isFinite(date) ? new Date(date).toISOString() : null,
    };
  }

  const incremental: IncrementalListing = {
    filter: 'modified_after',
    probe,
    products: listedProducts,
    async variations(product, signal) {
      const parent = { id: product.productId, name: product.name };
      return (await fetchVariations(product.productId, signal ?? new AbortController().signal)).map((v) => variationItem(parent, v));
    },
  };

  function batchKey(change: Change): string {
    return change.variationId === null ? 'products' : `variations:${change.productId}`;
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    const key = assertBatch('woocommerce', batch, batchKey, maxBatch);
    const url = key === 'products' ? 'products/batch' : `products/${(batch[0] as Change).productId}/variations/batch`;
    // manage_stock goes with every stock write: WooCommerce ignores stock_quantity unless stock is managed.
    // A price (SPEC §14) rides in the same item as `regular_price`, a string as the schema requires; a
    // status action's fields too. A price-only change or a status action alone writes no stock (an
    // unmanaged item's stock stays unmanaged).
    const update = batch.map((c) => ({
      id: writeId(c),
      ...(writesStock(c) ? { manage_stock: true, stock_quantity: c.to } : {}),
      ...(c.price ? { regular_price: c.price.to } : {}),
      ...(c.statusAction ? c.statusAction.set : {}),
    }));
    const res = await http.json({ method: 'POST', url, json: { update } }, WooBatchResponse);
    return { failed: readBatchResults(batch, res.body.update ?? []) };
  }

  /** One GET per 100 ids and batch key (`include=` on products, or on one parent's variations). */
  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const out = new Map<number, StockReading>();
    const groups = new Map<string, Change[]>();
    for (const c of changes) {
      const key = batchKey(c);
      const g = groups.get(key) ?? [];
      g.push(c);
      groups.set(key, g);
    }
    for (const [key, group] of groups) {
      for (let i = 0; i < group.length; i += WOO_MAX_PAGE) {
        const chunk = group.slice(i, i + WOO_MAX_PAGE);
        const byId = new Map(chunk.map((c) => [writeId(c), c.seq]));
        const url = key === 'products' ? 'products' : `products/${(chunk[0] as Change).productId}/variations`;
        const res = await http.json({
          url,
          searchParams: { include: [...byId.keys()].join(','), per_page: WOO_MAX_PAGE, ...(key === 'products' ? { status: 'any' } : {}) },
          signal,
        }, key === 'products' ? WooProductPage : WooVariationPage);
        for (const record of res.body as Array<WooProduct | WooVariation>) {
          const seq = byId.get(record.id);
          if (seq === undefined) continue;
          const managed = record.manage_stock === true;
          const visibility = key === 'products' ? productVisibility(record as WooProduct) : variationVisibility(record as WooVariation);
          out.set(seq, { qty: managed ? record.stock_quantity : null, managed, ...priceOf(record), ...(visibility ? { visibility } : {}) });
        }
      }
    }
    return out;
  }

  /**
   * SPEC §12: `GET orders?status=processing,on-hold&after=<since>&dates_are_gmt=true`, 100 per page,
   * by id ascending (an order placed while paging lands on the last page instead of shifting the
   * others). Status and date are checked again on every order read: a plugin or an old WooCommerce
   * that ignores a filter must not make a shipped or old order count.
   */
  async function* openOrders(sinceIso: string, signal?: AbortSignal): AsyncIterable<OpenOrderLine> {
    const sinceMs = Date.parse(sinceIso);
    if (!Number.isFinite(sinceMs)) throw new RangeError(`openOrders: not an ISO 8601 time: ${sinceIso}`);
    // WooCommerce compares `after` with the GMT creation date only with dates_are_gmt (WC 5.8+);
    // the zone-free form is what rest_parse_date reads the same way everywhere.
    const after = new Date(sinceMs).toISOString().slice(0, 19);
    let orders = 0;
    let lines = 0;
    for (let page = 1; ; page++) {
      const res = await http.json({
        url: 'orders',
        searchParams: {
          status: WOO_OPEN_ORDER_STATUSES.join(','), after, dates_are_gmt: 'true',
          per_page: WOO_MAX_PAGE, orderby: 'id', order: 'asc', page, ...listFields(ORDER_FIELDS),
        },
        signal,
      }, WooOrderPage);
      for (const order of res.body) {
        if (!isOpenOrder(order, sinceMs)) continue;
        orders++;
        for (const line of order.line_items) {
          // A line whose product was deleted (product_id 0) holds no stock invsync could write.
          if (line.product_id === 0 || !(line.quantity > 0)) continue;
          lines++;
          yield {
            orderId: order.id,
            sku: line.sku,
            productId: line.product_id,
            variationId: line.variation_id === 0 ? null : line.variation_id,
            qty: Math.floor(line.quantity),
          };
        }
      }
      if (isLastPage(res, WOO_MAX_PAGE, page)) break;
    }
    log.info({ orders, lines, since: after }, `open orders since ${after} GMT: ${orders} order(s), ${lines} line(s)`);
  }

  async function check(): Promise<string> {
    const res = await http.json({ url: 'products', searchParams: { per_page: 1, ...listFields(PRODUCT_FIELDS) } }, WooProductPage);
    const total = header(res, 'x-wp-total');
    const auth = secure ? 'HTTP Basic over https' : 'OAuth 1.0a over http';
    return `WooCommerce at ${safeUrl(base)}: authenticated (${auth}), ${total ?? 'unknown number of'} products`;
  }

  return {
    type: 'woocommerce',
    limits: { maxBatch },
    list,
    batchKey,
    apply,
    read,
    openOrders,
    check,
    incremental,
  } satisfies StoreAdapter;
}

/** The wc/v3 root for a site URL (a URL that already ends in /wp-json/wc/v3 is kept). */
export function apiBase(siteUrl: string): string {
  const trimmed = siteUrl.replace(/\/+$/, '');
  return /\/wp-json\/wc\/v3$/i.test(trimmed) ? trimmed : `${trimmed}/wp-json/wc/v3`;
}

function authentication(config: WooCommerceStoreConfig, secure: boolean): { headers?: Record<string, string>; sign?: (r: SignableRequest) => void } {
  if (secure) {
    const token = Buffer.from(`${config.consumerKey}:${config.consumerSecret}`, 'utf8').toString('base64');
    // Derived from both secrets but equal to neither: redaction must know it by itself.
    registerSecret(token);
    return { headers: { authorization: `Basic ${token}` } };
  }
  // Signed in the client's hook, so each attempt (retries included) gets a fresh nonce and timestamp.
  const credentials = { consumerKey: config.consumerKey, consumerSecret: config.consumerSecret };
  return { sign: (request) => signUrl(request.method, request.url, credentials) };
}

/** Variable products (and plugin types built on them, e.g. "variable-subscription") carry stock on their variations. */
function hasVariations(product: WooProduct): boolean {
  return product.type === 'variable' || product.type.startsWith('variable-');
}

/** Grouped and external products never carry stock; every other type (simple and plugin types) may. */
function carriesStock(product: WooProduct): boolean {
  return product.type !== 'grouped' && product.type !== 'external' && !hasVariations(product);
}

function productItem(p: WooProduct): StoreItem {
  const managed = p.manage_stock === true;
  const visibility = productVisibility(p);
  return {
    sku: p.sku,
    productId: p.id,
    variationId: null,
    qty: managed ? p.stock_quantity : null,
    managed,
    ...(p.name ? { name: p.name } : {}),
    ...priceOf(p),
    ...(visibility ? { visibility } : {}),
  };
}

/** SPEC §14: the item's regular price, when the response has the field (null: none set). */
function priceOf(record: { regular_price?: string | number | null }): { price?: string | null } {
  return record.regular_price === undefined ? {} : { price: normaliseStorePrice(record.regular_price) };
}

/** SPEC §14: a product is out of the catalogue at catalog_visibility "hidden" (undefined when not listed). */
export function productVisibility(p: Pick<WooProduct, 'catalog_visibility' | 'status' | 'stock_status'>): ItemVisibility | undefined {
  if (p.catalog_visibility === undefined || p.stock_status === undefined) return undefined;
  return {
    // A draft or private product is out of the catalogue too: hiding it again would write nothing useful.
    hidden: p.catalog_visibility === 'hidden' || (p.status !== undefined && p.status !== 'publish'),
    outOfStock: p.stock_status === 'outofstock',
    values: { catalog_visibility: p.catalog_visibility, stock_status: p.stock_status },
  };
}

/** A variation is out of the catalogue unless its status is "publish" (its "Enabled" box). */
export function variationVisibility(v: Pick<WooVariation, 'status' | 'stock_status'>): ItemVisibility | undefined {
  if (v.status === undefined || v.stock_status === undefined) return undefined;
  return { hidden: v.status !== 'publish', outOfStock: v.stock_status === 'outofstock', values: { status: v.status, stock_status: v.stock_status } };
}

function variationItem(parent: { id: number; name?: string | null }, v: WooVariation): StoreItem {
  // "parent" means the parent's stock applies: the variation itself is not managed.
  const managed = v.manage_stock === true;
  const name = v.name || parent.name;
  const visibility = variationVisibility(v);
  return {
    sku: v.sku,
    productId: parent.id,
    variationId: v.id,
    qty: managed ? v.stock_quantity : null,
    managed,
    ...(name ? { name } : {}),
    ...priceOf(v),
    ...(visibility ? { visibility } : {}),
  };
}

/** Open (SPEC §12) and created at or after the window start; an order without a GMT date counts (it cannot be shown old). */
function isOpenOrder(order: WooOrder, sinceMs: number): boolean {
  if (!(WOO_OPEN_ORDER_STATUSES as readonly string[]).includes(order.status)) return false;
  if (!order.date_created_gmt) return true;
  const created = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(order.date_created_gmt) ? order.date_created_gmt : `${order.date_created_gmt}Z`);
  return !Number.isFinite(created) || created >= sinceMs;
}

/** 'YYYY-MM-DDTHH:MM:SS' (GMT, no zone: with dates_are_gmt every WooCommerce reads it as GMT). */
function wooDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`modified_after: not an ISO 8601 time: ${iso}`);
  return new Date(ms).toISOString().slice(0, 19);
}

function writeId(change: Change): number {
  return Number(change.variationId ?? change.productId);
}

function header(res: HttpResponse<unknown>, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Last page: a short page, or X-WP-TotalPages says so. */
function isLastPage(res: HttpResponse<unknown[]>, perPage: number, page: number): boolean {
  if (res.body.length < perPage) return true;
  const totalPages = Number(header(res, 'x-wp-totalpages'));
  return Number.isFinite(totalPages) && header(res, 'x-wp-totalpages') !== undefined && page >= totalPages;
}

/**
 * Per-item outcome of a batch. Results come in request order; each is matched by id too, so a
 * reordered or shortened response never credits the wrong item. A success whose stock did not
 * stick (store-wide stock management off) counts as a failure.
 */
function readBatchResults(batch: Change[], results: WooBatchItem[]): BatchResult['failed'] {
  const byId = new Map<number, WooBatchItem>();
  for (const r of results) if (r.id !== null && !byId.has(r.id)) byId.set(r.id, r);
  const failed: BatchResult['failed'] = [];
  batch.forEach((change, i) => {
    const id = writeId(change);
    const positional = results[i];
    const result = positional && positional.id === id ? positional : byId.get(id);
    const statusMiss = result && change.statusAction ? statusNotApplied(change.statusAction.set, result) : null;
    if (!result) {
      failed.push({ seq: change.seq, message: `no result for id ${id} in the batch response` });
    } else if (result.error) {
      failed.push({ seq: change.seq, message: `${result.error.code}: ${result.error.message}` });
    } else if (statusMiss) {
      failed.push({ seq: change.seq, message: `status not applied: the store reports ${statusMiss}` });
    } else if (writesStock(change) && (result.manage_stock === false || (typeof result.stock_quantity === 'number' && result.stock_quantity !== change.to))) {
      failed.push({
        seq: change.seq,
        message: `stock not applied (store reports stock_quantity ${String(result.stock_quantity)}); is "Enable stock management" on in WooCommerce > Settings > Products > Inventory?`,
      });
    } else if (change.price && result.regular_price !== undefined && normaliseStorePrice(result.regular_price) !== change.price.to) {
      failed.push({ seq: change.seq, message: `price not applied (store reports regular_price ${JSON.stringify(result.regular_price)}, sent ${change.price.to})` });
    }
  });
  return failed;
}

/** The first status field the saved object reports otherwise than written (`catalog_visibility "visible"`), or null. */
function statusNotApplied(set: Record<string, unknown>, result: WooBatchItem): string | null {
  for (const [k, v] of Object.entries(set)) {
    const got = (result as Record<string, unknown>)[k];
    if (got !== undefined && got !== v) return `${k} ${JSON.stringify(got)}`;
  }
  return null;
}
