import type { z } from 'zod';
import type { VendureStoreConfig } from '../../config/schema.js';
import { ConfigError, StoreError } from '../../domain/errors.js';
import { writesStock, type BatchResult, type Change, type ItemVisibility, type StoreItem } from '../../domain/types.js';
import { formatCents } from '../../domain/price.js';
import { logger } from '../../lib/log.js';
import { redact, safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import { plannedPriceCents } from '../prices.js';
import type { StockReading, StoreAdapter } from '../types.js';
import { createVendureClient, describeErrors, graphQLFailure, type GraphQLResult } from './client.js';
import {
  ChannelPrices, FirstVariantPage, ReadBackPage, UpdateVariantsData, VariantPage,
  type GraphQLError, type VendureVariant,
} from './schemas.js';

/**
 * Vendure Admin GraphQL store (API_FACTS §7).
 *
 * - Auth: `login` mutation → bearer token from the `vendure-auth-token` header (see client.ts).
 * - list(): `productVariants` sorted by `{ id: ASC }` (a unique key, so skip/take paging is
 *   stable), 1000 per request, then put in store order in memory: product id, then variant id
 *   (numeric ids as numbers, other ids such as UUIDs as strings). NOTE: Vendure 3.7.3 does not
 *   honour a two-key sort (`{ productId: ASC, id: ASC }` came back in id order), and a productId
 *   sort alone leaves ties unordered, which skip/take paging cannot survive. A product with one
 *   variant is a simple product (variationId null); with several, each variant is a variation.
 *   Either way the variant id the write needs travels in `ref.variantId`.
 * - Stock: `stockOnHand` of the channel's only stock location, or the `stockLevels` entry of
 *   the configured `stockLocationId` (a store with several locations must name one: Vendure's
 *   `stockOnHand` is their sum, while writing it changes the default location only).
 * - apply(): ONE `updateProductVariants` per batch, with `stockOnHand` (or `stockLevels`), and
 *   `trackInventory: TRUE` for variants whose stock Vendure does not track yet (SPEC §4).
 *   Vendure runs the batch in one transaction: a variant deleted meanwhile fails it as a whole
 *   with ENTITY_NOT_FOUND naming its id. That item is reported failed and the rest re-sent
 *   (one more request per such item); any other batch error fails every item of the batch with
 *   Vendure's message, since nothing of it was applied.
 * - Prices (SPEC §14): `price` goes in the same `updateProductVariants` input as the stock
 *   (0 extra requests), as Vendure's Money: an integer in minor units (cents), assuming the
 *   default two-decimal MoneyStrategy. The input is the channel's list price, gross when
 *   `activeChannel.pricesIncludeTax`: so the listed price is `priceWithTax` then, else `price`.
 *   A price-only change sends no stock field.
 */

/** Vendure's `adminListQueryLimit` default: a larger `take` is refused. */
export const VENDURE_MAX_PAGE = 1000;
/** No documented maximum; 100 variants take ≈ 0.5 s on a small server (measured on 3.7.3). */
export const VENDURE_DEFAULT_BATCH = 100;
/** Upper bound for `batchSize`: one transaction of 500 variants takes a few seconds. */
export const VENDURE_MAX_BATCH = 500;

// stockAllocated: the units open orders hold (SPEC §12), read with the listing at no extra request;
// enabled: the variant's visibility (SPEC §14 rules.status); price/priceWithTax: SPEC §14 prices.
const VARIANT_FIELDS = 'id productId sku name stockOnHand stockAllocated trackInventory enabled stockLevels { stockLocationId stockOnHand } price priceWithTax';

const VARIANTS = `productVariants(options: { skip: $skip, take: $take, sort: { id: ASC } }) {
    totalItems
    items { ${VARIANT_FIELDS} }
  }`;

const FIRST_PAGE = `query invsyncFirstPage($skip: Int!, $take: Int!) {
  globalSettings { trackInventory }
  activeChannel { pricesIncludeTax }
  stockLocations(options: { take: ${VENDURE_MAX_PAGE} }) { totalItems items { id name } }
  ${VARIANTS}
}`;

const NEXT_PAGE = `query invsyncVariants($skip: Int!, $take: Int!) {
  ${VARIANTS}
}`;

const READ_BACK = `query invsyncReadBack($ids: [String!]!, $take: Int!) {
  globalSettings { trackInventory }
  activeChannel { pricesIncludeTax }
  productVariants(options: { take: $take, filter: { id: { in: $ids } } }) { totalItems items { ${VARIANT_FIELDS} } }
}`;

const CHANNEL_PRICES = `query invsyncChannel { activeChannel { pricesIncludeTax } }`;

const SET_STOCK = `mutation invsyncSetStock($input: [UpdateProductVariantInput!]!) {
  updateProductVariants(input: $input) { ${VARIANT_FIELDS} }
}`;

/** How variants are read and written, decided from the first page. */
interface StockSettings {
  /** GlobalSettings.trackInventory: what `trackInventory: INHERIT` means. */
  trackByDefault: boolean;
  /** Read and write this location's level; null: the channel's only location via `stockOnHand`. */
  locationId: string | null;
  locationName: string;
  /** Channel.pricesIncludeTax: the price invsync writes is `priceWithTax` when true, `price` when false. */
  pricesIncludeTax: boolean;
}

/**
 * Throws ConfigError when `batchSize` exceeds VENDURE_MAX_BATCH, and from list() when the
 * configured `stockLocationId` does not exist or several locations exist and none is configured.
 * Whole-request failures throw the client's HttpError (auth refusals carry `details.auth`).
 */
export function createVendureStore(config: VendureStoreConfig): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > VENDURE_MAX_BATCH) {
    throw new ConfigError(`at most ${VENDURE_MAX_BATCH} for vendure`, 'store.batchSize');
  }
  const log = logger('vendure');
  const client = createVendureClient(config);
  const take = Math.min(config.pageSize ?? VENDURE_MAX_PAGE, VENDURE_MAX_PAGE);
  const maxBatch = config.batchSize ?? VENDURE_DEFAULT_BATCH;
  const configuredLocation = config.stockLocationId ?? null;
  /** From list() (or one query in apply()): which price field the written price shows in. */
  let pricesIncludeTax: boolean | undefined;

  /** A query that must succeed as a whole: GraphQL errors become an HttpError. */
  async function query<T>(document: string, variables: Record<string, unknown>, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    const res = await client.request(document, variables, schema, signal);
    if (res.errors.length > 0) throw graphQLFailure(res.errors, config.url, 200);
    if (res.data === null) throw new StoreError(`POST ${safeUrl(config.url)}: Vendure answered without data`);
    return res.data;
  }

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    const first = await query(FIRST_PAGE, { skip: 0, take }, FirstVariantPage, signal);
    const settings = stockSettings(first, configuredLocation);
    pricesIncludeTax = settings.pricesIncludeTax;
    // NOTE: skip/take paging can repeat a variant when the catalogue changes between pages: keyed by id.
    const byProduct = new Map<string, Map<string, VendureVariant>>();
    let page = first.productVariants;
    let skip = 0;
    for (;;) {
      for (const variant of page.items) {
        const group = byProduct.get(variant.productId) ?? new Map<string, VendureVariant>();
        group.set(variant.id, variant);
        byProduct.set(variant.productId, group);
      }
      skip += page.items.length;
      log.debug({ skip, total: page.totalItems }, 'listed variants page');
      if (page.items.length < take || skip >= page.totalItems) break;
      page = (await query(NEXT_PAGE, { skip, take }, VariantPage, signal)).productVariants;
    }
    for (const productId of [...byProduct.keys()].sort(compareIds)) {
      const group = [...(byProduct.get(productId) as Map<string, VendureVariant>).values()].sort((a, b) => compareIds(a.id, b.id));
      yield* itemsOf(group, settings);
    }
  }

  function batchKey(): string {
    // Any variants of any products may share one updateProductVariants call.
    return 'variants';
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    assertBatch('vendure', batch, batchKey, maxBatch);
    const failed: BatchResult['failed'] = [];
    let pending = batch.filter((c) => {
      if (variantIdOf(c) !== null) return true;
      failed.push({ seq: c.seq, message: 'no Vendure variant id recorded for this item; run "invsync fetch" again' });
      return false;
    });
    if (pricesIncludeTax === undefined && pending.some((c) => c.price)) pricesIncludeTax = (await query(CHANNEL_PRICES, {}, ChannelPrices)).activeChannel.pricesIncludeTax;
    while (pending.length > 0) {
      const input = pending.map((c) => writeInput(c, configuredLocation));
      const res: GraphQLResult<UpdateVariantsData> = await client.request(SET_STOCK, { input }, UpdateVariantsData);
      if (res.errors.length === 0 && res.data) {
        failed.push(...readResults(pending, res.data.updateProductVariants, configuredLocation, pricesIncludeTax ?? false));
        break;
      }
      const gone = deletedVariant(res.errors, pending);
      if (gone) {
        // The transaction was rolled back: report the deleted variant, send the others again.
        failed.push({ seq: gone.change.seq, message: `ENTITY_NOT_FOUND: ${redact(gone.message)} (deleted in Vendure since the last fetch?)` });
        pending = pending.filter((c) => c !== gone.change);
        log.warn({ seq: gone.change.seq, remaining: pending.length }, 'variant not found: re-sending the rest of the batch');
        continue;
      }
      const message = `${res.errors.length ? describeErrors(res.errors) : 'no data in the response'} (Vendure rolled back the whole batch)`;
      failed.push(...pending.map((c) => ({ seq: c.seq, message })));
      break;
    }
    return { failed };
  }

  /** Current stock of these changes' variants, VENDURE_MAX_PAGE variants per request; deleted variants are absent. */
  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const out = new Map<number, StockReading>();
    const ids = [...new Set(changes.map(variantIdOf).filter((id): id is string => id !== null))];
    for (let start = 0; start < ids.length; start += VENDURE_MAX_PAGE) {
      const chunk = ids.slice(start, start + VENDURE_MAX_PAGE);
      const page = await query(READ_BACK, { ids: chunk, take: chunk.length }, ReadBackPage, signal);
      const byId = new Map(page.productVariants.items.map((v) => [v.id, v]));
      for (const change of changes) {
        const v = byId.get(variantIdOf(change) ?? '');
        if (!v) continue;
        const managed = isTracked(v, page.globalSettings.trackInventory);
        const price = change.price ? priceOf(v, page.activeChannel.pricesIncludeTax) : undefined;
        const visibility = visibilityOf(v);
        out.set(change.seq, { qty: managed ? stockOf(v, configuredLocation) : null, managed, ...(price !== undefined ? { price } : {}), ...(visibility ? { visibility } : {}) });
      }
    }
    return out;
  }

  async function check(): Promise<string> {
    const first = await query(FIRST_PAGE, { skip: 0, take: 1 }, FirstVariantPage);
    const settings = stockSettings(first, configuredLocation);
    const where = settings.locationId ? `stock location ${settings.locationId} "${settings.locationName}"` : `its only stock location "${settings.locationName}"`;
    return `Vendure at ${safeUrl(config.url)}: logged in, ${first.productVariants.totalItems} variants; invsync writes ${where}`;
  }

  return {
    type: 'vendure',
    limits: { maxBatch },
    list,
    batchKey,
    apply,
    read,
    check,
  } satisfies StoreAdapter;
}

