/**
 * A faithful local Shift4Shop (3dcart) REST API v1 (`/3dCartWebAPI/v1/`), built from
 * API_FACTS §4: the three auth headers, `GET /Products?limit&offset` (limit capped at 200, the
 * documented end-of-data signals), `PUT /Products` (≤ 100 records, per-record
 * `{Key, Value, Status, Message}` results) and `PUT /Products/{CatalogID}/AdvancedOptions`.
 *
 * Where API_FACTS marks a behaviour UNVERIFIED the fake makes it switchable (offset base,
 * end-of-data signal, numeric or string Status) so the adapter is tested against every variant.
 * Error wordings not given by API_FACTS are marked "wording UNVERIFIED".
 */
import { noCommonFaults, rawRequest, startFakeServer, type CommonFaults, type FakeReply, type FakeRequest, type FakeServer, type RawResponse } from './fake-http.js';

export const S4S_API_PREFIX = '/3dCartWebAPI/v1';

export interface S4sCredentials {
  secureUrl: string;
  privateKey: string;
  token: string;
}

export const DEFAULT_S4S_CREDENTIALS: S4sCredentials = {
  secureUrl: 'https://merchant-store.3dcartstores.com',
  privateKey: 'pk_0123456789abcdef0123456789abcdef',
  token: 'tk_0123456789abcdef0123456789abcdef',
};

export interface S4sSeedOption {
  /** AdvancedOptionCode; default: a store-wide sequence from 1001. */
  code?: string;
  /** AdvancedOptionSufix: the option combination's SKU. */
  sku: string;
  name?: string;
  stock: number;
}

export interface S4sSeedProduct {
  sku: string;
  name?: string;
  stock?: number;
  options?: S4sSeedOption[];
  /** The product's `Hide` (default false). */
  hide?: boolean;
  /** The product's `Price` (default 9.99). */
  price?: number;
}

export interface S4sOption { code: string; sku: string; name: string; stock: number }
export interface S4sRecord { catalogId: number; sku: string; name: string; stock: number; options: S4sOption[]; hide: boolean; price: number }

export interface S4sFaults extends CommonFaults {
  /** Writes to these SKUs (product SKUs or option suffixes) fail per record with Status 400. */
  rejectSkus: string[];
  /** Accepted requests per rolling second; more get 429 (the throttling signal is UNVERIFIED). */
  rateLimitPerSecond: number | null;
  /** `GET /Orders` answers 500 (reading open orders fails). */
  failOrders: boolean;
}

export interface S4sFakeOptions {
  products?: S4sSeedProduct[];
  credentials?: S4sCredentials;
  /** 1 (default): offset 1 is the first record and 0 is read as 1. 0: offset 0 is the first record. */
  offsetBase?: 0 | 1;
  /** Past the last record: 400 "Offset amount exceeds…" (default) or a 404 record list. */
  pastEnd?: 'offset-error' | 'not-found';
  /** Per-record `Status` as a number (skuvault's model) instead of a string (the official client's). */
  numericStatus?: boolean;
  /** The token's scope has no write permission: writes get 401. */
  readOnly?: boolean;
  firstCatalogId?: number;
  faults?: Partial<S4sFaults>;
}

export interface S4sFake extends FakeServer {
  /** The API base for a store config's `url`. */
  readonly apiUrl: string;
  readonly credentials: S4sCredentials;
  readonly faults: S4sFaults;
  seed(products: S4sSeedProduct[]): S4sRecord[];
  /** `Price` by product SKU (every product, with options or not). */
  priceBySku(): Map<string, number>;
  /** Stock by SKU: products without options and every option. */
  stockBySku(): Map<string, number>;
  get(catalogId: number): S4sRecord | undefined;
  /** Delete a product, or one advanced option when `sku` is an option's suffix. */
  remove(sku: string): void;
  /**
   * An order placed in the store (OrderStatusID 1 New unless given): each item's stock (a product's
   * or an option's) drops by its quantity at placement, except for a Cancel (5) or Not Completed (7)
   * order. `shipped` items go in a second shipment whose ShipmentOrderStatus is 4 (Shipped).
   */
  placeOrder(order: { status?: number; createdAt?: Date; items: Array<{ sku: string; quantity: number; shipped?: boolean }> }): number;
}

