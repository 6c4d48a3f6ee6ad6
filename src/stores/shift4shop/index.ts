import type { Shift4ShopStoreConfig } from '../../config/schema.js';
import { ConfigError, HttpError } from '../../domain/errors.js';
import { normaliseStorePrice } from '../../domain/price.js';
import { writesStock, type BatchResult, type Change, type StoreId, type StoreItem } from '../../domain/types.js';
import { connectionOptions, createHttpClient, type HttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import type { RateLimitSpec } from '../../lib/rate-limit.js';
import { redact, safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import { plannedPriceCents } from '../prices.js';
import type { OpenOrderLine, StockReading, StoreAdapter } from '../types.js';
import { S4sOrderPage, S4sProductPage, S4sRecordResults, S4sSingleProduct, type S4sProduct, type S4sRecordResult } from './schemas.js';

/**
 * Shift4Shop (formerly 3dcart) REST API v1 store (API_FACTS §4).
 *
 * - Auth: the `SecureURL`, `PrivateKey` and `Token` headers on every request.
 * - list(): `GET /Products?limit&offset`, every page, deduplicated by CatalogID and yielded in
 *   store order. A product without advanced options is one item (variationId null); a product
 *   with advanced options is replaced by its options (variationId = AdvancedOptionCode, SKU =
 *   AdvancedOptionSufix), like a variable product by its variations.
 * - apply(): one `PUT /Products` (≤ 100 products; SPEC §14's `Hide` in the same record as the stock) or one `PUT /Products/{CatalogID}/AdvancedOptions`
 *   (the options of one product) per call; per-record results are read from the response.
 * - Prices (SPEC §14): a product's `Price` goes in the same `PUT /Products` record as its `Stock`
 *   (no extra request); a price-only change sends no `Stock`. An advanced option has no price of
 *   its own (`AdvancedOptionPrice` is an adjustment on top of the product's price), so option
 *   items list no price (no price change is planned for them) and keep their adjustments.
 * - read(): the API has no filter by CatalogID list, so the changes' products are found in the
 *   listing (`limit` products a request), which stops as soon as all of them were seen; when
 *   the first page leaves at most SHIFT4SHOP_SINGLE_READS of them unseen, those are read one by
 *   one (`GET /Products/{CatalogID}`) instead of paging on through a large catalog. Either way a
 *   read-back never costs more than the listing a fetch does.
 * - Default rate limit 2 requests/s (the limit client libraries observe; override with `rateLimit`).
 */

/** Products per PUT /Products (the limit clients observe; larger arrays are refused). */
export const SHIFT4SHOP_MAX_BATCH = 100;
/** The API's largest `limit` for GET /Products. */
export const SHIFT4SHOP_MAX_PAGE = 200;
/** The largest `limit` for GET /Orders (300, the limit client libraries observe: API_FACTS §4). */
export const SHIFT4SHOP_MAX_ORDERS_PAGE = 300;
/**
 * SPEC §12: the order statuses whose stock the store has taken and not shipped, by OrderStatusID
 * (skuvault-integrations/3dCartAccess ThreeDCartOrderStatusEnum): 1 New, 2 Processing, 3 Partial
 * (its items not in a shipped shipment), 6 Hold, 11 Unpaid, 12 Review. Not: 4 Shipped, 5 Cancel,
 * 7 Not Completed (checkout abandoned), and the merchant-defined Custom1–3 (8–10), whose meaning
 * invsync cannot know.
 */
export const SHIFT4SHOP_OPEN_STATUSES: ReadonlySet<number> = new Set([1, 2, 3, 6, 11, 12]);
const SHIPPED = 4;
export const SHIFT4SHOP_DEFAULT_RATE_LIMIT: RateLimitSpec = { perSecond: 2 };

/**
 * Products read one by one after the first listing page rather than by paging on. NOTE: at the
 * default 2 requests/s this caps the one-by-one path at about 5 s; more products than that are
 * cheaper to find in the listing (200 per request) for any catalog under 2,000 products per
 * product wanted.
 */
export const SHIFT4SHOP_SINGLE_READS = 10;

const OFFSET_EXCEEDED = /offset amount exceeds/i;

/**
 * Throws ConfigError when `batchSize` exceeds the API maximum. Listing and writes throw the
 * client's HttpError on whole-request failures (401/403 carry `details.auth`).
 */
export function createShift4ShopStore(config: Shift4ShopStoreConfig): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > SHIFT4SHOP_MAX_BATCH) {
    throw new ConfigError(`at most ${SHIFT4SHOP_MAX_BATCH} for shift4shop (the API maximum)`, 'store.batchSize');
  }
  const log = logger('shift4shop');
  const base = config.url.replace(/\/+$/, '');
  // NOTE: at least 2, see `listProducts` (a one-record page cannot tell 0- from 1-based offsets apart).
  const limit = Math.max(2, Math.min(config.pageSize ?? SHIFT4SHOP_MAX_PAGE, SHIFT4SHOP_MAX_PAGE));
  const maxBatch = config.batchSize ?? SHIFT4SHOP_MAX_BATCH;
  const http = createHttpClient({
    name: 'store',
    baseUrl: base,
    ...connectionOptions(config, { rateLimit: SHIFT4SHOP_DEFAULT_RATE_LIMIT, concurrency: 1 }),
    headers: {
      SecureURL: config.secureUrl,
      PrivateKey: config.privateKey,
      Token: config.token,
      'content-type': 'application/json',
    },
  });

  /** One page; null past the end of the catalog (404 or "Offset amount exceeds…", see API_FACTS). */
  async function fetchPage(offset: number, signal?: AbortSignal): Promise<S4sProduct[] | null> {
    try {
      const res = await http.json({ url: 'Products', searchParams: { limit, offset }, signal }, S4sProductPage);
      return res.body;
    } catch (err) {
      if (isEndOfData(err)) return null;
      throw withApiMessage(err);
    }
  }

  /**
   * Every product once. NOTE: whether `offset` counts from 0 or 1 is not documented (clients
   * disagree). Starting at 0 and advancing by the page length never skips a record either way;
   * on a 1-based server each page repeats the previous page's last record, dropped by CatalogID.
   * A page that brings nothing new ends the listing, so a server ignoring `offset` cannot loop.
   */
  async function listProducts(signal?: AbortSignal, stop?: (seen: ReadonlyMap<number, S4sProduct>, page: number) => boolean): Promise<Map<number, S4sProduct>> {
    const byId = new Map<number, S4sProduct>();
    for (let offset = 0, page = 1; ; page++) {
      const products = await fetchPage(offset, signal);
      if (products === null || products.length === 0) break;
      let fresh = 0;
      for (const p of products) {
        if (byId.has(p.SKUInfo.CatalogID)) continue;
        byId.set(p.SKUInfo.CatalogID, p);
        fresh++;
      }
      log.debug({ page, offset, products: products.length, fresh }, 'listed products page');
      if (products.length < limit || fresh === 0 || stop?.(byId, page)) break;
      offset += products.length;
    }
    return byId;
  }

  /** One product by CatalogID; null when the store answers that it has no such record (404). */
  async function fetchProduct(catalogId: number, signal?: AbortSignal): Promise<S4sProduct | null> {
    try {
      const res = await http.json({ url: `Products/${catalogId}`, signal }, S4sSingleProduct);
      return res.body.find((p) => p.SKUInfo.CatalogID === catalogId) ?? null;
    } catch (err) {
      if (err instanceof HttpError && err.details.status === 404 && S4sRecordResults.safeParse(err.details.body).success) return null;
      throw withApiMessage(err);
    }
  }

  /**
   * SPEC §12: the open order lines created at or after `sinceIso`: one paged `GET /Orders` from
   * the window's start day with items and shipments inline (no request per order). `datestart` is
   * a day (MM/dd/yyyy) in the store's own time zone, which invsync does not know: the day before
   * the window start (UTC) is asked for, so the window is at most a day and a half wider, never
   * narrower (an older open order held back errs on the safe side). Paged like the products
   * (offset base undocumented: deduplicated by OrderID, a page with nothing new ends it).
   */
  async function* openOrders(sinceIso: string, signal?: AbortSignal): AsyncIterable<OpenOrderLine> {
    const sinceMs = Date.parse(sinceIso);
    if (!Number.isFinite(sinceMs)) throw new RangeError(`openOrders: not an ISO 8601 time: ${sinceIso}`);
    const day = new Date(sinceMs - 86_400_000);
    const two = (n: number) => String(n).padStart(2, '0');
    const datestart = `${two(day.getUTCMonth() + 1)}/${two(day.getUTCDate())}/${day.getUTCFullYear()}`;
    const ordersLimit = Math.max(2, Math.min(config.pageSize ?? SHIFT4SHOP_MAX_ORDERS_PAGE, SHIFT4SHOP_MAX_ORDERS_PAGE));
    // Ids only, of the orders in the window: what a 1-based server repeats across pages.
    const seen = new Set<number>();
    for (let offset = 0, page = 1; ; page++) {
      let orders;
      try {
        orders = (await http.json({ url: 'Orders', searchParams: { limit: ordersLimit, offset, datestart }, signal }, S4sOrderPage)).body;
      } catch (err) {
        if (isEndOfData(err)) return;
        throw withApiMessage(err);
      }
      let fresh = 0;
      for (const order of orders) {
        if (seen.has(order.OrderID)) continue;
        seen.add(order.OrderID);
        fresh++;
        if (!SHIFT4SHOP_OPEN_STATUSES.has(order.OrderStatusID)) continue;
        const shipped = new Set(order.ShipmentList.filter((s) => s.ShipmentOrderStatus === SHIPPED).map((s) => s.ShipmentID));
        for (const item of order.OrderItemList) {
          if (item.ItemShipmentID !== null && item.ItemShipmentID !== undefined && shipped.has(item.ItemShipmentID)) continue;
          const qty = Math.floor(item.ItemQuantity);
          if (qty <= 0 || item.CatalogID === null || item.CatalogID === undefined) continue;
          // No option code on an order item: an option's line is matched by its SKU (ItemID).
          yield { orderId: order.OrderID, sku: item.ItemID, productId: item.CatalogID, variationId: null, qty };
        }
      }
      log.debug({ page, offset, orders: orders.length, fresh }, 'listed orders page');
      if (orders.length < ordersLimit || fresh === 0) return;
      offset += orders.length;
    }
  }

  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const out = new Map<number, StockReading>();
    if (changes.length === 0) return out;
    const wanted = new Set(changes.map((c) => Number(c.productId)));
    const unseen = (seen: ReadonlyMap<number, S4sProduct>) => [...wanted].filter((id) => !seen.has(id));
    let stoppedEarly = false;
    const found = await listProducts(signal, (seen, page) => {
      const left = unseen(seen).length;
      stoppedEarly = left === 0 || (page === 1 && left <= SHIFT4SHOP_SINGLE_READS);
      return stoppedEarly;
    });
    // A listing that ran to its end has seen every product there is: the rest are gone.
    if (stoppedEarly) {
      for (const id of unseen(found)) {
        const product = await fetchProduct(id, signal);
        if (product) found.set(id, product);
      }
    }
    for (const change of changes) {
      const product = found.get(Number(change.productId));
      const item = product ? productItems(product).find((i) => i.variationId === (change.variationId === null ? null : String(change.variationId))) : undefined;
      if (item) out.set(change.seq, { qty: item.qty, managed: item.managed, ...(change.price && item.price !== undefined ? { price: item.price } : {}), ...(item.visibility ? { visibility: item.visibility } : {}) });
    }
    return out;
  }

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    const products = [...(await listProducts(signal)).values()];
    // Buffered: the API documents no sort order, and store order is by CatalogID, then option.
    yield* products.flatMap(productItems).sort(compareStoreOrder);
  }

  function batchKey(change: Change): string {
    return change.variationId === null ? 'products' : `options:${change.productId}`;
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    const key = assertBatch('shift4shop', batch, batchKey, maxBatch);
    if (key === 'products') {
      // SPEC §14: `Hide` and `Price` go in the same record as the stock (no extra request). A
      // price-only change or a status action alone sends no Stock: a sale made since the fetch stays.
      const body = batch.map((c) => ({
        SKUInfo: { CatalogID: Number(c.productId), ...(writesStock(c) ? { Stock: c.to } : {}), ...(c.price ? { Price: priceNumber(c.price.to) } : {}) },
        ...(c.statusAction ? c.statusAction.set : {}),
      }));
      return { failed: await putRecords(http, 'Products', body, batch, (c) => String(c.productId)) };
    }
    // An option's price is an adjustment, not a price: never written. The planner plans none (option
    // items list no price); should one arrive anyway, its stock is still written and the item fails.
    const priceRefused = 'price not written: Shift4Shop option prices are adjustments to the product\'s price';
    const failed: BatchResult['failed'] = batch.filter((c) => c.price).map((c) => ({ seq: c.seq, message: priceRefused }));
    const stock = batch.filter(writesStock);
    if (stock.length === 0) return { failed };
    // NOTE: like PUT /Products, a PUT of an option array updates the options it names and leaves the rest.
    const url = `Products/${encodeURIComponent(String((batch[0] as Change).productId))}/AdvancedOptions`;
    const body = stock.map((c) => ({ AdvancedOptionCode: String(c.variationId), AdvancedOptionStock: c.to }));
    const stockFailed = await putRecords(http, url, body, stock, (c) => String(c.variationId));
    // One entry per item: a stock failure's reason replaces the price one.
    const bySeq = new Map(failed.map((f) => [f.seq, f]));
    for (const f of stockFailed) bySeq.set(f.seq, f);
    return { failed: [...bySeq.values()] };
  }

  async function check(): Promise<string> {
    const products = await fetchPage(0);
    const what = products === null || products.length === 0 ? 'the catalog is empty' : 'products readable';
    return `Shift4Shop at ${safeUrl(base)} for ${safeUrl(config.secureUrl)}: authenticated, ${what}`;
  }

  return {
    type: 'shift4shop',
    limits: { maxBatch },
    openOrders,
    list,
    batchKey,
    apply,
    read,
    check,
  } satisfies StoreAdapter;
}