/** Validates the configured location (or the absence of a choice) against the channel's locations. */
function stockSettings(first: FirstVariantPage, configured: string | null): StockSettings {
  const locations = first.stockLocations.items;
  const names = locations.map((l) => `${l.id} "${l.name}"`).join(', ');
  if (configured !== null) {
    const location = locations.find((l) => l.id === configured);
    if (!location) {
      throw new ConfigError(`Vendure has no stock location with id "${configured}" (it has: ${names || 'none'})`, 'store.stockLocationId');
    }
    return { trackByDefault: first.globalSettings.trackInventory, locationId: configured, locationName: location.name, pricesIncludeTax: first.activeChannel.pricesIncludeTax };
  }
  if (first.stockLocations.totalItems > 1) {
    throw new ConfigError(`Vendure has ${first.stockLocations.totalItems} stock locations (${names}): set the one invsync should write`, 'store.stockLocationId');
  }
  return { trackByDefault: first.globalSettings.trackInventory, locationId: null, locationName: locations[0]?.name ?? 'default', pricesIncludeTax: first.activeChannel.pricesIncludeTax };
}

function* itemsOf(group: VendureVariant[], settings: StockSettings): Generator<StoreItem> {
  const simple = group.length === 1;
  for (const v of group) {
    const managed = isTracked(v, settings.trackByDefault);
    const price = priceOf(v, settings.pricesIncludeTax);
    const visibility = visibilityOf(v);
    yield {
      sku: v.sku,
      productId: v.productId,
      variationId: simple ? null : v.id,
      qty: managed ? stockOf(v, settings.locationId) : null,
      managed,
      ...(v.name ? { name: v.name } : {}),
      // SPEC §12: every location's allocation is a sale the supplier has not seen (the other stores subtract it).
      ...(managed && (v.stockAllocated ?? 0) > 0 ? { held: v.stockAllocated } : {}),
      ...(price !== undefined ? { price } : {}),
      ref: { variantId: v.id },
      ...(visibility ? { visibility } : {}),
    };
  }
}

