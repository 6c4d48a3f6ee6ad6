import crypto from 'node:crypto';
import readline from 'node:readline';
import { z, type ZodType } from 'zod';
import type { ShopifyStoreConfig } from '../../config/schema.js';
import { ConfigError, StoreError } from '../../domain/errors.js';
import { writesStock, type BatchResult, type Change, type ItemVisibility, type StoreItem } from '../../domain/types.js';
import { normaliseStorePrice } from '../../domain/price.js';
import { connectionOptions, createHttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { safeUrl } from '../../lib/redact.js';
import { assertBatch } from '../batch-guard.js';
import type { StockReading, StoreAdapter } from '../types.js';
import { createShopifyGraphQL, QueryCostError, type GraphQLAnswer } from './graphql.js';
import { compareIds, gidNumber, idempotencyKey, toGid } from './ids.js';
import {
  BULK_POLL_COST, BULK_POLL_QUERY, BULK_RUN_COST, BULK_RUN_MUTATION, bulkVariantsQuery, COUNT_COST, COUNT_QUERY,
  CHECK_COST, CHECK_QUERY, LEVELS_NODE_COST, PRODUCT_UPDATE_MUTATION, PRODUCT_VARIANTS_COST, PRODUCT_VARIANTS_QUERY, PRODUCTS_STATUS_NODE_COST, PRODUCTS_STATUS_QUERY, LEVELS_QUERY, MUTATION_COST, PRICE_UPDATE_MUTATION, PRICES_NODE_COST, PRICES_QUERY, RESOLVE_NODE_COST, RESOLVE_QUERY, STALE_CODES,
  VARIANTS_FIXED_COST, VARIANTS_NODE_COST, VARIANTS_QUERY, versionFeatures, writeCost, writeMutation,
} from './queries.js';
import {
  BulkRunPayload, BulkStatus, CheckResult, LevelsResult, PricesResult, PriceUpdatePayload, ProductsStatusResult, ProductUpdatePayload, ProductVariantsResult, ResolveResult, SetQuantitiesPayload, TrackPayload, VariantCount, VariantNode, VariantsPage,
  type InventoryItemNode, type UserError, type VariantsPage as VariantsPageData,
} from './schemas.js';
import { MAX_PAGE_SIZE, pageSizeFor, perNodeCost, SINGLE_QUERY_MAX_COST } from './throttle.js';

/**
 * Shopify store over the Admin GraphQL API (API_FACTS §3).
 *
 * - Endpoint `POST <url>/admin/api/<apiVersion>/graphql.json`, header `X-Shopify-Access-Token`.
 * - list(): `productVariants(sortKey: ID)` pages (as large as the 1000-point query cost allows,
 *   ≤ 250), each variant with its product, inventory item and `available` quantity at the
 *   configured location. From `bulkThreshold` variants on (one `productVariantsCount` query
 *   decides), the same selection runs as a bulk operation instead: `bulkOperationRunQuery`,
 *   `node(id:)` polls until COMPLETED, then the JSONL result is streamed line by line from its
 *   signed URL (without the access token). It bypasses the cost bucket that paging pays for;
 *   when a bulk query cannot start (another one is running) or does not complete, paging is used. The API cannot sort variants by product, so the pages are collected
 *   and put in store order (product id, then variant id) before the first item is yielded: the
 *   fewest requests that give store order, at the price of holding the listing in memory.
 *   A product with only its default variant is a simple item (variationId null).
 *   An item that is not tracked, or not stocked at the location, is unmanaged (qty null).
 * - apply(): ONE `inventorySetQuantities` mutation per batch (≤ 250), `name: "available"`,
 *   compare-and-set against the quantity seen at fetch (`changeFromQuantity` from 2026-04,
 *   `compareQuantity` before), with a deterministic `@idempotent` key. Untracked items get
 *   `inventoryItemUpdate(tracked: true)` fields in the same request, before the set (SPEC §4:
 *   invsync's first write turns stock management on).
 * - Prices (SPEC §14): `price` is listed with each variant; a change with a price is written by
 *   `productVariantsBulkUpdate`, which takes the variants of ONE product, so one request per
 *   product with price changes (besides the stock mutation, which has no price field). A
 *   price-only change writes no stock.
 * - Status (SPEC §14 rules.status): the product's `status` (ACTIVE/DRAFT/ARCHIVED) is listed
 *   with each variant as its visibility. A product is hidden with `productUpdate(status: DRAFT)`,
 *   which hides every variant of it, so only when EVERY variant of the product is hidden in the
 *   same batch: hides get a batch per product (batchKey), and apply() reads the product's variant
 *   ids and refuses (fails those changes, the stock written stays) when one is not among them — a
 *   plan window or a variant that still sells. A restore writes back the status it replaced, one
 *   productUpdate per product.
 * - read(): the items' current levels in one `nodes(ids:)` query per 250 items (read-back), and
 *   for changes with a price, the variants' prices in one more `nodes(ids:)` query per 250; for
 *   changes with a status action, their products' status in one more per 250.
 * - Throttling: see graphql.ts.
 */

/** `quantities` array limit (Shopify rejects any array input above 250). */
export const SHOPIFY_MAX_BATCH = 250;
export const DEFAULT_API_VERSION = '2026-10';
/** inventoryItemUpdate fields that ride along in one write request (10 points each, 1000 max per query). */
const TRACK_PER_REQUEST = 90;
/** Write rounds per batch: the first, then re-sends of the items the store did not reject. */
const MAX_ROUNDS = 3;
/** `nodes(ids:)` takes at most 250 ids. */
const NODES_MAX = 250;
/**
 * Variants from which list() uses a bulk operation. Measured on the fake at the Standard plan's
 * bucket (2,000 points, 100/s; bench/shopify-listing.mjs): two full pages (398 variants, ≈ 2,000
 * points) fit in the bucket and take ≈ 0.1 s; the third page waits ≈ 10 s for the restore rate
 * and every 199 variants more another ≈ 10 s, while a bulk query took 1.3–2.6 s at any size
 * (with the fake's assumed queueing of 1 s). Larger plans' buckets would page more for free, but
 * bulk stays within seconds, so one threshold serves all.
 */
export const DEFAULT_BULK_THRESHOLD = 400;
/** First wait between bulk status polls; it grows by half up to BULK_POLL_MAX_MS. */
const BULK_POLL_FIRST_MS = 500;
const BULK_POLL_MAX_MS = 5000;
/** A bulk query must finish within 10 days (API_FACTS §3); a sync run gives up far earlier. */
const BULK_MAX_WAIT_MS = 30 * 60 * 1000;

/** What list() records per item for the write (kept in the store index, opaque to the engine). */
const ShopifyRef = z.object({
  variantId: z.string(),
  productId: z.string(),
  inventoryItemId: z.string(),
  locationId: z.string(),
  tracked: z.boolean(),
  /** Stocked at the location (it has an inventory level there). */
  stocked: z.boolean(),
  /** `available` at the location when listed (also for an untracked item). */
  available: z.number().nullable(),
  /** Id of the listing this came from: part of the idempotency key, see `writeKey`. */
  listing: z.string().optional(),
});
type ShopifyRef = z.infer<typeof ShopifyRef>;

/** One change ready to write. */
interface Target {
  change: Change;
  inventoryItemId: string;
  tracked: boolean;
  /** Compare-and-set value: the quantity seen at fetch. */
  compare: number | null;
  listing?: string;
}

/** A change's inventory item with the variant and product it belongs to (looked up by id). */
interface Resolved {
  item: InventoryItemNode;
  variantId: string;
  productId: string;
}

interface Level {
  tracked: boolean;
  stocked: boolean;
  available: number | null;
  /** Units of placed, unfulfilled orders at the location (0 when not stocked). */
  committed: number;
}

/**
 * Throws ConfigError when `batchSize` exceeds the API maximum. list() and apply() throw the
 * client's HttpError for whole-request failures (auth refusals carry `details.auth`, ACCESS_DENIED
 * included) and StoreError for GraphQL errors; list() throws ConfigError when no item is stocked
 * at `locationId`.
 */
export function createShopifyStore(config: ShopifyStoreConfig): StoreAdapter {
  if (config.batchSize !== undefined && config.batchSize > SHOPIFY_MAX_BATCH) {
    throw new ConfigError(`at most ${SHOPIFY_MAX_BATCH} for shopify (the API maximum)`, 'store.batchSize');
  }
  const log = logger('shopify');
  const apiVersion = config.apiVersion ?? DEFAULT_API_VERSION;
  const endpoint = graphqlEndpoint(config.url, apiVersion);
  const location = toGid('Location', config.locationId);
  const features = versionFeatures(apiVersion);
  const maxBatch = config.batchSize ?? SHOPIFY_MAX_BATCH;
  const maxPage = Math.min(config.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const http = createHttpClient({
    name: 'store',
    ...connectionOptions(config, { concurrency: 2 }),
    headers: { 'x-shopify-access-token': config.accessToken },
  });
  const gql = createShopifyGraphQL({ http, endpoint, log, busyWaitMs: envBaseMs() });
  // The result file lives at a signed storage URL: never send the shop's token there.
  const download = createHttpClient({ name: 'store bulk result', ...connectionOptions({ ...config, rateLimit: undefined }, { concurrency: 1 }) });
  const bulkThreshold = config.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
  const pollFirstMs = envBaseMs() ?? BULK_POLL_FIRST_MS;
  /** Requested cost per listed variant and the single-query limit, corrected from the server's numbers. */
  let variantCost = VARIANTS_NODE_COST;
  let maxQueryCost = SINGLE_QUERY_MAX_COST;

  async function* list(signal?: AbortSignal): AsyncIterable<StoreItem> {
    const listing = crypto.randomUUID();
    const nodes = (bulkThreshold !== false && await variantsAtLeast(bulkThreshold, signal) ? await bulkNodes(signal) : null) ?? await pagedNodes(signal);
    if (nodes.length > 0 && nodes.every((n) => n.inventoryItem.inventoryLevel === null)) {
      throw new ConfigError(`none of the shop's ${nodes.length} variants is stocked at location ${location}: is it the right location id? (\`invsync check\` names it)`, 'store.locationId');
    }
    nodes.sort((a, b) => compareIds(a.product.id, b.product.id) || compareIds(a.id, b.id));
    for (const node of nodes) yield toItem(node, location, listing);
  }

  /** True when the shop has at least `threshold` variants (one count query, 1 point). */
  async function variantsAtLeast(threshold: number, signal?: AbortSignal): Promise<boolean> {
    const answer = await gql.request({ operation: 'InvsyncVariantCount', query: COUNT_QUERY, variables: { limit: threshold }, cost: COUNT_COST, schema: VariantCount, signal });
    return answer.data.productVariantsCount.count >= threshold;
  }

  /**
   * Every variant through a bulk operation; null when one cannot start or did not complete (the
   * caller pages instead). Throws what the requests throw (auth, network after retries).
   */
  async function bulkNodes(signal?: AbortSignal): Promise<VariantNode[] | null> {
    const started = await gql.request({
      operation: 'InvsyncBulkVariants', query: BULK_RUN_MUTATION, variables: { query: bulkVariantsQuery(location) }, cost: BULK_RUN_COST, schema: BulkRunPayload, signal,
    });
    const { bulkOperation, userErrors } = started.data.bulkOperationRunQuery;
    if (!bulkOperation || userErrors.length > 0) {
      log.warn({ userErrors }, `bulk query not started (${userErrors.map((e) => e.message).join('; ') || 'no operation'}): listing page by page`);
      return null;
    }
    const done = await awaitBulk(bulkOperation.id, signal);
    if (done.status !== 'COMPLETED') {
      log.warn({ id: bulkOperation.id, status: done.status, errorCode: done.errorCode }, `bulk query ended ${done.status}${done.errorCode ? ` (${done.errorCode})` : ''}: listing page by page`);
      return null;
    }
    const nodes: VariantNode[] = [];
    // An empty result completes with url null.
    if (done.url) await readBulkLines(done.url, nodes, signal);
    log.debug({ id: bulkOperation.id, variants: nodes.length, objectCount: done.objectCount }, 'listed variants with a bulk query');
    return nodes;
  }

  /** Poll `node(id:)` until the operation is no longer CREATED/RUNNING (or BULK_MAX_WAIT_MS passed). */
  async function awaitBulk(id: string, signal?: AbortSignal): Promise<NonNullable<BulkStatus['node']>> {
    const deadline = Date.now() + BULK_MAX_WAIT_MS;
    for (let wait = pollFirstMs; ; wait = Math.min(BULK_POLL_MAX_MS, wait * 1.5)) {
      await sleep(wait, signal);
      const answer = await gql.request({ operation: 'InvsyncBulkStatus', query: BULK_POLL_QUERY, variables: { id }, cost: BULK_POLL_COST, schema: BulkStatus, signal });
      const node = answer.data.node;
      if (!node) throw new StoreError(`shopify: bulk operation ${id} disappeared while it was polled`);
      if (node.status !== 'CREATED' && node.status !== 'RUNNING') return node;
      if (Date.now() > deadline) return { ...node, status: `still ${node.status} after ${BULK_MAX_WAIT_MS / 60_000} min` };
    }
  }

  /** Stream the JSONL result: one variant per line, parsed as it arrives (memory: the nodes, not the file). */
  async function readBulkLines(url: string, into: VariantNode[], signal?: AbortSignal): Promise<void> {
    const body = await download.stream({ url, signal });
    const lines = readline.createInterface({ input: body, crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new StoreError(`shopify bulk result line ${n}: not JSON (${line.slice(0, 80)})`);
      }
      const parsed = VariantNode.safeParse(value);
      if (!parsed.success || (value as { __parentId?: unknown }).__parentId !== undefined) {
        const issue = parsed.success ? { path: ['__parentId'], message: 'a child line where only variants were asked for' } : parsed.error.issues[0];
        throw new StoreError(`shopify bulk result line ${n}: unexpected at ${issue?.path.join('.') || '(line)'}: ${issue?.message}`);
      }
      into.push(parsed.data);
    }
  }

  async function pagedNodes(signal?: AbortSignal): Promise<VariantNode[]> {
    const nodes: VariantNode[] = [];
    let after: string | null = null;
    let pages = 0;
    for (let shrinks = 0; ;) {
      const first = pageSizeFor(variantCost, VARIANTS_FIXED_COST, maxPage, maxQueryCost);
      let answer: GraphQLAnswer<VariantsPageData>;
      try {
        answer = await gql.request({
          operation: 'InvsyncVariants', query: VARIANTS_QUERY, variables: { first, after, location },
          cost: VARIANTS_FIXED_COST + first * variantCost, schema: VariantsPage, signal,
        });
      } catch (err) {
        // Our cost estimate was low: the error names the real cost, so the next page fits.
        if (err instanceof QueryCostError && err.cost !== undefined && first > 1 && shrinks++ < 3) {
          variantCost = Math.max(variantCost + 0.01, perNodeCost(err.cost, VARIANTS_FIXED_COST, first));
          if (err.maxCost !== undefined && err.maxCost > VARIANTS_FIXED_COST) maxQueryCost = Math.min(maxQueryCost, err.maxCost);
          log.info({ cost: err.cost, maxCost: err.maxCost, first }, 'a variants page cost more than the query limit: asking for smaller pages');
          continue;
        }
        throw err;
      }
      pages++;
      if (answer.requestedQueryCost !== null) variantCost = perNodeCost(answer.requestedQueryCost, VARIANTS_FIXED_COST, first);
      const { nodes: page, pageInfo } = answer.data.productVariants;
      for (const node of page) nodes.push(node);
      if (!pageInfo.hasNextPage || !pageInfo.endCursor) break;
      after = pageInfo.endCursor;
    }
    log.debug({ variants: nodes.length, pages }, 'listed variants');
    return nodes;
  }

  function batchKey(change: Change): string {
    // SPEC §14: a hide drafts the whole product, so every variant of it goes in one batch.
    if (change.statusAction?.to === 'hide') return `hide:${productGidOf(change)}`;
    // Any other items of the shop may share one inventorySetQuantities call.
    return 'inventory';
  }

  async function apply(batch: Change[]): Promise<BatchResult> {
    if (batch.length === 0) return { failed: [] };
    assertBatch('shopify', batch, batchKey, maxBatch);
    const failed = new Map<number, string>();
    /** Items whose tracking this call turned on: put back if their quantity was not written. */
    const trackedByUs: Target[] = [];
    // A price-only change (SPEC §14) writes no stock: a sale made since the fetch stays.
    /** Changes without a ref, looked up once for the stock write and reused for the price write. */
    const looked = new Map<number, Resolved | string>();
    let pending = await targetsFor(batch.filter(writesStock), failed, looked);

    for (let round = 1; pending.length > 0; round++) {
      const outcome = await writeRound(pending, round);
      trackedByUs.push(...outcome.trackedOn);
      for (const [seq, message] of outcome.errors) failed.set(seq, message);
      if (outcome.clean) break;
      const rest = pending.filter((t) => !outcome.errors.has(t.change.seq));
      if (outcome.groupError !== null || rest.length === 0 || round >= MAX_ROUNDS) {
        const why = outcome.groupError ?? 'not confirmed: the store rejected the request because of other items in it';
        for (const t of rest) failed.set(t.change.seq, why);
        break;
      }
      // API_FACTS §3: whether a call with user errors applied its other elements is not
      // documented. Look instead of guessing, and re-send only what is still at its old value.
      const levels = await readLevels(rest.map((t) => t.inventoryItemId));
      pending = [];
      for (const t of rest) {
        const now = levels.get(t.inventoryItemId);
        if (!now) {
          failed.set(t.change.seq, `inventory item ${t.inventoryItemId} no longer exists in the shop (variant deleted?)`);
        } else if (!now.stocked) {
          failed.set(t.change.seq, notStockedMessage(location));
        } else if (now.tracked && now.available === t.change.to) {
          // Applied (by this request's group, or it already was at the target).
        } else if (t.compare !== null && now.available !== t.compare) {
          failed.set(t.change.seq, changedInStore(t.compare, now.available));
        } else {
          pending.push({ ...t, tracked: now.tracked });
        }
      }
    }
    await restoreTracking(trackedByUs.filter((t) => failed.has(t.change.seq)));
    const priced = batch.filter((c) => c.price && !failed.has(c.seq));
    if (priced.length > 0) await writePrices(priced, failed, looked);
    const statused = batch.filter((c) => c.statusAction && !failed.has(c.seq));
    if (statused.length > 0) await writeStatus(statused, failed);
    return { failed: batch.filter((c) => failed.has(c.seq)).map((c) => ({ seq: c.seq, message: failed.get(c.seq) as string })) };
  }

  /**
   * SPEC §14: one productVariantsBulkUpdate per product (≤ 250 variants a request). A refused
   * request fails the variants sent in it, each with its own user error when Shopify names it;
   * the stock already written stays (the retry rewrites both: absolute writes are idempotent).
   */
  async function writePrices(changes: Change[], failed: Map<number, string>, looked: Map<number, Resolved | string>): Promise<void> {
    const byProduct = new Map<string, Array<{ change: Change; variantId: string }>>();
    for (const [change, where] of await variantsOf(changes, looked)) {
      if (typeof where === 'string') { failed.set(change.seq, `price not applied: ${where}`); continue; }
      const group = byProduct.get(where.productId) ?? [];
      group.push({ change, variantId: where.variantId });
      byProduct.set(where.productId, group);
    }
    for (const [productId, group] of byProduct) {
      for (let i = 0; i < group.length; i += SHOPIFY_MAX_BATCH) {
        const part = group.slice(i, i + SHOPIFY_MAX_BATCH);
        const answer = await gql.request({
          operation: 'InvsyncPrices', query: PRICE_UPDATE_MUTATION, cost: MUTATION_COST, schema: PriceUpdatePayload,
          variables: { productId, variants: part.map((p) => ({ id: p.variantId, price: (p.change.price as NonNullable<Change['price']>).to })) },
        });
        const { productVariants, userErrors } = answer.data.productVariantsBulkUpdate;
        if (userErrors.length > 0) {
          const own = new Map<number, UserError>();
          for (const e of userErrors) if (e.field?.[0] === 'variants' && /^\d+$/.test(e.field[1] ?? '')) own.set(Number(e.field[1]), e);
          const whole = userErrors.find((e) => !own.has(Number(e.field?.[1])));
          part.forEach((p, k) => {
            const e = own.get(k);
            failed.set(p.change.seq, e ? `price not applied: ${describe(e)}` : `price not applied: refused with the other variants of ${productId} (${describe(whole ?? userErrors[0] as UserError)})`);
          });
          continue;
        }
        const now = new Map((productVariants ?? []).map((v) => [v.id, normaliseStorePrice(v.price)]));
        for (const p of part) {
          const to = (p.change.price as NonNullable<Change['price']>).to;
          if (now.get(p.variantId) !== to) failed.set(p.change.seq, `price not applied (store reports ${String(now.get(p.variantId) ?? 'nothing')} for ${p.variantId}, sent ${to})`);
        }
      }
    }
  }

  /**
   * SPEC §14: one productUpdate per product. Hides draft the product only when every variant of it
   * is among them (it is read first); otherwise they fail with the variant that keeps it on sale.
   * A restore puts back the status the hide replaced.
   */
  async function writeStatus(changes: Change[], failed: Map<number, string>): Promise<void> {
    const byProduct = new Map<string, Change[]>();
    for (const change of changes) {
      const action = change.statusAction as NonNullable<Change['statusAction']>;
      const status = action.set.status;
      if (typeof status !== 'string' || Object.keys(action.set).length !== 1) {
        failed.set(change.seq, `status not applied: Shopify sets only a product's status, not ${Object.keys(action.set).join(', ')}`);
        continue;
      }
      const id = productGidOf(change);
      const group = byProduct.get(id) ?? [];
      group.push(change);
      byProduct.set(id, group);
    }
    for (const [productId, group] of byProduct) {
      const hides = group.filter((c) => c.statusAction?.to === 'hide');
      const restores = group.filter((c) => c.statusAction?.to !== 'hide');
      if (hides.length > 0) {
        const why = await whyNotDraft(productId, hides);
        if (why) {
          for (const c of hides) failed.set(c.seq, why);
        } else {
          await updateStatus(productId, hides[0]!.statusAction!.set.status as string, hides, failed);
        }
      }
      // A product some of whose variants are hidden and others restored in one batch is on sale.
      if (restores.length > 0) await updateStatus(productId, restores[0]!.statusAction!.set.status as string, restores, failed);
    }
  }

  /** Why these hides may not draft the product (a variant of it is not among them), or null. */
  async function whyNotDraft(productId: string, hides: Change[]): Promise<string | null> {
    const answer = await gql.request({
      operation: 'InvsyncProductVariants', query: PRODUCT_VARIANTS_QUERY, variables: { id: productId }, cost: PRODUCT_VARIANTS_COST, schema: ProductVariantsResult,
    });
    const product = answer.data.node;
    if (!product) return `not hidden: product ${productId} not found in the shop (deleted?)`;
    if (product.variants.pageInfo.hasNextPage) return `not hidden: product ${productId} has more than 250 variants; invsync drafts a product only after checking every variant`;
    const hiding = new Set(hides.map((c) => variantGidOf(c)));
    // A simple item without a ref is its product's only variant.
    if (hiding.has(null) && product.variants.nodes.length === 1) return null;
    const others = product.variants.nodes.filter((v) => !hiding.has(v.id));
    if (others.length === 0) return null;
    const more = others.length > 1 ? ` (and ${others.length - 1} more)` : '';
    return `not hidden: variant ${others[0]!.id}${more} of product ${productId} still sells or is not in this run's plan; `
      + 'Shopify hides a whole product (status DRAFT), so only when every variant of it qualifies (the stock was written)';
  }

  async function updateStatus(productId: string, status: string, changes: Change[], failed: Map<number, string>): Promise<void> {
    const answer = await gql.request({
      operation: 'InvsyncProductStatus', query: PRODUCT_UPDATE_MUTATION, variables: { product: { id: productId, status } }, cost: MUTATION_COST, schema: ProductUpdatePayload,
    });
    const { product, userErrors } = answer.data.productUpdate;
    const why = userErrors.length > 0 ? `status not applied: ${userErrors.map(describe).join('; ')}`
      : product?.status !== status ? `status not applied (store reports ${product?.status ?? 'nothing'} for ${productId}, sent ${status})` : null;
    if (why) for (const c of changes) failed.set(c.seq, why);
  }

  /** Current status of products (gid → ACTIVE/DRAFT/ARCHIVED): one `nodes` query per 250. */
  async function readStatus(ids: string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await eachNode(ids, { operation: 'InvsyncProductStatus', query: PRODUCTS_STATUS_QUERY, nodeCost: PRODUCTS_STATUS_NODE_COST, schema: ProductsStatusResult }, (node) => {
      out.set(node.id, node.status);
    }, signal);
    return out;
  }

  /** The variant and product gids of each change: from its ref, its ids, or (a simple item without a ref) looked up, unless `looked` has it already. */
  async function variantsOf(changes: Change[], looked: Map<number, Resolved | string>): Promise<Map<Change, { variantId: string; productId: string } | string>> {
    const out = new Map<Change, { variantId: string; productId: string } | string>();
    const unresolved: Change[] = [];
    for (const change of changes) {
      const parsed = ShopifyRef.safeParse(change.ref);
      if (parsed.success) out.set(change, { variantId: parsed.data.variantId, productId: parsed.data.productId });
      else if (change.variationId !== null) out.set(change, { variantId: toGid('ProductVariant', change.variationId), productId: toGid('Product', change.productId) });
      else if (looked.has(change.seq)) {
        const r = looked.get(change.seq) as Resolved | string;
        out.set(change, typeof r === 'string' ? r : { variantId: r.variantId, productId: r.productId });
      } else unresolved.push(change);
    }
    if (unresolved.length > 0) {
      const found = await lookupItems(unresolved);
      for (const change of unresolved) {
        const r = found.get(change.seq) as Resolved | string;
        out.set(change, typeof r === 'string' ? r : { variantId: r.variantId, productId: r.productId });
      }
    }
    return out;
  }

  /** Current prices of variants (gid → two-decimal string or null): one `nodes` query per 250. */
  async function readPrices(ids: string[], signal?: AbortSignal): Promise<Map<string, string | null>> {
    const prices = new Map<string, string | null>();
    await eachNode(ids, { operation: 'InvsyncPrices', query: PRICES_QUERY, nodeCost: PRICES_NODE_COST, schema: PricesResult }, (node) => {
      prices.set(node.id, normaliseStorePrice(node.price));
    }, signal);
    return prices;
  }

  /**
   * Turn tracking back off for items whose quantity was not written: a rejected item is left as
   * it was (a newly tracked item with an old quantity could stop selling). Best effort: a
   * failure here is logged, the items are already reported as failed.
   */
  async function restoreTracking(targets: Target[]): Promise<void> {
    for (let i = 0; i < targets.length; i += TRACK_PER_REQUEST) {
      const chunk = targets.slice(i, i + TRACK_PER_REQUEST);
      try {
        await send(chunk, false, new Map(), false);
      } catch (err) {
        log.warn({ items: chunk.length, err: err instanceof Error ? err.message : String(err) }, 'could not turn inventory tracking back off for items that failed');
      }
    }
  }

  /** The ids each change needs, from its ref or (when missing) looked up; unusable changes go to `failed`. */
  async function targetsFor(batch: Change[], failed: Map<number, string>, looked: Map<number, Resolved | string>): Promise<Target[]> {
    const targets: Target[] = [];
    const unresolved: Change[] = [];
    for (const change of batch) {
      const parsed = ShopifyRef.safeParse(change.ref);
      if (!parsed.success) { unresolved.push(change); continue; }
      const ref: ShopifyRef = parsed.data;
      if (ref.locationId !== location) {
        failed.set(change.seq, `listed at location ${ref.locationId} but store.locationId is ${location}: run \`invsync fetch\` first`);
      } else if (!ref.stocked) {
        failed.set(change.seq, notStockedMessage(location));
      } else {
        targets.push({ change, inventoryItemId: ref.inventoryItemId, tracked: ref.tracked, compare: change.from ?? ref.available, listing: ref.listing });
      }
    }
    if (unresolved.length > 0) for (const t of await resolveTargets(unresolved, failed, looked)) targets.push(t);
    // Keep batch order, so the request (and its idempotency key) does not depend on how ids were found.
    const order = new Map(batch.map((c, i) => [c.seq, i]));
    return targets.sort((a, b) => (order.get(a.change.seq) ?? 0) - (order.get(b.change.seq) ?? 0));
  }

  /** Look up inventory items for changes without a ref; unusable changes go to `failed`. */
  async function resolveTargets(changes: Change[], failed: Map<number, string>, looked: Map<number, Resolved | string>): Promise<Target[]> {
    const targets: Target[] = [];
    const found = await lookupItems(changes);
    for (const [seq, r] of found) looked.set(seq, r);
    for (const change of changes) {
      const resolved = found.get(change.seq) as Resolved | string;
      if (typeof resolved === 'string') { failed.set(change.seq, resolved); continue; }
      const item = resolved.item;
      const level = levelOf(item);
      if (!level.stocked) { failed.set(change.seq, notStockedMessage(location)); continue; }
      targets.push({ change, inventoryItemId: item.id, tracked: level.tracked, compare: change.from ?? level.available });
    }
    return targets;
  }

  /**
   * The inventory item of each change from its variant id (or, for a simple item, its product's
   * only variant), with its level at the location; a string says why there is none.
   */
  async function lookupItems(changes: Change[], signal?: AbortSignal): Promise<Map<number, Resolved | string>> {
    const out = new Map<number, Resolved | string>();
    const perRequest = Math.max(1, Math.floor(SINGLE_QUERY_MAX_COST / RESOLVE_NODE_COST));
    for (let i = 0; i < changes.length; i += perRequest) {
      const chunk = changes.slice(i, i + perRequest);
      const ids = chunk.map((c) => (c.variationId !== null ? toGid('ProductVariant', c.variationId) : toGid('Product', c.productId)));
      const answer = await gql.request({
        operation: 'InvsyncResolve', query: RESOLVE_QUERY, variables: { ids, location },
        cost: ids.length * RESOLVE_NODE_COST, schema: ResolveResult, signal,
      });
      chunk.forEach((change, k) => {
        const node = answer.data.nodes[k] ?? null;
        if (!node) out.set(change.seq, `${ids[k]} not found in the shop (deleted?)`);
        else if (!('variants' in node)) out.set(change.seq, { item: node.inventoryItem, variantId: node.id, productId: node.product.id });
        else if (node.variants.nodes.length === 1) {
          const only = node.variants.nodes[0] as { id: string; inventoryItem: InventoryItemNode };
          out.set(change.seq, { item: only.inventoryItem, variantId: only.id, productId: node.id });
        }
        else out.set(change.seq, `product ${ids[k]} has several variants: run \`invsync fetch\` to list them`);
      });
    }
    return out;
  }

  async function readLevels(ids: string[], signal?: AbortSignal): Promise<Map<string, Level>> {
    const levels = new Map<string, Level>();
    await eachNode(ids, { operation: 'InvsyncLevels', query: LEVELS_QUERY, variables: { location }, nodeCost: LEVELS_NODE_COST, schema: LevelsResult }, (node) => {
      levels.set(node.id, levelOf(node));
    }, signal);
    return levels;
  }

  /**
   * A `nodes(ids:)` query over `ids` in requests of at most NODES_MAX ids, priced at `nodeCost`
   * per id; `each` gets every node found (an unknown id answers null and is skipped).
   */
  async function eachNode<N>(
    ids: string[],
    call: { operation: string; query: string; variables?: Record<string, unknown>; nodeCost: number; schema: ZodType<{ nodes: Array<N | null> }> },
    each: (node: N) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += NODES_MAX) {
      const chunk = ids.slice(i, i + NODES_MAX);
      const answer = await gql.request({
        operation: call.operation, query: call.query, variables: { ids: chunk, ...call.variables },
        cost: chunk.length * call.nodeCost, schema: call.schema, signal,
      });
      for (const node of answer.data.nodes) if (node) each(node);
    }
  }

  /** Current stock of these items (for read-back after a push): one `nodes` query per 250 items. */
  async function read(changes: Change[], signal?: AbortSignal): Promise<Map<number, StockReading>> {
    const out = new Map<number, StockReading>();
    const withRef: Array<{ seq: number; id: string }> = [];
    const withoutRef: Change[] = [];
    for (const change of changes) {
      const parsed = ShopifyRef.safeParse(change.ref);
      if (parsed.success) withRef.push({ seq: change.seq, id: parsed.data.inventoryItemId });
      else withoutRef.push(change);
    }
    const levels = await readLevels([...new Set(withRef.map((r) => r.id))], signal);
    for (const r of withRef) {
      const level = levels.get(r.id);
      if (level) out.set(r.seq, stockView(level));
    }
    const variantOf = new Map<number, string>();
    if (withoutRef.length > 0) {
      for (const [seq, r] of await lookupItems(withoutRef, signal)) {
        if (typeof r === 'string') continue;
        out.set(seq, stockView(levelOf(r.item)));
        variantOf.set(seq, r.variantId);
      }
    }
    // SPEC §14: the price is read only for changes that wrote one.
    const priced = changes.filter((c) => c.price && out.has(c.seq));
    if (priced.length > 0) {
      for (const c of priced) {
        const parsed = ShopifyRef.safeParse(c.ref);
        const id = parsed.success ? parsed.data.variantId : variantOf.get(c.seq);
        if (id) variantOf.set(c.seq, id);
      }
      const prices = await readPrices([...new Set(priced.map((c) => variantOf.get(c.seq)).filter((id): id is string => id !== undefined))], signal);
      for (const c of priced) {
        const id = variantOf.get(c.seq);
        const reading = out.get(c.seq);
        if (id !== undefined && reading && prices.has(id)) out.set(c.seq, { ...reading, price: prices.get(id) as string | null });
      }
    }
    // SPEC §14: the product status only for changes that wrote one.
    const statused = changes.filter((c) => c.statusAction && out.has(c.seq));
    if (statused.length > 0) {
      const status = await readStatus([...new Set(statused.map(productGidOf))], signal);
      for (const c of statused) {
        const now = status.get(productGidOf(c));
        const reading = out.get(c.seq);
        if (now !== undefined && reading) out.set(c.seq, { ...reading, visibility: productVisibility(now) });
      }
    }
    return out;
  }

  /**
   * One write request for `targets` (plus tracking-only requests first when more than
   * TRACK_PER_REQUEST items need tracking turned on). Returns per-item errors; `clean` when the
   * set mutation reported no user error at all; `groupError` for an error not tied to an item;
   * `trackedOn`, the items whose tracking it turned on.
   */
  async function writeRound(all: Target[], round: number): Promise<{ errors: Map<number, string>; clean: boolean; groupError: string | null; trackedOn: Target[] }> {
    const errors = new Map<number, string>();
    const trackedOn: Target[] = [];
    let targets = all;
    let inlineTracking = targets.filter((t) => !t.tracked);
    if (inlineTracking.length > TRACK_PER_REQUEST) {
      for (let i = 0; i < inlineTracking.length; i += TRACK_PER_REQUEST) {
        const chunk = inlineTracking.slice(i, i + TRACK_PER_REQUEST);
        await send(chunk, false, errors);
        trackedOn.push(...chunk.filter((t) => !errors.has(t.change.seq)));
      }
      inlineTracking = [];
      targets = targets.filter((t) => !errors.has(t.change.seq));
      if (targets.length === 0) return { errors, clean: true, groupError: null, trackedOn };
    }

    const key = features.idempotency ? writeKey(targets, round) : undefined;
    const input: Record<string, unknown> = {
      name: 'available',
      reason: 'correction',
      referenceDocumentUri: `gid://invsync/StockSync/${key ?? `${targets[0]?.change.seq}-${targets[targets.length - 1]?.change.seq}`}`,
      ...(features.ignoreCompareFlag ? { ignoreCompareQuantity: false } : {}),
      quantities: targets.map((t) => ({
        inventoryItemId: t.inventoryItemId, locationId: location, quantity: t.change.to, [features.compareField]: t.compare,
      })),
    };
    const set = await send(inlineTracking, { input, key }, errors) as SetQuantitiesPayload;
    trackedOn.push(...inlineTracking.filter((t) => !errors.has(t.change.seq)));

    let groupError: string | null = null;
    for (const e of set.userErrors) {
      const index = quantityIndex(e.field);
      const target = index === undefined ? undefined : targets[index];
      if (!target) { groupError ??= describe(e); continue; }
      if (errors.has(target.change.seq)) continue;
      errors.set(target.change.seq, e.code && STALE_CODES.has(e.code) ? changedInStore(target.compare, null, e) : describe(e));
    }
    return { errors, clean: set.userErrors.length === 0, groupError, trackedOn };
  }

  /**
   * One mutation request: inventoryItemUpdate(tracked) for `targets`, then the set mutation when
   * `set` is given. Tracking failures go to `errors`. Returns the set payload (or null).
   */
  async function send(
    targets: Target[],
    set: { input: Record<string, unknown>; key?: string } | false,
    errors: Map<number, string>,
    tracked = true,
  ): Promise<SetQuantitiesPayload | null> {
    const variables: Record<string, unknown> = set ? { input: set.input } : {};
    const shape: Record<string, z.ZodType> = set ? { set: SetQuantitiesPayload } : {};
    targets.forEach((t, i) => { variables[`t${i}`] = t.inventoryItemId; shape[`t${i}`] = TrackPayload; });
    const schema = z.object(shape) as unknown as z.ZodType<Record<string, unknown>>;
    const answer = await gql.request({
      operation: set ? 'InvsyncSetQuantities' : tracked ? 'InvsyncTrack' : 'InvsyncUntrack',
      query: writeMutation({ track: targets.length, tracked, set: Boolean(set), key: set ? set.key : undefined }),
      variables, cost: writeCost(targets.length, Boolean(set)), schema,
      busy: (data) => Boolean(set) && (data.set as SetQuantitiesPayload).userErrors.some((e) => e.code === 'IDEMPOTENCY_CONCURRENT_REQUEST'),
    });
    targets.forEach((t, i) => {
      const result = answer.data[`t${i}`] as z.infer<typeof TrackPayload>;
      if (result.userErrors.length > 0 || result.inventoryItem?.tracked !== tracked) {
        const what = tracked ? 'turn on' : 'turn off';
        errors.set(t.change.seq, `could not ${what} inventory tracking: ${result.userErrors.map(describe).join('; ') || 'the store did not confirm it'}`);
      }
    });
    return set ? (answer.data.set as SetQuantitiesPayload) : null;
  }

  /**
   * The idempotency key of one write: the plan's item seqs and targets (what the brief of a
   * batch is), the items, the compare values, the round, and the listing the items came from.
   * NOTE: the listing id keeps a later plan from colliding with an earlier one that happened to
   * have the same seqs, targets and old values (Shopify would answer it with the old result and
   * write nothing); a re-sent batch of the same plan comes from the same listing, so it keeps
   * its key and is de-duplicated.
   */
  function writeKey(targets: Target[], round: number): string {
    return idempotencyKey({
      v: 1, round, location,
      listings: [...new Set(targets.map((t) => t.listing ?? ''))].sort(),
      items: targets.map((t) => [t.change.seq, t.inventoryItemId, t.compare, t.change.to]),
    });
  }

  async function check(): Promise<string> {
    const { data } = await gql.request({ operation: 'InvsyncCheck', query: CHECK_QUERY, variables: { location }, cost: CHECK_COST, schema: CheckResult });
    if (!data.location) throw new ConfigError(`location ${location} not found in shop "${data.shop.name}"`, 'store.locationId');
    const where = data.shop.myshopifyDomain ?? safeUrl(config.url);
    return `Shopify shop "${data.shop.name}" (${where}, API ${apiVersion}): authenticated; location "${data.location.name}" (${data.location.id})${data.location.isActive ? '' : ' is INACTIVE'}`;
  }

  return {
    type: 'shopify',
    limits: { maxBatch },
    list,
    batchKey,
    apply,
    read,
    check,
  } satisfies StoreAdapter;
}

/** `<shop url>/admin/api/<version>/graphql.json` (a URL that already ends in /admin… is cut back to the shop). */
export function graphqlEndpoint(shopUrl: string, apiVersion: string): string {
  const base = shopUrl.replace(/\/+$/, '').replace(/\/admin(\/api(\/[^/]+)?(\/graphql\.json)?)?$/i, '');
  return `${base}/admin/api/${apiVersion}/graphql.json`;
}

function toItem(node: VariantNode, location: string, listing: string): StoreItem {
  const level = levelOf(node.inventoryItem);
  const { qty, managed } = stockView(level);
  const ref: ShopifyRef = {
    variantId: node.id, productId: node.product.id, inventoryItemId: node.inventoryItem.id, locationId: location,
    tracked: level.tracked, stocked: level.stocked, available: level.available, listing,
  };
  return {
    sku: node.sku,
    productId: gidNumber(node.product.id),
    variationId: node.product.hasOnlyDefaultVariant ? null : gidNumber(node.id),
    qty,
    managed,
    ...(node.displayName ? { name: node.displayName } : {}),
    // SPEC §12: Shopify took these off `available` (which invsync writes) and the supplier has not seen them leave.
    ...(managed && level.committed > 0 ? { held: level.committed } : {}),
    ...(node.price !== undefined ? { price: normaliseStorePrice(node.price) } : {}),
    ...(node.product.status ? { visibility: productVisibility(node.product.status) } : {}),
    ref,
  };
}

/** SPEC §14: a variant is out of the shop when its product is not ACTIVE (DRAFT or ARCHIVED). */
export function productVisibility(status: string): ItemVisibility {
  return { hidden: status !== 'ACTIVE', outOfStock: false, values: { status } };
}

function productGidOf(change: Pick<Change, 'ref' | 'productId'>): string {
  const parsed = ShopifyRef.safeParse(change.ref);
  return parsed.success ? parsed.data.productId : toGid('Product', change.productId);
}

/** The variant gid (a simple item without a ref: null, never a sibling of anything). */
function variantGidOf(change: Pick<Change, 'ref' | 'variationId'>): string | null {
  const parsed = ShopifyRef.safeParse(change.ref);
  if (parsed.success) return parsed.data.variantId;
  return change.variationId === null ? null : toGid('ProductVariant', change.variationId);
}

/** What the engine sees: managed only when tracked and stocked at the location. */
function stockView(level: Level): { qty: number | null; managed: boolean } {
  const managed = level.tracked && level.stocked && level.available !== null;
  return { qty: managed ? level.available : null, managed };
}

function levelOf(item: InventoryItemNode): Level {
  const level = item.inventoryLevel;
  const available = level?.quantities.find((q) => q.name === 'available')?.quantity ?? null;
  const committed = level?.quantities.find((q) => q.name === 'committed')?.quantity ?? 0;
  return { tracked: item.tracked, stocked: level !== null, available, committed };
}

/** `["input", "quantities", "3", "changeFromQuantity"]` → 3. */
function quantityIndex(field: UserError['field']): number | undefined {
  if (!field || field[0] !== 'input' || field[1] !== 'quantities' || !/^\d+$/.test(field[2] ?? '')) return undefined;
  return Number(field[2]);
}

function describe(e: UserError): string {
  return e.code ? `${e.code}: ${e.message}` : e.message;
}

/** The message users and scripts rely on: it starts with "changed in store:". */
function changedInStore(seen: number | null, now: number | null, e?: UserError): string {
  const current = now === null ? '' : ` (now ${now})`;
  const code = e?.code ? ` [${e.code}]` : '';
  return `changed in store: available is no longer ${seen ?? 'what invsync read'}${current} since the fetch (a sale or an edit); not overwritten, the next fetch plans from the new level${code}`;
}

function notStockedMessage(location: string): string {
  return `not stocked at location ${location}: connect the product to that location in Shopify admin, then run \`invsync fetch\``;
}

/** Test knob shared with the http client: shortens the wait for an in-flight duplicate request. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal?.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function envBaseMs(): number | undefined {
  const base = Number(process.env.INVSYNC_RETRY_BASE_MS);
  return Number.isFinite(base) && base > 0 ? base : undefined;
}
