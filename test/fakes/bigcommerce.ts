/**
 * A faithful local BigCommerce v3 API (`/stores/{hash}/v3/…`), built from API_FACTS §5:
 * `X-Auth-Token`, the `{data, meta.pagination}` envelope (catalog limit ≤ 250, inventory items
 * ≤ 1000), `inventory_tracking` (none | product | variant), location-aware inventory items,
 * all-or-nothing absolute adjustments (≤ 2000 items; variant ids refused for products tracked
 * by product), the ≤ 10 product catalog batch, problem+json errors, and the shared request quota
 * with `X-Rate-Limit-*` headers on every response and 429 once it is spent.
 *
 * Wordings and behaviours not given by API_FACTS are marked UNVERIFIED.
 */
import { randomUUID } from 'node:crypto';
import { noCommonFaults, rawRequest, startFakeServer, type CommonFaults, type FakeReply, type FakeRequest, type FakeServer, type RawResponse } from './fake-http.js';

export const DEFAULT_BC_TOKEN = 'bc_0123456789abcdef0123456789abcdef';
export const DEFAULT_BC_HASH = 'abc123';
const PROBLEM_TYPE = 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes';

export type BcTracking = 'none' | 'product' | 'variant';

export interface BcSeedVariant { sku: string; stock?: number; /** Own price; default null (the product's applies). */ price?: number | null; purchasingDisabled?: boolean }

export interface BcSeedProduct {
  sku: string;
  name?: string;
  tracking?: BcTracking;
  /** Stock of a product without options, or the product-level stock of one tracked by product. */
  stock?: number;
  /** Option variants (the product then has no base variant). */
  variants?: BcSeedVariant[];
  /** The product's price (default 10). */
  price?: number;
  /** `is_visible` (default true). */
  visible?: boolean;
}

export interface BcLocation { id: number; code: string; name: string }

export interface BcFaults extends CommonFaults {
  /** Adjustments touching these SKUs are refused as a whole with 422. */
  rejectSkus: string[];
  /** `X-Rate-Limit-Time-Reset-Ms` of an injected 429 (default 100). */
  injected429ResetMs: number;
  /** `GET /v2/orders` answers 500 (reading open orders fails). */
  failOrders: boolean;
}

export interface BcFakeOptions {
  products?: BcSeedProduct[];
  token?: string;
  storeHash?: string;
  /** The token lacks the modify scopes: writes get 403. */
  readOnly?: boolean;
  locations?: BcLocation[];
  /** Requests per window (default 150 per 30 s: Standard/Plus plans). */
  quota?: { requests: number; windowMs: number };
  /** Also send Retry-After (seconds) on 429 (not documented by API_FACTS; off by default). */
  retryAfterOn429?: boolean;
  faults?: Partial<BcFaults>;
}

interface Product { id: number; sku: string; name: string; tracking: BcTracking; baseVariantId: number | null; variantIds: number[]; price: number; visible: boolean }
interface Variant { id: number; productId: number; sku: string; base: boolean; price: number | null; purchasingDisabled: boolean }

export interface BcFake extends FakeServer {
  readonly token: string;
  readonly storeHash: string;
  /** The API origin for a store config's `url` (the store hash goes in `storeHash`). */
  readonly faults: BcFaults;
  seed(products: BcSeedProduct[]): void;
  /** Stock of every item's SKU at a location (default 1): null when not tracked or not stocked there. */
  stockBySku(locationId?: number): Map<string, number | null>;
  tracking(productSku: string): BcTracking | undefined;
  /** SPEC §14: a product's `is_visible` by its SKU, or a variant's `purchasing_disabled` (as `!disabled`) by its SKU. */
  shown(sku: string): boolean | undefined;
  /** Rows `GET /inventory/items?product_id:in=…&location_id:in=…` holds for these products (for request-count assertions). */
  inventoryRowCount(productIds: number[], locationId?: number): number;
  /** Delete a product (its variants and stock go with it), or one option variant by its SKU. */
  remove(sku: string): void;
  /** SPEC §14: the price shoppers see per SKU (a variant's own, else its product's). */
  priceBySku(): Map<string, number>;
  /** Accepted PUT /catalog/products and PUT /catalog/variants requests. */
  catalogWrites(): { products: number; variants: number };
  /** Adjustment payloads accepted, in order. */
  readonly adjustments: Array<{ reason: string; items: Array<Record<string, unknown>> }>;
  /**
   * An order placed at checkout (status 11 Awaiting Fulfillment unless given): the stock of each
   * line's item at location 1 drops by its quantity, as BigCommerce's default "update stock when
   * an order is placed" does (not for an Incomplete or Pending order, nor one Refunded, Cancelled
   * or Declined, which gave it back); `shipped` units of a line count as shipped; `consignment`
   * says which list of the order's consignments the line is in (default shipping). Returns the order id.
   */
  placeOrder(order: { status?: number; createdAt?: Date; lines: Array<{ sku: string; quantity: number; shipped?: number; consignment?: BcConsignment }> }): number;
}