/** Largest `limit` for GET /Orders (larger limits are served as 300; API_FACTS §4, UNVERIFIED beyond client libraries). */
const MAX_ORDERS_LIMIT = 300;

interface Record4 { Key: string; Value: string; Status: string | number; Message: string }

const MAX_LIMIT = 200;
const MAX_PUT = 100;

export async function startShift4ShopFake(options: S4sFakeOptions = {}): Promise<S4sFake> {
  const credentials = options.credentials ?? DEFAULT_S4S_CREDENTIALS;
  const offsetBase = options.offsetBase ?? 1;
  const products = new Map<number, S4sRecord>();
  let nextId = options.firstCatalogId ?? 1;
  let nextCode = 1001;
  const faults: S4sFaults = { ...noCommonFaults(), rejectSkus: [], rateLimitPerSecond: null, failOrders: false, ...options.faults };
  const accepted: number[] = [];

  const status = (n: number) => (options.numericStatus ? n : String(n));
  const record = (Key: string, Value: string, code: number, Message: string): Record4 => ({ Key, Value, Status: status(code), Message });
  const errorList = (code: number, Message: string): FakeReply => ({ status: code, json: [record('Error', '', code, Message)] });

  function seed(list: S4sSeedProduct[]): S4sRecord[] {
    return list.map((p) => {
      const r: S4sRecord = {
        catalogId: nextId++, sku: p.sku, name: p.name ?? `Product ${p.sku}`, stock: p.stock ?? 0, hide: p.hide ?? false, price: p.price ?? 9.99,
        options: (p.options ?? []).map((o) => ({ code: o.code ?? String(nextCode++), sku: o.sku, name: o.name ?? o.sku, stock: o.stock })),
      };
      products.set(r.catalogId, r);
      return r;
    });
  }
  seed(options.products ?? []);

  function productJson(r: S4sRecord): unknown {
    return {
      SKUInfo: { CatalogID: r.catalogId, SKU: r.sku, Name: r.name, Cost: 1.5, Price: r.price, Currency: 'USD', RetailPrice: 12, SalePrice: 0, OnSale: false, Stock: r.stock },
      MFGID: '', GTIN: '', Hide: r.hide, InventoryControl: -1, WarehouseLocation: '',
      AdvancedOptionList: r.options.map((o) => ({
        AdvancedOptionCode: o.code, AdvancedOptionSufix: o.sku, AdvancedOptionName: o.name, AdvancedOptionCost: 0,
        AdvancedOptionStock: o.stock, AdvancedOptionWeight: 0, AdvancedOptionPrice: 0, AdvancedOptionGTIN: '',
      })),
      CategoryList: [],
    };
  }

  /** Clients often send the bare host; 3dcart accepts it (compared without scheme and trailing slash). */
  const host = (u: string) => u.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase();

  function authorized(req: FakeRequest): boolean {
    const h = (name: string) => String(req.headers[name] ?? '');
    return host(h('secureurl')) === host(credentials.secureUrl) && h('privatekey') === credentials.privateKey && h('token') === credentials.token;
  }

  function throttled(): boolean {
    if (faults.rateLimitPerSecond === null) return false;
    const now = Date.now();
    while (accepted.length && (accepted[0] as number) <= now - 1000) accepted.shift();
    if (accepted.length >= faults.rateLimitPerSecond) return true;
    accepted.push(now);
    return false;
  }

  interface Order { id: number; status: number; createdAt: Date; items: Array<{ catalogId: number; sku: string; quantity: number; shipped: boolean }> }
  const orders: Order[] = [];
  function placeOrder(order: { status?: number; createdAt?: Date; items: Array<{ sku: string; quantity: number; shipped?: boolean }> }): number {
    const id = 5000 + orders.length + 1;
    const status = order.status ?? 1;
    const items = order.items.map((i) => {
      for (const p of products.values()) {
        const option = p.options.find((o) => o.sku === i.sku);
        if (option || (p.options.length === 0 && p.sku === i.sku)) {
          if (status !== 5 && status !== 7) {
            if (option) option.stock -= i.quantity;
            else p.stock -= i.quantity;
          }
          return { catalogId: p.catalogId, sku: i.sku, quantity: i.quantity, shipped: i.shipped ?? false };
        }
      }
      throw new Error(`placeOrder: no product or option with SKU ${i.sku}`);
    });
    orders.push({ id, status, createdAt: order.createdAt ?? new Date(), items });
    return id;
  }

  /** `GET /Orders?limit&offset&datestart=MM/dd/yyyy`: paged like the products; the store's time zone is UTC here. */
  function listOrders(req: FakeRequest): FakeReply {
    if (faults.failOrders) return errorList(500, 'An error has occurred.'); // wording UNVERIFIED
    const startRaw = req.query.get('datestart');
    let fromMs = -Infinity;
    if (startRaw !== null) {
      const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(startRaw);
      if (!m) return errorList(400, 'The request is invalid.'); // wording UNVERIFIED
      fromMs = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]));
    }
    const all = orders.filter((o) => o.createdAt.getTime() >= fromMs).sort((a, b) => a.id - b.id);
    return pageOf(req, all, MAX_ORDERS_LIMIT, (o) => ({
      OrderID: o.id, InvoiceNumberPrefix: 'AB-', InvoiceNumber: o.id, OrderStatusID: o.status,
      OrderDate: o.createdAt.toISOString().slice(0, 19),
      OrderItemList: o.items.map((i, k) => ({
        CatalogID: i.catalogId, ItemIndexID: k + 1, ItemID: i.sku, ItemShipmentID: i.shipped ? 2 : 1, ItemQuantity: i.quantity, ItemDescription: i.sku,
      })),
      ShipmentList: [
        { ShipmentID: 1, ShipmentOrderStatus: o.status },
        ...(o.items.some((i) => i.shipped) ? [{ ShipmentID: 2, ShipmentOrderStatus: 4 }] : []),
      ],
    }));
  }

  /**
   * One page of a GET list (Products, Orders): `limit` (default 10, wording/default UNVERIFIED;
   * larger limits are served as `max`) records from `offset` in the shop's offset base; no
   * records at all is 404, an offset past the end per `pastEnd`.
   */
  function pageOf<T>(req: FakeRequest, all: T[], max: number, toJson: (record: T) => unknown): FakeReply {
    const limitRaw = req.query.get('limit');
    const offsetRaw = req.query.get('offset');
    const limit = Math.min(limitRaw === null ? 10 : Math.max(1, Number(limitRaw) || 0), max);
    const offset = offsetRaw === null ? offsetBase : Math.max(0, Math.trunc(Number(offsetRaw) || 0));
    if (all.length === 0) return errorList(404, 'No records found'); // wording UNVERIFIED
    const start = offsetBase === 1 ? Math.max(offset, 1) - 1 : offset;
    if (start >= all.length) {
      return options.pastEnd === 'not-found' ? errorList(404, 'No records found') : errorList(400, 'Offset amount exceeds the total number of records');
    }
    return { status: 200, json: all.slice(start, start + limit).map(toJson) };
  }

  function listProducts(req: FakeRequest): FakeReply {
    // The cap at 200 is documented.
    let all = [...products.values()].sort((a, b) => a.catalogId - b.catalogId);
    const sku = req.query.get('sku');
    if (sku !== null) all = all.filter((p) => p.sku === sku);
    return pageOf(req, all, MAX_LIMIT, productJson);
  }

  function rejected(sku: string): boolean {
    return faults.rejectSkus.includes(sku);
  }

  function validArray(body: unknown): FakeReply | null {
    if (!Array.isArray(body) || body.length === 0) return errorList(400, 'The request is invalid.'); // wording UNVERIFIED
    if (body.length > MAX_PUT) return errorList(400, `Maximum number of records per request is ${MAX_PUT}`); // wording UNVERIFIED
    return null;
  }

  function updateProducts(body: unknown): FakeReply {
    const invalid = validArray(body);
    if (invalid) return invalid;
    const results = (body as unknown[]).map((item) => {
      const info = (item as { SKUInfo?: { CatalogID?: unknown; Stock?: unknown; Price?: unknown } } | null)?.SKUInfo;
      const hide = (item as { Hide?: unknown } | null)?.Hide;
      const id = Number(info?.CatalogID);
      const p = products.get(id);
      if (!info || !Number.isInteger(id) || !p) return record('CatalogID', String(info?.CatalogID ?? ''), 404, 'Record not found');
      if (info.Stock !== undefined && typeof info.Stock !== 'number') return record('CatalogID', String(id), 400, 'Invalid value for Stock');
      // A boolean field: anything else is refused per record (wording UNVERIFIED, like Stock's).
      if (hide !== undefined && typeof hide !== 'boolean') return record('CatalogID', String(id), 400, 'Invalid value for Hide');
      // Price is a decimal: a string or a negative amount is refused per record (wording UNVERIFIED).
      if (info.Price !== undefined && (typeof info.Price !== 'number' || !Number.isFinite(info.Price) || info.Price < 0)) return record('CatalogID', String(id), 400, 'Invalid value for Price');
      if (rejected(p.sku)) return record('CatalogID', String(id), 400, 'Record could not be updated');
      if (typeof info.Stock === 'number') p.stock = info.Stock;
      if (typeof hide === 'boolean') p.hide = hide;
      if (typeof info.Price === 'number') p.price = info.Price;
      return record('CatalogID', String(id), 200, 'Updated successfully');
    });
    return { status: 200, json: results };
  }

  function updateOptions(catalogId: number, body: unknown): FakeReply {
    const p = products.get(catalogId);
    if (!p) return errorList(404, 'Record not found');
    const invalid = validArray(body);
    if (invalid) return invalid;
    const results = (body as unknown[]).map((item) => {
      const o = item as { AdvancedOptionCode?: unknown; AdvancedOptionStock?: unknown } | null;
      const code = String(o?.AdvancedOptionCode ?? '');
      const option = p.options.find((x) => x.code === code);
      if (!option) return record('AdvancedOptionCode', code, 404, 'Record not found');
      if (o?.AdvancedOptionStock !== undefined && typeof o.AdvancedOptionStock !== 'number') return record('AdvancedOptionCode', code, 400, 'Invalid value for AdvancedOptionStock');
      if (rejected(option.sku)) return record('AdvancedOptionCode', code, 400, 'Record could not be updated');
      if (typeof o?.AdvancedOptionStock === 'number') option.stock = o.AdvancedOptionStock;
      return record('AdvancedOptionCode', code, 200, 'Updated successfully');
    });
    return { status: 200, json: results };
  }

  function handle(req: FakeRequest): FakeReply {
    if (throttled()) return errorList(429, 'Too many requests'); // signal and wording UNVERIFIED
    if (!authorized(req)) return errorList(401, 'Authorization has been denied for this request.');
    if (!req.path.startsWith(`${S4S_API_PREFIX}/`)) return notFound(req);
    if (req.method !== 'GET' && options.readOnly) return errorList(401, 'Authorization has been denied for this request.');
    if (req.bodyError !== undefined) return errorList(400, 'The request is invalid.');
    const route = req.path.slice(S4S_API_PREFIX.length).replace(/\/+$/, '');
    if (route === '/Products' && req.method === 'GET') return listProducts(req);
    if (route === '/Orders' && req.method === 'GET') return listOrders(req);
    if (route === '/Products' && req.method === 'PUT') return updateProducts(req.body);
    const productRoute = /^\/Products\/(\d+)$/.exec(route);
    if (productRoute && req.method === 'GET') {
      const p = products.get(Number(productRoute[1]));
      // An array of one, like the listing (the single-record shape is UNVERIFIED).
      return p ? { status: 200, json: [productJson(p)] } : errorList(404, 'No records found'); // wording UNVERIFIED
    }
    const optionRoute = /^\/Products\/(\d+)\/AdvancedOptions$/.exec(route);
    if (optionRoute && req.method === 'PUT') return updateOptions(Number(optionRoute[1]), req.body);
    return notFound(req);
  }

  const server = await startFakeServer({
    handle,
    // The contract's 429: with Retry-After (3dcart's own throttling signal is UNVERIFIED).
    tooManyRequests: () => ({ status: 429, headers: { 'Retry-After': '1' }, json: [record('Error', '', 429, 'Too many requests')] }),
    isWrite: (req) => req.method === 'PUT' || req.method === 'POST',
    countItems: (req) => (Array.isArray(req.body) ? req.body.length : undefined),
    faults,
  });

  return {
    ...server,
    faults,
    apiUrl: `${server.url}${S4S_API_PREFIX}`,
    credentials,
    seed,
    placeOrder,
    priceBySku: () => new Map([...products.values()].sort((a, b) => a.catalogId - b.catalogId).map((p) => [p.sku, p.price])),
    stockBySku: () => {
      const out = new Map<string, number>();
      for (const p of [...products.values()].sort((a, b) => a.catalogId - b.catalogId)) {
        if (p.options.length === 0) out.set(p.sku, p.stock);
        for (const o of p.options) out.set(o.sku, o.stock);
      }
      return out;
    },
    remove: (sku) => {
      for (const p of products.values()) {
        if (p.sku === sku && p.options.length === 0) products.delete(p.catalogId);
        p.options = p.options.filter((o) => o.sku !== sku);
      }
    },
    get: (id) => {
      const p = products.get(id);
      return p ? { ...p, options: p.options.map((o) => ({ ...o })) } : undefined;
    },
  };
}

