/**
 * A faithful local Magento 2 REST API (`/rest[/<store>]/V1/…`), built from API_FACTS §2:
 * bearer auth with Magento's 401 body, `searchCriteria` filters/sorting/paging with the
 * last-page-again quirk and `total_count`, `fields` partial responses, product lists without
 * `stock_item`, configurable children, MSI source items (all-or-nothing batch saves, `[]` on
 * success), legacy stock items (a bare integer on save) and the optional "Web API input limits"
 * (pageSize ≤ 300, 20 entities per sync request).
 *
 * Prices (SPEC §14): `price` on products (store_id 0, the default scope); `POST
 * /V1/products/base-prices` `{prices: [{sku, price, store_id}]}` saves the valid rows and answers
 * 200 with the failed ones (`[{message, parameters}]`): an unknown SKU, a negative or
 * non-numeric price, an unknown store. It counts as one entity list for the input limits.
 *
 * Error bodies are `{"message": "…%1…", "parameters": …}`. Wordings not given by API_FACTS are
 * marked "wording UNVERIFIED".
 */
import { noCommonFaults, rawRequest, startFakeServer, type CommonFaults, type FakeReply, type FakeRequest, type FakeServer, type RawResponse } from './fake-http.js';

export const DEFAULT_MAGENTO_TOKEN = 'mgt_0123456789abcdef0123456789abcdef';

export type MagentoType = 'simple' | 'virtual' | 'downloadable' | 'configurable' | 'bundle' | 'grouped';

export interface MagentoSeedProduct {
  sku: string;
  type?: MagentoType;
  name?: string;
  /** Quantity in the "default" source (MSI) and the legacy stock item. Undefined: no source item. */
  qty?: number;
  /** Legacy "Manage Stock" (default: true when qty is given). */
  manageStock?: boolean;
  /** Extra source items: source code → quantity. */
  sources?: Record<string, number>;
  /** For configurables: children, created right after the parent. */
  children?: MagentoSeedProduct[];
  /** For configurables: SKUs of existing products to link as children. */
  childSkus?: string[];
  /** The product's price (default 10). */
  price?: number;
  /** Product status: 1 enabled (default), 2 disabled. */
  status?: number;
}

export interface MagentoRecord {
  id: number;
  sku: string;
  type: MagentoType;
  name: string;
  children: number[];
  legacy: { qty: number; isInStock: boolean; manageStock: boolean; useConfigManageStock: boolean };
  /** MSI source items by source code. */
  sources: Map<string, { quantity: number; status: number }>;
  price: number;
  /** SPEC §14: 1 enabled, 2 disabled (out of the catalogue). */
  status: number;
}

export interface MagentoFaults extends CommonFaults {
  /** A source-items save or stock-item save touching these SKUs is refused (the batch as a whole, as Magento does). */
  rejectSkus: string[];
}

export interface MagentoFakeOptions {
  products?: MagentoSeedProduct[];
  token?: string;
  /** The token may read but not write (its role lacks the inventory resources): writes get 401. */
  readOnly?: boolean;
  /** MSI modules installed (default true); without them the /V1/inventory routes do not exist. */
  msi?: boolean;
  /** Source codes (default ["default"]). */
  sources?: string[];
  /** "Web API input limits" (off by default, as in Magento). */
  inputLimits?: boolean;
  /**
   * With input limits on: the "Input List Limit" (default 20), or a route's own
   * `input-array-size-limit`. An array above it is refused whole, before any item is read:
   * `400 {"message": "Maximum items of type \"%type\" is %max", "parameters": {"type", "max"}}`.
   */
  inputListLimit?: number;
  /** An unknown SKU in a source-items save: refused (default, per API_FACTS) or silently stored (seen on 2.3). */
  unknownSku?: 'reject' | 'accept';
  faults?: Partial<MagentoFaults>;
}

export interface MagentoFake extends FakeServer {
  /** The shop base URL for a store config's `url`. */
  readonly token: string;
  readonly faults: MagentoFaults;
  seed(products: MagentoSeedProduct[]): MagentoRecord[];
  /** MSI (default source) quantity, or null without a source item; legacy mode: the managed qty or null. */
  stockBySku(): Map<string, number | null>;
  bySku(sku: string): MagentoRecord | undefined;
  /** Delete a product (as an admin would): its source items and its links to parents go with it. */
  remove(sku: string): void;
  /** Source items saved for SKUs that are not products (only with unknownSku: 'accept'). */
  orphanSourceItems(): string[];
  /** base-prices requests that got past the input limit. */
  priceWrites(): number;
  /** `PUT /V1/products/{sku}` requests (product saves). */
  productSaves(): number;
}