/** Vendure ids in order: numerically for the default integer ids, as strings otherwise (e.g. UUIDs). */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether Vendure tracks this variant's stock (INHERIT: the global setting decides). */
function isTracked(v: VendureVariant, trackByDefault: boolean): boolean {
  return v.trackInventory === 'TRUE' || (v.trackInventory === 'INHERIT' && trackByDefault);
}

/** The stock invsync compares and writes: the location's level (0 when the variant has none there yet), or `stockOnHand`. */
function stockOf(v: VendureVariant, locationId: string | null): number {
  if (locationId === null) return v.stockOnHand;
  return v.stockLevels.find((l) => l.stockLocationId === locationId)?.stockOnHand ?? 0;
}

/** SPEC §14: the price as invsync writes it (the list price: gross or net per the channel), two decimals; undefined when not listed. */
function priceOf(v: VendureVariant, pricesIncludeTax: boolean): string | undefined {
  const minor = pricesIncludeTax ? v.priceWithTax : v.price;
  return minor === undefined ? undefined : formatCents(minor);
}

function variantIdOf(change: Change): string | null {
  const ref = change.ref?.variantId;
  if (typeof ref === 'string' || typeof ref === 'number') return String(ref);
  return change.variationId === null ? null : String(change.variationId);
}

/** SPEC §14: a variant is out of the shop when it is not enabled (undefined when not read). */
export function visibilityOf(v: Pick<VendureVariant, 'enabled'>): ItemVisibility | undefined {
  return v.enabled === undefined ? undefined : { hidden: !v.enabled, outOfStock: false, values: { enabled: v.enabled } };
}

