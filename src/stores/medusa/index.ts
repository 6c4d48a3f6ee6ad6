import type { ZodType } from 'zod';
import type { MedusaStoreConfig } from '../../config/schema.js';
import { ConfigError, HttpError, StoreError } from '../../domain/errors.js';
import { writesStock, type BatchResult, type Change, type StoreItem } from '../../domain/types.js';
import { normaliseStorePrice } from '../../domain/price.js';
import { connectionOptions, createHttpClient, type HttpRequest } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { redact, registerSecret, safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import type { StockReading, StoreAdapter } from '../types.js';
import {
  MedusaAuth, MedusaErrorBody, MedusaLevelBatchResponse, MedusaPricePage, MedusaProductPage, MedusaProductResponse, MedusaStockLocation, MedusaStores,
  MedusaVariantBatchResponse, MedusaVariantPriceBatchResponse, type MedusaProduct, type MedusaVariant,
} from './schemas.js';

/**
 * Medusa v2 store (API_FACTS §6).
 *
 * - Auth: `POST /auth/user/emailpass` → JWT → `Authorization: Bearer` (registered as a secret).
 * - list(): `GET /admin/products?order=id` with the variants, their inventory items and the items'
 *   location levels in the same response (`fields=…`), so one request per page. Store order is
 *   product id, then variant id, compared as strings: Medusa ids are ULIDs (`prod_01…`,
 *   `variant_01…`), which sort by creation time. A product with one variant is a simple product
 *   (variationId null), with several each variant is a variation. Stock is the inventory item's
 *   `stocked_quantity` at `locationId` (0 when the item is not stocked there yet; `ref.level`
 *   records whether the level exists). Variants made of several inventory items, or of several
 *   units of one (kits/bundles), are not listed: their stock follows from their parts. The
 *   level's `reserved_quantity` (units placed, unfulfilled orders hold) is the item's `held`
 *   (SPEC §12), for the other stores sharing the supply.
 * - apply(): ONE `POST /admin/inventory-items/location-levels/batch` per batch, with `update` for
 *   existing levels and `create` for items not stocked at the location yet. Medusa runs it as one
 *   transaction: a level that vanished (or appeared) since the listing fails the whole batch with
 *   404 "is not stocked" (or 400 "already exists"); the adapter moves that item to the other
 *   list and re-sends, and reports an item whose inventory item was deleted as failed.
 * - Variants that do not manage inventory get `manage_inventory: true` first (Medusa then
 *   creates their inventory item): `POST /admin/products/{id}/variants/batch`, a read of the new
 *   inventory item ids, then the level batch — two writes per product, once (SPEC §4).
 * - Prices (SPEC §14): the variant's price in `store.currency` (default: the store's default
 *   currency, read once from GET /admin/stores), in the currency's main unit, listed with the
 *   variants. Inventory levels carry no price, so prices take requests of their own: the
 *   variants' current prices (GET /admin/products, 100 products a request), then one
 *   `POST /admin/products/{id}/variants/batch` per product with every price of each variant,
 *   ours changed. NOTE: Medusa REPLACES a variant's price set with the prices sent (ones left
 *   out are deleted), so the others go back with their ids; a variant with several prices in
 *   the currency (tiers, region or rule prices) is refused rather than guessed at.
 */

/** No documented maximum; large pages of products with their variants and levels stay a few MB. */
export const MEDUSA_MAX_PAGE = 1000;
const MEDUSA_DEFAULT_PAGE = 100;
/** No documented maximum for the level batch (API_FACTS §6): default 100, at most 1000 per transaction. */
export const MEDUSA_DEFAULT_BATCH = 100;
export const MEDUSA_MAX_BATCH = 1000;

// reserved_quantity: the units placed, unfulfilled orders hold (SPEC §12), read with the listing at no extra request.
const LEVEL_FIELDS = [
  'variants.inventory_items.inventory.location_levels.location_id',
  'variants.inventory_items.inventory.location_levels.stocked_quantity',
  'variants.inventory_items.inventory.location_levels.reserved_quantity',
].join(',');
const PRICE_FIELDS = 'variants.prices.id,variants.prices.currency_code,variants.prices.amount';
const PRODUCT_FIELDS = [
  'id', 'title', 'variants.id', 'variants.sku', 'variants.title', 'variants.manage_inventory',
  'variants.inventory_items.inventory_item_id', 'variants.inventory_items.required_quantity', LEVEL_FIELDS, PRICE_FIELDS,
].join(',');
/** Products per GET by id (read-back, and the prices to send back). */
const PRODUCTS_PER_READ = 100;

/** What a change needs to be written, recorded at listing time. */
interface MedusaRef {
  variantId: string;
  /** null: the variant does not manage inventory yet. */
  inventoryItemId: string | null;
  /** Whether the item already has a level at the configured location. */
  level: boolean;
}

type LevelMode = 'create' | 'update';

/**
 * Throws ConfigError when `batchSize` exceeds MEDUSA_MAX_BATCH, and from list()/check() when
 * `locationId` is not a stock location of this Medusa (Medusa itself would accept levels at an
 * unknown location). Whole-request failures throw the client's HttpError (auth: `details.auth`).
 */
export function createMedusaStore(config: MedusaStoreConfig): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > MEDUSA_MAX_BATCH) {
    throw new ConfigError(`at most ${MEDUSA_MAX_BATCH} for medusa`, 'store.batchSize');
  }
  const log = logger('medusa');
  const base = config.url.replace(/\/+$/, '');
  const limit = Math.min(config.pageSize ?? MEDUSA_DEFAULT_PAGE, MEDUSA_MAX_PAGE);
  const maxBatch = config.batchSize ?? MEDUSA_DEFAULT_BATCH;
  const http = createHttpClient({
    name: 'store',
    baseUrl: base,
    ...connectionOptions(config, { concurrency: 2 }),
  });
  let session: Promise<string> | null = null;
  let currencyCode: Promise<string> | null = config.currency ? Promise.resolve(config.currency.toLowerCase()) : null;

  /** The price currency: configured, else the store's default (one request, once). */
  function currency(signal?: AbortSignal): Promise<string> {
    currencyCode ??= call({ url: 'admin/stores', searchParams: { fields: 'id,supported_currencies.currency_code,supported_currencies.is_default' }, signal }, MedusaStores)
      .then((res) => {
        const found = res.stores[0]?.supported_currencies.find((c) => c.is_default === true)?.currency_code;
        if (!found) throw new ConfigError('Medusa names no default currency: set the currency invsync writes prices in', 'store.currency');
        return found.toLowerCase();
      })
      .catch((err: unknown) => { currencyCode = null; throw err; });
    return currencyCode;
  }

  async function login(signal?: AbortSignal): Promise<string> {
    const res = await http.json({
      method: 'POST', url: 'auth/user/emailpass', signal, json: { email: config.email, password: config.password },
    }, MedusaAuth);
    registerSecret(res.body.token);
    return res.body.token;
  }

  /** An authenticated request; logs in once per adapter. */
  async function call<T>(request: HttpRequest, schema: ZodType<T>): Promise<T> {
    session ??= login(request.signal).catch((err: unknown) => { session = null; throw err; });
    const token = await session;
    const res = await http.json<T>({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }, schema);
    return res.body;
  }

  async function locationName(signal?: AbortSignal): Promise<string> {
    try {
      const res = await call({ url: `admin/stock-locations/${encodeURIComponent(config.locationId)}`, searchParams: { fields: 'id,name' }, signal }, MedusaStockLocation);
      return res.stock_location.name ?? config.locationId;
    } catch (err) {
      if (err instanceof HttpError && err.details.status === 404) {
        throw new ConfigError(`Medusa has no stock location "${config.locationId}" (see Settings > Locations; ids start with "sloc_")`, 'store.locationId');
      }
      throw err;
    }
  }

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    await locationName(signal);
    const skipped: string[] = [];
    for (let offset = 0; ; ) {
      const page = await call({
        url: 'admin/products', signal,
        searchParams: { order: 'id', limit, offset, fields: PRODUCT_FIELDS },
      }, MedusaProductPage);
      const cur = page.products.some((p) => p.variants.some((v) => (v.prices?.length ?? 0) > 0)) ? await currency(signal) : undefined;
      for (const product of page.products) yield* itemsOf(product, config.locationId, skipped, cur);
      offset += page.products.length;
      log.debug({ offset, count: page.count }, 'listed products page');
      if (page.products.length < limit || offset >= page.count) break;
    }
    if (skipped.length > 0) {
      log.warn({ skus: skipped.slice(0, 20) }, `${skipped.length} variant(s) made of several inventory items (or several units of one) are left alone: their stock follows from their parts`);
    }
  }

  function batchKey(change: Change): string {
    return refOf(change)?.inventoryItemId ? 'levels' : `manage:${change.productId}`;
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    assertBatch('medusa', batch, batchKey, maxBatch);
    const failed: BatchResult['failed'] = [];
    const ready: Array<{ change: Change; ref: MedusaRef }> = [];
    const unmanaged: Array<{ change: Change; ref: MedusaRef }> = [];
    for (const change of batch) {
      const ref = refOf(change);
      if (!ref) failed.push({ seq: change.seq, message: 'no Medusa variant recorded for this item; run "invsync fetch" again' });
      else (ref.inventoryItemId ? ready : unmanaged).push({ change, ref });
    }
    // A price-only change (SPEC §14) writes no stock: a sale made since the fetch stays.
    const stockUnmanaged = unmanaged.filter((e) => writesStock(e.change));
    if (stockUnmanaged.length > 0) for (const e of await manageInventory(stockUnmanaged, failed)) ready.push(e);
    for (const f of await writeLevels(ready.filter((e) => writesStock(e.change)))) failed.push(f);
    const refused = new Set(failed.map((f) => f.seq));
    const priced = batch.filter((c) => c.price && !refused.has(c.seq) && refOf(c) !== null);
    if (priced.length > 0) await writePrices(priced, failed);
    return { failed };
  }

  /**
   * SPEC §14: reads the variants' current prices, then one variants/batch per product sending
   * every price back (Medusa replaces the price set), ours at its new amount. A refused request
   * fails its product's items (pushed to `failed`); the stock already written stays (a retry
   * rewrites both).
   */
  async function writePrices(changes: Change[], failed: BatchResult['failed']): Promise<void> {
    const cur = await currency();
    const byProduct = new Map<string, Change[]>();
    for (const c of changes) {
      const group = byProduct.get(String(c.productId));
      if (group) group.push(c);
      else byProduct.set(String(c.productId), [c]);
    }
    for await (const { ids: chunk, products } of productsById([...byProduct.keys()], `id,variants.id,${PRICE_FIELDS}`, MedusaPricePage)) {
      const found = new Map(products.map((p) => [p.id, p]));
      for (const productId of chunk) {
        const update: Array<Record<string, unknown>> = [];
        const sent: Change[] = [];
        for (const change of byProduct.get(productId) as Change[]) {
          const variantId = (refOf(change) as MedusaRef).variantId;
          const variant = found.get(productId)?.variants.find((v) => v.id === variantId);
          const prices = variant && pricesFor(variant, cur, (change.price as NonNullable<Change['price']>).to);
          if (typeof prices === 'string' || !prices) {
            failed.push({ seq: change.seq, message: `price not applied: ${prices ?? `variant ${variantId} not found in Medusa (deleted since the fetch?)`}` });
            continue;
          }
          update.push({ id: variantId, prices });
          sent.push(change);
        }
        if (update.length === 0) continue;
        try {
          await call({ method: 'POST', url: `admin/products/${encodeURIComponent(productId)}/variants/batch`, json: { update } }, MedusaVariantPriceBatchResponse);
        } catch (err) {
          const message = clientErrorMessage(err);
          if (message === null) throw err;
          for (const c of sent) failed.push({ seq: c.seq, message: `price not applied: ${message}` });
        }
      }
    }
  }

  /**
   * The products with these ids and `fields`, PRODUCTS_PER_READ a request (one page each: the
   * limit is the chunk's length); deleted ones are absent from `products`.
   */
  async function* productsById<P>(ids: string[], fields: string, schema: ZodType<{ products: P[] }>, signal?: AbortSignal): AsyncIterable<{ ids: string[]; products: P[] }> {
    for (let start = 0; start < ids.length; start += PRODUCTS_PER_READ) {
      const chunk = ids.slice(start, start + PRODUCTS_PER_READ);
      // NOTE: Medusa reads a list filter as repeated `id[]=` parameters; a comma list matches nothing.
      const query = chunk.map((id) => `id[]=${encodeURIComponent(id)}`).join('&');
      const page = await call({ url: `admin/products?${query}`, searchParams: { limit: chunk.length, fields }, signal }, schema);
      yield { ids: chunk, products: page.products };
    }
  }

  /**
   * Switches inventory management on for variants of one product, then reads the inventory items
   * Medusa created for them. Returns the changes ready for the level batch; pushes failures.
   */
  async function manageInventory(entries: Array<{ change: Change; ref: MedusaRef }>, failed: BatchResult['failed']): Promise<Array<{ change: Change; ref: MedusaRef }>> {
    const productId = String(entries[0]?.change.productId);
    if (entries.some((e) => String(e.change.productId) !== productId)) {
      throw new StoreError('medusa: variants of several products in one inventory-management batch');
    }
    try {
      await call({
        method: 'POST', url: `admin/products/${encodeURIComponent(productId)}/variants/batch`,
        json: { update: entries.map((e) => ({ id: e.ref.variantId, manage_inventory: true })) },
      }, MedusaVariantBatchResponse);
    } catch (err) {
      const message = clientErrorMessage(err);
      if (message === null) throw err;
      failed.push(...entries.map((e) => ({ seq: e.change.seq, message: `could not switch on inventory management: ${message}` })));
      return [];
    }
    const { product } = await call({
      url: `admin/products/${encodeURIComponent(productId)}`,
      searchParams: { fields: PRODUCT_FIELDS },
    }, MedusaProductResponse);
    const ready: Array<{ change: Change; ref: MedusaRef }> = [];
    for (const e of entries) {
      const variant = product.variants.find((v) => v.id === e.ref.variantId);
      const item = variant && singleItem(variant);
      if (!item) {
        failed.push({ seq: e.change.seq, message: 'Medusa did not create an inventory item for this variant when inventory management was switched on' });
        continue;
      }
      const level = item.inventory?.location_levels.some((l) => l.location_id === config.locationId) ?? false;
      ready.push({ change: e.change, ref: { variantId: e.ref.variantId, inventoryItemId: item.inventory_item_id, level } });
    }
    return ready;
  }

  /** The level batch, re-sent without (or with a corrected) culprit when Medusa rolls it back. */
  async function writeLevels(entries: Array<{ change: Change; ref: MedusaRef }>): Promise<BatchResult['failed']> {
    const failed: BatchResult['failed'] = [];
    const seenItems = new Map<string, Change>();
    let pending = entries.filter((e) => {
      const item = e.ref.inventoryItemId as string;
      const first = seenItems.get(item);
      if (first) {
        // Two SKUs sharing one inventory item cannot both set it: the first one wins.
        failed.push({ seq: e.change.seq, message: `shares inventory item ${item} with SKU "${first.sku}" in the same batch` });
        return false;
      }
      seenItems.set(item, e.change);
      return true;
    });
    const mode = new Map<Change, LevelMode>(pending.map((e) => [e.change, e.ref.level ? 'update' : 'create']));
    const switched = new Set<Change>();
    while (pending.length > 0) {
      const level = (e: { change: Change; ref: MedusaRef }) => ({ location_id: config.locationId, inventory_item_id: e.ref.inventoryItemId, stocked_quantity: e.change.to });
      const json = {
        create: pending.filter((e) => mode.get(e.change) === 'create').map(level),
        update: pending.filter((e) => mode.get(e.change) === 'update').map(level),
      };
      let res: MedusaLevelBatchResponse;
      try {
        res = await call({ method: 'POST', url: 'admin/inventory-items/location-levels/batch', json }, MedusaLevelBatchResponse);
      } catch (err) {
        const message = clientErrorMessage(err);
        if (message === null) throw err;
        const culprit = culpritOf(message, pending, mode);
        if (!culprit) {
          failed.push(...pending.map((e) => ({ seq: e.change.seq, message: `${message} (Medusa rolled back the whole batch)` })));
          break;
        }
        if (culprit.fix && !switched.has(culprit.entry.change)) {
          // The level vanished or appeared since the listing: write it the other way.
          switched.add(culprit.entry.change);
          mode.set(culprit.entry.change, culprit.fix);
        } else {
          failed.push({ seq: culprit.entry.change.seq, message });
          pending = pending.filter((e) => e !== culprit.entry);
        }
        log.warn({ sku: culprit.entry.change.sku, remaining: pending.length }, `re-sending the level batch: ${message}`);
        continue;
      }
      failed.push(...verify(pending, res, config.locationId));
      break;
    }
    return failed;
  }

  /** Current stock of these changes' variants, read through their products (100 per request); deleted ones are absent. */
  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const cur = changes.some((c) => c.price) ? await currency(signal) : undefined;
    const products = [...new Set(changes.map((c) => String(c.productId)))];
    const byVariant = new Map<string, StoreItem>();
    for await (const page of productsById(products, PRODUCT_FIELDS, MedusaProductPage, signal)) {
      for (const product of page.products) {
        for (const item of itemsOf(product, config.locationId, [], cur)) byVariant.set(String(item.ref?.variantId), item);
      }
    }
    const out = new Map<number, StockReading>();
    for (const change of changes) {
      const item = byVariant.get(refOf(change)?.variantId ?? '');
      if (item) out.set(change.seq, { qty: item.qty, managed: item.managed, ...(change.price && item.price !== undefined ? { price: item.price } : {}) });
    }
    return out;
  }

  async function check(): Promise<string> {
    const name = await locationName();
    const page = await call({ url: 'admin/products', searchParams: { limit: 1, fields: 'id' } }, MedusaProductPage);
    return `Medusa at ${safeUrl(base).replace(/\/$/, '')}: logged in, ${page.count} products; invsync writes stock location "${name}" (${config.locationId})`;
  }

  return {
    type: 'medusa',
    limits: { maxBatch },
    list,
    batchKey,
    apply,
    read,
    check,
  } satisfies StoreAdapter;
}