const STOCK_TYPES = new Set<MagentoType>(['simple', 'virtual', 'downloadable']);
const SOURCE_ITEM_TYPE = '\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface';
const MAX_PAGE_WITH_LIMITS = 300;
const DEFAULT_PAGE_WITH_LIMITS = 20;
const MAX_ITEMS_WITH_LIMITS = 20;

const err = (status: number, message: string, parameters?: unknown): FakeReply => ({
  status, json: parameters === undefined ? { message } : { message, parameters },
});
const NO_ROUTE = err(404, 'Request does not match any route.');
const NO_PRODUCT = err(404, "The product that was requested doesn't exist. Verify the product and try again.");

export async function startMagentoFake(options: MagentoFakeOptions = {}): Promise<MagentoFake> {
  const token = options.token ?? DEFAULT_MAGENTO_TOKEN;
  const msi = options.msi ?? true;
  const sourceCodes = options.sources ?? ['default'];
  const faults: MagentoFaults = { ...noCommonFaults(), rejectSkus: [], ...options.faults };
  const products = new Map<number, MagentoRecord>();
  const orphans = new Map<string, Map<string, { quantity: number; status: number }>>();
  let nextId = 1;

  const lower = (s: string) => s.toLowerCase();
  /** MySQL's default collation: SKUs compare case-insensitively. */
  const findSku = (sku: string) => [...products.values()].find((p) => lower(p.sku) === lower(sku));

  function add(seed: MagentoSeedProduct): MagentoRecord {
    const type = seed.type ?? 'simple';
    const stocked = STOCK_TYPES.has(type);
    const manageStock = seed.manageStock ?? seed.qty !== undefined;
    const r: MagentoRecord = {
      id: nextId++, sku: seed.sku, type, name: seed.name ?? `Product ${seed.sku}`, children: [],
      legacy: { qty: seed.qty ?? 0, isInStock: (seed.qty ?? 0) > 0, manageStock, useConfigManageStock: manageStock },
      sources: new Map(), price: seed.price ?? 10, status: seed.status ?? 1,
    };
    if (stocked && seed.qty !== undefined) r.sources.set('default', { quantity: seed.qty, status: seed.qty > 0 ? 1 : 0 });
    for (const [code, quantity] of Object.entries(seed.sources ?? {})) r.sources.set(code, { quantity, status: quantity > 0 ? 1 : 0 });
    products.set(r.id, r);
    for (const child of seed.children ?? []) r.children.push(add(child).id);
    for (const sku of seed.childSkus ?? []) {
      const child = findSku(sku);
      if (child) r.children.push(child.id);
    }
    return r;
  }
  const seed = (list: MagentoSeedProduct[]) => list.map(add);
  seed(options.products ?? []);

  /* ---------------------------------------------------------------------------------------- */

  function productJson(r: MagentoRecord): Record<string, unknown> {
    // NOTE: no extension_attributes.stock_item in lists (issues #24418, #36533).
    return {
      id: r.id, sku: r.sku, name: r.name, attribute_set_id: 4, price: r.price, status: r.status, visibility: 4,
      type_id: r.type, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', weight: 1,
      extension_attributes: { website_ids: [1] }, product_links: [], options: [], tier_prices: [], custom_attributes: [],
    };
  }

  function legacyJson(r: MagentoRecord): Record<string, unknown> {
    return {
      item_id: r.id, product_id: r.id, stock_id: 1, qty: r.legacy.qty, is_in_stock: r.legacy.isInStock, is_qty_decimal: false,
      manage_stock: r.legacy.manageStock, use_config_manage_stock: r.legacy.useConfigManageStock, backorders: 0, min_qty: 0, low_stock_date: null,
    };
  }

  function sourceItemRows(): Array<Record<string, unknown>> {
    const rows: Array<Record<string, unknown>> = [];
    for (const p of products.values()) for (const [code, s] of p.sources) rows.push({ sku: p.sku, source_code: code, quantity: s.quantity, status: s.status });
    for (const [sku, map] of orphans) for (const [code, s] of map) rows.push({ sku, source_code: code, quantity: s.quantity, status: s.status });
    return rows;
  }

  /** getList(): filters, sort, paging (the last page again past the end), then the envelope. */
  function searchReply(req: FakeRequest, rows: Array<Record<string, unknown>>): FakeReply {
    const criteria = parseSearchCriteria(req.query);
    if (options.inputLimits && criteria.pageSize !== undefined && criteria.pageSize > MAX_PAGE_WITH_LIMITS) {
      return err(400, 'Maximum SearchCriteria pageSize is %max', { max: MAX_PAGE_WITH_LIMITS }); // wording UNVERIFIED
    }
    const groups = criteria.filterGroups.map((group) => group.map(matcher));
    let matched = rows.filter((row) => groups.every((group) => group.some((match) => match(row))));
    for (const order of [...criteria.sortOrders].reverse()) {
      matched = [...matched].sort((a, b) => compareValues(a[fieldOf(order.field)], b[fieldOf(order.field)]) * (order.direction === 'DESC' ? -1 : 1));
    }
    const total = matched.length;
    const pageSize = criteria.pageSize ?? (options.inputLimits ? DEFAULT_PAGE_WITH_LIMITS : undefined);
    let items = matched;
    if (pageSize !== undefined && pageSize > 0) {
      const lastPage = Math.max(1, Math.ceil(total / pageSize));
      const page = Math.min(Math.max(1, criteria.currentPage ?? 1), lastPage);
      items = matched.slice((page - 1) * pageSize, page * pageSize);
    }
    const body = { items, search_criteria: searchCriteriaEcho(criteria), total_count: total };
    const fields = req.query.get('fields');
    return { status: 200, json: fields ? applyFields(body, parseFields(fields)) : body };
  }

  /* ---------------------------------------------------------------------------------------- */

  const rejected = (sku: string) => faults.rejectSkus.some((s) => lower(s) === lower(sku));

  function saveSourceItems(body: unknown): FakeReply {
    const list = (body as { sourceItems?: unknown } | null)?.sourceItems;
    if (!Array.isArray(list)) return err(400, '"%fieldName" is required. Enter and try again.', { fieldName: 'sourceItems' });
    const listLimit = options.inputListLimit ?? MAX_ITEMS_WITH_LIMITS;
    if (options.inputLimits && list.length > listLimit) {
      return err(400, 'Maximum items of type "%type" is %max', { type: SOURCE_ITEM_TYPE, max: listLimit });
    }
    const errors: Array<{ message: string; parameters: Record<string, unknown> }> = [];
    for (const raw of list) {
      const s = (raw ?? {}) as Record<string, unknown>;
      if (typeof s.sku !== 'string' || s.sku.trim() === '') errors.push({ message: '"%field" can not be empty.', parameters: { field: 'sku' } });
      if (typeof s.source_code !== 'string' || !sourceCodes.includes(s.source_code)) errors.push({ message: 'Source with code "%code" does not exist.', parameters: { code: String(s.source_code) } });
      if (typeof s.quantity !== 'number') errors.push({ message: '"%field" should be numeric.', parameters: { field: 'quantity' } });
      if (s.status !== 0 && s.status !== 1) errors.push({ message: '"%field" should be source status (1 or 0).', parameters: { field: 'status' } });
    }
    // Validation and saving are all-or-nothing: one bad item refuses the request, nothing is saved.
    if (errors.length > 0) return { status: 400, json: { message: 'Validation Failed', errors } }; // wording UNVERIFIED
    const items = list as Array<{ sku: string; source_code: string; quantity: number; status: number }>;
    const unknown = items.filter((s) => !findSku(s.sku));
    if (items.some((s) => rejected(s.sku)) || (unknown.length > 0 && options.unknownSku !== 'accept')) {
      return err(400, 'Could not save Source Item'); // the wording reported for 2.4.6 (magento/inventory#889)
    }
    for (const s of items) {
      const p = findSku(s.sku);
      const target = p ? p.sources : orphans.get(s.sku) ?? new Map();
      if (!p) orphans.set(s.sku, target);
      target.set(s.source_code, { quantity: s.quantity, status: s.status });
      // MSI keeps the legacy stock item in step with the default source.
      if (p && s.source_code === 'default') p.legacy = { ...p.legacy, qty: s.quantity, isInStock: s.status === 1 };
    }
    return { status: 200, json: [] };
  }

  function saveStockItem(sku: string, body: unknown): FakeReply {
    const p = findSku(sku);
    if (!p) return NO_PRODUCT;
    const input = (body as { stockItem?: Record<string, unknown> } | null)?.stockItem;
    if (!input || typeof input !== 'object') return err(400, '"%fieldName" is required. Enter and try again.', { fieldName: 'stockItem' });
    if (rejected(p.sku)) return err(400, 'Invalid stock item data: %1', ['refused for this test']); // fault injection
    if (input.qty !== undefined) {
      if (typeof input.qty !== 'number') return err(400, 'The "%1" value\'s type is invalid. The "%2" type was expected. Verify and try again.', [String(input.qty), 'float']);
      p.legacy.qty = input.qty;
    }
    if (typeof input.is_in_stock === 'boolean') p.legacy.isInStock = input.is_in_stock;
    if (typeof input.use_config_manage_stock === 'boolean') p.legacy.useConfigManageStock = input.use_config_manage_stock;
    if (typeof input.manage_stock === 'boolean' && !p.legacy.useConfigManageStock) p.legacy.manageStock = input.manage_stock;
    // "Use config" means the store default, which is "Manage Stock: Yes".
    if (p.legacy.useConfigManageStock) p.legacy.manageStock = true;
    if (msi) p.sources.set('default', { quantity: p.legacy.qty, status: p.legacy.isInStock ? 1 : 0 });
    return { status: 200, json: p.id };
  }

  let priceWrites = 0;
  /** POST /V1/products/base-prices: valid rows are saved, failed ones come back (wordings UNVERIFIED beyond the codes' sense). */
  function saveBasePrices(body: unknown): FakeReply {
    const list = (body as { prices?: unknown } | null)?.prices;
    if (!Array.isArray(list)) return err(400, '"%fieldName" is required. Enter and try again.', { fieldName: 'prices' });
    const listLimit = options.inputListLimit ?? MAX_ITEMS_WITH_LIMITS;
    if (options.inputLimits && list.length > listLimit) {
      return err(400, 'Maximum items of type "%type" is %max', { type: '\\Magento\\Catalog\\Api\\Data\\BasePriceInterface', max: listLimit });
    }
    priceWrites++;
    const failed: Array<{ message: string; parameters: string[] }> = [];
    for (const raw of list) {
      const row = (raw ?? {}) as Record<string, unknown>;
      const sku = String(row.sku ?? '');
      const storeId = Number(row.store_id);
      const p = findSku(sku);
      if (!p) { failed.push({ message: "Requested product doesn't exist. Row ID: SKU = %SKU, Store ID: %storeId.", parameters: [sku, String(row.store_id)] }); continue; }
      const price = typeof row.price === 'string' && row.price.trim() !== '' ? Number(row.price) : row.price;
      if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
        failed.push({ message: 'Invalid attribute %fieldName = %fieldValue. Row ID: SKU = %SKU, Store ID: %storeId.', parameters: ['Price', String(row.price), sku, String(row.store_id)] });
        continue;
      }
      if (storeId !== 0 && storeId !== 1) { failed.push({ message: 'Requested store is not found. Row ID: SKU = %SKU, Store ID: %storeId.', parameters: [sku, String(row.store_id)] }); continue; }
      p.price = price;
    }
    return { status: 200, json: failed };
  }

  let productSaves = 0;
  /**
   * PUT /V1/products/{sku} `{product: {...}}`: a partial save of an existing product; only `status`
   * is kept here (what invsync writes). The body is decoded against ProductInterface (status: int)
   * first, so a non-integer is refused before anything is saved; an unknown SKU would be a new
   * product, which Magento refuses without the required fields (wordings UNVERIFIED).
   */
  function saveProduct(sku: string, body: unknown): FakeReply {
    const input = (body as { product?: unknown } | null)?.product;
    if (!input || typeof input !== 'object') return err(400, '"%fieldName" is required. Enter and try again.', { fieldName: 'product' });
    const raw = (input as Record<string, unknown>).status;
    // The web API casts a numeric string to the declared int.
    const status = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status))) {
      return err(400, 'The "%1" value\'s type is invalid. The "%2" type was expected. Verify and try again.', [String(status), 'int']);
    }
    if (status !== undefined && status !== 1 && status !== 2) return err(400, 'Invalid attribute %fieldName = %fieldValue.', { fieldName: 'status', fieldValue: String(status) }); // wording UNVERIFIED
    const p = findSku(sku);
    if (!p) return err(400, 'The product was unable to be saved. Please try again.'); // wording UNVERIFIED
    if (rejected(p.sku)) return err(400, 'The product was unable to be saved. Please try again.'); // fault injection
    productSaves++;
    if (status !== undefined) p.status = status;
    return { status: 200, json: productJson(p) };
  }

  function authorized(req: FakeRequest): boolean {
    return String(req.headers.authorization ?? '') === `Bearer ${token}`;
  }

  const unauthorized = (resources: string) => err(401, "The consumer isn't authorized to access %resources.", { resources });

  function handle(req: FakeRequest): FakeReply {
    const m = /^\/rest(?:\/[A-Za-z0-9_]+)?\/V1(\/.*)$/.exec(req.path);
    if (!m) return { status: 404, text: '<html><body><h1>404 Not Found</h1></body></html>', contentType: 'text/html' };
    const route = (m[1] as string).replace(/\/+$/, '');
    const writing = req.method !== 'GET';
    const resource = route.startsWith('/inventory') ? 'Magento_InventoryApi::source' : route.startsWith('/stockItems') || route.includes('/stockItems/') ? 'Magento_CatalogInventory::cataloginventory' : 'Magento_Catalog::products';
    if (!authorized(req) || (writing && options.readOnly)) return unauthorized(resource);
    if (req.bodyError !== undefined) return err(400, 'Decoding error: %1', [req.bodyError]);

    if (req.method === 'GET' && route === '/products') return searchReply(req, [...products.values()].map(productJson));
    if (req.method === 'POST' && route === '/products/base-prices') return saveBasePrices(req.body);
    let hit = /^\/products\/([^/]+)$/.exec(route);
    if (req.method === 'PUT' && hit) return saveProduct(decodeURIComponent(hit[1] as string), req.body);
    hit = /^\/configurable-products\/([^/]+)\/children$/.exec(route);
    if (req.method === 'GET' && hit) {
      const parent = findSku(decodeURIComponent(hit[1] as string));
      if (!parent) return NO_PRODUCT;
      return { status: 200, json: parent.children.map((id) => productJson(products.get(id) as MagentoRecord)) };
    }
    hit = /^\/stockItems\/([^/]+)$/.exec(route);
    if (req.method === 'GET' && hit) {
      const p = findSku(decodeURIComponent(hit[1] as string));
      return p ? { status: 200, json: legacyJson(p) } : NO_PRODUCT;
    }
    hit = /^\/products\/([^/]+)\/stockItems\/([^/]+)$/.exec(route);
    if (req.method === 'PUT' && hit) return saveStockItem(decodeURIComponent(hit[1] as string), req.body);
    if (msi) {
      if (req.method === 'GET' && route === '/inventory/source-items') return searchReply(req, sourceItemRows());
      if (req.method === 'POST' && route === '/inventory/source-items') return saveSourceItems(req.body);
      hit = /^\/inventory\/sources\/([^/]+)$/.exec(route);
      if (req.method === 'GET' && hit) {
        const code = decodeURIComponent(hit[1] as string);
        return sourceCodes.includes(code)
          ? { status: 200, json: { source_code: code, name: code === 'default' ? 'Default Source' : code, enabled: true, country_id: 'US', postcode: '00000' } }
          : err(404, 'Source with code "%value" does not exist.', { value: code }); // wording UNVERIFIED
      }
    }
    return NO_ROUTE;
  }

  const server = await startFakeServer({
    handle,
    // Core Magento has no REST throttling; a WAF/CDN in front answers like this (Retry-After in seconds).
    tooManyRequests: () => ({ status: 429, headers: { 'Retry-After': '1' }, text: '<html><body><h1>429 Too Many Requests</h1></body></html>', contentType: 'text/html' }),
    isWrite: (req) => req.method !== 'GET',
    countItems: (req) => {
      const body = req.body as { sourceItems?: unknown; prices?: unknown } | null;
      const list = body?.sourceItems ?? body?.prices;
      return Array.isArray(list) ? list.length : 1;
    },
    faults,
  });

  return {
    ...server,
    faults,
    token,
    seed,
    stockBySku: () => {
      const out = new Map<string, number | null>();
      for (const p of [...products.values()].sort((a, b) => a.id - b.id)) {
        if (!STOCK_TYPES.has(p.type)) continue;
        if (msi) out.set(p.sku, p.sources.get('default')?.quantity ?? null);
        else out.set(p.sku, p.legacy.manageStock ? p.legacy.qty : null);
      }
      return out;
    },
    bySku: (sku) => findSku(sku),
    remove: (sku) => {
      const p = findSku(sku);
      if (!p) return;
      products.delete(p.id);
      for (const parent of products.values()) parent.children = parent.children.filter((id) => id !== p.id);
    },
    orphanSourceItems: () => [...orphans.keys()],
    priceWrites: () => priceWrites,
    productSaves: () => productSaves,
  };
}

