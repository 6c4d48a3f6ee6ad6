import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stableJson } from '../../src/stores/shopify/ids.js';
import crypto from 'node:crypto';
import {
  argumentErrors, coerceVariables, directiveArgs, execute, FieldError, GraphQLSyntaxError, parseOperation, precheck,
  requestedCost, validate, type FieldNode, type GqlError, type Operation, type Schema, type Selection,
} from './shopify-graphql.js';

/**
 * A local Shopify Admin GraphQL API (`POST /admin/api/<version>/graphql.json`) for the
 * adapter's tests, built from /work/shared/API_FACTS.md §3:
 *
 * - products → variants (SKU) → inventory items (tracked) → inventory levels per location with
 *   named quantities; gids everywhere; variants listed by cursor, first ≤ 250;
 * - `inventorySetQuantities` with the version's compare-and-set spelling (`changeFromQuantity`
 *   required on every element from 2026-04, `compareQuantity`/`ignoreCompareQuantity` before),
 *   quantities ≤ 250 (MAX_INPUT_SIZE_EXCEEDED), name `available`/`on_hand`, reasons, unique
 *   pairs, the documented user error codes, and `@idempotent(key:)` (from 2026-01; required from
 *   2026-04 unless turned off): a replay returns the original result, the same key with other
 *   input is IDEMPOTENCY_KEY_PARAMETER_MISMATCH, an in-flight duplicate
 *   IDEMPOTENCY_CONCURRENT_REQUEST;
 * - `inventoryItemUpdate` (tracking on/off), `nodes(ids:)`, `shop`, `location(id:)`;
 * - the cost-based leaky bucket: requested cost taken up front, refunded down to the actual cost,
 *   THROTTLED (HTTP 200, Shopify's body) when the bucket holds less than the requested cost,
 *   MAX_COST_EXCEEDED above 1000; `extensions.cost` on every answer;
 * - 401 with Shopify's body for a wrong token; ACCESS_DENIED for a missing scope;
 * - bulk queries (API_FACTS §3, §13): `bulkOperationRunQuery(query:)` (10 points; the bulk run
 *   itself bypasses the cost bucket) checks the inner query (valid, ≥ 1 and ≤ 5 connections,
 *   nesting ≤ 2, one running bulk query per shop before 2026-01 and five from 2026-01), then
 *   goes CREATED → RUNNING (objectCount growing) → COMPLETED on the clock (`bulk` option);
 *   `currentBulkOperation`, `bulkOperation(id:)` and `node(id:)` report it; the result is a JSONL
 *   file at a signed URL on this server (no token needed or wanted), one line per node, nested
 *   connection nodes on their own lines with `__parentId`. An empty result has `url: null`.
 *
 * Anything the schema does not know (a field, argument, directive, variable) is rejected with a
 * GraphQL error shaped like Shopify's, so an adapter bug fails a test instead of passing
 * silently. Choices where API_FACTS marks the real behaviour UNVERIFIED are switchable:
 * `userErrorMode` (does one bad element cancel the whole call?), `requireIdempotencyFrom`.
 */

export const DEFAULT_SHOPIFY_TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
export const ALL_SCOPES = ['read_products', 'write_products', 'read_inventory', 'write_inventory', 'read_locations'];
export const QUANTITY_NAMES = ['available', 'on_hand', 'committed', 'incoming', 'reserved', 'damaged', 'quality_control', 'safety_stock'];
/** API_FACTS §3 (list from a connector mirror of the docs; UNVERIFIED completeness). */
export const REASONS = [
  'correction', 'cycle_count_available', 'damaged', 'movement_created', 'movement_updated', 'movement_received',
  'movement_canceled', 'other', 'promotion', 'quality_control', 'received', 'reservation_created',
  'reservation_deleted', 'reservation_updated', 'restock', 'safety_stock', 'shrinkage',
];

const ID_BASE = { Product: 7_000_000_000_000, ProductVariant: 41_000_000_000_000, InventoryItem: 43_000_000_000_000, Location: 60_000_000_000 };
const THROTTLED_DOC = 'https://shopify.dev/api/usage/rate-limits';
const UNAUTHORIZED = '[API] Invalid API key or access token (unrecognized login or wrong password)';

/* ------------------------------------------------------------------------------------------ */
/* Options, faults, handle                                                                     */
/* ------------------------------------------------------------------------------------------ */

export interface ShopifyFaults {
  /** Delay before every answer. */
  latencyMs: number;
  /** Extra delay for mutations, while their idempotency key is "in flight". */
  writeLatencyMs: number;
  /** The next `count` requests get a REST-style 429 with this Retry-After (Shopify sends a float, "2.0"). */
  status429: { count: number; retryAfter?: string } | null;
  /** The next `count` requests get 503. */
  status503: { count: number } | null;
  /** Set-quantity elements for these SKUs fail with NON_MUTABLE_INVENTORY_ITEM. */
  rejectSkus: string[];
  /** The next N mutation requests are executed, then their connection is dropped without an answer. */
  dropAfterWrite: number;
  /** Every request gets 401, as if the token had been revoked. */
  failAuth: boolean;
  /** The next bulk operation ends FAILED with this errorCode (e.g. INTERNAL_SERVER_ERROR) instead of COMPLETED. */
  bulkFailure: string | null;
}

export interface ShopifyFakeOptions {
  /** Default DEFAULT_SHOPIFY_TOKEN. */
  accessToken?: string;
  /** Default ALL_SCOPES. */
  scopes?: string[];
  shopName?: string;
  /** Location names; default ["Main warehouse", "Pop-up store"]. */
  locations?: string[];
  /** Leaky bucket; default 2000 points, 100 restored per second (Standard plan, API_FACTS §3). */
  bucket?: { maximumAvailable: number; restoreRate: number };
  /** Single-query limit; default 1000. */
  maxQueryCost?: number;
  /** UNVERIFIED in API_FACTS: 'atomic' (default) applies nothing when any element has a user error. */
  userErrorMode?: 'atomic' | 'per-item';
  /** From this version on, inventorySetQuantities without @idempotent is refused; null: never. Default '2026-04'. */
  requireIdempotencyFrom?: string | null;
  /**
   * Bulk query timing (Shopify publishes no figures; UNVERIFIED): queued for `startDelayMs`
   * (default 1000), then `objectsPerSecond` (default 5000) until every line is written.
   */
  bulk?: { startDelayMs?: number; objectsPerSecond?: number };
  faults?: Partial<ShopifyFaults>;
}

export interface ShopifyRequestLogEntry {
  path: string;
  /** Response status; 0 while pending or when the connection was dropped. */
  status: number;
  operation?: string;
  mutation?: boolean;
  requestedCost?: number;
  throttled?: boolean;
  /** Elements in inventorySetQuantities.quantities. */
  quantities?: number;
  idempotencyKey?: string;
  at: number;
}

export interface SeedVariant {
  sku?: string;
  title?: string;
  /** `available` at the first location (default 0). */
  available?: number;
  /** Default true. */
  tracked?: boolean;
  /** Stocked at the first location (default true). */
  stocked?: boolean;
  /** The variant's price, a Money string (default "10.00"). */
  price?: string;
}

export interface SeedProduct {
  title?: string;
  /** ProductStatus (default "ACTIVE"). */
  status?: 'ACTIVE' | 'DRAFT' | 'ARCHIVED';
  /** Default: one "Default Title" variant (a simple product). */
  variants?: SeedVariant[];
}

export interface FakeVariant {
  id: number;
  productId: number;
  inventoryItemId: number;
  sku: string;
  title: string;
}

export interface ShopifyFakeCounters {
  /** Requests of any kind. */
  requests: number;
  /** Mutation operations received (THROTTLED ones included). */
  writeRequests: number;
  /** inventorySetQuantities calls executed (replays excluded). */
  setCalls: number;
  /** inventorySetQuantities calls answered from the idempotency cache. */
  replays: number;
  /** THROTTLED answers. */
  throttled: number;
  /** Lowest bucket level ever reached after taking a request's cost (never below 0). */
  minAvailable: number;
  /** Largest `quantities` array received. */
  maxQuantities: number;
  /** Bulk operations started. */
  bulkOperations: number;
  /** productVariantsBulkUpdate calls executed (refused ones included). */
  priceUpdates: number;
  /** productUpdate calls executed (refused ones included). */
  productUpdates: number;
  /** Result downloads served, and those that (wrongly) carried the access token. */
  bulkDownloads: number;
  bulkDownloadsWithToken: number;
}