/** The stock-carrying units of one product: its advanced options when it has any, else itself. */
export function productItems(p: S4sProduct): StoreItem[] {
  const { CatalogID, SKU, Name, Stock } = p.SKUInfo;
  if (p.AdvancedOptionList.length > 0) {
    return p.AdvancedOptionList.map((o) => {
      const qty = o.AdvancedOptionStock ?? null;
      const name = [Name, o.AdvancedOptionName].filter(Boolean).join(' - ');
      return {
        sku: o.AdvancedOptionSufix, productId: CatalogID, variationId: o.AdvancedOptionCode, qty, managed: qty !== null,
        ...(name ? { name } : {}),
      };
    });
  }
  const qty = Stock ?? null;
  const price = priceOf(p.SKUInfo.Price);
  // Only a product has `Hide`: an option cannot be hidden on its own.
  const visibility = p.Hide === undefined ? undefined : { hidden: p.Hide, outOfStock: false, values: { Hide: p.Hide } };
  return [{ sku: SKU, productId: CatalogID, variationId: null, qty, managed: qty !== null, ...(Name ? { name: Name } : {}), ...(price !== undefined ? { price } : {}), ...(visibility ? { visibility } : {}) }];
}

/** SPEC §14: the product's price as two decimals; undefined when the response has no `Price` (not reported). */
function priceOf(value: number | null | undefined): string | null | undefined {
  // A negative Price is not a price invsync can compare against: normaliseStorePrice reports none.
  return value === undefined ? undefined : normaliseStorePrice(value);
}