/* ------------------------------------------------------------------------------------------ */
/* searchCriteria and fields                                                                   */
/* ------------------------------------------------------------------------------------------ */

interface ParsedFilter { field: string; value: string; condition: string }
interface ParsedCriteria {
  filterGroups: ParsedFilter[][];
  sortOrders: Array<{ field: string; direction: string }>;
  pageSize?: number;
  currentPage?: number;
}

function parseSearchCriteria(query: URLSearchParams): ParsedCriteria {
  const groups = new Map<number, Map<number, Partial<ParsedFilter> & { condition_type?: string }>>();
  const sorts = new Map<number, { field?: string; direction?: string }>();
  const out: ParsedCriteria = { filterGroups: [], sortOrders: [] };
  for (const [key, value] of query) {
    let m = /^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type)\]$/.exec(key);
    if (m) {
      const g = groups.get(Number(m[1])) ?? new Map();
      groups.set(Number(m[1]), g);
      const f = g.get(Number(m[2])) ?? {};
      g.set(Number(m[2]), f);
      (f as Record<string, string>)[m[3] as string] = value;
      continue;
    }
    m = /^searchCriteria\[sortOrders\]\[(\d+)\]\[(field|direction)\]$/.exec(key);
    if (m) {
      const s = sorts.get(Number(m[1])) ?? {};
      sorts.set(Number(m[1]), s);
      (s as Record<string, string>)[m[2] as string] = value;
      continue;
    }
    if (key === 'searchCriteria[pageSize]') out.pageSize = Math.trunc(Number(value));
    if (key === 'searchCriteria[currentPage]') out.currentPage = Math.trunc(Number(value));
  }
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const filters = [...(groups.get(g) as Map<number, Record<string, string>>).entries()].sort(([a], [b]) => a - b)
      .map(([, f]) => ({ field: f.field ?? '', value: f.value ?? '', condition: f.condition_type ?? 'eq' }));
    out.filterGroups.push(filters);
  }
  for (const i of [...sorts.keys()].sort((a, b) => a - b)) {
    const s = sorts.get(i) as { field?: string; direction?: string };
    if (s.field) out.sortOrders.push({ field: s.field, direction: (s.direction ?? 'ASC').toUpperCase() });
  }
  return out;
}