export interface ShopifyFake {
  /** The shop URL, e.g. http://127.0.0.1:49152 (what a store config's `url` holds). */
  readonly url: string;
  readonly port: number;
  readonly faults: ShopifyFaults;
  readonly requests: ShopifyRequestLogEntry[];
  readonly counters: ShopifyFakeCounters;
  /** gid of the n-th location (0: the first, where seeds are stocked). */
  locationId(n?: number): string;
  /** Add products; returns their variants in creation order. */
  seed(products: SeedProduct | SeedProduct[]): FakeVariant[];
  /** Add a variant to an existing product (it gets a higher id than everything before). */
  addVariant(productId: number, variant: SeedVariant): FakeVariant;
  variantBySku(sku: string): FakeVariant | undefined;
  /** Delete a variant (as an admin would): its inventory item goes with it. */
  removeVariant(sku: string): void;
  /** `available` at the first location for a tracked, stocked item; null when not tracked or not stocked; undefined: no such SKU. */
  stockOf(sku: string): number | null | undefined;
  /** Raw `available` (even for an untracked item); undefined when not stocked. */
  availableOf(sku: string, location?: number): number | undefined;
  tracked(sku: string): boolean | undefined;
  /** The variant's price as Shopify shows it (a Money string); undefined: no such SKU. */
  priceOf(sku: string): string | undefined;
  /** The status (ACTIVE/DRAFT/ARCHIVED) of the product the SKU belongs to; undefined: no such SKU. */
  productStatusOf(sku: string): string | undefined;
  /** Set a product's status (as an admin would), by one of its SKUs. */
  setProductStatus(sku: string, status: 'ACTIVE' | 'DRAFT' | 'ARCHIVED'): void;
  /** A customer buys `qty`: available goes down, committed up (a concurrent sale). */
  sell(sku: string, qty: number): void;
  /** Set the bucket level (e.g. 0: another app used the budget). */
  drainBucket(level?: number): void;
  /** The bucket level now. */
  bucketLevel(): number;
  resetFaults(): void;
  close(): Promise<void>;
}

export function noShopifyFaults(): ShopifyFaults {
  return { latencyMs: 0, writeLatencyMs: 0, status429: null, status503: null, rejectSkus: [], dropAfterWrite: 0, failAuth: false, bulkFailure: null };
}

/* ------------------------------------------------------------------------------------------ */
/* The shop                                                                                    */
/* ------------------------------------------------------------------------------------------ */

interface ProductRec { id: number; title: string; status: string; variants: number[] }
interface VariantRec { id: number; productId: number; sku: string; title: string; inventoryItemId: number; price: string }
interface ItemRec { id: number; variantId: number; tracked: boolean; levels: Map<number, Record<string, number>> }
interface LocationRec { id: number; name: string; isActive: boolean }

function gid(type: keyof typeof ID_BASE | 'InventoryAdjustmentGroup' | 'InventoryLevel' | 'BulkOperation', id: number): string {
  return `gid://shopify/${type}/${id}`;
}

function parseGid(value: unknown): { type: string; id: number } | null {
  const m = typeof value === 'string' ? /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)$/.exec(value) : null;
  return m ? { type: m[1] as string, id: Number(m[2]) } : null;
}

function createShop(locationNames: string[]) {
  const products = new Map<number, ProductRec>();
  const variants = new Map<number, VariantRec>();
  const items = new Map<number, ItemRec>();
  const locations = new Map<number, LocationRec>();
  const next = { Product: ID_BASE.Product, ProductVariant: ID_BASE.ProductVariant, InventoryItem: ID_BASE.InventoryItem, group: 900_000 };
  locationNames.forEach((name, i) => locations.set(ID_BASE.Location + i + 1, { id: ID_BASE.Location + i + 1, name, isActive: true }));
  const firstLocation = ID_BASE.Location + 1;

  function addVariant(product: ProductRec, seed: SeedVariant): VariantRec {
    const v: VariantRec = { id: ++next.ProductVariant, productId: product.id, sku: seed.sku ?? '', title: seed.title ?? 'Default Title', inventoryItemId: ++next.InventoryItem, price: seed.price ?? '10.00' };
    const levels = new Map<number, Record<string, number>>();
    if (seed.stocked !== false) {
      const available = seed.available ?? 0;
      levels.set(firstLocation, { available, on_hand: available, committed: 0, incoming: 0, reserved: 0, damaged: 0, quality_control: 0, safety_stock: 0 });
    }
    items.set(v.inventoryItemId, { id: v.inventoryItemId, variantId: v.id, tracked: seed.tracked !== false, levels });
    variants.set(v.id, v);
    product.variants.push(v.id);
    return v;
  }

  function bySku(sku: string): VariantRec | undefined {
    for (const v of variants.values()) if (v.sku === sku) return v;
    return undefined;
  }

  return { products, variants, items, locations, next, firstLocation, addVariant, bySku };
}
type Shop = ReturnType<typeof createShop>;

/* ------------------------------------------------------------------------------------------ */
/* Schema (per API version)                                                                    */
/* ------------------------------------------------------------------------------------------ */