/** A two-decimal price string as the API's decimal `Price`. */
function priceNumber(price: string): number {
  return plannedPriceCents('shift4shop', price) / 100;
}

const collator = new Intl.Collator('en', { numeric: true });

function compareId(a: StoreId, b: StoreId): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
}

/** Store order: product id, then variation id (a product's own item first). */
export function compareStoreOrder(a: StoreItem, b: StoreItem): number {
  const byProduct = compareId(a.productId, b.productId);
  if (byProduct !== 0) return byProduct;
  if (a.variationId === null || b.variationId === null) return a.variationId === null ? (b.variationId === null ? 0 : -1) : 1;
  return compareId(a.variationId, b.variationId);
}

/** The end of the listing: a 404 record list ("no records") or the "Offset amount exceeds…" error. */
function isEndOfData(err: unknown): boolean {
  if (!(err instanceof HttpError)) return false;
  const records = S4sRecordResults.safeParse(err.details.body);
  if (!records.success) return false;
  if (err.details.status === 404) return true;
  return err.details.status === 400 && records.data.some((r) => OFFSET_EXCEEDED.test(r.Message ?? ''));
}

/** The client's error with the API's first record message appended (the client only reads `message` keys). */
function withApiMessage(err: unknown): unknown {
  if (!(err instanceof HttpError)) return err;
  const records = S4sRecordResults.safeParse(err.details.body);
  const message = records.success ? records.data.find((r) => r.Message)?.Message : undefined;
  if (!message || err.message.includes(message)) return err;
  return new HttpError(`${err.message}: ${redact(message.slice(0, 200))}`, err.details, { cause: err });
}