/** Product lists expose entity_id as `id`. */
function fieldOf(field: string): string {
  return field === 'entity_id' ? 'id' : field;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''), 'en', { sensitivity: 'base' });
}

/** A row predicate for one filter (an `in` list is split once, not per row). */
function matcher(f: ParsedFilter): (row: Record<string, unknown>) => boolean {
  if (f.condition !== 'in' && f.condition !== 'nin') return (row) => matches(row, f);
  const values = f.value.split(',').map((s) => s.trim());
  const strings = new Set(values.map((s) => s.toLowerCase()));
  const numbers = new Set(values.map(Number));
  const has = (v: unknown) => (typeof v === 'number' ? numbers.has(v) : strings.has(String(v ?? '').toLowerCase()));
  return f.condition === 'in' ? (row) => has(row[fieldOf(f.field)]) : (row) => !has(row[fieldOf(f.field)]);
}

function matches(row: Record<string, unknown>, f: ParsedFilter): boolean {
  const v = row[fieldOf(f.field)];
  const eq = (x: unknown, y: string) => (typeof x === 'number' ? x === Number(y) : String(x ?? '').toLowerCase() === y.toLowerCase());
  switch (f.condition) {
    case 'eq': return eq(v, f.value);
    case 'neq': return !eq(v, f.value);
    case 'like': return new RegExp(`^${f.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`, 'i').test(String(v ?? ''));
    case 'gt': return compareValues(v, Number(f.value)) > 0;
    case 'gteq': return compareValues(v, Number(f.value)) >= 0;
    case 'lt': return compareValues(v, Number(f.value)) < 0;
    case 'lteq': return compareValues(v, Number(f.value)) <= 0;
    case 'null': return v === null || v === undefined;
    case 'notnull': return v !== null && v !== undefined;
    default: return false;
  }
}