/**
 * `from === null` marks a variant whose stock Vendure does not track: tracking goes on with the
 * first quantity. A status action's `enabled` goes in the same input (no extra request); a status
 * action alone writes no stock.
 */
function writeInput(change: Change, locationId: string | null): Record<string, unknown> {
  // A price-only change or a status action alone (SPEC §14) sends no stock: a sale made since the fetch stays.
  const stock = !writesStock(change) ? {} : locationId === null
    ? { stockOnHand: change.to }
    : { stockLevels: [{ stockLocationId: locationId, stockOnHand: change.to }] };
  return {
    id: variantIdOf(change),
    ...stock,
    ...(writesStock(change) && change.from === null ? { trackInventory: 'TRUE' } : {}),
    ...(change.price ? { price: priceMinor(change.price.to) } : {}),
    ...(change.statusAction ? change.statusAction.set : {}),
  };
}

/** A two-decimal price string as Vendure's Money (integer cents). */
function priceMinor(price: string): number {
  return plannedPriceCents('vendure', price);
}

/** The change whose variant Vendure could not find, when that is what failed the batch. */
function deletedVariant(errors: GraphQLError[], pending: Change[]): { change: Change; message: string } | null {
  for (const e of errors) {
    if (e.extensions?.code !== 'ENTITY_NOT_FOUND') continue;
    const id = /ProductVariant with the id "([^"]+)"/.exec(e.message)?.[1];
    const change = id === undefined ? undefined : pending.find((c) => variantIdOf(c) === id);
    if (change) return { change, message: e.message };
  }
  return null;
}

/** Per-item outcome: every variant must come back with the target stock (and tracked, when we switched tracking on). */
function readResults(batch: Change[], results: Array<VendureVariant | null>, locationId: string | null, pricesIncludeTax: boolean): BatchResult['failed'] {
  const byId = new Map<string, VendureVariant>();
  for (const r of results) if (r) byId.set(r.id, r);
  const failed: BatchResult['failed'] = [];
  for (const change of batch) {
    const id = variantIdOf(change) as string;
    const result = byId.get(id);
    if (!result) {
      failed.push({ seq: change.seq, message: `no result for variant ${id} in the response` });
      continue;
    }
    const status = change.statusAction ? Object.entries(change.statusAction.set).find(([k, v]) => (result as Record<string, unknown>)[k] !== undefined && (result as Record<string, unknown>)[k] !== v) : undefined;
    if (status) {
      failed.push({ seq: change.seq, message: `status not applied (Vendure reports ${status[0]} ${JSON.stringify((result as Record<string, unknown>)[status[0]])})` });
      continue;
    }
    if (change.statusAction?.alone) continue;
    const stock = stockOf(result, locationId);
    const price = change.price ? priceOf(result, pricesIncludeTax) : undefined;
    if (change.price && price !== change.price.to) {
      failed.push({ seq: change.seq, message: `price not applied (Vendure reports ${String(price ?? 'none')}, sent ${change.price.to})` });
    } else if (!writesStock(change)) {
      continue;
    } else if (stock !== change.to) {
      const hint = locationId === null && result.stockLevels.length > 1 ? '; the variant has stock at several locations: set store.stockLocationId' : '';
      failed.push({ seq: change.seq, message: `stock not applied (Vendure reports ${stock}${hint})` });
    } else if (change.from === null && result.trackInventory !== 'TRUE') {
      failed.push({ seq: change.seq, message: `stock set, but Vendure still reports trackInventory ${result.trackInventory}` });
    }
  }
  return failed;
}