/** ASP.NET Web API's answer to an unknown route (the service is "3dCartWebAPI"). */
function notFound(req: FakeRequest): FakeReply {
  return { status: 404, json: { Message: `No HTTP resource was found that matches the request URI 'https://apirest.3dcart.com${req.path}'.` } };
}

/**
 * A realistic catalog with exactly `count` stock-carrying items: every 4th product has two
 * advanced options (the product itself is then not an item). Returns the seeds and the item
 * SKUs in store order (CatalogID, then option code).
 */
export function s4sCatalog(count: number, prefix = 'S-'): { products: S4sSeedProduct[]; skus: string[] } {
  const products: S4sSeedProduct[] = [];
  const skus: string[] = [];
  let n = 0;
  for (let p = 1; n < count; p++) {
    const sku = `${prefix}${String(p).padStart(4, '0')}`;
    if (p % 4 === 0 && count - n >= 2) {
      const opts = [1, 2].map((k) => ({ sku: `${sku}-${k}`, name: `Option ${k}`, stock: (p + k) % 9 }));
      products.push({ sku, name: `Product ${sku}`, stock: 0, options: opts });
      skus.push(...opts.map((o) => o.sku));
      n += 2;
    } else {
      products.push({ sku, name: `Product ${sku}`, stock: p % 11 });
      skus.push(sku);
      n += 1;
    }
  }
  return { products, skus };
}

/** A raw request with the fake's credentials (override any header to test auth). */
export function s4sRequest(fake: S4sFake, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return rawRequest(`${fake.apiUrl}/${path.replace(/^\//, '')}`, {
    method: init.method,
    body: init.body,
    headers: { SecureURL: fake.credentials.secureUrl, PrivateKey: fake.credentials.privateKey, Token: fake.credentials.token, ...init.headers },
  });
}
