import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { AmazonStoreConfig } from '../../config/schema.js';
import { ConfigError, HttpError, InvsyncError, StoreError } from '../../domain/errors.js';
import type { BatchResult, Change, StoreItem } from '../../domain/types.js';
import { logger } from '../../lib/log.js';
import { realClock } from '../../lib/rate-limit.js';
import { safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import type { OpenOrderLine, StockReading, StoreAdapter, SubmissionJournal } from '../types.js';
import { createSpApi, type SpApi } from './client.js';
import { buildFeed, feedFailures, patchFailure, quantityPatch } from './feed.js';
import type { Clock } from './rates.js';
import { charsetOf, FULFILLED_BY_AMAZON, isAmazonFulfilled, readListingsReport } from './report.js';
import {
  CreateFeedDocumentResponse, CreateFeedResponse, CreateReportResponse, DocumentLink, Feed, FEED_MAX_MESSAGES, ListingsItem,
  OrderItemsResponse, OrdersResponse, PatchResponse, ProcessingReport, REGION_URLS, Report, SearchListingsResponse, type ProcessingStatus,
} from './schema.js';

/**
 * Amazon Selling Partner API as a store (SPEC §10, API_FACTS §11): merchant-fulfilled quantities.
 *
 * - Auth: Login with Amazon (token.ts), `x-amz-access-token` on every call; usage plans per
 *   operation (rates.ts), QuotaExceeded waited out; 403 and LWA refusals are auth errors (exit 5).
 * - list(): the GET_MERCHANT_LISTINGS_ALL_DATA report (create, poll, download, gunzip, Cp1252,
 *   columns by name), streamed. Amazon-fulfilled listings come with `notWritten`.
 * - apply(): a batch of at most `patchMax` changes goes as patchListingsItem calls; a larger one
 *   as one JSON_LISTINGS_FEED (≤ 25,000 PATCH messages, `merge` keeps the handling time). The
 *   feed id goes to the journal the moment Amazon returns it; the feed is then polled for up to
 *   `feedWaitMinutes`, its processing report's ERROR issues failing their items. A feed still
 *   processing then is returned `inFlight`; `settle(feedId)` finishes it in a later run.
 * - read(): up to READ_PER_ITEM_MAX changes by getListingsItem each; more by one listings report.
 * - openOrders(): merchant-fulfilled orders Amazon has taken off the quantity and not shipped
 *   (getOrders, then getOrderItems per order); see AMAZON_OPEN_STATUSES.
 */

/** Up to this many items are read back one getListingsItem each (5/s); more cost one report. */
export const READ_PER_ITEM_MAX = 20;
/** How long a listing waits for its report (reports take minutes; not bound by feedWaitMinutes). */
export const REPORT_WAIT_MINUTES = 60;
const FEED_CONTENT_TYPE = 'application/json; charset=UTF-8';

/**
 * SPEC §12, Orders API v0 (the model's getOrders / getOrderItems; Seller Central help "Pending
 * orders", G40571 and 200200040). Amazon lowers a merchant-fulfilled listing's quantity when the
 * order is placed, already in `Pending` ("The quantity available for the listing is subtracted
 * from your quantity in Manage Inventory" while payment is verified, up to 21 days), and gives it
 * back only when the order is cancelled. So Pending counts like Unshipped, and a PartiallyShipped
 * order by QuantityOrdered − QuantityShipped per item. Shipped, Canceled, Unfulfillable
 * (FBA only) and InvoiceUnconfirmed (shipped, invoice pending) do not. AFN (FBA) orders never
 * count: invsync never writes Amazon's own stock.
 */
export const AMAZON_OPEN_STATUSES: ReadonlySet<string> = new Set(['Pending', 'Unshipped', 'PartiallyShipped']);
/** getOrders' MaxResultsPerPage ceiling. */
export const AMAZON_ORDERS_PAGE = 100;
/**
 * getOrders refuses a CreatedAfter later than two minutes before the request; a window that
 * starts later than this before now is asked from here (wider, never narrower).
 */
const CREATED_AFTER_MIN_AGE_MS = 3 * 60_000;

/** Pure: whether a getOrders order holds listing quantity the supplier has not seen leave. */
export function isOpenMfnOrder(order: Pick<OrdersResponse['payload']['Orders'][number], 'OrderStatus' | 'FulfillmentChannel'>): boolean {
  // Filtered by the request too; checked again so an order Amazon ships (AFN) can never count.
  return AMAZON_OPEN_STATUSES.has(order.OrderStatus) && order.FulfillmentChannel === 'MFN';
}

/** Pure: the units of one order item not shipped yet (0 when all were). */
export function unshippedUnits(item: Pick<OrderItemsResponse['payload']['OrderItems'][number], 'QuantityOrdered' | 'QuantityShipped'>): number {
  return Math.max(0, item.QuantityOrdered - (item.QuantityShipped ?? 0));
}

/** What a store may use besides its config. */
export interface AmazonContext {
  /** The state dir: the access token is cached here (0600). Without it, in memory only. */
  stateDir?: string;
}

/** Test seams. */
export interface AmazonDeps {
  clock?: Clock;
  /** Multiplies every usage-plan rate (tests run the real plans faster). */
  rateSpeed?: number;
  /** First poll delay for reports and feeds (default 5 s; grows to 8×). */
  pollMs?: number;
}

/** The SP-API base for a config: `url`, or the region's host. */
export function amazonBaseUrl(config: Pick<AmazonStoreConfig, 'url' | 'region'>): string {
  return (config.url ?? REGION_URLS[config.region]).replace(/\/+$/, '');
}

/** Pure: the delay before poll number `n` (0-based): `base`, doubling, at most 8 × base. */
export function pollDelay(n: number, base: number): number {
  return Math.min(base * 2 ** n, base * 8);
}

/**
 * Throws ConfigError for a batchSize above 25,000. Everything else throws the client's HttpError
 * (auth ones with `details.auth`) or StoreError (a FATAL report, a report that is not one).
 */
export function createAmazonStore(config: AmazonStoreConfig, ctx: AmazonContext = {}, deps: AmazonDeps = {}): StoreAdapter & { readonly api: SpApi } {
  if (config.batchSize !== undefined && config.batchSize > FEED_MAX_MESSAGES) {
    throw new ConfigError(`at most ${FEED_MAX_MESSAGES} for amazon (messages per JSON_LISTINGS_FEED)`, 'store.batchSize');
  }
  const log = logger('amazon');
  const clock = deps.clock ?? realClock;
  // NOTE: INVSYNC_AMAZON_POLL_MS lets end-to-end tests poll a fake quickly; not a user option.
  const pollMs = deps.pollMs ?? (Number(process.env.INVSYNC_AMAZON_POLL_MS) > 0 ? Number(process.env.INVSYNC_AMAZON_POLL_MS) : 5000);
  const waitMs = config.feedWaitMinutes * 60_000;
  const maxBatch = config.batchSize ?? FEED_MAX_MESSAGES;
  const base = amazonBaseUrl(config);
  const api = createSpApi({
    baseUrl: base, tokenUrl: config.tokenUrl, clientId: config.clientId, clientSecret: config.clientSecret, refreshToken: config.refreshToken,
    stateDir: ctx.stateDir, timeoutMs: config.timeoutMs, retries: config.retries, insecureTls: config.insecureTls,
    clock, rateSpeed: deps.rateSpeed ?? 1, log,
  });
  const marketplaceIds = config.marketplaceId;
  const listingPath = (sku: string) => `listings/2021-08-01/items/${encodeURIComponent(config.sellerId)}/${encodeURIComponent(sku)}`;

  /** Poll until a terminal status, or until `deadline` (then the last status seen). */
  async function pollUntil<T extends { processingStatus: ProcessingStatus }>(get: () => Promise<T>, deadline: number, signal?: AbortSignal): Promise<T> {
    for (let n = 0; ; n++) {
      const current = await get();
      if (!['IN_QUEUE', 'IN_PROGRESS'].includes(current.processingStatus)) return current;
      const remaining = deadline - clock.now();
      if (remaining <= 0) return current;
      await clock.sleep(Math.min(pollDelay(n, pollMs), remaining), signal);
    }
  }

  /** Create the listings report and wait for its document. Returns null when Amazon cancelled it (no data). */
  async function listingsDocument(signal?: AbortSignal): Promise<{ body: Readable; gzip: boolean; contentType: string | undefined } | null> {
    const created = await api.call('createReport', {
      method: 'POST', url: 'reports/2021-06-30/reports', json: { reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', marketplaceIds: [marketplaceIds] }, signal,
    }, CreateReportResponse);
    const { reportId } = created.body;
    const report = await pollUntil(async () => (await api.call('getReport', { url: `reports/2021-06-30/reports/${encodeURIComponent(reportId)}`, signal }, Report)).body,
      clock.now() + REPORT_WAIT_MINUTES * 60_000, signal);
    switch (report.processingStatus) {
      case 'DONE': break;
      case 'CANCELLED':
        // "automatic cancellation if there is no data" (API_FACTS §11.4): a seller without listings.
        log.warn(`listings report ${reportId} was cancelled by Amazon (it does so when there is no data): no listings`);
        return null;
      case 'FATAL': throw new StoreError(`amazon: the listings report ${reportId} failed (FATAL); try again later`);
      default: throw new StoreError(`amazon: the listings report ${reportId} is still ${report.processingStatus} after ${REPORT_WAIT_MINUTES} minutes; try again later`);
    }
    if (!report.reportDocumentId) throw new StoreError(`amazon: the listings report ${reportId} is DONE without a reportDocumentId`);
    const doc = await api.call('getReportDocument', { url: `reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}`, signal }, DocumentLink);
    const { body, contentType } = await api.download(doc.body.url, signal);
    return { body, gzip: doc.body.compressionAlgorithm === 'GZIP', contentType };
  }

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    const doc = await listingsDocument(signal);
    if (!doc) return;
    try {
      yield* readListingsReport(doc.body, { gzip: doc.gzip, charset: charsetOf(doc.contentType) });
    } catch (err) {
      if (err instanceof InvsyncError) throw err;
      throw new StoreError(`amazon: cannot read the listings report: ${(err as Error).message}`, { cause: err });
    } finally {
      doc.body.destroy();
    }
  }

  async function readOne(change: Change, signal?: AbortSignal): Promise<StockReading | undefined> {
    const res = await api.call('getListingsItem', {
      url: listingPath(change.sku), searchParams: { marketplaceIds, includedData: 'summaries,fulfillmentAvailability' }, allowStatuses: [404], signal,
    }, ListingsItem);
    if (res.status === 404) return undefined;
    const item = ListingsItem.parse(res.body);
    const own = item.fulfillmentAvailability?.find((f) => f.fulfillmentChannelCode === 'DEFAULT');
    return own?.quantity === undefined ? { qty: null, managed: false } : { qty: own.quantity, managed: true };
  }

  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const out = new Map<number, StockReading>();
    if (changes.length === 0) return out;
    if (changes.length <= READ_PER_ITEM_MAX) {
      await Promise.all(changes.map(async (c) => {
        const reading = await readOne(c, signal);
        if (reading) out.set(c.seq, reading);
      }));
      return out;
    }
    const wanted = new Map<string, Change[]>();
    for (const c of changes) wanted.set(c.sku, [...(wanted.get(c.sku) ?? []), c]);
    for await (const item of list(signal)) {
      for (const c of wanted.get(item.sku) ?? []) out.set(c.seq, { qty: item.managed ? item.qty : null, managed: item.managed });
    }
    return out;
  }

  function batchKey(): string {
    return 'listings';
  }

  /**
   * SPEC §12: one getOrders page per 100 open merchant-fulfilled orders created since `sinceIso`
   * (NextToken paging), then getOrderItems per order (paged by NextToken too). Each operation
   * waits for its own usage plan (rates.ts): past the bursts, one getOrders a minute and one
   * getOrderItems every two seconds, so N open orders cost ⌈N/100⌉ + N requests. Lines are keyed
   * by SellerSKU, as the listing is (productId = SKU, no variations).
   */
  async function* openOrders(sinceIso: string, signal?: AbortSignal): AsyncIterable<OpenOrderLine> {
    const sinceMs = Date.parse(sinceIso);
    if (!Number.isFinite(sinceMs)) throw new RangeError(`openOrders: not an ISO 8601 time: ${sinceIso}`);
    const createdAfter = new Date(Math.min(sinceMs, clock.now() - CREATED_AFTER_MIN_AGE_MS)).toISOString();
    const criteria = {
      MarketplaceIds: marketplaceIds, CreatedAfter: createdAfter, OrderStatuses: [...AMAZON_OPEN_STATUSES].join(','),
      FulfillmentChannels: 'MFN', MaxResultsPerPage: AMAZON_ORDERS_PAGE,
    };
    let nextToken: string | undefined;
    let page = 0;
    do {
      const res = await api.call('getOrders', { url: 'orders/v0/orders', searchParams: { ...criteria, NextToken: nextToken }, signal }, OrdersResponse);
      const { Orders: orders, NextToken } = res.body.payload;
      log.debug({ page: ++page, orders: orders.length }, 'listed open orders page');
      for (const order of orders) {
        if (isOpenMfnOrder(order)) yield* orderLines(order.AmazonOrderId, signal);
      }
      nextToken = NextToken || undefined;
    } while (nextToken);
  }

  async function* orderLines(orderId: string, signal?: AbortSignal): AsyncIterable<OpenOrderLine> {
    const url = `orders/v0/orders/${encodeURIComponent(orderId)}/orderItems`;
    let nextToken: string | undefined;
    do {
      const res = await api.call('getOrderItems', { url, searchParams: { NextToken: nextToken }, signal }, OrderItemsResponse);
      for (const item of res.body.payload.OrderItems) {
        const qty = unshippedUnits(item);
        if (qty <= 0 || !item.SellerSKU) continue;
        yield { orderId, sku: item.SellerSKU, productId: item.SellerSKU, variationId: null, qty };
      }
      nextToken = res.body.payload.NextToken || undefined;
    } while (nextToken);
  }

  async function applyByPatch(batch: Change[], signal?: AbortSignal): Promise<BatchResult> {
    const failed: BatchResult['failed'] = [];
    await Promise.all(batch.map(async (c) => {
      try {
        const res = await api.call('patchListingsItem', {
          method: 'PATCH', url: listingPath(c.sku), searchParams: { marketplaceIds },
          json: { productType: config.productType, patches: quantityPatch(c.to) }, signal,
        }, PatchResponse);
        const message = patchFailure(res.body);
        if (message) failed.push({ seq: c.seq, message });
      } catch (err) {
        // A 400/404 is about this item; auth, throttling past the retries and 5xx are about the request.
        if (!(err instanceof HttpError) || err.details.auth || err.details.retryable || err.details.status === undefined || err.details.status >= 500) throw err;
        failed.push({ seq: c.seq, message: err.message });
      }
    }));
    return { failed };
  }

  /** Download and read a feed's processing report. */
  async function processingReport(documentId: string, signal?: AbortSignal): Promise<ProcessingReport> {
    const doc = await api.call('getFeedDocument', { url: `feeds/2021-06-30/documents/${encodeURIComponent(documentId)}`, signal }, DocumentLink);
    const { body } = await api.download(doc.body.url, signal);
    const text = await readAll(doc.body.compressionAlgorithm === 'GZIP' ? body.pipe(createGunzip()) : body);
    let json: unknown;
    try { json = JSON.parse(text); } catch { throw new StoreError(`amazon: the processing report ${documentId} is not JSON`); }
    const parsed = ProcessingReport.safeParse(json);
    if (!parsed.success) throw new StoreError(`amazon: the processing report ${documentId} is not one: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  /** Poll a submitted feed for up to feedWaitMinutes; its outcome, or `inFlight`. */
  async function outcome(feedId: string, batch: Change[], signal?: AbortSignal): Promise<BatchResult> {
    const feed = await pollUntil(async () => (await api.call('getFeed', { url: `feeds/2021-06-30/feeds/${encodeURIComponent(feedId)}`, signal }, Feed)).body,
      clock.now() + waitMs, signal);
    switch (feed.processingStatus) {
      case 'IN_QUEUE':
      case 'IN_PROGRESS':
        log.warn(`feed ${feedId} (${batch.length} item(s)) is still ${feed.processingStatus} after ${config.feedWaitMinutes} minute(s): its items stay pending; the next push settles them first`);
        return { failed: [], inFlight: true };
      case 'CANCELLED':
        return { failed: batch.map((c) => ({ seq: c.seq, message: `feed ${feedId} was cancelled before processing; it will be sent again` })) };
      case 'FATAL':
      case 'DONE': {
        if (!feed.resultFeedDocumentId) {
          if (feed.processingStatus === 'DONE') throw new StoreError(`amazon: feed ${feedId} is DONE without a processing report`);
          return { failed: batch.map((c) => ({ seq: c.seq, message: `feed ${feedId} failed (FATAL) without a processing report` })) };
        }
        const report = await processingReport(feed.resultFeedDocumentId, signal);
        const failed = feedFailures(report, batch);
        if (feed.processingStatus === 'FATAL' && failed.length === 0) {
          return { failed: batch.map((c) => ({ seq: c.seq, message: `feed ${feedId} failed (FATAL)` })) };
        }
        log.info({ feedId, items: batch.length, failed: failed.length }, `feed ${feedId} processed: ${batch.length - failed.length} applied, ${failed.length} failed`);
        return { failed };
      }
    }
  }

  async function applyByFeed(batch: Change[], journal: SubmissionJournal | undefined, signal?: AbortSignal): Promise<BatchResult> {
    const doc = await api.call('createFeedDocument', { method: 'POST', url: 'feeds/2021-06-30/documents', json: { contentType: FEED_CONTENT_TYPE }, signal }, CreateFeedDocumentResponse);
    await api.upload(doc.body.url, FEED_CONTENT_TYPE, buildFeed(config.sellerId, config.productType, batch));
    const created = await api.call('createFeed', {
      method: 'POST', url: 'feeds/2021-06-30/feeds', signal,
      json: { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [marketplaceIds], inputFeedDocumentId: doc.body.feedDocumentId },
    }, CreateFeedResponse);
    const { feedId } = created.body;
    // First thing after Amazon took the feed: from here on it is polled, never submitted again.
    journal?.submitted(feedId);
    log.info({ feedId, items: batch.length }, `feed ${feedId} submitted (${batch.length} item(s)); waiting up to ${config.feedWaitMinutes} minute(s) for it`);
    return outcome(feedId, batch, signal);
  }

  async function apply(batch: Change[], journal?: SubmissionJournal): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    assertBatch('amazon', batch, batchKey, maxBatch);
    // Never planned by the engine (notWritten); refused here too, so no caller can write FBA stock.
    const fba = batch.filter((c) => isAmazonFulfilled(String((c.ref as { channel?: unknown } | undefined)?.channel ?? '')));
    const writable = fba.length ? batch.filter((c) => !fba.includes(c)) : batch;
    const refused = fba.map((c) => ({ seq: c.seq, message: `${FULFILLED_BY_AMAZON}: Amazon's stock, never written` }));
    if (writable.length === 0) return { failed: refused };
    const result = writable.length <= config.patchMax ? await applyByPatch(writable) : await applyByFeed(writable, journal);
    return refused.length ? { ...result, failed: [...refused, ...result.failed] } : result;
  }

  async function settle(feedId: string, batch: Change[], signal?: AbortSignal): Promise<BatchResult> {
    return outcome(feedId, batch, signal);
  }

  async function check(): Promise<string> {
    // A fresh exchange, not the cached token: check is where users test their credentials.
    await api.tokens.refresh();
    // searchListingsItems needs the Product Listing role, as reports of listings and feeds do.
    const res = await api.call('searchListingsItems', {
      url: `listings/2021-08-01/items/${encodeURIComponent(config.sellerId)}`, searchParams: { marketplaceIds, pageSize: 1, includedData: 'summaries' },
    }, SearchListingsResponse);
    return `Amazon seller ${config.sellerId} in marketplace ${config.marketplaceId} at ${safeUrl(base)}: Login with Amazon token obtained; the Product Listing role is granted (${res.body.numberOfResults} listing(s) readable)`;
  }

  return {
    type: 'amazon',
    limits: { maxBatch },
    openOrders,
    list,
    batchKey,
    apply,
    settle,
    read,
    check,
    api,
  } satisfies StoreAdapter & { api: SpApi };
}

async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