/** The one inventory item a variant is made of (one unit of it), or null for kits and bundles. */
function singleItem(v: MedusaVariant) {
  const [item, ...more] = v.inventory_items;
  return item && more.length === 0 && item.required_quantity === 1 ? item : null;
}

function* itemsOf(product: MedusaProduct, locationId: string, skipped: string[], currency?: string): Generator<StoreItem> {
  const variants = [...product.variants].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const simple = variants.length === 1;
  for (const v of variants) {
    const item = singleItem(v);
    const managed = v.manage_inventory && item !== null;
    if (v.manage_inventory && !item && v.inventory_items.length > 0) {
      skipped.push(v.sku);
      continue;
    }
    const level = item?.inventory?.location_levels.find((l) => l.location_id === locationId);
    const ref: MedusaRef = { variantId: v.id, inventoryItemId: managed ? item.inventory_item_id : null, level: level !== undefined };
    const name = simple ? product.title : `${product.title ?? ''} ${v.title ?? ''}`.trim();
    // Medusa already sells stocked − reserved; the held units matter to the other stores sharing the supply.
    const reserved = managed ? (level?.reserved_quantity ?? 0) : 0;
    yield {
      sku: v.sku,
      productId: product.id,
      variationId: simple ? null : v.id,
      qty: managed ? (level?.stocked_quantity ?? 0) : null,
      managed,
      ...(reserved > 0 ? { held: reserved } : {}),
      ...(name ? { name } : {}),
      ...priceOf(v, currency),
      ref: { ...ref },
    };
  }
}