/**
 * PUT an array of records and read the per-record results. The response is an array of
 * `{Key, Value, Status, Message}`, matched to changes by Value (the CatalogID or option code),
 * falling back to position when a result names no Value. A 4xx answer whose records name none
 * of the sent ids is a whole-request failure (thrown); otherwise per-record 4xx are item failures.
 */
async function putRecords(
  http: HttpClient,
  url: string,
  body: unknown[],
  batch: Change[],
  idOf: (c: Change) => string,
): Promise<BatchResult['failed']> {
  let res;
  try {
    res = await http.json({ method: 'PUT', url, json: body, allowStatuses: [400, 404] });
  } catch (err) {
    throw withApiMessage(err);
  }
  const parsed = S4sRecordResults.safeParse(res.body);
  const where = `PUT ${safeUrl(res.url)}`;
  if (!parsed.success) {
    throw new HttpError(`${where}: HTTP ${res.status}, unexpected response (expected per-record results)`, {
      status: res.status, url: safeUrl(res.url), body: res.body, retryable: false,
    });
  }
  const results = parsed.data;
  const ids = new Set(batch.map(idOf));
  if (res.status >= 400 && !results.some((r) => r.Value !== null && ids.has(r.Value))) {
    const message = results.find((r) => r.Message)?.Message ?? 'request refused';
    throw new HttpError(`${where}: HTTP ${res.status} ${redact(message.slice(0, 200))}`, {
      status: res.status, url: safeUrl(res.url), body: res.body, retryable: false,
    });
  }
  const byValue = new Map<string, S4sRecordResult>();
  for (const r of results) if (r.Value !== null && !byValue.has(r.Value)) byValue.set(r.Value, r);
  const failed: BatchResult['failed'] = [];
  batch.forEach((change, i) => {
    const id = idOf(change);
    const positional = results[i];
    const result = byValue.get(id) ?? (positional && positional.Value === null ? positional : undefined);
    if (!result) {
      failed.push({ seq: change.seq, message: `no result for ${id} in the response` });
    } else if (result.Status >= 300) {
      failed.push({ seq: change.seq, message: `${result.Status}: ${result.Message ?? 'rejected'}` });
    }
  });
  return failed;
}