export type BcConsignment = 'shipping' | 'pickups' | 'downloads';

/** `GET /v2/orders` page size maximum. */
const MAX_ORDERS_LIMIT = 250;

const MAX_CATALOG_LIMIT = 250;
const MAX_INVENTORY_LIMIT = 1000;
const MAX_ADJUSTMENT_ITEMS = 2000;
const MAX_PRODUCT_BATCH = 10;
/** PUT /catalog/variants (API_FACTS §5). */
const MAX_VARIANT_BATCH = 50;

const problem = (status: number, title: string, errors?: Record<string, string>): FakeReply => ({
  status, contentType: 'application/problem+json', json: { status, title, type: PROBLEM_TYPE, ...(errors ? { errors } : {}) },
});

export async function startBigCommerceFake(options: BcFakeOptions = {}): Promise<BcFake> {
  const token = options.token ?? DEFAULT_BC_TOKEN;
  const storeHash = options.storeHash ?? DEFAULT_BC_HASH;
  const locations = options.locations ?? [{ id: 1, code: 'BC-LOCATION-1', name: 'Default location' }];
  const quota = options.quota ?? { requests: 150, windowMs: 30_000 };
  const faults: BcFaults = { ...noCommonFaults(), rejectSkus: [], injected429ResetMs: 100, failOrders: false, ...options.faults };
  const products = new Map<number, Product>();
  const variants = new Map<number, Variant>();
  /** `v:<variantId>` or `p:<productId>` (product-level stock of a product with options) → location → on hand. */
  const stock = new Map<string, Map<number, number>>();
  const adjustments: BcFake['adjustments'] = [];
  let productWrites = 0;
  let variantWrites = 0;
  let nextProduct = 100;
  let nextVariant = 500;
  let windowStart = Date.now();
  let used = 0;

  function setStock(key: string, locationId: number, qty: number): void {
    const m = stock.get(key) ?? new Map<number, number>();
    m.set(locationId, qty);
    stock.set(key, m);
  }

  /** Where a product-level quantity lives: the base variant, or the product itself when it has options. */
  const productKey = (p: Product) => (p.baseVariantId !== null ? `v:${p.baseVariantId}` : `p:${p.id}`);

  function seed(list: BcSeedProduct[]): void {
    for (const s of list) {
      const p: Product = { id: nextProduct++, sku: s.sku, name: s.name ?? `Product ${s.sku}`, tracking: s.tracking ?? 'product', baseVariantId: null, variantIds: [], price: s.price ?? 10, visible: s.visible ?? true };
      products.set(p.id, p);
      if (!s.variants || s.variants.length === 0) {
        const v: Variant = { id: nextVariant++, productId: p.id, sku: s.sku, base: true, price: null, purchasingDisabled: false };
        variants.set(v.id, v);
        p.baseVariantId = v.id;
        p.variantIds.push(v.id);
        if (s.stock !== undefined) setStock(`v:${v.id}`, 1, s.stock);
        continue;
      }
      for (const sv of s.variants) {
        const v: Variant = { id: nextVariant++, productId: p.id, sku: sv.sku, base: false, price: sv.price ?? null, purchasingDisabled: sv.purchasingDisabled ?? false };
        variants.set(v.id, v);
        p.variantIds.push(v.id);
        if (sv.stock !== undefined) setStock(`v:${v.id}`, 1, sv.stock);
      }
      if (s.stock !== undefined) setStock(`p:${p.id}`, 1, s.stock);
    }
  }
  seed(options.products ?? []);

  /* ---------------------------------------------------------------------------------------- */

  function quotaHeaders(left: number, now: number): Record<string, string> {
    return {
      'X-Rate-Limit-Time-Window-Ms': String(quota.windowMs),
      'X-Rate-Limit-Time-Reset-Ms': String(Math.max(0, windowStart + quota.windowMs - now)),
      'X-Rate-Limit-Requests-Quota': String(quota.requests),
      'X-Rate-Limit-Requests-Left': String(left),
    };
  }

  function rollWindow(now: number): void {
    if (now >= windowStart + quota.windowMs) { windowStart = now; used = 0; }
  }

  const tooMany = (headers: Record<string, string>): FakeReply => ({
    ...problem(429, 'Too many requests'), // wording UNVERIFIED
    headers: { ...headers, ...(options.retryAfterOn429 ? { 'Retry-After': String(Math.ceil(Number(headers['X-Rate-Limit-Time-Reset-Ms']) / 1000)) } : {}) },
  });

  function paging(req: FakeRequest, max: number): { limit: number; page: number } | FakeReply {
    const limit = req.query.has('limit') ? Number(req.query.get('limit')) : 50;
    const page = req.query.has('page') ? Number(req.query.get('page')) : 1;
    if (!Number.isInteger(limit) || limit < 1 || limit > max) return problem(422, 'Input is invalid', { limit: `limit must be between 1 and ${max}` }); // wording UNVERIFIED
    if (!Number.isInteger(page) || page < 1) return problem(422, 'Input is invalid', { page: 'page must be 1 or more' });
    return { limit, page };
  }

  function collectionReply(req: FakeRequest, rows: Array<Record<string, unknown>>, max: number): FakeReply {
    const p = paging(req, max);
    if ('status' in p) return p;
    const total = rows.length;
    const totalPages = Math.ceil(total / p.limit);
    const fields = req.query.get('include_fields')?.split(',').map((s) => s.trim()).filter(Boolean);
    const data = rows.slice((p.page - 1) * p.limit, p.page * p.limit)
      .map((row) => (fields ? Object.fromEntries(Object.entries(row).filter(([k]) => k === 'id' || fields.includes(k))) : row));
    const query = (page: number) => `?page=${page}&limit=${p.limit}`;
    return {
      status: 200,
      json: {
        data,
        meta: {
          pagination: {
            total, count: data.length, per_page: p.limit, current_page: p.page, total_pages: totalPages,
            links: { ...(p.page > 1 ? { previous: query(p.page - 1) } : {}), current: query(p.page), ...(p.page < totalPages ? { next: query(p.page + 1) } : {}) },
          },
        },
      },
    };
  }

  const ids = (req: FakeRequest, name: string) => req.query.get(name)?.split(',').map(Number);

  function productJson(p: Product): Record<string, unknown> {
    const base = p.baseVariantId !== null ? variants.get(p.baseVariantId) : undefined;
    const level = stock.get(productKey(p))?.get(locations[0]?.id ?? 1) ?? 0;
    return { id: p.id, name: p.name, type: 'physical', sku: p.sku, inventory_level: level, inventory_tracking: p.tracking, base_variant_id: base?.id ?? null, price: p.price, is_visible: p.visible };
  }

  function variantJson(v: Variant): Record<string, unknown> {
    return {
      id: v.id, product_id: v.productId, sku: v.sku, sku_id: v.id + 10_000, price: v.price, inventory_level: stock.get(`v:${v.id}`)?.get(1) ?? 0,
      inventory_warning_level: 0, purchasing_disabled: v.purchasingDisabled, option_values: v.base ? [] : [{ id: v.id, label: v.sku, option_id: 1, option_display_name: 'Option' }],
    };
  }

  function inventoryRows(req: FakeRequest): Array<Record<string, unknown>> {
    const wanted = ids(req, 'location_id:in');
    const skus = req.query.get('sku:in')?.split(',');
    // Filters are ANDed, as the docs' separate parameters read.
    const variantIds = ids(req, 'variant_id:in');
    const productIds = ids(req, 'product_id:in');
    const keep = (identity: { sku: string; variant_id: number | null; product_id: number }) => (!skus || skus.includes(identity.sku))
      && (!variantIds || (identity.variant_id !== null && variantIds.includes(identity.variant_id)))
      && (!productIds || productIds.includes(identity.product_id));
    const locs = locations.filter((l) => !wanted || wanted.includes(l.id));
    const row = (identity: Record<string, unknown>, key: string) => ({
      identity,
      locations: locs.filter((l) => stock.get(key)?.has(l.id)).map((l) => {
        const onhand = stock.get(key)?.get(l.id) as number;
        return {
          location_id: l.id, location_code: l.code, location_name: l.name, available_to_sell: onhand, total_inventory_onhand: onhand,
          location_enabled: true, settings: { safety_stock: 0, is_in_stock: onhand > 0, warning_level: 0, bin_picking_number: '' },
        };
      }),
    });
    const rows: Array<Record<string, unknown>> = [];
    for (const v of [...variants.values()].sort((a, b) => a.id - b.id)) {
      if (!keep({ sku: v.sku, variant_id: v.id, product_id: v.productId })) continue;
      rows.push(row({ sku: v.sku, variant_id: v.id, product_id: v.productId, sku_id: v.id + 10_000 }, `v:${v.id}`));
    }
    // Product-level records of products with options (UNVERIFIED shape: identity without a variant).
    for (const p of [...products.values()].sort((a, b) => a.id - b.id)) {
      if (p.baseVariantId === null && stock.has(`p:${p.id}`) && keep({ sku: p.sku, variant_id: null, product_id: p.id })) {
        rows.push(row({ sku: p.sku, variant_id: null, product_id: p.id, sku_id: null }, `p:${p.id}`));
      }
    }
    return rows;
  }

  /** All-or-nothing: every item is checked first; one bad item refuses the request. */
  function adjustAbsolute(body: unknown): FakeReply {
    const b = body as { reason?: unknown; items?: unknown } | null;
    if (!b || !Array.isArray(b.items) || b.items.length === 0) return problem(422, 'Input is invalid', { items: 'items is required' });
    if (b.items.length > MAX_ADJUSTMENT_ITEMS) return problem(422, 'Input is invalid', { items: `no more than ${MAX_ADJUSTMENT_ITEMS} items per request` }); // wording UNVERIFIED
    const writes: Array<{ key: string; location: number; quantity: number }> = [];
    const errors: Record<string, string> = {};
    b.items.forEach((raw, i) => {
      const it = (raw ?? {}) as Record<string, unknown>;
      const fail = (message: string) => { errors[`items.${i}`] = message; };
      if (!locations.some((l) => l.id === it.location_id)) return fail(`[Location with id ${String(it.location_id)} does not exist]`);
      if (!Number.isInteger(it.quantity) || (it.quantity as number) < 0) return fail('[quantity must be a non-negative integer]');
      const keys = ['sku', 'variant_id', 'product_id'].filter((k) => it[k] !== undefined);
      if (keys.length !== 1) return fail('[exactly one of sku, variant_id or product_id is required]');
      let product: Product | undefined;
      let variant: Variant | undefined;
      if (it.variant_id !== undefined) {
        variant = variants.get(Number(it.variant_id));
        if (!variant) return fail(`[Item with variant_id ${String(it.variant_id)} does not exist]`);
        product = products.get(variant.productId) as Product;
        if (product.tracking === 'product') return fail(`[Item with variant_id ${variant.id} is tracked by product, please update stock by product id]`);
      } else if (it.product_id !== undefined) {
        product = products.get(Number(it.product_id));
        if (!product) return fail(`[Item with product_id ${String(it.product_id)} does not exist]`);
        if (product.tracking === 'variant') return fail(`[Item with product_id ${product.id} is tracked by variant, please update stock by variant id]`); // UNVERIFIED
      } else {
        variant = [...variants.values()].find((v) => v.sku === it.sku);
        product = variant ? products.get(variant.productId) : [...products.values()].find((p) => p.sku === it.sku);
        if (!product) return fail(`[Item with sku ${String(it.sku)} does not exist]`);
        if (variant && !variant.base && product.tracking === 'product') return fail(`[Item with sku ${variant.sku} is tracked by product, please update stock by product id]`);
      }
      const sku = variant?.sku ?? product.sku;
      if (faults.rejectSkus.includes(sku) || faults.rejectSkus.includes(product.sku)) return fail(`[Item with sku ${sku} cannot be adjusted]`); // fault injection
      // NOTE: an untracked product's quantity is stored but not enforced (UNVERIFIED).
      const key = variant && (product.tracking === 'variant' || (product.tracking === 'none' && !variant.base)) ? `v:${variant.id}` : productKey(product);
      writes.push({ key, location: it.location_id as number, quantity: it.quantity as number });
    });
    if (Object.keys(errors).length > 0) return problem(422, 'JSON data is missing or invalid', errors); // title UNVERIFIED
    for (const w of writes) setStock(w.key, w.location, w.quantity);
    adjustments.push({ reason: String(b.reason ?? ''), items: b.items as Array<Record<string, unknown>> });
    return { status: 200, json: { transaction_id: randomUUID() } };
  }

  function updateProducts(body: unknown): FakeReply {
    if (!Array.isArray(body)) return problem(422, 'Input is invalid', { body: 'an array of products is expected' });
    if (body.length > MAX_PRODUCT_BATCH) {
      return problem(413, `The request payload is too large. The maximum items allowed in the array is ${MAX_PRODUCT_BATCH}`); // wording UNVERIFIED
    }
    const updated: Product[] = [];
    for (const raw of body) {
      const it = (raw ?? {}) as Record<string, unknown>;
      const p = products.get(Number(it.id));
      if (!p) return problem(404, `Product with id ${String(it.id)} not found`);
      if (it.inventory_tracking !== undefined && !['none', 'product', 'variant'].includes(String(it.inventory_tracking))) {
        return problem(422, 'Input is invalid', { inventory_tracking: 'must be none, product or variant' });
      }
      // `price` is a number (float) in the catalog schema: a string or a negative value fails the whole batch.
      if (it.price !== undefined && !(typeof it.price === 'number' && it.price >= 0)) return problem(422, 'Input is invalid', { price: 'must be a number >= 0' });
      // JSON-schema validation: a boolean field takes a boolean (no "false" strings, no 0/1).
      if (it.is_visible !== undefined && typeof it.is_visible !== 'boolean') return problem(422, 'JSON data is missing or invalid', { is_visible: 'The field is_visible must be a boolean' }); // wording UNVERIFIED
      updated.push(p);
    }
    body.forEach((raw, i) => {
      const t = (raw as Record<string, unknown>).inventory_tracking;
      if (t !== undefined) (updated[i] as Product).tracking = t as BcTracking;
      const price = (raw as Record<string, unknown>).price;
      if (typeof price === 'number') (updated[i] as Product).price = price;
      const visible = (raw as Record<string, unknown>).is_visible;
      if (visible !== undefined) (updated[i] as Product).visible = visible as boolean;
    });
    productWrites++;
    return { status: 200, json: { data: updated.map(productJson), meta: {} } };
  }

  interface Order { id: number; statusId: number; createdAt: Date; lines: Array<{ productId: number; variantId: number; sku: string; quantity: number; shipped: number; consignment: BcConsignment }> }
  const orders: Order[] = [];
  function placeOrder(order: Parameters<BcFake['placeOrder']>[0]): number {
    const id = 100 + orders.length + 1;
    const statusId = order.status ?? 11;
    // Incomplete and Pending never took stock; Refunded, Cancelled and Declined gave it back.
    const holdsStock = ![0, 1, 4, 5, 6].includes(statusId);
    const lines = order.lines.map((l) => {
      const v = [...variants.values()].find((x) => x.sku === l.sku);
      if (!v) throw new Error(`placeOrder: no variant with SKU ${l.sku}`);
      const p = products.get(v.productId) as Product;
      const key = p.baseVariantId === null && p.tracking === 'product' ? `p:${p.id}` : `v:${v.id}`;
      const level = stock.get(key)?.get(1);
      if (level !== undefined && holdsStock) setStock(key, 1, level - l.quantity);
      return { productId: p.id, variantId: v.id, sku: l.sku, quantity: l.quantity, shipped: l.shipped ?? 0, consignment: l.consignment ?? 'shipping' };
    });
    orders.push({ id, statusId, createdAt: order.createdAt ?? new Date(), lines });
    return id;
  }

  /** `GET /v2/orders`: a bare array, 204 with no body when a page is empty; line items inline only with include=consignments.line_items. */
  function listOrders(req: FakeRequest): FakeReply {
    const limit = req.query.has('limit') ? Number(req.query.get('limit')) : 50;
    const page = req.query.has('page') ? Number(req.query.get('page')) : 1;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ORDERS_LIMIT) return { status: 400, json: [{ status: 400, message: `The field 'limit' is invalid.` }] }; // wording UNVERIFIED
    if (!Number.isInteger(page) || page < 1) return { status: 400, json: [{ status: 400, message: `The field 'page' is invalid.` }] }; // wording UNVERIFIED
    const min = req.query.get('min_date_created');
    const minMs = min === null ? -Infinity : Date.parse(min);
    if (Number.isNaN(minMs)) return { status: 400, json: [{ status: 400, message: `The field 'min_date_created' is invalid.` }] }; // wording UNVERIFIED
    const status = req.query.get('status_id');
    const inline = (req.query.get('include') ?? '').split(',').includes('consignments.line_items') && req.query.get('consignment_structure') === 'object';
    const rows = orders.filter((o) => o.createdAt.getTime() >= minMs && (status === null || o.statusId === Number(status))).sort((a, b) => a.id - b.id)
      .slice((page - 1) * limit, page * limit);
    if (rows.length === 0) return { status: 204, text: '' };
    const base = `https://api.bigcommerce.com/stores/${storeHash}/v2/orders`;
    // One consignment of each kind holding the order's lines of that kind (an empty list when none).
    const consignments = (o: Order, kind: BcConsignment) => {
      const items = o.lines.flatMap((l, i) => (l.consignment !== kind ? [] : [{
        id: o.id * 100 + i, order_id: o.id, product_id: l.productId, variant_id: l.variantId, sku: l.sku, quantity: l.quantity, quantity_shipped: l.shipped,
      }]));
      return items.length === 0 ? [] : [{ id: 1, line_items: items }];
    };
    return {
      status: 200,
      json: rows.map((o) => ({
        id: o.id, status_id: o.statusId, date_created: o.createdAt.toUTCString().replace('GMT', '+0000'),
        products: { url: `${base}/${o.id}/products`, resource: `/orders/${o.id}/products` },
        consignments: inline
          ? {
            shipping: consignments(o, 'shipping'), pickups: consignments(o, 'pickups'), downloads: consignments(o, 'downloads'),
            email: { gift_certificates: [] },
          }
          : { url: `${base}/${o.id}/consignments`, resource: `/orders/${o.id}/consignments` },
      })),
    };
  }

  /** PUT /catalog/variants: ≤ 50 variants, `[{ id, price?, purchasing_disabled? }]`; one bad item refuses the whole batch. */
  function updateVariants(body: unknown): FakeReply {
    if (!Array.isArray(body)) return problem(422, 'Input is invalid', { body: 'an array of variants is expected' });
    if (body.length > MAX_VARIANT_BATCH) return problem(413, `The request payload is too large. The maximum items allowed in the array is ${MAX_VARIANT_BATCH}`); // wording UNVERIFIED
    const found: Variant[] = [];
    for (const raw of body) {
      const it = (raw ?? {}) as Record<string, unknown>;
      const v = variants.get(Number(it.id));
      if (!v) return problem(404, `Variant with id ${String(it.id)} not found`); // wording UNVERIFIED
      if (it.price !== undefined && it.price !== null && !(typeof it.price === 'number' && it.price >= 0)) return problem(422, 'Input is invalid', { price: 'must be a number >= 0' });
      // JSON-schema validation: a boolean field takes a boolean (no "false" strings, no 0/1).
      if (it.purchasing_disabled !== undefined && typeof it.purchasing_disabled !== 'boolean') {
        return problem(422, 'JSON data is missing or invalid', { purchasing_disabled: 'The field purchasing_disabled must be a boolean' }); // wording UNVERIFIED
      }
      found.push(v);
    }
    body.forEach((raw, i) => {
      const { price, purchasing_disabled: disabled } = raw as Record<string, unknown>;
      if (price !== undefined) (found[i] as Variant).price = price as number | null;
      if (disabled !== undefined) (found[i] as Variant).purchasingDisabled = disabled as boolean;
    });
    variantWrites++;
    return { status: 200, json: { data: found.map(variantJson), meta: {} } };
  }

  function handle(req: FakeRequest): FakeReply {
    const v2 = /^\/stores\/([^/]+)\/v2(\/.*)$/.exec(req.path);
    if (v2) {
      if (String(req.headers['x-auth-token'] ?? '') !== token) return problem(401, 'Unauthorized');
      if (v2[1] !== storeHash) return problem(404, 'Store not found');
      if (faults.failOrders) return { status: 500, json: [{ status: 500, message: 'Internal Server Error' }] };
      if (req.method === 'GET' && (v2[2] as string).replace(/\/+$/, '') === '/orders') return listOrders(req);
      return problem(404, 'Not Found');
    }
    const m = /^\/stores\/([^/]+)\/v3(\/.*)$/.exec(req.path);
    if (!m) return problem(404, 'Not Found');
    if (String(req.headers['x-auth-token'] ?? '') !== token) return problem(401, 'Unauthorized'); // wording UNVERIFIED
    if (m[1] !== storeHash) return problem(404, 'Store not found'); // wording UNVERIFIED
    const route = (m[2] as string).replace(/\/+$/, '');
    if (req.method !== 'GET' && options.readOnly) return problem(403, "You don't have a required scope to access the endpoint");
    if (req.bodyError !== undefined) return problem(400, 'The request body is not valid JSON'); // wording UNVERIFIED
    if (req.method === 'GET' && route === '/catalog/products') {
      const only = ids(req, 'id:in');
      const rows = [...products.values()].sort((a, b) => a.id - b.id).filter((p) => !only || only.includes(p.id)).map(productJson);
      return collectionReply(req, rows, MAX_CATALOG_LIMIT);
    }
    if (req.method === 'PUT' && route === '/catalog/products') return updateProducts(req.body);
    if (req.method === 'PUT' && route === '/catalog/variants') return updateVariants(req.body);
    if (req.method === 'GET' && route === '/catalog/variants') {
      const only = ids(req, 'product_id:in');
      const rows = [...variants.values()].sort((a, b) => a.id - b.id).filter((v) => !only || only.includes(v.productId)).map(variantJson);
      return collectionReply(req, rows, MAX_CATALOG_LIMIT);
    }
    if (req.method === 'GET' && route === '/inventory/items') return collectionReply(req, inventoryRows(req), MAX_INVENTORY_LIMIT);
    if (req.method === 'PUT' && route === '/inventory/adjustments/absolute') return adjustAbsolute(req.body);
    return problem(404, 'Not Found');
  }

  const server = await startFakeServer({
    handle: (req) => {
      // The quota counts every request that reaches the API; once spent, 429 until the window resets.
      const now = Date.now();
      rollWindow(now);
      if (used >= quota.requests) return tooMany(quotaHeaders(0, now));
      used++;
      return handle(req);
    },
    tooManyRequests: () => tooMany({ ...quotaHeaders(0, Date.now()), 'X-Rate-Limit-Time-Reset-Ms': String(faults.injected429ResetMs) }),
    decorate: (_req, reply) => {
      if (reply.headers?.['X-Rate-Limit-Requests-Left'] !== undefined) return;
      reply.headers = { ...reply.headers, ...quotaHeaders(Math.max(0, quota.requests - used), Date.now()) };
    },
    isWrite: (req) => req.method !== 'GET',
    countItems: (req) => {
      const b = req.body as { items?: unknown } | unknown[] | null;
      return Array.isArray(b) ? b.length : Array.isArray((b as { items?: unknown })?.items) ? ((b as { items: unknown[] }).items).length : undefined;
    },
    faults,
  });

  return {
    ...server,
    faults,
    token,
    storeHash,
    adjustments,
    seed,
    placeOrder,
    priceBySku: () => {
      const out = new Map<string, number>();
      for (const p of products.values()) {
        for (const id of p.variantIds) {
          const v = variants.get(id)!;
          out.set(v.sku, v.base ? p.price : v.price ?? p.price);
        }
        if (p.baseVariantId === null) out.set(p.sku, p.price);
      }
      return out;
    },
    catalogWrites: () => ({ products: productWrites, variants: variantWrites }),
    tracking: (sku) => [...products.values()].find((p) => p.sku === sku)?.tracking,
    shown: (sku) => {
      const v = [...variants.values()].find((x) => x.sku === sku && !x.base);
      if (v) return !v.purchasingDisabled;
      return [...products.values()].find((p) => p.sku === sku)?.visible;
    },
    inventoryRowCount: (productIds, locationId = 1) => inventoryRows({
      method: 'GET', path: '', headers: {}, body: undefined,
      query: new URLSearchParams({ 'product_id:in': productIds.join(','), 'location_id:in': String(locationId) }),
    }).length,
    remove: (sku) => {
      const product = [...products.values()].find((p) => p.sku === sku);
      if (product) {
        products.delete(product.id);
        stock.delete(`p:${product.id}`);
        for (const id of product.variantIds) { variants.delete(id); stock.delete(`v:${id}`); }
        return;
      }
      const variant = [...variants.values()].find((v) => v.sku === sku && !v.base);
      if (!variant) return;
      variants.delete(variant.id);
      stock.delete(`v:${variant.id}`);
      const owner = products.get(variant.productId);
      if (owner) owner.variantIds = owner.variantIds.filter((id) => id !== variant.id);
    },
    stockBySku: (locationId = 1) => {
      const out = new Map<string, number | null>();
      for (const p of [...products.values()].sort((a, b) => a.id - b.id)) {
        const level = (key: string) => (p.tracking === 'none' ? null : stock.get(key)?.get(locationId) ?? null);
        if (p.baseVariantId !== null || p.tracking === 'product') out.set(p.sku, level(productKey(p)));
        else for (const id of p.variantIds) out.set((variants.get(id) as Variant).sku, level(`v:${id}`));
      }
      return out;
    },
  };
}

