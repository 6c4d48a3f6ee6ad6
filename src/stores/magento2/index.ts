import type { ZodType } from 'zod';
import type { Magento2StoreConfig } from '../../config/schema.js';
import { ConfigError, HttpError } from '../../domain/errors.js';
import { writesStock, type BatchResult, type Change, type ItemVisibility, type StoreItem } from '../../domain/types.js';
import { normaliseStorePrice } from '../../domain/price.js';
import { connectionOptions, createHttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { redact, safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import { createBatchCap, stateDirCapMemory } from '../batch-cap.js';
import type { StockReading, StoreAdapter, StoreContext } from '../types.js';
import { sendIsolating } from '../isolate.js';
import { renderMagentoError } from './messages.js';
import {
  MagentoChildren, MagentoPriceUpdateResult, MagentoProductPage, MagentoProductSaved, MagentoSource, MagentoSourceItemPage, MagentoSourceItemsSaved, MagentoStockItem, MagentoStockItemSaved,
  type MagentoProduct, type MagentoSourceItem,
} from './schemas.js';
import { chunkForQuery, isLastPage, searchCriteriaParams, skuFilters, type SearchCriteria } from './search-criteria.js';

/**
 * Magento 2 / Adobe Commerce REST store (API_FACTS §2).
 *
 * - Auth: `Authorization: Bearer <token>` (an admin or integration token).
 * - list(): every product (searchCriteria paging sorted by entity_id, stopping on total_count);
 *   simple, virtual and downloadable products carry stock. A configurable product is not an item:
 *   its children (one `GET /V1/configurable-products/{sku}/children` per configurable) are listed
 *   as its variations (productId = parent id, variationId = child id); other simple products
 *   have variationId null. Stock comes from one paged listing of the configured source's items
 *   (MSI, the default), or one `GET /V1/stockItems/{sku}` per item without MSI (`msi: false`).
 * - apply(): MSI: one `POST /V1/inventory/source-items` per batch (absolute quantities; status 1
 *   when the quantity is above 0). Batches start at 500 items; a shop with "Web API input limits"
 *   on refuses that with `400 Maximum items of type "…" is N` (applying nothing): the adapter then
 *   sends N at a time and remembers N for the shop in the state dir (see batch-cap.ts). The API refuses such a batch as a whole when one item is bad,
 *   often without naming it: the batch is then split in halves and resent until the refused items
 *   stand alone (logged; see `sendIsolating`). Without MSI: one
 *   `PUT /V1/products/{sku}/stockItems/{itemId}` per item.
 * - read(): MSI: one `GET /V1/inventory/source-items` per `pageSize` SKUs (`sku in (…)` and the
 *   configured source); only SKUs that came back without a source item cost one more
 *   `GET /V1/products` search per `pageSize` of them, to tell stock not managed from a product
 *   deleted. Without MSI: one `GET /V1/stockItems/{sku}` per item (the API has no bulk read of
 *   legacy stock items: product lists leave `stock_item` out).
 * - Prices (SPEC §14): `price` is listed with the products (the default scope); neither stock
 *   route takes a price, so after each batch's stock write one `POST /V1/products/base-prices`
 *   `{prices: [{sku, price, store_id: 0}]}` (≤ the shop's input cap a request, learned like the
 *   source-items cap) writes them. Magento saves the valid rows and answers with the failed
 *   ones, which fail their items. read() takes the price from one products search per
 *   `pageSize` SKUs. A price-only change writes no stock.
 * - rules.status (SPEC §14): `hide` is the product's `status` 2 (disabled), a restore puts back
 *   what it was. `status` is listed with the products; neither stock route nor base-prices takes
 *   it and Magento has no synchronous bulk product save, so each status change costs one
 *   `PUT /V1/products/{sku}` `{product: {sku, status}}` after its stock (the async bulk route
 *   needs a queue consumer and answers "accepted", never whether it was saved). read() takes the
 *   status from the same products search as the price.
 */

/**
 * Largest batch, and the first one tried: no documented cap without input limits (the default),
 * a practical ceiling; a shop with input limits on announces its own cap (20 by default).
 */
export const MAGENTO_MAX_BATCH = 500;
/** The largest pageSize when input limits are on; it works everywhere. */
export const MAGENTO_DEFAULT_PAGE = 300;

/** Product types that hold their own stock. Configurable, bundle and grouped products do not. */
const STOCK_TYPES = new Set(['simple', 'virtual', 'downloadable']);
const PRODUCT_FIELDS = 'items[id,sku,type_id,name,price,status],total_count';
/** The default (global) scope: where a price applies unless a website overrides it. */
const PRICE_STORE_ID = 0;
/**
 * Longest SKU list (URL-encoded) in one read request. NOTE: servers commonly refuse request lines
 * over 8 KB (Apache's LimitRequestLine 8190, nginx's 8 KB header buffers); this leaves room for
 * the rest of the URL.
 */
const MAX_SKU_LIST_CHARS = 6000;

/**
 * Throws ConfigError when `batchSize` exceeds the practical ceiling. `context.stateDir`: where a
 * shop's announced batch cap is remembered (none: learned again by each adapter). Listing and writes throw
 * the client's HttpError on whole-request failures (401/403 carry `details.auth`); messages
 * carry Magento's own message with its placeholders rendered.
 */
export function createMagento2Store(config: Magento2StoreConfig, context: StoreContext = {}): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > MAGENTO_MAX_BATCH) {
    throw new ConfigError(`at most ${MAGENTO_MAX_BATCH} for magento2 (the default; a shop with Web API input limits on announces a lower cap, which is then used)`, 'store.batchSize');
  }
  const log = logger('magento2');
  const base = apiBase(config.url);
  const pageSize = config.pageSize ?? MAGENTO_DEFAULT_PAGE;
  const msi = config.msi !== false;
  const sourceCode = config.sourceCode ?? 'default';
  // Without MSI every write is one product's stock item.
  const startBatch = msi ? config.batchSize ?? MAGENTO_MAX_BATCH : 1;
  const cap = createBatchCap({
    start: startBatch,
    key: `magento2 ${safeUrl(base)} inventory/source-items`,
    memory: context.stateDir ? stateDirCapMemory(context.stateDir) : undefined,
    capOf: announcedCap,
  });
  const priceCap = createBatchCap({
    start: MAGENTO_MAX_BATCH,
    key: `magento2 ${safeUrl(base)} products/base-prices`,
    memory: context.stateDir ? stateDirCapMemory(context.stateDir) : undefined,
    capOf: announcedCap,
  });
  const http = createHttpClient({
    name: 'store',
    baseUrl: base,
    ...connectionOptions(config, { concurrency: 4 }),
    headers: { authorization: `Bearer ${config.token}` },
  });

  /** Every item of a search endpoint, page by page, stopping on total_count. */
  async function search<T extends { items: unknown[]; total_count: number }>(
    url: string,
    criteria: SearchCriteria,
    schema: ZodType<T>,
    signal?: AbortSignal,
    extra: Record<string, string> = {},
  ): Promise<Array<T['items'][number]>> {
    const all: Array<T['items'][number]> = [];
    for (let page = 1; ; page++) {
      const res = await call(() => http.json({ url, searchParams: { ...searchCriteriaParams({ ...criteria, pageSize, currentPage: page }), ...extra }, signal }, schema));
      for (const item of res.body.items) all.push(item);
      log.debug({ url, page, items: res.body.items.length, total: res.body.total_count }, 'listed page');
      if (isLastPage(page, pageSize, res.body.total_count)) return all;
    }
  }

  async function listProducts(signal?: AbortSignal): Promise<MagentoProduct[]> {
    const products = await search('products', { sortOrders: [{ field: 'entity_id', direction: 'ASC' }] }, MagentoProductPage, signal, { fields: PRODUCT_FIELDS });
    const byId = new Map<number, MagentoProduct>();
    for (const p of products) if (!byId.has(p.id)) byId.set(p.id, p);
    return [...byId.values()];
  }

  /** child id → parent (the lowest parent id when a child belongs to several configurables). */
  async function parentsOf(products: MagentoProduct[], signal?: AbortSignal): Promise<Map<number, MagentoProduct>> {
    const configurables = products.filter((p) => p.type_id === 'configurable').sort((a, b) => a.id - b.id);
    const children = await Promise.all(configurables.map((p) => call(() => http.json({
      url: `configurable-products/${encodeURIComponent(p.sku)}/children`, signal,
    }, MagentoChildren))));
    const parents = new Map<number, MagentoProduct>();
    configurables.forEach((parent, i) => {
      for (const child of children[i]?.body ?? []) if (!parents.has(child.id)) parents.set(child.id, parent);
    });
    return parents;
  }

  /** MSI: the configured source's items by lower-cased SKU (Magento compares SKUs case-insensitively). */
  async function sourceItems(signal?: AbortSignal): Promise<Map<string, MagentoSourceItem>> {
    const items = await search('inventory/source-items', {
      filterGroups: [[{ field: 'source_code', value: sourceCode, condition: 'eq' }]],
      sortOrders: [{ field: 'sku', direction: 'ASC' }],
    }, MagentoSourceItemPage, signal);
    return new Map(items.map((s) => [s.sku.toLowerCase(), s]));
  }

  /** Legacy stock: one stock item per SKU (the write needs its item_id). A missing one reads as unmanaged. */
  async function legacyStock(products: MagentoProduct[], signal?: AbortSignal): Promise<Map<number, MagentoStockItem | null>> {
    const results = await Promise.all(products.map(async (p) => {
      const res = await call(() => http.json({ url: `stockItems/${encodeURIComponent(p.sku)}`, signal, allowStatuses: [404] }));
      return res.status === 404 ? null : parseStockItem(res);
    }));
    return new Map(products.map((p, i) => [p.id, results[i] ?? null]));
  }

  /** Children and stock are read concurrently; the first failure stops the other reads. */
  async function readAll(signal?: AbortSignal) {
    const inner = new AbortController();
    const forward = () => inner.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    try {
      const products = await listProducts(inner.signal);
      const stocked = products.filter((p) => STOCK_TYPES.has(p.type_id));
      const [parents, stock] = await Promise.all([
        parentsOf(products, inner.signal),
        msi ? sourceItems(inner.signal) : legacyStock(stocked, inner.signal),
      ]);
      return { stocked, parents, stock };
    } finally {
      signal?.removeEventListener('abort', forward);
      inner.abort();
    }
  }

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    const { stocked, parents, stock } = await readAll(signal);
    const items = stocked.map((p): StoreItem => {
      const parent = parents.get(p.id);
      const ids = { productId: parent?.id ?? p.id, variationId: parent ? p.id : null };
      const name = p.name ?? undefined;
      if (msi) {
        const source = (stock as Map<string, MagentoSourceItem>).get(p.sku.toLowerCase());
        return { sku: p.sku, ...ids, qty: source ? source.quantity : null, managed: source !== undefined, ...(name ? { name } : {}), ...priceOf(p), ...visibilityOf(p) };
      }
      const item = (stock as Map<number, MagentoStockItem | null>).get(p.id) ?? null;
      const managed = item?.manage_stock === true;
      return {
        sku: p.sku, ...ids, qty: managed ? item?.qty ?? null : null, managed, ...(name ? { name } : {}), ...priceOf(p), ...visibilityOf(p),
        ref: { itemId: item?.item_id ?? 1, managed },
      };
    });
    // Buffered: children are listed by their parent's id, which the entity_id order does not give.
    yield* items.sort((a, b) => Number(a.productId) - Number(b.productId) || variationOrder(a.variationId, b.variationId));
  }

  /** Lower-cased SKU → the search result rows for these SKUs, in as few pages as `pageSize` allows. */
  async function searchBySku<T extends { sku: string }>(url: string, skus: string[], schema: ZodType<{ items: T[]; total_count: number }>, signal: AbortSignal | undefined, extra: { filterGroups?: SearchCriteria['filterGroups']; params?: Record<string, string> } = {}): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    for (const chunk of chunkForQuery(skus, pageSize, MAX_SKU_LIST_CHARS)) {
      const rows = await search(url, {
        filterGroups: [skuFilters(chunk), ...(extra.filterGroups ?? [])],
        sortOrders: [{ field: 'sku', direction: 'ASC' }],
      }, schema, signal, extra.params);
      for (const row of rows) found.set(row.sku.toLowerCase(), row);
    }
    return found;
  }

  /** MSI: the configured source's item per SKU; SKUs without one are looked up among the products. */
  async function readSourceItems(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const skus = uniqueSkus(changes);
    const sources = await searchBySku('inventory/source-items', skus, MagentoSourceItemPage, signal, {
      filterGroups: [[{ field: 'source_code', value: sourceCode, condition: 'eq' }]],
    });
    const without = skus.filter((sku) => !sources.has(sku.toLowerCase()));
    const products = without.length
      ? await searchBySku('products', without, MagentoProductPage, signal, { params: { fields: PRODUCT_FIELDS } })
      : new Map<string, MagentoProduct>();
    const out = new Map<number, StockReading>();
    for (const change of changes) {
      const key = change.sku.toLowerCase();
      const source = sources.get(key);
      if (source) out.set(change.seq, { qty: source.quantity, managed: true });
      else if (products.has(key)) out.set(change.seq, { qty: null, managed: false });
    }
    return out;
  }

  async function readStockItems(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const skus = uniqueSkus(changes);
    const stock = await Promise.all(skus.map(async (sku) => {
      const res = await call(() => http.json({ url: `stockItems/${encodeURIComponent(sku)}`, signal, allowStatuses: [404] }));
      return res.status === 404 ? null : parseStockItem(res);
    }));
    const bySku = new Map(skus.map((sku, i) => [sku.toLowerCase(), stock[i] ?? null]));
    const out = new Map<number, StockReading>();
    for (const change of changes) {
      const item = bySku.get(change.sku.toLowerCase());
      if (!item) continue;
      const managed = item.manage_stock === true;
      out.set(change.seq, { qty: managed ? item.qty : null, managed });
    }
    return out;
  }

  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    if (changes.length === 0) return new Map();
    const out = msi ? await readSourceItems(changes, signal) : await readStockItems(changes, signal);
    // SPEC §14: prices and status only for changes that wrote them, from one products search.
    const wrote = changes.filter((c) => (c.price || c.statusAction) && out.has(c.seq));
    if (wrote.length > 0) {
      const products = await searchBySku('products', uniqueSkus(wrote), MagentoProductPage, signal, { params: { fields: PRODUCT_FIELDS } });
      for (const c of wrote) {
        const p = products.get(c.sku.toLowerCase());
        if (p) out.set(c.seq, { ...(out.get(c.seq) as StockReading), ...(c.price ? priceOf(p) : {}), ...(c.statusAction ? visibilityOf(p) : {}) });
      }
    }
    return out;
  }

  /**
   * SPEC §14: base-prices in chunks of the shop's cap. Rows Magento names as failed fail their
   * items; a request refused as a whole fails its chunk; the stock already written stays (a
   * retry rewrites both, absolute writes being idempotent).
   */
  async function writePrices(changes: Change[]): Promise<BatchResult['failed']> {
    const failed: BatchResult['failed'] = [];
    const failedSeqs = new Set<number>();
    await priceCap.run(changes, async (chunk) => {
      const prices = chunk.map((c) => ({ sku: c.sku, price: Number((c.price as NonNullable<Change['price']>).to), store_id: PRICE_STORE_ID }));
      let result: MagentoPriceUpdateResult;
      try {
        result = (await call(() => http.json({ method: 'POST', url: 'products/base-prices', json: { prices } }, MagentoPriceUpdateResult))).body;
      } catch (err) {
        if (announcedCap(err) !== null) throw err;
        const message = refusal(err);
        if (message === null) throw err;
        for (const c of chunk) {
          failedSeqs.add(c.seq);
          failed.push({ seq: c.seq, message: `price not applied: ${message}` });
        }
        return;
      }
      for (const row of result) {
        const named = Object.values(row.parameters ?? {}).map((v) => String(v).toLowerCase());
        const rendered = renderMagentoError(row) ?? row.message;
        // Positional parameters leave named placeholders (%SKU) unrendered: show the values too.
        const message = `price not applied: ${rendered}${/%[A-Za-z]/.test(rendered) && named.length ? ` (${Object.values(row.parameters ?? {}).map(String).join(', ')})` : ''}`;
        const hit = chunk.filter((c) => named.includes(c.sku.toLowerCase()));
        // A failure naming none of the SKUs cannot be placed: every item of the request is in doubt.
        for (const c of hit.length > 0 ? hit : chunk) {
          if (failedSeqs.has(c.seq)) continue;
          failedSeqs.add(c.seq);
          failed.push({ seq: c.seq, message });
        }
      }
    });
    return failed;
  }

  function batchKey(change: Change): string {
    return msi ? 'source-items' : `stock-item:${change.sku}`;
  }

  async function applySourceItems(batch: Change[]): Promise<BatchResult> {
    const failed: BatchResult['failed'] = [];
    // NOTE: Magento checks the array size while decoding the request, before any item: a chunk
    // over the cap is refused whole and applied nothing, so the cap's resend writes no item twice.
    await cap.run(batch, async (chunk) => {
      const refused = await sendIsolating(chunk, async (part) => {
        const sourceItems = part.map((c) => ({ sku: c.sku, source_code: sourceCode, quantity: c.to, status: c.to > 0 ? 1 : 0 }));
        await call(() => http.json({ method: 'POST', url: 'inventory/source-items', json: { sourceItems } }, MagentoSourceItemsSaved));
      }, {
        rejection: (err) => (announcedCap(err) === null ? refusal(err) : null),
        onSplit: (size, message) => log.warn({ size }, `source-items batch of ${size} refused as a whole (${message}); resending it in halves to find the refused item(s)`),
      });
      for (const r of refused) failed.push({ seq: r.item.seq, message: r.message });
    });
    return { failed };
  }

  async function applyStockItem(change: Change): Promise<BatchResult> {
    const ref = change.ref as { itemId?: number; managed?: boolean } | undefined;
    const stockItem = {
      qty: change.to,
      // Sent explicitly: setting qty alone may leave the stock status as it was.
      is_in_stock: change.to > 0,
      // Stock not managed yet becomes managed for this product (SPEC §4).
      ...(ref?.managed === false ? { manage_stock: true, use_config_manage_stock: false } : {}),
    };
    try {
      await call(() => http.json({
        method: 'PUT', url: `products/${encodeURIComponent(change.sku)}/stockItems/${ref?.itemId ?? 1}`, json: { stockItem },
      }, MagentoStockItemSaved));
      return { failed: [] };
    } catch (err) {
      const message = refusal(err);
      if (message === null) throw err;
      return { failed: [{ seq: change.seq, message }] };
    }
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    assertBatch('magento2', batch, batchKey, startBatch);
    // A price-only change (SPEC §14) writes no stock: a sale made since the fetch stays.
    const stock = batch.filter(writesStock);
    const result: BatchResult = stock.length === 0 ? { failed: [] } : msi ? await applySourceItems(stock) : await applyStockItem(stock[0] as Change);
    const refused = new Set(result.failed.map((f) => f.seq));
    const priced = batch.filter((c) => c.price && !refused.has(c.seq));
    const failed = priced.length === 0 ? result.failed : [...result.failed, ...await writePrices(priced)];
    for (const f of failed) refused.add(f.seq);
    const statused = batch.filter((c) => c.statusAction && !refused.has(c.seq));
    if (statused.length === 0) return { failed };
    // The client's concurrency (4) bounds these requests in flight.
    const outcomes = await Promise.all(statused.map(writeStatus));
    for (const o of outcomes) if (o) failed.push(o);
    return { failed };
  }

  /**
   * SPEC §14: one product save per status change. A refusal fails the item (its stock stays
   * written; a retry rewrites both, absolute writes being idempotent); a save answering with
   * another status fails it too.
   */
  async function writeStatus(change: Change): Promise<BatchResult['failed'][number] | null> {
    const set = (change.statusAction as NonNullable<Change['statusAction']>).set;
    try {
      const res = await call(() => http.json({
        method: 'PUT', url: `products/${encodeURIComponent(change.sku)}`, json: { product: { sku: change.sku, ...set } },
      }, MagentoProductSaved));
      if (set.status !== undefined && res.body.status !== undefined && res.body.status !== set.status) {
        return { seq: change.seq, message: `status not applied (Magento reports status ${String(res.body.status)}, sent ${String(set.status)})` };
      }
      return null;
    } catch (err) {
      const message = refusal(err);
      if (message === null) throw err;
      return { seq: change.seq, message: `status not applied: ${message}` };
    }
  }

  async function check(): Promise<string> {
    const res = await call(() => http.json({ url: 'products', searchParams: { ...searchCriteriaParams({ pageSize: 1, currentPage: 1 }), fields: PRODUCT_FIELDS } }, MagentoProductPage));
    let stock = 'legacy stock items (msi: false)';
    if (msi) {
      await call(() => http.json({ url: `inventory/sources/${encodeURIComponent(sourceCode)}` }, MagentoSource));
      stock = `MSI source "${sourceCode}"`;
    }
    return `Magento 2 at ${safeUrl(base)}: authenticated, ${res.body.total_count} products, stock through ${stock}`;
  }

  return {
    type: 'magento2',
    // A getter: after a shop's cap is known, the engine cuts batches of that size.
    limits: { get maxBatch() { return cap.current(); } },
    list,
    batchKey,
    apply,
    read,
    check,
  } satisfies StoreAdapter;
}