/**
 * SPEC §14: the variant's price in `currency` (null: none); absent when prices were not listed
 * or the variant has several in that currency (tiers or rule prices: not one price to show).
 */
function priceOf(v: MedusaVariant, currency: string | undefined): { price?: string | null } {
  if (currency === undefined || !v.prices) return {};
  const mine = v.prices.filter((p) => p.currency_code.toLowerCase() === currency);
  if (mine.length > 1) return {};
  return { price: mine[0] ? normaliseStorePrice(mine[0].amount) : null };
}

/**
 * Every price of the variant to send back (Medusa replaces the set), the one in `currency` at
 * `to` (added when missing); a string says why not. Amounts are numbers, as Medusa's validator
 * requires: a two-decimal string becomes the nearest double, exact to the cent.
 */
export function pricesFor(v: Pick<MedusaVariant, 'prices'>, currency: string, to: string): Array<Record<string, unknown>> | string {
  const prices = v.prices ?? [];
  const mine = prices.filter((p) => p.currency_code.toLowerCase() === currency);
  if (mine.length > 1) return `the variant has ${mine.length} prices in ${currency.toUpperCase()} (tiers or region/rule prices): invsync writes only a variant's one price per currency`;
  const out: Array<Record<string, unknown>> = prices.map((p) => ({ id: p.id, currency_code: p.currency_code, amount: p.currency_code.toLowerCase() === currency ? Number(to) : p.amount }));
  if (mine.length === 0) out.push({ currency_code: currency, amount: Number(to) });
  return out;
}

