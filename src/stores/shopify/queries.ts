/**
 * The GraphQL documents invsync sends to the Admin API, with what each costs (API_FACTS §3), and
 * the version-dependent shape of `inventorySetQuantities`.
 *
 * Cost model used for estimates (Shopify's published rules): scalars 0, objects 1, connections
 * 2 + first × node cost, mutation fields 10. Estimates only decide how long to wait before a
 * request and how large a page may be; the server's `requestedQueryCost` corrects them.
 */

// `committed`: units of placed, unfulfilled orders, already taken off `available` (SPEC §12: read
// with the listing for `rules.openOrders: "subtract"`; the same list costs no more).
const LEVEL_SELECTION = 'inventoryLevel(locationId: $location) { quantities(names: ["available", "committed"]) { name quantity } }';

/**
 * One page of variants in variant-id order. NOTE: the Admin API cannot sort variants by product
 * (ProductVariantSortKeys has ID, POSITION, SKU, TITLE…), so `list()` pages through variants by
 * id (the fewest requests: up to 250 items per request) and puts them in store order itself.
 */
export const VARIANTS_QUERY = `query InvsyncVariants($first: Int!, $after: String, $location: ID!) {
  productVariants(first: $first, after: $after, sortKey: ID) {
    nodes {
      id sku displayName price
      product { id hasOnlyDefaultVariant status }
      inventoryItem { id tracked ${LEVEL_SELECTION} }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;
/** Connection overhead of VARIANTS_QUERY. */
export const VARIANTS_FIXED_COST = 2;
/** variant + product + inventoryItem + inventoryLevel + quantities. */
export const VARIANTS_NODE_COST = 5;

/**
 * Variants in the shop, counted up to `limit` (Shopify counts to 10,000 by default and says
 * AT_LEAST beyond the limit): decides between paging and a bulk operation.
 */
export const COUNT_QUERY = `query InvsyncVariantCount($limit: Int) {
  productVariantsCount(limit: $limit) { count precision }
}`;
export const COUNT_COST = 1;

/**
 * The bulk form of VARIANTS_QUERY (API_FACTS §3 "Bulk export"): no variables in a bulk query,
 * so the location is written in. One connection; each variant is one JSONL line with its
 * product, inventory item and level inline (objects, not connections: no `__parentId` lines).
 */
export function bulkVariantsQuery(location: string): string {
  const level = LEVEL_SELECTION.replace('$location', JSON.stringify(location));
  return `{
  productVariants {
    edges { node { id sku displayName price product { id hasOnlyDefaultVariant status } inventoryItem { id tracked ${level} } } }
  }
}`;
}

export const BULK_RUN_MUTATION = `mutation InvsyncBulkVariants($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message code } }
}`;
/** `node(id:)` works on every version (`bulkOperation(id:)` is newer, `currentBulkOperation` older). */
export const BULK_POLL_QUERY = `query InvsyncBulkStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}`;
/** The mutation field; a poll is one object. */
export const BULK_RUN_COST = 10;
export const BULK_POLL_COST = 1;

/** Current level of inventory items (re-read after a rejected write group). */
export const LEVELS_QUERY = `query InvsyncLevels($ids: [ID!]!, $location: ID!) {
  nodes(ids: $ids) { ... on InventoryItem { id tracked ${LEVEL_SELECTION} } }
}`;
/** inventoryItem + inventoryLevel + quantities, per id. */
export const LEVELS_NODE_COST = 3;

/** Inventory ids for changes that came without them (a rollback plan, an old index). */
export const RESOLVE_QUERY = `query InvsyncResolve($ids: [ID!]!, $location: ID!) {
  nodes(ids: $ids) {
    ... on ProductVariant { id product { id } inventoryItem { id tracked ${LEVEL_SELECTION} } }
    ... on Product { id variants(first: 2) { nodes { id inventoryItem { id tracked ${LEVEL_SELECTION} } } } }
  }
}`;
/** The Product branch is the dearer: product 1 + connection 2 + 2 × (variant + item + level + quantities). */
export const RESOLVE_NODE_COST = 11;

/** `nodes(ids:)` over objects of one type (an id of another type, or unknown, answers null). */
function nodesQuery(operation: string, type: string, selection: string): string {
  return `query ${operation}($ids: [ID!]!) {
  nodes(ids: $ids) { ... on ${type} { ${selection} } }
}`;
}

/** SPEC §14: the current price of variants (read-back after a price write). */
export const PRICES_QUERY = nodesQuery('InvsyncPrices', 'ProductVariant', 'id price');
/** One object per variant. */
export const PRICES_NODE_COST = 1;

/**
 * SPEC §14: prices of variants of ONE product (the mutation takes a single productId, so a batch
 * spanning products takes one request per product). Without allowPartialUpdates a user error on
 * one variant applies none of them, so a refusal fails exactly the variants sent together.
 */
export const PRICE_UPDATE_MUTATION = `mutation InvsyncPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id price }
    userErrors { field message code }
  }
}`;

/**
 * SPEC §14 rules.status: one product's status and variant ids (a hide drafts a product only when
 * every variant of it is hidden in the same batch).
 */
export const PRODUCT_VARIANTS_QUERY = `query InvsyncProductVariants($id: ID!) {
  node(id: $id) { ... on Product { id status variants(first: 250) { nodes { id } pageInfo { hasNextPage } } } }
}`;
/** product 1 + connection 2 + 250 variants. */
export const PRODUCT_VARIANTS_COST = 253;

/** SPEC §14: products' status (read-back of hides and restores). */
export const PRODUCTS_STATUS_QUERY = nodesQuery('InvsyncProductStatus', 'Product', 'id status');
export const PRODUCTS_STATUS_NODE_COST = 1;

/** SPEC §14: a product's status (DRAFT hides it, restore puts back what it was). */
export const PRODUCT_UPDATE_MUTATION = `mutation InvsyncProductStatus($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id status } userErrors { field message } }
}`;

export const CHECK_QUERY = `query InvsyncCheck($location: ID!) {
  shop { name myshopifyDomain }
  location(id: $location) { id name isActive }
}`;
export const CHECK_COST = 2;

/** Cost of one mutation field. */
export const MUTATION_COST = 10;

/** How `inventorySetQuantities` is spelled in a given API version (API_FACTS §3 (b)). */
export interface VersionFeatures {
  /** Per-quantity compare-and-set field: `changeFromQuantity` from 2026-04, `compareQuantity` before. */
  compareField: 'changeFromQuantity' | 'compareQuantity';
  /** Send `ignoreCompareQuantity: false` (the input field exists before 2026-04 only). */
  ignoreCompareFlag: boolean;
  /** `@idempotent(key:)` exists from 2026-01 (and is required from 2026-04). */
  idempotency: boolean;
}

export function versionFeatures(apiVersion: string): VersionFeatures {
  const modern = apiVersion >= '2026-04';
  return {
    compareField: modern ? 'changeFromQuantity' : 'compareQuantity',
    ignoreCompareFlag: !modern,
    idempotency: apiVersion >= '2026-01',
  };
}

/** User error codes meaning "the quantity is no longer the one the compare expected". */
export const STALE_CODES = new Set(['CHANGE_FROM_QUANTITY_STALE', 'COMPARE_QUANTITY_STALE']);

/**
 * One write request: `track` inventoryItemUpdate fields (aliases t0…, turning tracking on, or off
 * with `tracked: false`) run first, then (when `set`) the inventorySetQuantities field; mutation
 * fields run in order.
 * `key` is the idempotency key, when the version has the directive.
 */
export function writeMutation(options: { track: number; tracked?: boolean; set: boolean; key?: string }): string {
  const vars: string[] = [];
  const fields: string[] = [];
  const tracked = options.tracked ?? true;
  for (let i = 0; i < options.track; i++) {
    vars.push(`$t${i}: ID!`);
    fields.push(`  t${i}: inventoryItemUpdate(id: $t${i}, input: { tracked: ${tracked} }) { inventoryItem { id tracked } userErrors { field message } }`);
  }
  if (options.set) {
    vars.unshift('$input: InventorySetQuantitiesInput!');
    const directive = options.key ? ` @idempotent(key: ${JSON.stringify(options.key)})` : '';
    fields.push(`  set: inventorySetQuantities(input: $input)${directive} { inventoryAdjustmentGroup { id } userErrors { field message code } }`);
  }
  const name = options.set ? 'InvsyncSetQuantities' : tracked ? 'InvsyncTrack' : 'InvsyncUntrack';
  return `mutation ${name}(${vars.join(', ')}) {\n${fields.join('\n')}\n}`;
}

export function writeCost(track: number, set: boolean): number {
  return MUTATION_COST * (track + (set ? 1 : 0));
}