/**
 * The REST root for a shop URL: `<url>/rest/V1`. A URL that already ends in `/rest`,
 * `/rest/<store code>` or `/rest[/<store code>]/V1` is completed, not doubled.
 */
export function apiBase(shopUrl: string): string {
  const trimmed = shopUrl.replace(/\/+$/, '');
  if (/\/rest(\/[A-Za-z0-9_]+)?\/V1$/.test(trimmed)) return trimmed;
  if (/\/rest(\/[A-Za-z0-9_]+)?$/.test(trimmed)) return `${trimmed}/V1`;
  return `${trimmed}/rest/V1`;
}

/** SPEC §14: the product's price as a two-decimal string (null: none), when the response had the field. */
function priceOf(p: MagentoProduct): { price?: string | null } {
  return p.price === undefined ? {} : { price: normaliseStorePrice(p.price) };
}

/** SPEC §14: status 2 (disabled) is out of the catalogue; absent when the response had no status. */
export function visibilityOf(p: Pick<MagentoProduct, 'status'>): { visibility?: ItemVisibility } {
  if (p.status === undefined || p.status === null) return {};
  return { visibility: { hidden: p.status === 2, outOfStock: false, values: { status: p.status } } };
}

/** The changes' SKUs, once each as Magento compares them (case-insensitively). */
function uniqueSkus(changes: Change[]): string[] {
  const bySku = new Map<string, string>();
  for (const c of changes) if (!bySku.has(c.sku.toLowerCase())) bySku.set(c.sku.toLowerCase(), c.sku);
  return [...bySku.values()];
}