/**
 * A realistic catalog with exactly `count` items: every 4th product has two option variants
 * tracked by variant (2 items), every 7th has two option variants tracked by product (1 item: the
 * product), every 5th is a product without options tracked by variant, the rest are products
 * without options tracked by product. Returns the seeds and the item SKUs in store order.
 */
export function bcCatalog(count: number, prefix = 'B-'): { products: BcSeedProduct[]; skus: string[] } {
  const products: BcSeedProduct[] = [];
  const skus: string[] = [];
  let n = 0;
  for (let p = 1; n < count; p++) {
    const sku = `${prefix}${String(p).padStart(4, '0')}`;
    if (p % 4 === 0 && count - n >= 2) {
      const variants = [1, 2].map((k) => ({ sku: `${sku}-${k}`, stock: (p + k) % 9 }));
      products.push({ sku, tracking: 'variant', variants });
      skus.push(...variants.map((v) => v.sku));
      n += 2;
    } else if (p % 7 === 0) {
      products.push({ sku, tracking: 'product', stock: p % 13, variants: [{ sku: `${sku}-A` }, { sku: `${sku}-B` }] });
      skus.push(sku);
      n += 1;
    } else {
      products.push({ sku, tracking: p % 5 === 0 ? 'variant' : 'product', stock: p % 11 });
      skus.push(sku);
      n += 1;
    }
  }
  return { products, skus };
}

/** A raw request to `/stores/<hash>/v3/<path>` with the fake's token. */
export function bcRequest(fake: BcFake, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return rawRequest(`${fake.url}/stores/${fake.storeHash}/v3/${path.replace(/^\//, '')}`, {
    method: init.method, body: init.body, headers: { 'x-auth-token': fake.token, ...init.headers },
  });
}