function searchCriteriaEcho(c: ParsedCriteria): Record<string, unknown> {
  return {
    filter_groups: c.filterGroups.map((g) => ({ filters: g.map((f) => ({ field: f.field, value: f.value, condition_type: f.condition })) })),
    ...(c.sortOrders.length ? { sort_orders: c.sortOrders } : {}),
    ...(c.pageSize !== undefined ? { page_size: c.pageSize } : {}),
    ...(c.currentPage !== undefined ? { current_page: c.currentPage } : {}),
  };
}

/** `items[id,sku],total_count` → { items: { id: true, sku: true }, total_count: true }. */
type FieldTree = { [name: string]: FieldTree | true };

export function parseFields(spec: string): FieldTree {
  let i = 0;
  function parseList(): FieldTree {
    const tree: FieldTree = {};
    while (i < spec.length && spec[i] !== ']') {
      let name = '';
      while (i < spec.length && !',[]'.includes(spec[i] as string)) name += spec[i++];
      if (spec[i] === '[') {
        i++;
        tree[name.trim()] = parseList();
        i++; // ']'
      } else {
        tree[name.trim()] = true;
      }
      if (spec[i] === ',') i++;
    }
    return tree;
  }
  return parseList();
}

export function applyFields(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFields(v, tree));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, sub] of Object.entries(tree)) {
    if (!(name in value)) continue;
    const v = (value as Record<string, unknown>)[name];
    out[name] = sub === true ? v : applyFields(v, sub);
  }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Catalogs and raw requests                                                                   */