/** A legacy stock item from a 200 answer; an unexpected shape is a non-retryable HttpError. */
function parseStockItem(res: { status: number; url: string; body: unknown }): MagentoStockItem {
  const parsed = MagentoStockItem.safeParse(res.body);
  if (!parsed.success) {
    throw new HttpError(`GET ${safeUrl(res.url)}: unexpected response at ${parsed.error.issues[0]?.path.join('.') || '(body)'}: ${parsed.error.issues[0]?.message}`, {
      status: res.status, url: safeUrl(res.url), retryable: false,
    });
  }
  return parsed.data;
}

/** A product's own item (variation null) first, then its children by id. */
function variationOrder(a: StoreItem['variationId'], b: StoreItem['variationId']): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return Number(a) - Number(b);
}

/** Runs a request; an HttpError gets Magento's message with its placeholders rendered (the client prints them raw). */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw withRenderedMessage(err);
  }
}

function withRenderedMessage(err: unknown): unknown {
  if (!(err instanceof HttpError)) return err;
  const rendered = renderMagentoError(err.details.body);
  if (!rendered) return err;
  const raw = typeof (err.details.body as { message?: unknown }).message === 'string'
    ? redact(((err.details.body as { message: string }).message).slice(0, 200))
    : '';
  const message = raw && err.message.includes(raw)
    ? err.message.replace(raw, redact(rendered.slice(0, 300)))
    : `${err.message}: ${redact(rendered.slice(0, 300))}`;
  return new HttpError(message, err.details, { cause: err });
}

/**
 * The cap in Magento's input-limit refusal, `400 {"message": "Maximum items of type \"%type\" is %max",
 * "parameters": {"type": "…", "max": N}}` (placeholders possibly rendered already); null otherwise.
 */
export function announcedCap(err: unknown): number | null {
  if (!(err instanceof HttpError) || err.details.status !== 400) return null;
  const text = renderMagentoError(err.details.body);
  const m = text === undefined ? null : /^Maximum items of type "[^"]*" is (\d+)$/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * The store's message when it refused a write for its content (400 validation/"could not save",
 * 404 unknown product); null for everything else (auth, throttling, server errors), which stays thrown.
 */
function refusal(err: unknown): string | null {
  if (!(err instanceof HttpError) || err.details.auth || err.details.retryable) return null;
  const status = err.details.status;
  if (status !== 400 && status !== 404) return null;
  return `${status}: ${renderMagentoError(err.details.body) ?? 'refused'}`;
}