function buildSchema(version: string): Schema {
  const modern = version >= '2026-04';
  const quantityInput: Schema['inputs'][string] = {
    inventoryItemId: { type: 'ID!' }, locationId: { type: 'ID!' }, quantity: { type: 'Int!' },
    ...(modern ? { changeFromQuantity: { type: 'Int', presenceRequired: true } } : { compareQuantity: { type: 'Int' } }),
  };
  const setInput: Schema['inputs'][string] = {
    name: { type: 'String!' }, reason: { type: 'String!' }, referenceDocumentUri: { type: 'String' },
    quantities: { type: '[InventoryQuantityInput!]!' },
    ...(modern ? {} : { ignoreCompareQuantity: { type: 'Boolean' } }),
  };
  return {
    query: 'QueryRoot',
    mutation: 'Mutation',
    scalars: new Set(['URL', 'DateTime', 'Decimal', 'Money']),
    enums: {
      BulkOperationType: ['QUERY', 'MUTATION'],
      BulkOperationStatus: ['CANCELED', 'CANCELING', 'COMPLETED', 'CREATED', 'EXPIRED', 'FAILED', 'RUNNING'],
      BulkOperationErrorCode: ['ACCESS_DENIED', 'INTERNAL_SERVER_ERROR', 'TIMEOUT'],
      CountPrecision: ['EXACT', 'AT_LEAST'],
      ProductStatus: ['ACTIVE', 'ARCHIVED', 'DRAFT'],
      ProductVariantSortKeys: ['FULL_TITLE', 'ID', 'INVENTORY_LEVELS_AVAILABLE', 'INVENTORY_MANAGEMENT', 'INVENTORY_POLICY', 'INVENTORY_QUANTITY', 'NAME', 'POPULAR', 'POSITION', 'RELEVANCE', 'SKU', 'TITLE'],
    },
    inputs: {
      InventorySetQuantitiesInput: setInput,
      InventoryQuantityInput: quantityInput,
      InventoryItemInput: { tracked: { type: 'Boolean' }, cost: { type: 'Decimal' }, requiresShipping: { type: 'Boolean' } },
      ProductVariantsBulkInput: { id: { type: 'ID' }, price: { type: 'Money' }, compareAtPrice: { type: 'Money' } },
      // ProductUpdateInput (the `product:` argument since 2024-10; `input: ProductInput` is deprecated).
      ProductUpdateInput: { id: { type: 'ID' }, status: { type: 'ProductStatus' }, title: { type: 'String' } },
    },
    directives: version >= '2026-01' ? { idempotent: { key: 'String!' } } : {},
    types: {
      QueryRoot: {
        fields: {
          productVariants: {
            type: 'ProductVariantConnection', cost: 'connection', scope: 'read_products',
            args: { first: 'Int', after: 'String', last: 'Int', before: 'String', reverse: 'Boolean', sortKey: 'ProductVariantSortKeys', query: 'String' },
          },
          nodes: { type: '[Node]', cost: 'ids', args: { ids: '[ID!]!' } },
          node: { type: 'Node', args: { id: 'ID!' } },
          productVariantsCount: { type: 'Count', scope: 'read_products', args: { query: 'String', limit: 'Int' } },
          currentBulkOperation: { type: 'BulkOperation', args: { type: 'BulkOperationType' } },
          bulkOperation: { type: 'BulkOperation', args: { id: 'ID!' } },
          shop: { type: 'Shop' },
          location: { type: 'Location', scope: 'read_locations', args: { id: 'ID' } },
        },
      },
      Mutation: {
        fields: {
          inventorySetQuantities: {
            type: 'InventorySetQuantitiesPayload', cost: 'mutation', scope: 'write_inventory',
            args: { input: 'InventorySetQuantitiesInput!' },
            precheck: (args, field) => {
              const q = (args.input as { quantities?: unknown[] } | null)?.quantities;
              if (Array.isArray(q) && q.length > 250) {
                return {
                  message: `The input array size of ${q.length} is greater than the maximum allowed of 250.`,
                  locations: [field.loc], path: [field.alias ?? field.name, 'input', 'quantities'], extensions: { code: 'MAX_INPUT_SIZE_EXCEEDED' },
                };
              }
              return null;
            },
          },
          inventoryItemUpdate: {
            type: 'InventoryItemUpdatePayload', cost: 'mutation', scope: 'write_inventory',
            args: { id: 'ID!', input: 'InventoryItemInput!' },
          },
          bulkOperationRunQuery: { type: 'BulkOperationRunQueryPayload', cost: 'mutation', args: { query: 'String!' } },
          productVariantsBulkUpdate: {
            type: 'ProductVariantsBulkUpdatePayload', cost: 'mutation', scope: 'write_products',
            args: { productId: 'ID!', variants: '[ProductVariantsBulkInput!]!', allowPartialUpdates: 'Boolean' },
          },
          productUpdate: { type: 'ProductUpdatePayload', cost: 'mutation', scope: 'write_products', args: { product: 'ProductUpdateInput' } },
        },
      },
      Node: { fields: { id: { type: 'ID' } }, possibleTypes: ['Product', 'ProductVariant', 'InventoryItem', 'Location', 'BulkOperation'] },
      Count: { fields: { count: { type: 'Int' }, precision: { type: 'CountPrecision' } } },
      BulkOperation: {
        fields: {
          id: { type: 'ID' }, status: { type: 'BulkOperationStatus' }, errorCode: { type: 'BulkOperationErrorCode' }, type: { type: 'BulkOperationType' },
          createdAt: { type: 'DateTime' }, completedAt: { type: 'DateTime' }, objectCount: { type: 'String' }, rootObjectCount: { type: 'String' },
          fileSize: { type: 'String' }, url: { type: 'URL' }, partialDataUrl: { type: 'URL' }, query: { type: 'String' },
        },
      },
      BulkOperationRunQueryPayload: { fields: { bulkOperation: { type: 'BulkOperation' }, userErrors: { type: '[BulkOperationUserError]' } } },
      BulkOperationUserError: { fields: { field: { type: '[String]' }, message: { type: 'String' }, code: { type: 'String' } } },
      ProductVariantEdge: { fields: { cursor: { type: 'String' }, node: { type: 'ProductVariant' } } },
      Shop: { fields: { id: { type: 'ID' }, name: { type: 'String' }, myshopifyDomain: { type: 'String' } } },
      Location: { fields: { id: { type: 'ID' }, name: { type: 'String' }, isActive: { type: 'Boolean' } } },
      PageInfo: { fields: { hasNextPage: { type: 'Boolean' }, hasPreviousPage: { type: 'Boolean' }, startCursor: { type: 'String' }, endCursor: { type: 'String' } } },
      ProductVariantConnection: { fields: { nodes: { type: '[ProductVariant]' }, edges: { type: '[ProductVariantEdge]' }, pageInfo: { type: 'PageInfo', cost: 'free' } } },
      Product: {
        fields: {
          id: { type: 'ID' }, title: { type: 'String' }, hasOnlyDefaultVariant: { type: 'Boolean' }, status: { type: 'ProductStatus' },
          variants: { type: 'ProductVariantConnection', cost: 'connection', args: { first: 'Int', after: 'String' } },
        },
      },
      ProductVariant: {
        fields: {
          id: { type: 'ID' }, sku: { type: 'String' }, title: { type: 'String' }, displayName: { type: 'String' }, price: { type: 'Money' },
          inventoryQuantity: { type: 'Int' }, product: { type: 'Product' }, inventoryItem: { type: 'InventoryItem' },
        },
      },
      InventoryItem: {
        fields: {
          id: { type: 'ID' }, sku: { type: 'String' }, tracked: { type: 'Boolean' }, variant: { type: 'ProductVariant' },
          inventoryLevel: { type: 'InventoryLevel', scope: 'read_inventory', args: { locationId: 'ID!' } },
        },
      },
      InventoryLevel: {
        fields: {
          id: { type: 'ID' }, location: { type: 'Location' },
          quantities: { type: '[InventoryQuantity]', args: { names: '[String!]!' } },
        },
      },
      InventoryQuantity: { fields: { name: { type: 'String' }, quantity: { type: 'Int' } } },
      InventorySetQuantitiesPayload: {
        fields: { inventoryAdjustmentGroup: { type: 'InventoryAdjustmentGroup' }, userErrors: { type: '[InventorySetQuantitiesUserError]' } },
      },
      InventoryAdjustmentGroup: {
        fields: {
          id: { type: 'ID' }, reason: { type: 'String' }, referenceDocumentUri: { type: 'String' }, createdAt: { type: 'DateTime' },
          changes: { type: '[InventoryChange]' },
        },
      },
      InventoryChange: {
        fields: { name: { type: 'String' }, delta: { type: 'Int' }, quantityAfterChange: { type: 'Int' }, item: { type: 'InventoryItem' }, location: { type: 'Location' } },
      },
      ProductVariantsBulkUpdatePayload: {
        fields: { product: { type: 'Product' }, productVariants: { type: '[ProductVariant]' }, userErrors: { type: '[ProductVariantsBulkUpdateUserError]' } },
      },
      ProductUpdatePayload: { fields: { product: { type: 'Product' }, userErrors: { type: '[UserError]' } } },
      ProductVariantsBulkUpdateUserError: { fields: { field: { type: '[String]' }, message: { type: 'String' }, code: { type: 'String' } } },
      InventorySetQuantitiesUserError: { fields: { field: { type: '[String]' }, message: { type: 'String' }, code: { type: 'String' } } },
      InventoryItemUpdatePayload: { fields: { inventoryItem: { type: 'InventoryItem' }, userErrors: { type: '[UserError]' } } },
      UserError: { fields: { field: { type: '[String]' }, message: { type: 'String' } } },
    },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Resolvers: plain objects whose function members are called with (args, directives, field)   */
/* ------------------------------------------------------------------------------------------ */

interface UserErr { field: string[] | null; message: string; code: string }
interface SetPayload { inventoryAdjustmentGroup: Record<string, unknown> | null; userErrors: UserErr[] }

interface Runtime {
  shop: Shop;
  version: string;
  faults: ShopifyFaults;
  options: Required<Pick<ShopifyFakeOptions, 'userErrorMode' | 'requireIdempotencyFrom' | 'shopName'>>;
  counters: ShopifyFakeCounters;
  idempotency: Map<string, { input: string; payload: SetPayload }>;
  /** True while another request carrying this idempotency key is being processed. */
  inFlightElsewhere(key: string): boolean;
  bulk: BulkRuntime;
}

interface BulkRuntime {
  run(query: string): { bulkOperation: Record<string, unknown> | null; userErrors: Array<{ field: string[] | null; message: string; code: string | null }> };
  /** The operation as the API shows it now; null when unknown. */
  view(id: number): Record<string, unknown> | null;
  current(): Record<string, unknown> | null;
}

function objects(rt: Runtime) {
  const { shop } = rt;

  const location = (l: LocationRec) => ({ __typename: 'Location', id: gid('Location', l.id), name: l.name, isActive: l.isActive });

  const connection = <T>(all: T[], idOf: (t: T) => number, args: Record<string, unknown>) => {
    const first = args.first as number | null | undefined;
    const last = args.last as number | null | undefined;
    if ((first === null || first === undefined) && (last === null || last === undefined)) throw new FieldError('you must provide one of first or last', { code: 'BAD_REQUEST' });
    const size = (first ?? last) as number;
    if (size > 250 || size < 0) throw new FieldError(`The maximum number of items requested is 250 (requested ${size}).`, { code: 'BAD_REQUEST' });
    if (last !== null && last !== undefined) throw new FieldError('this fake pages forwards only (first/after)', { code: 'BAD_REQUEST' });
    let list = [...all].sort((a, b) => idOf(a) - idOf(b));
    if (args.reverse === true) list.reverse();
    if (typeof args.after === 'string') {
      let lastId: unknown;
      try { lastId = (JSON.parse(Buffer.from(args.after, 'base64').toString('utf8')) as { last_id?: unknown }).last_id; } catch { /* reported below */ }
      if (typeof lastId !== 'number') throw new FieldError('Invalid cursor', { code: 'BAD_REQUEST' });
      // Keyset paging (like Shopify's cursors): rows added or removed meanwhile never shift a page.
      list = list.filter((t) => (args.reverse === true ? idOf(t) < (lastId as number) : idOf(t) > (lastId as number)));
    }
    const page = list.slice(0, size);
    const cursorOf = (t: T) => Buffer.from(JSON.stringify({ last_id: idOf(t), last_value: String(idOf(t)) })).toString('base64');
    return {
      nodes: page,
      cursorOf,
      pageInfo: {
        hasNextPage: list.length > size, hasPreviousPage: typeof args.after === 'string',
        startCursor: page.length ? cursorOf(page[0] as T) : null, endCursor: page.length ? cursorOf(page[page.length - 1] as T) : null,
      },
    };
  };

  const level = (item: ItemRec, locationId: number) => {
    const q = item.levels.get(locationId);
    if (!q) return null;
    return {
      __typename: 'InventoryLevel',
      id: `gid://shopify/InventoryLevel/${item.id}${locationId}?inventory_item_id=${item.id}`,
      location: () => location(shop.locations.get(locationId) as LocationRec),
      quantities: (args: Record<string, unknown>) => (args.names as string[]).map((name) => {
        if (!QUANTITY_NAMES.includes(name)) throw new FieldError(`Invalid quantity name: ${name}`, { code: 'BAD_REQUEST' });
        return { name, quantity: q[name] ?? 0 };
      }),
    };
  };

  const inventoryItem = (item: ItemRec): Record<string, unknown> => ({
    __typename: 'InventoryItem',
    id: gid('InventoryItem', item.id),
    sku: shop.variants.get(item.variantId)?.sku ?? null,
    tracked: item.tracked,
    variant: () => variant(shop.variants.get(item.variantId) as VariantRec),
    inventoryLevel: (args: Record<string, unknown>) => {
      const loc = parseGid(args.locationId);
      if (!loc || loc.type !== 'Location') throw new FieldError(`Invalid global id '${String(args.locationId)}'`, { code: 'argumentLiteralsIncompatible' });
      return level(item, loc.id);
    },
  });

  const variant = (v: VariantRec): Record<string, unknown> => {
    const p = shop.products.get(v.productId) as ProductRec;
    const item = shop.items.get(v.inventoryItemId) as ItemRec;
    return {
      __typename: 'ProductVariant',
      id: gid('ProductVariant', v.id),
      sku: v.sku,
      title: v.title,
      displayName: `${p.title} - ${v.title}`,
      price: v.price,
      inventoryQuantity: [...item.levels.values()].reduce((s, q) => s + (q.available ?? 0), 0),
      product: () => product(p),
      inventoryItem: () => inventoryItem(item),
    };
  };

  const product = (p: ProductRec): Record<string, unknown> => ({
    __typename: 'Product',
    id: gid('Product', p.id),
    title: p.title,
    status: p.status,
    hasOnlyDefaultVariant: p.variants.length === 1 && shop.variants.get(p.variants[0] as number)?.title === 'Default Title',
    variants: (args: Record<string, unknown>) => {
      const c = connection(p.variants.map((id) => shop.variants.get(id) as VariantRec), (v) => v.id, args);
      return { nodes: c.nodes.map(variant), edges: c.nodes.map((v) => ({ cursor: c.cursorOf(v), node: variant(v) })), pageInfo: c.pageInfo };
    },
  });

  const node = (id: unknown) => {
    const g = parseGid(id);
    if (!g) throw new FieldError(`Invalid global id '${String(id)}'`, { code: 'argumentLiteralsIncompatible' });
    switch (g.type) {
      case 'Product': { const p = shop.products.get(g.id); return p ? product(p) : null; }
      case 'ProductVariant': { const v = shop.variants.get(g.id); return v ? variant(v) : null; }
      case 'InventoryItem': { const i = shop.items.get(g.id); return i ? inventoryItem(i) : null; }
      case 'Location': { const l = shop.locations.get(g.id); return l ? location(l) : null; }
      default: return null;
    }
  };

  const queryRoot = {
    productVariants: (args: Record<string, unknown>) => {
      if (args.sortKey !== undefined && args.sortKey !== null && args.sortKey !== 'ID') throw new FieldError(`this fake sorts variants by ID only (got ${String(args.sortKey)})`, { code: 'BAD_REQUEST' });
      if (args.query !== undefined && args.query !== null) throw new FieldError('this fake does not implement search queries', { code: 'BAD_REQUEST' });
      const c = connection([...shop.variants.values()], (v) => v.id, args);
      return { nodes: c.nodes.map(variant), edges: c.nodes.map((v) => ({ cursor: c.cursorOf(v), node: variant(v) })), pageInfo: c.pageInfo };
    },
    productVariantsCount: (args: Record<string, unknown>) => {
      if (args.query !== undefined && args.query !== null) throw new FieldError('this fake does not implement search queries', { code: 'BAD_REQUEST' });
      // Shopify counts up to `limit` (default 10,000; null: no limit) and says AT_LEAST beyond it.
      const limit = args.limit === undefined ? 10_000 : (args.limit as number | null);
      const total = shop.variants.size;
      return limit !== null && total > limit ? { count: limit, precision: 'AT_LEAST' } : { count: total, precision: 'EXACT' };
    },
    node: (args: Record<string, unknown>) => {
      const g = parseGid(args.id);
      if (g?.type === 'BulkOperation') return rt.bulk.view(g.id);
      return node(args.id);
    },
    currentBulkOperation: (args: Record<string, unknown>) => (args.type === 'MUTATION' ? null : rt.bulk.current()),
    bulkOperation: (args: Record<string, unknown>) => {
      const g = parseGid(args.id);
      return g?.type === 'BulkOperation' ? rt.bulk.view(g.id) : null;
    },
    nodes: (args: Record<string, unknown>) => {
      const ids = args.ids as unknown[];
      if (ids.length > 250) throw new FieldError(`The input array size of ${ids.length} is greater than the maximum allowed of 250.`, { code: 'MAX_INPUT_SIZE_EXCEEDED' });
      return ids.map(node);
    },
    shop: () => ({ id: 'gid://shopify/Shop/1', name: rt.options.shopName, myshopifyDomain: `${rt.options.shopName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.myshopify.com` }),
    location: (args: Record<string, unknown>) => {
      const g = parseGid(args.id);
      const l = g && g.type === 'Location' ? shop.locations.get(g.id) : undefined;
      return l ? location(l) : null;
    },
  };

  const mutationRoot = {
    bulkOperationRunQuery: (args: Record<string, unknown>) => rt.bulk.run(args.query as string),
    productVariantsBulkUpdate: (args: Record<string, unknown>) => {
      rt.counters.priceUpdates++;
      return bulkUpdateVariants(args);
    },
    // Shopify's productUpdate: an unknown product is a user error (field ["id"]); an invalid
    // status never gets here (the ProductStatus enum refuses it when the variables are coerced).
    productUpdate: (args: Record<string, unknown>) => {
      rt.counters.productUpdates++;
      const input = (args.product ?? {}) as { id?: unknown; status?: string | null; title?: string | null };
      const g = parseGid(input.id);
      const p = g && g.type === 'Product' ? shop.products.get(g.id) : undefined;
      if (!p) return { product: null, userErrors: [{ field: ['id'], message: 'Product does not exist' }] };
      if (typeof input.status === 'string') p.status = input.status;
      if (typeof input.title === 'string') p.title = input.title;
      return { product: product(p), userErrors: [] };
    },
    inventoryItemUpdate: (args: Record<string, unknown>) => {
      const g = parseGid(args.id);
      const item = g && g.type === 'InventoryItem' ? shop.items.get(g.id) : undefined;
      if (!item) return { inventoryItem: null, userErrors: [{ field: ['id'], message: "The product couldn't be updated because it does not exist." }] };
      const input = args.input as { tracked?: boolean | null };
      if (typeof input.tracked === 'boolean') item.tracked = input.tracked;
      return { inventoryItem: inventoryItem(item), userErrors: [] };
    },
    inventorySetQuantities: (args: Record<string, unknown>, directives: Record<string, Record<string, unknown>>) => {
      const key = directives.idempotent?.key as string | undefined;
      if (!key && rt.options.requireIdempotencyFrom !== null && rt.version >= rt.options.requireIdempotencyFrom) {
        throw new FieldError('The @idempotent directive is required for this mutation.', { code: 'BAD_REQUEST' });
      }
      const input = args.input as Record<string, unknown>;
      if (key) {
        if (rt.inFlightElsewhere(key)) {
          return { inventoryAdjustmentGroup: null, userErrors: [{ field: null, message: 'A request with this idempotency key is currently in progress.', code: 'IDEMPOTENCY_CONCURRENT_REQUEST' }] };
        }
        const cached = rt.idempotency.get(key);
        if (cached) {
          if (cached.input !== stableJson(input)) {
            return { inventoryAdjustmentGroup: null, userErrors: [{ field: null, message: 'The idempotency key was already used with different parameters.', code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' }] };
          }
          rt.counters.replays++;
          return cached.payload;
        }
      }
      const payload = setQuantities(input);
      rt.counters.setCalls++;
      if (key) rt.idempotency.set(key, { input: stableJson(input), payload });
      return payload;
    },
  };

  /**
   * productVariantsBulkUpdate: the variants of ONE product. Without allowPartialUpdates a user
   * error on any element applies nothing (Shopify's default). Codes from
   * ProductVariantsBulkUpdateUserErrorCode; the Money scalar takes a decimal string.
   */
  function bulkUpdateVariants(args: Record<string, unknown>) {
    const pg = parseGid(args.productId);
    const p = pg?.type === 'Product' ? shop.products.get(pg.id) : undefined;
    if (!p) return { product: null, productVariants: null, userErrors: [{ field: ['productId'], message: 'Product does not exist', code: 'PRODUCT_DOES_NOT_EXIST' }] };
    const inputs = args.variants as Array<Record<string, unknown>>;
    const userErrors: UserErr[] = [];
    const valid: Array<{ v: VariantRec; price?: string }> = [];
    inputs.forEach((input, i) => {
      const vg = parseGid(input.id);
      const v = vg?.type === 'ProductVariant' ? shop.variants.get(vg.id) : undefined;
      if (!v) { userErrors.push({ field: ['variants', String(i), 'id'], message: 'Product variant does not exist', code: 'PRODUCT_VARIANT_DOES_NOT_EXIST' }); return; }
      if (v.productId !== p.id) { userErrors.push({ field: ['variants', String(i), 'id'], message: 'Input must be for this product.', code: 'MUST_BE_FOR_THIS_PRODUCT' }); return; }
      const price = input.price as string | null | undefined;
      if (typeof price === 'string') {
        if (!/^-?\d+(\.\d+)?$/.test(price.trim())) { userErrors.push({ field: ['variants', String(i), 'price'], message: 'Price is invalid', code: 'INVALID_INPUT' }); return; }
        if (Number(price) < 0) { userErrors.push({ field: ['variants', String(i), 'price'], message: 'The price of the variant must be greater than or equal to zero.', code: 'GREATER_THAN_OR_EQUAL_TO' }); return; }
      }
      valid.push({ v, ...(typeof price === 'string' ? { price: price.trim() } : {}) });
    });
    if (userErrors.length > 0 && args.allowPartialUpdates !== true) return { product: product(p), productVariants: null, userErrors };
    // Shopify stores Money with two decimals.
    for (const { v, price } of valid) if (price !== undefined) v.price = Number(price).toFixed(2);
    return { product: product(p), productVariants: valid.map(({ v }) => variant(v)), userErrors };
  }

  function setQuantities(input: Record<string, unknown>): SetPayload {
    const modern = rt.version >= '2026-04';
    const name = input.name as string;
    const quantities = input.quantities as Array<Record<string, unknown>>;
    rt.counters.maxQuantities = Math.max(rt.counters.maxQuantities, quantities.length);
    const userErrors: UserErr[] = [];
    if (name !== 'available' && name !== 'on_hand') userErrors.push({ field: ['input', 'name'], message: 'The quantity name must be either \'available\' or \'on_hand\'.', code: 'INVALID_NAME' });
    if (!REASONS.includes(input.reason as string)) userErrors.push({ field: ['input', 'reason'], message: 'The specified reason is invalid.', code: 'INVALID_REASON' });
    const uri = input.referenceDocumentUri;
    if (uri !== undefined && uri !== null && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(uri as string)) {
      userErrors.push({ field: ['input', 'referenceDocumentUri'], message: 'The specified reference document is invalid.', code: 'INVALID_REFERENCE_DOCUMENT' });
    }
    if (userErrors.length > 0) return { inventoryAdjustmentGroup: null, userErrors };

    const ignoreCompare = !modern && input.ignoreCompareQuantity === true;
    const seen = new Set<string>();
    const valid: Array<{ item: ItemRec; locationId: number; q: Record<string, number>; quantity: number }> = [];
    quantities.forEach((entry, i) => {
      const at = (f: string) => ['input', 'quantities', String(i), f];
      const err = (f: string, code: string, message: string) => userErrors.push({ field: at(f), message, code });
      const ig = parseGid(entry.inventoryItemId);
      const lg = parseGid(entry.locationId);
      const item = ig?.type === 'InventoryItem' ? shop.items.get(ig.id) : undefined;
      const loc = lg?.type === 'Location' ? shop.locations.get(lg.id) : undefined;
      const pair = `${String(entry.inventoryItemId)}|${String(entry.locationId)}`;
      if (seen.has(pair)) return err('inventoryItemId', 'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR', 'The combination of inventoryItemId and locationId must be unique.');
      seen.add(pair);
      if (!item) return err('inventoryItemId', 'INVALID_INVENTORY_ITEM', 'The specified inventory item could not be found.');
      if (!loc) return err('locationId', 'INVALID_LOCATION', 'The specified location could not be found.');
      const q = item.levels.get(loc.id);
      if (!q) return err('locationId', 'ITEM_NOT_STOCKED_AT_LOCATION', 'The specified inventory item is not stocked at the location.');
      // API_FACTS §3: writes need a tracked item. The exact code for an untracked one is not documented.
      if (!item.tracked) return err('inventoryItemId', 'INVALID_INVENTORY_ITEM', 'The specified inventory item is not tracked.');
      const sku = shop.variants.get(item.variantId)?.sku ?? '';
      if (rt.faults.rejectSkus.includes(sku)) return err('inventoryItemId', 'NON_MUTABLE_INVENTORY_ITEM', 'The specified inventory item is not allowed to be adjusted via API.');
      const quantity = entry.quantity as number;
      if (quantity > 1_000_000_000) return err('quantity', 'INVALID_QUANTITY_TOO_HIGH', 'The quantity can\'t be higher than 1,000,000,000.');
      if (quantity < -1_000_000_000) return err('quantity', 'INVALID_QUANTITY_TOO_LOW', 'The quantity can\'t be lower than -1,000,000,000.');
      if (name === 'on_hand' && quantity < 0) return err('quantity', 'INVALID_QUANTITY_NEGATIVE', 'The quantity can\'t be negative.');
      const current = q[name] ?? 0;
      if (modern) {
        const from = entry.changeFromQuantity;
        if (from !== null && from !== current) return err('changeFromQuantity', 'CHANGE_FROM_QUANTITY_STALE', 'The specified changeFromQuantity does not match the current quantity.');
      } else if (!ignoreCompare) {
        const compare = entry.compareQuantity;
        if (compare === undefined || compare === null) return err('compareQuantity', 'COMPARE_QUANTITY_REQUIRED', 'The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.');
        if (compare !== current) return err('compareQuantity', 'COMPARE_QUANTITY_STALE', 'The specified compare quantity does not match the current quantity.');
      }
      valid.push({ item, locationId: loc.id, q, quantity });
      return undefined;
    });
    if (userErrors.length > 0 && rt.options.userErrorMode === 'atomic') return { inventoryAdjustmentGroup: null, userErrors };
    if (valid.length === 0) return { inventoryAdjustmentGroup: null, userErrors };

    const other = name === 'available' ? 'on_hand' : 'available';
    const changes: Array<Record<string, unknown>> = [];
    for (const v of valid) {
      const delta = v.quantity - (v.q[name] ?? 0);
      v.q[name] = v.quantity;
      v.q[other] = (v.q[other] ?? 0) + delta;
      if (delta !== 0) {
        const loc = location(shop.locations.get(v.locationId) as LocationRec);
        const item = inventoryItem(v.item);
        changes.push({ name, delta, quantityAfterChange: v.q[name], item, location: loc });
        changes.push({ name: other, delta, quantityAfterChange: v.q[other], item, location: loc });
      }
    }
    const group = {
      id: gid('InventoryAdjustmentGroup', ++shop.next.group), reason: input.reason, referenceDocumentUri: input.referenceDocumentUri ?? null,
      createdAt: new Date().toISOString(), changes,
    };
    return { inventoryAdjustmentGroup: group, userErrors };
  }

  return { queryRoot, mutationRoot };
}

/* ------------------------------------------------------------------------------------------ */
/* Server                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** Start a fake shop on 127.0.0.1 (port 0: a free one). */
export async function startShopifyFake(options: ShopifyFakeOptions = {}): Promise<ShopifyFake> {
  const token = options.accessToken ?? DEFAULT_SHOPIFY_TOKEN;
  const scopes = new Set(options.scopes ?? ALL_SCOPES);
  const shop = createShop(options.locations ?? ['Main warehouse', 'Pop-up store']);
  const faults: ShopifyFaults = Object.assign(noShopifyFaults(), options.faults);
  const bucketSpec = options.bucket ?? { maximumAvailable: 2000, restoreRate: 100 };
  const maxQueryCost = options.maxQueryCost ?? 1000;
  const counters: ShopifyFakeCounters = {
    requests: 0, writeRequests: 0, setCalls: 0, replays: 0, throttled: 0, minAvailable: bucketSpec.maximumAvailable, maxQuantities: 0,
    bulkOperations: 0, priceUpdates: 0, productUpdates: 0, bulkDownloads: 0, bulkDownloadsWithToken: 0,
  };
  const requests: ShopifyRequestLogEntry[] = [];
  const idempotency = new Map<string, { input: string; payload: SetPayload }>();
  const inFlight = new Set<string>();
  const runtimeOptions = {
    userErrorMode: options.userErrorMode ?? 'atomic',
    requireIdempotencyFrom: options.requireIdempotencyFrom === undefined ? '2026-04' : options.requireIdempotencyFrom,
    shopName: options.shopName ?? 'Invsync Test Shop',
  } as const;
  const timers = new Set<NodeJS.Timeout>();
  const schemas = new Map<string, Schema>();

  /** The leaky bucket: `level` points at time `at`, refilled continuously. */
  const bucket = { level: bucketSpec.maximumAvailable, at: Date.now() };
  const refill = (): number => {
    const now = Date.now();
    bucket.level = Math.min(bucketSpec.maximumAvailable, bucket.level + (bucketSpec.restoreRate * (now - bucket.at)) / 1000);
    bucket.at = now;
    return bucket.level;
  };
  const throttleStatus = () => ({ maximumAvailable: bucketSpec.maximumAvailable, currentlyAvailable: Math.floor(refill()), restoreRate: bucketSpec.restoreRate });

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  function schemaFor(version: string): Schema {
    let s = schemas.get(version);
    if (!s) schemas.set(version, (s = buildSchema(version)));
    return s;
  }

  /* -------------------------------------------------------------------------------------- */
  /* Bulk query operations                                                                   */
  /* -------------------------------------------------------------------------------------- */

  interface BulkOp { id: number; query: string; createdAt: number; lines: string[]; bytes: number; roots: number; failure: string | null; signature: string }
  const bulkOps = new Map<number, BulkOp>();
  let nextBulk = 5_000_000;
  let origin = '';
  const bulkTiming = { startDelayMs: options.bulk?.startDelayMs ?? 1000, objectsPerSecond: options.bulk?.objectsPerSecond ?? 5000 };
  const loc0 = { line: 1, column: 1 };
  const fieldNode = (name: string, selections?: Selection[], args: FieldNode['args'] = [], alias?: string): FieldNode =>
    ({ kind: 'Field', name, alias, args, directives: [], selections, loc: loc0 });

  function bulkState(op: BulkOp, now: number): { status: string; objectCount: number; completedAt: number | null } {
    const started = op.createdAt + bulkTiming.startDelayMs;
    const runMs = (op.lines.length / bulkTiming.objectsPerSecond) * 1000;
    if (now < started) return { status: 'CREATED', objectCount: 0, completedAt: null };
    if (now < started + runMs) return { status: 'RUNNING', objectCount: Math.floor(((now - started) / 1000) * bulkTiming.objectsPerSecond), completedAt: null };
    return { status: op.failure ? 'FAILED' : 'COMPLETED', objectCount: op.failure ? 0 : op.lines.length, completedAt: started + runMs };
  }

  function bulkView(op: BulkOp): Record<string, unknown> {
    const s = bulkState(op, Date.now());
    const done = s.status === 'COMPLETED';
    return {
      __typename: 'BulkOperation', id: gid('BulkOperation', op.id), status: s.status, type: 'QUERY', query: op.query,
      errorCode: s.status === 'FAILED' ? op.failure : null,
      createdAt: new Date(op.createdAt).toISOString(), completedAt: s.completedAt === null ? null : new Date(s.completedAt).toISOString(),
      objectCount: String(s.objectCount), rootObjectCount: String(done ? op.roots : 0),
      fileSize: done && op.lines.length > 0 ? String(op.bytes) : null,
      // NOTE (Shopify): an operation that found nothing completes with url null.
      url: done && op.lines.length > 0 ? `${origin}/bulk-results/${op.id}.jsonl?X-Goog-Signature=${op.signature}` : null,
      partialDataUrl: null,
    };
  }

  /** The inner query's shape errors, as bulkOperationRunQuery's userErrors (wording UNVERIFIED). */
  function bulkShapeErrors(schema: Schema, op: Operation): string[] {
    const problems: string[] = [];
    if (op.operation !== 'query') problems.push('Bulk queries must be queries, not mutations.');
    if (op.variables.length > 0) problems.push('Bulk queries cannot use variables.');
    const top = op.selections.filter((s): s is FieldNode => s.kind === 'Field');
    const isConnection = (typeName: string) => typeName.endsWith('Connection');
    let connections = 0;
    let deepest = 0;
    const walk = (typeName: string, selections: Selection[], depth: number): void => {
      for (const sel of selections) {
        if (sel.kind === 'InlineFragment') { walk(sel.typeCondition ?? typeName, sel.selections, depth); continue; }
        const spec = schema.types[typeName]?.fields[sel.name];
        if (!spec || !sel.selections) continue;
        const t = spec.type.replace(/[[\]!]/g, '');
        const d = isConnection(t) ? depth + 1 : depth;
        if (isConnection(t)) { connections++; deepest = Math.max(deepest, d); }
        walk(t, sel.selections, d);
      }
    };
    walk(schema.query, op.selections, 0);
    if (connections === 0) problems.push('Bulk queries must contain at least one connection.');
    if (connections > 5) problems.push('Bulk queries cannot contain more than 5 connections.');
    if (deepest > 2) problems.push('Bulk queries cannot contain connections with a nesting depth greater than 2.');
    const root = top[0];
    if (top.length !== 1 || !root || !isConnection((schema.types[schema.query]?.fields[root.name]?.type ?? '').replace(/[[\]!]/g, ''))) {
      problems.push('Bulk queries must have exactly one top-level connection field (this fake\'s restriction).');
    }
    return problems;
  }

  /** Run the inner query over the whole connection now (a snapshot), as JSONL lines. */
  function bulkLines(schema: Schema, op: Operation, queryRoot: Record<string, unknown>): { lines: string[]; roots: number; failure: string | null } {
    const root = op.selections[0] as FieldNode;
    const connType = (schema.types[schema.query]?.fields[root.name]?.type ?? '').replace(/[[\]!]/g, '');
    const lines: string[] = [];
    let roots = 0;
    const typeOf = (parent: string, field: string) => (schema.types[parent]?.fields[field]?.type ?? '').replace(/[[\]!]/g, '');
    /** The node type and node selections of a connection field's selection (`edges { node { … } }` or `nodes { … }`). */
    const nodesOf = (conn: string, sels: Selection[]): Array<{ key: string; via: 'edges' | 'nodes'; type: string; selections: Selection[] }> => {
      const out: Array<{ key: string; via: 'edges' | 'nodes'; type: string; selections: Selection[] }> = [];
      for (const s of sels) {
        if (s.kind !== 'Field' || !s.selections) continue;
        if (s.name === 'nodes') out.push({ key: s.alias ?? s.name, via: 'nodes', type: typeOf(conn, 'nodes'), selections: s.selections });
        if (s.name === 'edges') {
          const edgeType = typeOf(conn, 'edges');
          for (const n of s.selections) {
            if (n.kind === 'Field' && n.name === 'node' && n.selections) out.push({ key: s.alias ?? s.name, via: 'edges', type: typeOf(edgeType, 'node'), selections: n.selections });
          }
        }
      }
      return out;
    };
    const emit = (typeName: string, selections: Selection[], data: Record<string, unknown>, parentId: string | null): void => {
      const children: Array<() => void> = [];
      const line = inline(typeName, selections, data, () => String(line.id), children);
      if (parentId !== null) line.__parentId = parentId;
      lines.push(JSON.stringify(line));
      for (const c of children) c();
    };
    /** A node's fields as one JSON object; connections (also inside nested objects) become child lines of the line. */
    const inline = (typeName: string, selections: Selection[], data: Record<string, unknown>, lineId: () => string, children: Array<() => void>): Record<string, unknown> => {
      const line: Record<string, unknown> = {};
      for (const sel of selections) {
        if (sel.kind !== 'Field') continue;
        const key = sel.alias ?? sel.name;
        const t = typeOf(typeName, sel.name);
        if (t.endsWith('Connection') && sel.selections) {
          const value = data[key] as Record<string, unknown> | null;
          for (const n of nodesOf(t, sel.selections)) {
            const list = (value?.[n.key] as unknown[] | undefined) ?? [];
            if (list.length >= 250) throw new Error('this fake does not page nested connections beyond 250 nodes');
            for (const item of list) {
              const child = (n.via === 'edges' ? (item as { node: Record<string, unknown> }).node : item) as Record<string, unknown>;
              children.push(() => emit(n.type, n.selections, child, lineId()));
            }
          }
        } else if (key in data) {
          const value = data[key];
          line[key] = sel.selections && value !== null && typeof value === 'object' && !Array.isArray(value)
            ? inline(t, sel.selections, value as Record<string, unknown>, lineId, children)
            : value;
        }
      }
      return line;
    };
    /** Nested connections get `first: 250` (bulk queries give none). */
    const withFirst = (typeName: string, selections: Selection[]): Selection[] => selections.map((s) => {
      if (s.kind === 'InlineFragment') return { ...s, selections: withFirst(s.typeCondition ?? typeName, s.selections) };
      const t = typeOf(typeName, s.name);
      if (!s.selections) return s;
      const args = t.endsWith('Connection') && !s.args.some((a) => a.name === 'first') ? [...s.args, { name: 'first', value: { kind: 'Int' as const, value: 250, loc: loc0 }, loc: loc0 }] : s.args;
      return { ...s, args, selections: withFirst(t, s.selections) };
    });
    const inner = withFirst(connType, root.selections ?? []);
    const rootNodes = nodesOf(connType, inner);
    let after: string | null = null;
    for (;;) {
      const args = [
        ...root.args.filter((a) => a.name !== 'first' && a.name !== 'after'),
        { name: 'first', value: { kind: 'Int' as const, value: 250, loc: loc0 }, loc: loc0 },
        ...(after ? [{ name: 'after', value: { kind: 'String' as const, value: after, loc: loc0 }, loc: loc0 }] : []),
      ];
      const pageField = fieldNode(root.name, [...inner, fieldNode('pageInfo', [fieldNode('hasNextPage'), fieldNode('endCursor')], [], '__bulkPageInfo')], args, '__bulkRoot');
      const result = execute(schema, { ...op, selections: [pageField] }, queryRoot, { scopes, variables: {} });
      if (result.errors.length > 0) {
        return { lines: [], roots: 0, failure: result.errors.some((e) => e.extensions?.code === 'ACCESS_DENIED') ? 'ACCESS_DENIED' : 'INTERNAL_SERVER_ERROR' };
      }
      const page = result.data?.__bulkRoot as Record<string, unknown>;
      for (const n of rootNodes) {
        for (const item of (page[n.key] as unknown[]) ?? []) {
          roots++;
          emit(n.type, n.selections, (n.via === 'edges' ? (item as { node: Record<string, unknown> }).node : item) as Record<string, unknown>, null);
        }
      }
      const info = page.__bulkPageInfo as { hasNextPage: boolean; endCursor: string | null };
      if (!info.hasNextPage || !info.endCursor) break;
      after = info.endCursor;
    }
    return { lines, roots, failure: null };
  }

  function bulkRuntime(version: string): BulkRuntime {
    return {
      run(query) {
        const schema = schemaFor(version);
        const running = [...bulkOps.values()].filter((o) => ['CREATED', 'RUNNING'].includes(bulkState(o, Date.now()).status));
        // API_FACTS §3: one bulk query per shop at a time before 2026-01, up to five from 2026-01.
        if (running.length >= (version >= '2026-01' ? 5 : 1)) {
          const busy = running[running.length - 1] as BulkOp;
          return { bulkOperation: null, userErrors: [{ field: null, message: `A bulk query operation for this app and shop is already in progress: ${gid('BulkOperation', busy.id)}.`, code: 'OPERATION_IN_PROGRESS' }] };
        }
        let op: Operation;
        try {
          op = parseOperation(query);
        } catch (err) {
          if (!(err instanceof GraphQLSyntaxError)) throw err;
          return { bulkOperation: null, userErrors: [{ field: ['query'], message: `Invalid bulk query: ${err.message}`, code: 'INVALID' }] };
        }
        const problems = [...validate(schema, op).map((e) => e.message), ...bulkShapeErrors(schema, op)];
        if (problems.length > 0) return { bulkOperation: null, userErrors: problems.map((message) => ({ field: ['query'], message: `Invalid bulk query: ${message}`, code: 'INVALID' })) };
        const runtime: Runtime = {
          shop, version, faults, options: runtimeOptions, counters, idempotency, inFlightElsewhere: () => false, bulk: bulkRuntime(version),
        };
        const { lines, roots, failure } = bulkLines(schema, op, objects(runtime).queryRoot);
        const record: BulkOp = {
          id: ++nextBulk, query, createdAt: Date.now(), lines, roots, failure: faults.bulkFailure ?? failure,
          bytes: lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0), signature: crypto.randomBytes(16).toString('hex'),
        };
        faults.bulkFailure = null;
        bulkOps.set(record.id, record);
        counters.bulkOperations++;
        return { bulkOperation: bulkView(record), userErrors: [] };
      },
      view: (id) => { const o = bulkOps.get(id); return o ? bulkView(o) : null; },
      current: () => { const last = [...bulkOps.values()].pop(); return last ? bulkView(last) : null; },
    };
  }

  /** GET of a result file (a signed storage URL in Shopify: no token involved). */
  function bulkDownload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const id = Number(/^\/bulk-results\/(\d+)\.jsonl$/.exec(url.pathname)?.[1]);
    const op = bulkOps.get(id);
    if (!op || req.method !== 'GET' || url.searchParams.get('X-Goog-Signature') !== op.signature || bulkState(op, Date.now()).status !== 'COMPLETED') {
      res.writeHead(403, { 'content-type': 'application/xml; charset=UTF-8' });
      res.end('<?xml version=\'1.0\' encoding=\'UTF-8\'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>');
      return;
    }
    counters.bulkDownloads++;
    if (req.headers['x-shopify-access-token'] !== undefined) counters.bulkDownloadsWithToken++;
    res.writeHead(200, { 'content-type': 'application/jsonl', 'content-length': String(op.bytes) });
    let i = 0;
    const pump = (): void => {
      while (i < op.lines.length) {
        const chunk = `${op.lines.slice(i, i + 1000).join('\n')}\n`;
        i += 1000;
        if (!res.write(chunk)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
  }

  interface Reply { status: number; json: unknown; headers?: Record<string, string>; drop?: boolean }

  /** Keys of @idempotent directives on the root fields (with variables substituted). */
  function idempotencyKeys(op: Operation, variables: Record<string, unknown>): string[] {
    const keys: string[] = [];
    for (const sel of op.selections) {
      if (sel.kind !== 'Field') continue;
      const key = directiveArgs(sel as FieldNode, variables).idempotent?.key;
      if (typeof key === 'string') keys.push(key);
    }
    return keys;
  }

  async function graphql(version: string, body: unknown, entry: ShopifyRequestLogEntry): Promise<Reply> {
    const b = body as { query?: unknown; variables?: unknown } | null;
    if (!b || typeof b.query !== 'string') return { status: 400, json: { errors: { query: 'Required parameter missing or invalid' } } };
    const provided = b.variables === undefined || b.variables === null ? {} : b.variables;
    if (typeof provided !== 'object' || Array.isArray(provided)) return { status: 400, json: { errors: { variables: 'must be an object' } } };
    const schema = schemaFor(version);
    let op: Operation;
    try {
      op = parseOperation(b.query);
    } catch (err) {
      if (!(err instanceof GraphQLSyntaxError)) throw err;
      return { status: 200, json: { errors: [{ message: err.message, locations: [err.loc] }] } };
    }
    entry.operation = op.name ?? '(anonymous)';
    entry.mutation = op.operation === 'mutation';
    if (entry.mutation) counters.writeRequests++;
    const staticErrors = validate(schema, op);
    if (staticErrors.length > 0) return { status: 200, json: { errors: staticErrors } };
    const { values, errors: variableErrors } = coerceVariables(schema, op, provided as Record<string, unknown>);
    if (variableErrors.length > 0) return { status: 200, json: { errors: variableErrors } };
    const literalErrors = argumentErrors(schema, op, values);
    if (literalErrors.length > 0) return { status: 200, json: { errors: literalErrors } };
    const preErrors = precheck(schema, op, values);
    if (preErrors.length > 0) return { status: 200, json: { errors: preErrors } };
    const set = op.selections.find((s) => s.kind === 'Field' && s.name === 'inventorySetQuantities') as FieldNode | undefined;
    if (set) {
      const args = Object.fromEntries(set.args.map((a) => [a.name, a.value.kind === 'Variable' ? values[a.value.name] : null]));
      entry.quantities = ((args.input as { quantities?: unknown[] } | null)?.quantities ?? []).length;
    }

    const requested = requestedCost(schema, op, values);
    entry.requestedCost = requested;
    if (requested > maxQueryCost) {
      return {
        status: 200,
        json: {
          errors: [{
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (${maxQueryCost}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n`,
            extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: maxQueryCost, documentation: 'https://shopify.dev/api/usage/limits#rate-limits' },
          }],
        },
      };
    }
    if (refill() < requested) {
      counters.throttled++;
      entry.throttled = true;
      return {
        status: 200,
        json: {
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: THROTTLED_DOC } }],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
        },
      };
    }
    bucket.level -= requested;
    counters.minAvailable = Math.min(counters.minAvailable, bucket.level);

    const keys = idempotencyKeys(op, values);
    entry.idempotencyKey = keys[0];
    const owned = keys.filter((k) => !inFlight.has(k));
    const duplicate = owned.length < keys.length;
    const runtime: Runtime = {
      shop, version, faults, options: runtimeOptions, counters, idempotency,
      inFlightElsewhere: (k) => inFlight.has(k) && !owned.includes(k),
      bulk: bulkRuntime(version),
    };
    for (const k of owned) inFlight.add(k);
    try {
      // A duplicate of an in-flight request (IDEMPOTENCY_CONCURRENT_REQUEST) and a replay are answered at once.
      const replay = keys.some((k) => idempotency.has(k));
      if (entry.mutation && faults.writeLatencyMs > 0 && !duplicate && !replay) await sleep(faults.writeLatencyMs);
      const { queryRoot, mutationRoot } = objects(runtime);
      const result = execute(schema, op, op.operation === 'query' ? queryRoot : mutationRoot, { scopes, variables: values });
      bucket.level = Math.min(bucketSpec.maximumAvailable, refill() + Math.max(0, requested - result.actualCost));
      const json: Record<string, unknown> = { data: result.data };
      if (result.errors.length > 0) json.errors = result.errors;
      json.extensions = { cost: { requestedQueryCost: requested, actualQueryCost: result.actualCost, throttleStatus: throttleStatus() } };
      const drop = entry.mutation && faults.dropAfterWrite > 0;
      if (drop) faults.dropAfterWrite--;
      return { status: 200, json, drop };
    } finally {
      for (const k of owned) inFlight.delete(k);
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname.startsWith('/bulk-results/')) { bulkDownload(req, res, url); return; }
    const entry: ShopifyRequestLogEntry = { path: url.pathname, status: 0, at: Date.now() };
    requests.push(entry);
    counters.requests++;
    const raw = await readBody(req);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (res.destroyed) return;

    let reply: Reply;
    const route = /^\/admin\/api\/(\d{4}-\d{2})\/graphql\.json$/.exec(url.pathname);
    if (!route || req.method !== 'POST') {
      reply = { status: 404, json: { errors: 'Not Found' } };
    } else if (faults.failAuth || req.headers['x-shopify-access-token'] !== token) {
      reply = { status: 401, json: { errors: UNAUTHORIZED } };
    } else if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      reply = { status: 429, headers: { 'Retry-After': faults.status429.retryAfter ?? '2.0' }, json: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' } };
    } else if (faults.status503 && faults.status503.count > 0) {
      faults.status503.count--;
      reply = { status: 503, json: { errors: 'Service Unavailable' } };
    } else if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      reply = { status: 415, json: { errors: 'Unsupported Media Type: use application/json' } };
    } else {
      let body: unknown;
      try {
        body = JSON.parse(raw);
        reply = await graphql(route[1] as string, body, entry);
      } catch (err) {
        reply = err instanceof SyntaxError
          ? { status: 400, json: { errors: 'Bad Request: body is not valid JSON' } }
          : { status: 500, json: { errors: [{ message: `Internal error. Looks like something went wrong on our end. (${(err as Error).message})`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } };
      }
    }
    if (reply.drop) { req.socket.destroy(); return; }
    if (res.destroyed) return;
    entry.status = reply.status;
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.json));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: String(err) }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  const seedOne = (p: SeedProduct): FakeVariant[] => {
    const product: ProductRec = { id: ++shop.next.Product, title: p.title ?? `Product ${shop.next.Product - ID_BASE.Product}`, status: p.status ?? 'ACTIVE', variants: [] };
    shop.products.set(product.id, product);
    return (p.variants ?? [{}]).map((v) => ({ ...shop.addVariant(product, v) }));
  };

  const levelOf = (sku: string, location = 0) => {
    const v = shop.bySku(sku);
    return v ? shop.items.get(v.inventoryItemId)?.levels.get(ID_BASE.Location + location + 1) : undefined;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    requests,
    counters,
    locationId: (n = 0) => gid('Location', ID_BASE.Location + n + 1),
    seed: (products) => (Array.isArray(products) ? products : [products]).flatMap(seedOne),
    addVariant(productId, variant) {
      const product = shop.products.get(productId);
      if (!product) throw new Error(`no product ${productId}`);
      return { ...shop.addVariant(product, variant) };
    },
    variantBySku: (sku) => { const v = shop.bySku(sku); return v && { id: v.id, productId: v.productId, inventoryItemId: v.inventoryItemId, sku: v.sku, title: v.title }; },
    priceOf: (sku) => shop.bySku(sku)?.price,
    productStatusOf: (sku) => { const v = shop.bySku(sku); return v ? shop.products.get(v.productId)?.status : undefined; },
    setProductStatus: (sku, status) => {
      const v = shop.bySku(sku);
      if (!v) throw new Error(`no variant ${sku}`);
      (shop.products.get(v.productId) as ProductRec).status = status;
    },
    removeVariant(sku) {
      const v = shop.bySku(sku);
      if (!v) return;
      shop.variants.delete(v.id);
      shop.items.delete(v.inventoryItemId);
      const product = shop.products.get(v.productId);
      if (product) product.variants = product.variants.filter((id) => id !== v.id);
    },
    stockOf(sku) {
      const v = shop.bySku(sku);
      if (!v) return undefined;
      const item = shop.items.get(v.inventoryItemId) as ItemRec;
      const q = item.levels.get(shop.firstLocation);
      return item.tracked && q ? (q.available ?? 0) : null;
    },
    availableOf: (sku, location = 0) => levelOf(sku, location)?.available,
    tracked: (sku) => { const v = shop.bySku(sku); return v ? shop.items.get(v.inventoryItemId)?.tracked : undefined; },
    sell(sku, qty) {
      const q = levelOf(sku);
      if (!q) throw new Error(`${sku} is not stocked`);
      q.available = (q.available ?? 0) - qty;
      q.committed = (q.committed ?? 0) + qty;
    },
    drainBucket(level = 0) { refill(); bucket.level = level; },
    bucketLevel: () => refill(),
    resetFaults() { Object.assign(faults, noShopifyFaults()); },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/* ------------------------------------------------------------------------------------------ */
/* Catalog builders for tests                                                                  */
/* ------------------------------------------------------------------------------------------ */

/**
 * A catalog with exactly `count` items: every 3rd product has 2–3 variants, the rest are simple
 * (one default variant); one simple product in 7 is untracked; the first multi-variant product
 * gets one more variant added after everything else (a higher id than later products, so
 * variant-id order is not store order). Returns the SKUs in store order (product id, variant id).
 */
export function seedMixedCatalog(fake: ShopifyFake, count: number, skuPrefix = 'S-'): string[] {
  const byProduct: Array<{ productId: number; skus: string[] }> = [];
  let n = 0;
  let lateFor: number | null = null;
  const reserveLate = count >= 6 ? 1 : 0;
  for (let p = 1; n < count - reserveLate; p++) {
    const base = `${skuPrefix}${String(p).padStart(4, '0')}`;
    const left = count - reserveLate - n;
    let seeded: FakeVariant[];
    if (p % 3 === 0 && left >= 2) {
      const k = Math.min(left, 2 + (p % 2));
      seeded = fake.seed({ title: `Shirt ${base}`, variants: Array.from({ length: k }, (_, i) => ({ sku: `${base}-${i + 1}`, title: `Size ${i + 1}`, available: (p + i) % 9 })) });
      if (lateFor === null) lateFor = seeded[0]?.productId ?? null;
    } else {
      seeded = fake.seed({ title: `Product ${base}`, variants: [{ sku: base, available: p % 11, tracked: p % 7 !== 2 }] });
    }
    byProduct.push({ productId: seeded[0]?.productId as number, skus: seeded.map((v) => v.sku) });
    n += seeded.length;
  }
  if (reserveLate) {
    const target = byProduct.find((b) => b.productId === lateFor) ?? byProduct[byProduct.length - 1];
    const late = fake.addVariant(target?.productId as number, { sku: `${skuPrefix}LATE`, title: 'Late size', available: 4 });
    target?.skus.push(late.sku);
  }
  return byProduct.flatMap((b) => b.skus);
}