function refOf(change: Change): MedusaRef | null {
  const r = change.ref;
  if (!r || typeof r.variantId !== 'string') return null;
  return {
    variantId: r.variantId,
    inventoryItemId: typeof r.inventoryItemId === 'string' ? r.inventoryItemId : null,
    level: r.level === true,
  };
}

/** Medusa's message for a 400/404/409 answer (the request was refused as a whole); null for anything else. */
function clientErrorMessage(err: unknown): string | null {
  if (!(err instanceof HttpError) || err.details.auth) return null;
  const status = err.details.status;
  if (status !== 400 && status !== 404 && status !== 409 && status !== 422) return null;
  const body = MedusaErrorBody.safeParse(err.details.body);
  return body.success ? `${body.data.type ?? `HTTP ${status}`}: ${redact(body.data.message)}` : err.message;
}

/** The item Medusa names in a batch refusal, and how to write it instead (if it can be). */
function culpritOf(
  message: string, pending: Array<{ change: Change; ref: MedusaRef }>, mode: Map<Change, LevelMode>,
): { entry: { change: Change; ref: MedusaRef }; fix?: LevelMode } | null {
  const find = (item: string | undefined, want?: LevelMode) =>
    pending.find((e) => e.ref.inventoryItemId === item && (want === undefined || mode.get(e.change) === want));
  const notStocked = /Item (\S+) is not stocked at location/.exec(message)?.[1];
  const exists = /inventory_item_id: ([^,\s]+), location_id: [^,\s]+, already exists/.exec(message)?.[1];
  const missing = /inventory_item_id: ([^,\s]+), but such entity does not exist/.exec(message)?.[1];
  let entry = find(notStocked, 'update');
  if (entry) return { entry, fix: 'create' };
  entry = find(exists, 'create');
  if (entry) return { entry, fix: 'update' };
  entry = find(missing) ?? find(notStocked);
  return entry ? { entry } : null;
}

/** Every item must come back from the batch with the target quantity at our location. */
function verify(pending: Array<{ change: Change; ref: MedusaRef }>, res: MedusaLevelBatchResponse, locationId: string): BatchResult['failed'] {
  const written = new Map<string, number>();
  for (const l of [...res.created, ...res.updated]) if (l.location_id === locationId) written.set(l.inventory_item_id, l.stocked_quantity);
  const failed: BatchResult['failed'] = [];
  for (const { change, ref } of pending) {
    const qty = written.get(ref.inventoryItemId as string);
    if (qty === undefined) failed.push({ seq: change.seq, message: `no level for inventory item ${ref.inventoryItemId} in the batch response` });
    else if (qty !== change.to) failed.push({ seq: change.seq, message: `stock not applied (Medusa reports stocked_quantity ${qty})` });
  }
  return failed;
}