/* ------------------------------------------------------------------------------------------ */

/**
 * A realistic catalog with exactly `count` stock-carrying items: every 4th product is a
 * configurable with two simple children (created right after it), one product in 10 has no
 * source item yet (stock not managed), every 6th is virtual, and a bundle (no stock of its
 * own) sits at the start. Returns the seeds and the item SKUs in store order.
 */
export function magentoCatalog(count: number, prefix = 'G-'): { products: MagentoSeedProduct[]; skus: string[] } {
  const products: MagentoSeedProduct[] = [{ sku: `${prefix}BUNDLE`, type: 'bundle' }];
  const skus: string[] = [];
  let n = 0;
  for (let p = 1; n < count; p++) {
    const sku = `${prefix}${String(p).padStart(4, '0')}`;
    if (p % 4 === 0 && count - n >= 2) {
      const children = [1, 2].map((k) => ({ sku: `${sku}-${k}`, qty: (p + k) % 9 }));
      products.push({ sku, type: 'configurable', children });
      skus.push(...children.map((c) => c.sku));
      n += 2;
    } else {
      const managed = p % 10 !== 3;
      products.push({ sku, type: p % 6 === 0 ? 'virtual' : 'simple', ...(managed ? { qty: p % 11 } : {}) });
      skus.push(sku);
      n += 1;
    }
  }
  return { products, skus };
}

/** A raw request to `/rest/V1/<path>` with the fake's token (override headers to test auth). */
export function magentoRequest(fake: MagentoFake, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; query?: Record<string, string | number> } = {}): Promise<RawResponse> {
  const url = new URL(`${fake.url}/rest/V1/${path.replace(/^\//, '')}`);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, String(v));
  return rawRequest(url.toString(), { method: init.method, body: init.body, headers: { authorization: `Bearer ${fake.token}`, ...init.headers } });
}
