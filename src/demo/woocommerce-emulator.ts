import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createOrderBook, type WooOrderRecord, type WooOrderStatus, type WooSeedOrder } from './woocommerce-orders.js';

export * from './woocommerce-orders.js';

/**
 * A local WooCommerce REST v3 (`/wp-json/wc/v3/`) emulator: products, variations, batches,
 * WooCommerce's own authentication rules and switchable faults.
 *
 * It ships with the product (`invsync demo` runs against it) and backs the adapter's tests, so it
 * copies what real clients rely on (see /work/shared/API_FACTS.md §1) and rejects what the real
 * API rejects: per_page > 100, batches over the limit, Basic auth over plain http, bad or replayed
 * OAuth signatures. Only the stock-related parts of the product model are kept.
 *
 * Sources for the behaviour copied here: woocommerce `class-wc-rest-authentication.php`
 * (Basic/OAuth, nonce store), `class-wc-rest-controller.php` (batch), `class-wc-rest-crud-controller.php`
 * (list headers, invalid-id errors), the products/variations controllers (stock writes) and
 * WordPress core's parameter validation.
 */

export type WooProductType = 'simple' | 'variable' | 'grouped' | 'external';
export type WooStockStatus = 'instock' | 'outofstock' | 'onbackorder';
export type WooBackorders = 'no' | 'notify' | 'yes';
export type WooPermissions = 'read' | 'write' | 'read_write';

/** One stored post: a product or a variation (WordPress gives both ids from one sequence). */
export interface WooRecord {
  id: number;
  type: WooProductType | 'variation';
  /** 0 for products; the variable product's id for variations. */
  parent_id: number;
  name: string;
  sku: string;
  manage_stock: boolean;
  /** null whenever stock is not managed. */
  stock_quantity: number | null;
  stock_status: WooStockStatus;
  backorders: WooBackorders;
  /** The regular price as stored (a decimal string; "" for none). */
  regular_price: string;
  /** Variation ids of a variable product, ascending; [] otherwise. */
  variations: number[];
  date_created: string;
  /** Products only: visible / catalog / search / hidden. */
  catalog_visibility: WooCatalogVisibility;
  /** draft / pending / private / publish (a variation's "Enabled" box is publish vs private). */
  status: WooPostStatus;
  /**
   * GMT, second precision (MySQL's post_modified_gmt). Moved by every write to this record (REST,
   * orders), never by a write to its parent or children: a variation's sale does not touch the
   * variable product, which is the harsher of the two behaviours WooCommerce versions show.
   */
  date_modified: string;
}

export type WooCatalogVisibility = 'visible' | 'catalog' | 'search' | 'hidden';
export type WooPostStatus = 'draft' | 'pending' | 'private' | 'publish';
const CATALOG_VISIBILITIES: WooCatalogVisibility[] = ['visible', 'catalog', 'search', 'hidden'];
const POST_STATUSES: WooPostStatus[] = ['draft', 'pending', 'private', 'publish'];

/** Seed data for one variation. `manage_stock` defaults to true when `stock_quantity` is a number. */
export interface WooSeedVariation {
  sku?: string;
  name?: string;
  manage_stock?: boolean;
  stock_quantity?: number | null;
  stock_status?: WooStockStatus;
  backorders?: WooBackorders;
  /** A decimal string ("12.99"); default "" (no price). */
  regular_price?: string;
  status?: WooPostStatus;
}

/** Seed data for one product; `variations` only for `type: 'variable'`. */
export interface WooSeedProduct extends WooSeedVariation {
  type?: WooProductType;
  catalog_visibility?: WooCatalogVisibility;
  variations?: WooSeedVariation[];
}

export interface WooApiKey {
  consumerKey: string;
  consumerSecret: string;
  /** Default 'read_write'. */
  permissions?: WooPermissions;
}

/** Switchable faults. The handle's `faults` object is live: change it between requests. */
export interface WooFaults {
  /** Delay before every response. */
  latencyMs: number;
  /** The next `count` requests get 429 with this Retry-After (seconds or an HTTP date). */
  status429: { count: number; retryAfter?: number | string } | null;
  /** The next `count` requests get 503 (with Retry-After when given). */
  status503: { count: number; retryAfter?: number | string } | null;
  /** The next N requests have their socket destroyed without a response. */
  dropConnections: number;
  /** Every request gets a 200 text/html maintenance page (what many hosts serve during updates). */
  htmlMaintenance: boolean;
  /** Every request is refused with 401, as if the key had been revoked. */
  failAuth: boolean;
  /** Batch items (and single PUTs) touching these SKUs fail with a per-item 400. */
  rejectSkus: string[];
  /**
   * Writes to these SKUs answer success with the new stock, but the stored stock is put back
   * right after (what a misbehaving plugin or an ERP connector overwriting WooCommerce does).
   */
  revertStockSkus: string[];
  /** More accepted requests than this within a rolling second → 429 with Retry-After: 1. */
  rateLimitPerSecond: number | null;
  /** Wait this long before handling each request (for client timeouts). */
  hangMs: number;
  /** GET /orders answers 500 (a plugin crashing the orders listing); products still answer. */
  failOrders: boolean;
  /** GET /orders ignores `status`, `after` and `before` (an old WooCommerce or a plugin rewriting the query). */
  ignoreOrderFilters: boolean;
}

export interface WooEmulatorOptions {
  /** Default 0 (a free port). The emulator always binds 127.0.0.1. */
  port?: number;
  /** Serve HTTPS with this key pair (then Basic auth is accepted, as on a real TLS site). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** API keys. Default: one read_write key, `DEFAULT_WOO_KEY`. */
  keys?: WooApiKey[];
  /** Shorthand for one key's permissions when `keys` is not given. */
  permissions?: WooPermissions;
  /** woocommerce_rest_batch_items_limit (default 100; many sites raise it). */
  batchLimit?: number;
  /** The store option "Enable stock management" (woocommerce_manage_stock). Default true. */
  storeManagesStock?: boolean;
  /** First post id (default 1). */
  firstId?: number;
  products?: WooSeedProduct[];
  faults?: Partial<WooFaults>;
  /** Clock for OAuth timestamp checks (ms). */
  now?: () => number;
}

export interface WooRequestLogEntry {
  method: string;
  /** URL path, e.g. `/wp-json/wc/v3/products/batch`. */
  path: string;
  /** Query parameters as PHP sees them (decoded; last duplicate wins). */
  query: Record<string, string>;
  /** Response status; 0 while pending or when the connection was dropped. */
  status: number;
  /** Number of create+update+delete items for batch requests, 1 for single updates. */
  items?: number;
  /** Arrival time (ms since epoch). */
  at: number;
}

export interface WooEmulator {
  /** Site root, e.g. `http://127.0.0.1:49152` (what a store config's `url` holds). */
  readonly url: string;
  /** `${url}/wp-json/wc/v3`. */
  readonly apiUrl: string;
  readonly port: number;
  readonly keys: ReadonlyArray<Required<WooApiKey>>;
  readonly faults: WooFaults;
  /** Every request received, in arrival order. */
  readonly requests: WooRequestLogEntry[];
  /** Write requests received (batch POSTs and single PUT/POST/PATCH updates), faulted ones included. */
  writeRequests(): number;
  /** Copies of every product and variation, by id. */
  items(): WooRecord[];
  /** One record (copy) by id, or undefined. */
  get(id: number): WooRecord | undefined;
  /** Stock of every stock-carrying item (simple products and variations) with a SKU. */
  stockBySku(): Map<string, number | null>;
  /** The regular price ("" for none) of every stock-carrying item with a SKU. */
  priceBySku(): Map<string, string>;
  /** Add products (and their variations); returns the stored records of the products, in order. */
  seed(products: WooSeedProduct | WooSeedProduct[]): WooRecord[];
  /** Add one variation to an existing variable product. */
  seedVariation(parentId: number, variation: WooSeedVariation): WooRecord;
  /**
   * Place an order (default status `processing`, created now): `processing`, `on-hold` and
   * `completed` take its lines off the stock as WooCommerce does. Returns the stored order.
   */
  placeOrder(order: WooSeedOrder): WooOrderRecord;
  /** Move an order to another status (stock follows, see woocommerce-orders.ts). */
  setOrderStatus(id: number, status: WooOrderStatus): WooOrderRecord;
  /** Copies of every order, by id. */
  orders(): WooOrderRecord[];
  /** Put every fault switch back to "off". */
  resetFaults(): void;
  close(): Promise<void>;
}

export const DEFAULT_WOO_KEY: Required<WooApiKey> = {
  consumerKey: 'ck_0123456789abcdef0123456789abcdef01234567',
  consumerSecret: 'cs_0123456789abcdef0123456789abcdef01234567',
  permissions: 'read_write',
};

const API_PREFIX = '/wp-json/wc/v3/';
const NONCE_WINDOW_S = 15 * 60;
const DATE_BASE_MS = Date.UTC(2024, 0, 1);

export function noFaults(): WooFaults {
  return {
    latencyMs: 0, status429: null, status503: null, dropConnections: 0, htmlMaintenance: false,
    failAuth: false, rejectSkus: [], revertStockSkus: [], rateLimitPerSecond: null, hangMs: 0, failOrders: false, ignoreOrderFilters: false,
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Replies and errors                                                                          */
/* ------------------------------------------------------------------------------------------ */

interface Reply {
  status: number;
  json?: unknown;
  html?: string;
  headers?: Record<string, string | string[]>;
}

interface WpError { code: string; message: string; data: { status: number } & Record<string, unknown> }

function wpError(code: string, message: string, status: number, extra: Record<string, unknown> = {}): WpError {
  return { code, message, data: { status, ...extra } };
}

function errorReply(err: WpError): Reply {
  return { status: err.data.status, json: err };
}

const NO_ROUTE = wpError('rest_no_route', 'No route was found matching the URL and request method.', 404);

/* ------------------------------------------------------------------------------------------ */
/* PHP-compatible encoding (the server side of OAuth is PHP; copy its functions byte for byte) */
/* ------------------------------------------------------------------------------------------ */

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/** PHP rawurlencode(): RFC 3986, on UTF-8 bytes. */
export function rawurlencode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** PHP rawurldecode(): %XX → byte; malformed sequences stay as they are; '+' stays '+'. */
function rawurldecode(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(value[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** PHP urldecode(): like rawurldecode, and '+' means space. */
function urldecode(value: string): string {
  return rawurldecode(value.replace(/\+/g, ' '));
}

/**
 * The query string as PHP's $_GET holds it: decoded, last duplicate wins, and (a PHP quirk)
 * spaces and dots in names turned into underscores. Bracketed array names are kept as plain names.
 */
function parsePhpQuery(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    const key = urldecode(rawKey).replace(/^ +/, '').replace(/[ .]/g, '_');
    if (key === '') continue;
    out[key] = urldecode(rawValue);
  }
  return out;
}

/** strcmp() order: bytewise on UTF-8. */
function strcmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/* ------------------------------------------------------------------------------------------ */
/* Authentication (WC_REST_Authentication)                                                      */
/* ------------------------------------------------------------------------------------------ */

interface AuthContext {
  secure: boolean;
  method: string;
  /** scheme://host[:port] as the site sees itself. */
  origin: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
}

type AuthOutcome = { user: Required<WooApiKey> } | { error: WpError } | { anonymous: true };

const OAUTH_REQUIRED = ['oauth_consumer_key', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method'];

function createAuthenticator(keys: Array<Required<WooApiKey>>, now: () => number) {
  /** Per key: used nonces by timestamp. NOTE: WooCommerce keys this map by timestamp, so one nonce per second is remembered; copied as is. */
  const nonces = new Map<string, Map<number, string>>();
  const byKey = (ck: string) => keys.find((k) => k.consumerKey === ck);

  function basic(ctx: AuthContext): AuthOutcome | null {
    let key = '';
    let secret = '';
    if (ctx.query.consumer_key && ctx.query.consumer_secret) {
      key = ctx.query.consumer_key;
      secret = ctx.query.consumer_secret;
    } else if (ctx.authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(ctx.authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) { key = decoded.slice(0, colon); secret = decoded.slice(colon + 1); }
    }
    if (!key || !secret) return null;
    const user = byKey(key);
    // An unknown key is not an error here: WooCommerce falls through to OAuth, then to "not logged in".
    if (!user) return null;
    if (!safeEqual(user.consumerSecret, secret)) {
      return { error: wpError('woocommerce_rest_authentication_error', 'Consumer secret is invalid.', 401) };
    }
    return { user };
  }

  /** get_oauth_parameters(): null when no OAuth parameter at all was sent (then it is not an OAuth request). */
  function oauthParams(ctx: AuthContext): { params: Record<string, string> } | { error: WpError } | null {
    const params: Record<string, string> = { ...ctx.query, ...parseOAuthHeader(ctx.authorization) };
    const missing = OAUTH_REQUIRED.filter((name) => !params[name]);
    if (missing.length === OAUTH_REQUIRED.length) return null;
    if (missing.length > 0) {
      const noun = missing.length === 1 ? 'parameter' : 'parameters';
      return { error: wpError('woocommerce_rest_authentication_missing_parameter', `Missing OAuth ${noun} ${missing.join(', ')}`, 401) };
    }
    return { params };
  }

  function oauth(ctx: AuthContext): AuthOutcome {
    const found = oauthParams(ctx);
    if (found === null) return { anonymous: true };
    if ('error' in found) return found;
    const p = found.params;
    const user = byKey(p.oauth_consumer_key as string);
    if (!user) return { error: wpError('woocommerce_rest_authentication_error', 'Consumer key is invalid.', 401) };
    const signatureError = checkSignature(ctx, user, p);
    if (signatureError) return { error: signatureError };
    const replayError = checkTimestampAndNonce(user, p.oauth_timestamp as string, p.oauth_nonce as string);
    if (replayError) return { error: replayError };
    return { user };
  }

  /** check_oauth_signature(): sort raw names (strcmp), rawurlencode names and values, rawurlencode each "name=value", join with %26. */
  function checkSignature(ctx: AuthContext, user: Required<WooApiKey>, all: Record<string, string>): WpError | null {
    const baseUri = rawurlencode(`${ctx.origin}${ctx.path}`);
    const consumerSignature = rawurldecode((all.oauth_signature as string).replace(/ /g, '+'));
    const params = Object.entries(all).filter(([k]) => k !== 'oauth_signature').sort(([a], [b]) => strcmp(a, b));
    const queryString = params.map(([k, v]) => rawurlencode(`${rawurlencode(k)}=${rawurlencode(v)}`)).join('%26');
    const stringToSign = `${ctx.method}&${baseUri}&${queryString}`;
    const method = all.oauth_signature_method;
    if (method !== 'HMAC-SHA1' && method !== 'HMAC-SHA256') {
      return wpError('woocommerce_rest_authentication_error', 'Invalid signature - signature method is invalid.', 401);
    }
    const algorithm = method === 'HMAC-SHA1' ? 'sha1' : 'sha256';
    const expected = crypto.createHmac(algorithm, `${user.consumerSecret}&`).update(stringToSign).digest('base64');
    if (!safeEqual(expected, consumerSignature)) {
      return wpError('woocommerce_rest_authentication_error', 'Invalid signature - provided signature does not match.', 401);
    }
    return null;
  }

  function checkTimestampAndNonce(user: Required<WooApiKey>, timestamp: string, nonce: string): WpError | null {
    const nowS = Math.floor(now() / 1000);
    const ts = Number(timestamp);
    if (!Number.isFinite(ts) || ts < nowS - NONCE_WINDOW_S || ts > nowS + NONCE_WINDOW_S) {
      return wpError('woocommerce_rest_authentication_error', 'Invalid timestamp.', 401);
    }
    const used = nonces.get(user.consumerKey) ?? new Map<number, string>();
    nonces.set(user.consumerKey, used);
    if ([...used.values()].includes(nonce)) {
      return wpError('woocommerce_rest_authentication_error', 'Invalid nonce - nonce has already been used.', 401);
    }
    used.set(ts, nonce);
    for (const t of used.keys()) if (t < nowS - NONCE_WINDOW_S) used.delete(t);
    return null;
  }

  /** authenticate(): Basic (or consumer_key/secret params) only over TLS, then OAuth 1.0a. */
  return function authenticate(ctx: AuthContext): AuthOutcome {
    if (ctx.secure) {
      const outcome = basic(ctx);
      if (outcome) return outcome;
    }
    return oauth(ctx);
  };
}

/** parse_header(): OAuth params from an `Authorization: OAuth ...` header. */
function parseOAuthHeader(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header || !header.trim().startsWith('OAuth ')) return out;
  for (const m of header.trim().matchAll(/(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))/g)) {
    out[m[1] as string] = urldecode(m[2] ?? m[3] ?? '');
  }
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** check_permissions(): the key's scope against the HTTP method. */
function keyPermissionError(user: Required<WooApiKey>, method: string): WpError | null {
  const reading = method === 'GET' || method === 'HEAD';
  if (reading && user.permissions === 'write') {
    return wpError('woocommerce_rest_authentication_error', 'The API key provided does not have read permissions.', 401);
  }
  if (!reading && method !== 'OPTIONS' && user.permissions === 'read') {
    return wpError('woocommerce_rest_authentication_error', 'The API key provided does not have write permissions.', 401);
  }
  return null;
}

/* ------------------------------------------------------------------------------------------ */
/* Catalog: records and the stock rules                                                         */
/* ------------------------------------------------------------------------------------------ */

interface StockInput {
  manage_stock?: unknown;
  stock_quantity?: unknown;
  inventory_delta?: unknown;
  stock_status?: unknown;
  backorders?: unknown;
}

const STOCK_STATUSES: WooStockStatus[] = ['instock', 'outofstock', 'onbackorder'];
const BACKORDERS: WooBackorders[] = ['no', 'notify', 'yes'];

/** wc_format_decimal() as the product setters use it: a plain decimal kept as sent (trimmed), anything else "". */
function formatDecimal(value: string): string {
  const v = value.trim();
  return /^\d+(\.\d+)?$|^\.\d+$/.test(v) ? v : '';
}

/** wc_string_to_bool() for manage_stock: true/"yes"/"true"/1. */
function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'yes' || value === 'true';
}

/** wc_stock_amount(): an integer (intval of whatever was sent). */
function stockAmount(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** PHP isset() on a request field: present and not null. */
const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key) && (o as Record<string, unknown>)[key] !== null;

/**
 * The listing fields invsync's `rules.status` writes (SPEC §14), as the controllers' schemas check
 * them: an enum value outside the list is `rest_invalid_param` (400) for the whole item, nothing
 * saved. A variation has no catalog_visibility in its schema: WordPress ignores unknown fields.
 * Returns the error, or null (then `applyListing` saves them).
 */
function listingError(record: WooRecord, input: Record<string, unknown>): WpError | null {
  const problems: Record<string, string> = {};
  if (has(input, 'catalog_visibility') && record.type !== 'variation' && !CATALOG_VISIBILITIES.includes(input.catalog_visibility as WooCatalogVisibility)) {
    problems.catalog_visibility = `catalog_visibility is not one of ${CATALOG_VISIBILITIES.join(', ')}.`;
  }
  if (has(input, 'status') && !POST_STATUSES.includes(input.status as WooPostStatus)) {
    problems.status = `status is not one of ${POST_STATUSES.join(', ')}.`;
  }
  if (has(input, 'stock_status') && !STOCK_STATUSES.includes(input.stock_status as WooStockStatus)) {
    problems.stock_status = `stock_status is not one of ${STOCK_STATUSES.join(', ')}.`;
  }
  const keys = Object.keys(problems);
  if (keys.length === 0) return null;
  return wpError('rest_invalid_param', `Invalid parameter(s): ${keys.join(', ')}`, 400, { params: problems });
}

function applyListing(record: WooRecord, input: Record<string, unknown>): void {
  if (has(input, 'catalog_visibility') && record.type !== 'variation' && CATALOG_VISIBILITIES.includes(input.catalog_visibility as WooCatalogVisibility)) {
    record.catalog_visibility = input.catalog_visibility as WooCatalogVisibility;
  }
  if (has(input, 'status') && POST_STATUSES.includes(input.status as WooPostStatus)) record.status = input.status as WooPostStatus;
}

/**
 * Apply stock fields the way the products/variations controllers do, then `validate_props()`:
 * stock_quantity sticks only when stock management ends up on (sent now or already on) and the
 * store option allows it; otherwise it is cleared to null and backorders reset to "no".
 * Grouped, external and variable products never keep stock here.
 */
function applyStock(record: WooRecord, input: StockInput, storeManagesStock: boolean): void {
  if (has(input, 'manage_stock')) record.manage_stock = toBool(input.manage_stock);
  if (has(input, 'stock_status') && STOCK_STATUSES.includes(input.stock_status as WooStockStatus)) {
    record.stock_status = input.stock_status as WooStockStatus;
  }
  if (has(input, 'backorders') && BACKORDERS.includes(input.backorders as WooBackorders)) {
    record.backorders = input.backorders as WooBackorders;
  }
  const carriesStock = record.type === 'simple' || record.type === 'variation';
  if (!storeManagesStock || !carriesStock) record.manage_stock = false;
  if (record.manage_stock) {
    if (has(input, 'stock_quantity')) record.stock_quantity = stockAmount(input.stock_quantity);
    else if (has(input, 'inventory_delta')) record.stock_quantity = stockAmount(record.stock_quantity) + stockAmount(input.inventory_delta);
    // validate_props(): status follows the quantity (a managed product without a quantity counts as 0).
    const qty = record.stock_quantity ?? 0;
    record.stock_status = qty > 0 ? 'instock' : record.backorders !== 'no' ? 'onbackorder' : 'outofstock';
  } else {
    record.stock_quantity = null;
    record.backorders = 'no';
  }
}

/** Binary search in an ascending id list: the index of `id`, or where it would go. */
function lowerBound(ids: readonly number[], id: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertId(ids: number[], id: number): void {
  // Ids only grow, so this is a push except when a SKU moves to an older record.
  if (ids.length === 0 || (ids[ids.length - 1] as number) < id) ids.push(id);
  else ids.splice(lowerBound(ids, id), 0, id);
}

function removeId(ids: number[], id: number): void {
  const at = lowerBound(ids, id);
  if (ids[at] === id) ids.splice(at, 1);
}

/**
 * The catalog keeps its records in id order through three indexes, so a list request costs
 * O(page) and a write O(log n) (NOTE: ids are handed out in increasing order and never reused,
 * so `records` iterates in id order too): products (every non-variation) by id, each variable
 * product's variations by id, and records by stored SKU (a list: seeds may repeat a SKU).
 */
function createCatalog(options: { firstId: number; storeManagesStock: boolean; now: () => number }) {
  const records = new Map<number, WooRecord>();
  const productIds: number[] = [];
  const variationIds = new Map<number, number[]>();
  const idsBySku = new Map<string, number[]>();
  let nextId = options.firstId;

  function newRecord(type: WooRecord['type'], parentId: number, name: string, sku: string): WooRecord {
    const id = nextId++;
    const created = gmtSeconds(DATE_BASE_MS + id * 1000);
    // Seeds keep the creation date as their last change (an old catalog); writes move it (`touch`).
    return {
      id, type, parent_id: parentId, name, sku, manage_stock: false, stock_quantity: null,
      stock_status: 'instock', backorders: 'no', regular_price: '', variations: [],
      date_created: created, date_modified: created,
      catalog_visibility: 'visible', status: 'publish',
    };
  }

  function indexSku(sku: string, id: number): void {
    if (sku === '') return;
    const ids = idsBySku.get(sku);
    if (ids) insertId(ids, id);
    else idsBySku.set(sku, [id]);
  }

  function unindexSku(sku: string, id: number): void {
    const ids = idsBySku.get(sku);
    if (!ids) return;
    removeId(ids, id);
    if (ids.length === 0) idsBySku.delete(sku);
  }

  function store(r: WooRecord): void {
    records.set(r.id, r);
    indexSku(r.sku, r.id);
    if (r.type === 'variation') {
      const siblings = variationIds.get(r.parent_id);
      if (siblings) insertId(siblings, r.id);
      else variationIds.set(r.parent_id, [r.id]);
    } else {
      insertId(productIds, r.id);
    }
  }

  function unstore(r: WooRecord): void {
    records.delete(r.id);
    unindexSku(r.sku, r.id);
    if (r.type === 'variation') {
      const siblings = variationIds.get(r.parent_id);
      if (siblings) removeId(siblings, r.id);
    } else {
      removeId(productIds, r.id);
    }
  }

  /** A variable product's stock status follows its children. */
  function refreshParent(parentId: number): void {
    const parent = records.get(parentId);
    if (!parent || parent.type !== 'variable') return;
    parent.variations = [...(variationIds.get(parentId) ?? [])];
    const statuses = parent.variations.map((id) => records.get(id)?.stock_status);
    parent.stock_status = statuses.includes('instock') ? 'instock' : statuses.includes('onbackorder') ? 'onbackorder' : 'outofstock';
  }

  /** Seeds are friendlier than writes: a numeric stock_quantity alone means "managed". */
  function seedInput(input: WooSeedVariation): WooSeedVariation & Record<string, unknown> {
    return { ...input, manage_stock: input.manage_stock ?? typeof input.stock_quantity === 'number' };
  }

  function addVariation(parentId: number, input: WooSeedVariation & Record<string, unknown>): WooRecord {
    const parent = records.get(parentId);
    const v = newRecord('variation', parentId, String(input.name ?? `${parent?.name ?? 'Product'} - ${input.sku ?? ''}`.trim()), String(input.sku ?? ''));
    applyStock(v, input, options.storeManagesStock);
    if (typeof input.regular_price === 'string') v.regular_price = formatDecimal(input.regular_price);
    applyListing(v, input);
    store(v);
    refreshParent(parentId);
    return v;
  }

  function addProduct(input: WooSeedProduct & Record<string, unknown>, stock: StockInput): WooRecord {
    const type = (['simple', 'variable', 'grouped', 'external'] as const).includes(input.type as WooProductType) ? input.type as WooProductType : 'simple';
    const p = newRecord(type, 0, String(input.name ?? (input.sku ? `Product ${input.sku}` : 'Product')), String(input.sku ?? ''));
    applyStock(p, stock, options.storeManagesStock);
    if (typeof input.regular_price === 'string') p.regular_price = formatDecimal(input.regular_price);
    applyListing(p, input);
    store(p);
    return p;
  }

  const byIds = (ids: readonly number[]): WooRecord[] => ids.map((id) => records.get(id) as WooRecord);

  /** A save: date_modified becomes the server's now, GMT, whole seconds. */
  function touch(r: WooRecord): void {
    r.date_modified = gmtSeconds(options.now());
  }

  return {
    records,
    get: (id: number) => records.get(id),
    /** Every product (no variations), ascending ids. Read-only: the catalog's own index. */
    productIds: (): readonly number[] => productIds,
    /** The variations of `parentId`, ascending ids. Read-only: the catalog's own index. */
    variationIds: (parentId: number): readonly number[] => variationIds.get(parentId) ?? [],
    /** Records (products and variations) whose stored SKU is one of `skus`, ascending ids. */
    withSkus(skus: readonly string[]): WooRecord[] {
      const ids = new Set<number>();
      for (const sku of new Set(skus)) for (const id of idsBySku.get(sku) ?? []) ids.add(id);
      return byIds([...ids].sort((a, b) => a - b));
    },
    /** The records among `ids` (each once), ascending ids. */
    withIds(ids: readonly number[]): WooRecord[] {
      return byIds([...new Set(ids)].filter((id) => records.has(id)).sort((a, b) => a - b));
    },
    /** Keep the SKU index right when a stored record's SKU changed from `before`. */
    skuChanged(r: WooRecord, before: string): void {
      if (r.sku === before) return;
      unindexSku(before, r.id);
      indexSku(r.sku, r.id);
    },
    addProduct,
    addVariation,
    refreshParent,
    touch,
    seed(input: WooSeedProduct): WooRecord {
      const p = addProduct(input as WooSeedProduct & Record<string, unknown>, seedInput(input));
      for (const v of input.variations ?? []) addVariation(p.id, seedInput(v));
      refreshParent(p.id);
      return p;
    },
    seedInput,
    remove(id: number): void {
      const r = records.get(id);
      if (!r) return;
      unstore(r);
      if (r.type === 'variable') {
        for (const vid of [...(variationIds.get(id) ?? [])]) {
          const v = records.get(vid);
          if (v) unstore(v);
        }
        variationIds.delete(id);
      }
      if (r.parent_id) refreshParent(r.parent_id);
    },
    /**
     * The SKU as the REST API shows it. In the default `view` context a variation without a SKU of
     * its own reports its parent's (WC_Product_Variation::get_sku() inherits it); `edit` shows the
     * stored value (API_FACTS §13).
     */
    shownSku(r: WooRecord, context: WooContext): string {
      if (context === 'edit' || r.type !== 'variation' || r.sku !== '') return r.sku;
      return records.get(r.parent_id)?.sku ?? '';
    },
    skuTaken(sku: string, exceptId: number): boolean {
      if (sku === '') return false;
      return (idsBySku.get(sku) ?? []).some((id) => id !== exceptId);
    },
  };
}

type Catalog = ReturnType<typeof createCatalog>;

/** The REST `context` parameter: what a response shows (view, the default) or what is stored (edit). */
export type WooContext = 'view' | 'edit';

/* ------------------------------------------------------------------------------------------ */
/* Response shapes                                                                              */
/* ------------------------------------------------------------------------------------------ */

function links(origin: string, self: string, collection: string, up?: string): Record<string, Array<{ href: string }>> {
  const out: Record<string, Array<{ href: string }>> = {
    self: [{ href: `${origin}${API_PREFIX}${self}` }],
    collection: [{ href: `${origin}${API_PREFIX}${collection}` }],
  };
  if (up) out.up = [{ href: `${origin}${API_PREFIX}${up}` }];
  return out;
}

function stockFlags(r: WooRecord) {
  return {
    manage_stock: r.manage_stock,
    stock_quantity: r.stock_quantity,
    stock_status: r.stock_status,
    backorders: r.backorders,
    backorders_allowed: r.backorders !== 'no',
    backordered: r.stock_status === 'onbackorder',
    low_stock_amount: null,
  };
}

/**
 * A product as the products controller renders it (variations found by SKU come out product-shaped
 * too). `sku` is the SKU as shown (see shownSku); the default, the stored one, is right for products.
 */
function productJson(r: WooRecord, origin: string, sku: string = r.sku): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    slug: r.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
    permalink: `${origin}/?p=${r.id}`,
    date_created: r.date_created,
    date_created_gmt: r.date_created,
    date_modified: r.date_modified,
    date_modified_gmt: r.date_modified,
    type: r.type,
    status: r.status,
    featured: false,
    catalog_visibility: r.catalog_visibility,
    description: '',
    short_description: '',
    sku,
    price: r.regular_price,
    regular_price: r.regular_price,
    sale_price: '',
    on_sale: false,
    purchasable: true,
    virtual: false,
    downloadable: false,
    tax_status: 'taxable',
    tax_class: '',
    ...stockFlags(r),
    sold_individually: false,
    parent_id: r.parent_id,
    categories: [],
    tags: [],
    images: [],
    attributes: [],
    default_attributes: [],
    variations: r.type === 'variable' ? [...r.variations] : [],
    grouped_products: [],
    menu_order: 0,
    meta_data: [],
    _links: links(origin, `products/${r.id}`, 'products'),
  };
}

/** A variation as the variations controller renders it. */
function variationJson(r: WooRecord, origin: string, sku: string = r.sku): Record<string, unknown> {
  return {
    id: r.id,
    date_created: r.date_created,
    date_created_gmt: r.date_created,
    date_modified: r.date_modified,
    date_modified_gmt: r.date_modified,
    description: '',
    permalink: `${origin}/?p=${r.parent_id}&variation_id=${r.id}`,
    sku,
    price: r.regular_price,
    regular_price: r.regular_price,
    sale_price: '',
    on_sale: false,
    status: r.status,
    purchasable: true,
    virtual: false,
    downloadable: false,
    tax_status: 'taxable',
    tax_class: '',
    ...stockFlags(r),
    image: null,
    attributes: [],
    menu_order: 0,
    meta_data: [],
    name: r.name,
    parent_id: r.parent_id,
    _links: links(origin, `products/${r.parent_id}/variations/${r.id}`, `products/${r.parent_id}/variations`, `products/${r.parent_id}`),
  };
}

/** WordPress core `_fields`: keep only the listed top-level keys. */
function filterFields(obj: Record<string, unknown>, fields: string[] | null): Record<string, unknown> {
  if (!fields) return obj;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const top = f.split('.')[0] as string;
    if (top in obj) out[top] = obj[top];
  }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Collection parameters (WordPress core validation)                                            */
/* ------------------------------------------------------------------------------------------ */

const ORDERBY = ['date', 'modified', 'id', 'include', 'title', 'slug', 'price', 'popularity', 'rating', 'menu_order'];
const PRODUCT_TYPES: WooProductType[] = ['simple', 'grouped', 'external', 'variable'];

interface ListParams {
  page: number;
  perPage: number;
  offset: number | null;
  order: 'asc' | 'desc';
  orderby: string;
  type: string | null;
  skus: string[] | null;
  include: number[] | null;
  stockStatus: string | null;
  fields: string[] | null;
  context: WooContext;
  /** `modified_after`, as the GMT second bound a record's date_modified must exceed. */
  modifiedAfter: string | null;
}

/** wp_sprintf('%l'): "a, b, and c". */
function humanList(items: string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/** MySQL DATETIME as WooCommerce stores post_modified_gmt: GMT, whole seconds, no zone. */
function gmtSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** rest_parse_date()'s RFC 3339 pattern (a zone is optional; fractions are accepted and dropped). */
const REST_DATE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * `modified_after` as the date query compares it: `post_modified_gmt > 'Y-m-d H:i:s'` (the site
 * runs on GMT here, so dates_are_gmt changes nothing). A zone in the value is applied; seconds
 * are truncated, as MySQL DATETIME holds no fraction. Null when the value is not a date.
 */
function modifiedAfterBound(raw: string): string | null {
  const m = REST_DATE.exec(raw.trim());
  if (!m) return null;
  const zone = m[8] ?? 'Z';
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`}`);
  return Number.isFinite(ms) ? gmtSeconds(ms) : null;
}

function isInteger(v: string): boolean {
  return v.trim() !== '' && Number.isInteger(Number(v));
}

function validateListParams(q: Record<string, string>, forVariations: boolean): ListParams | WpError {
  const problems: Record<string, string> = {};
  const int = (name: string, fallback: number, min?: number, max?: number): number => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    if (!isInteger(raw)) { problems[name] = `${name} is not of type integer.`; return fallback; }
    const n = Number(raw);
    if (min !== undefined && max !== undefined && (n < min || n > max)) problems[name] = `${name} must be between ${min} (inclusive) and ${max} (inclusive)`;
    else if (min !== undefined && n < min) problems[name] = `${name} must be greater than or equal to ${min}`;
    return n;
  };
  const oneOf = (name: string, allowed: string[], fallback: string | null): string | null => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw)) problems[name] = `${name} is not one of ${humanList(allowed)}.`;
    return raw;
  };
  const page = int('page', 1, 1);
  const perPage = int('per_page', 10, 1, 100);
  const offset = q.offset === undefined ? null : int('offset', 0);
  const order = oneOf('order', ['asc', 'desc'], 'desc') as 'asc' | 'desc';
  const orderby = oneOf('orderby', ORDERBY, 'date') as string;
  const type = forVariations ? null : oneOf('type', PRODUCT_TYPES, null);
  const stockStatus = oneOf('stock_status', STOCK_STATUSES, null);
  const context = oneOf('context', ['view', 'edit'], 'view') as WooContext;
  let include: number[] | null = null;
  if (q.include !== undefined && q.include !== '') {
    const parts = q.include.split(/[\s,]+/).filter(Boolean);
    const bad = parts.findIndex((p) => !isInteger(p));
    if (bad >= 0) problems.include = `include[${bad}] is not of type integer.`;
    include = parts.map(Number);
  }
  let modifiedAfter: string | null = null;
  if (q.modified_after !== undefined) {
    modifiedAfter = modifiedAfterBound(q.modified_after);
    if (modifiedAfter === null) problems.modified_after = 'Invalid date.';
  }
  const keys = Object.keys(problems);
  if (keys.length > 0) {
    const details = Object.fromEntries(keys.map((k) => [k, { code: 'rest_invalid_type', message: problems[k], data: null }]));
    return wpError('rest_invalid_param', `Invalid parameter(s): ${keys.join(', ')}`, 400, { params: problems, details });
  }
  const skus = q.sku !== undefined && q.sku !== '' ? q.sku.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const fields = q._fields ? q._fields.split(',').map((s) => s.trim()).filter(Boolean) : null;
  return { page, perPage, offset, order, orderby, type, skus, include, stockStatus, fields, context, modifiedAfter };
}

/** A collection in its final order, read by position: a page reads only its own records. */
interface RecordSeq {
  readonly length: number;
  at(i: number): WooRecord;
}

/** date/modified follow creation order here (ids grow with time), so they are id order too. */
const ID_ORDERED = ['id', 'date', 'modified'];

/**
 * `list` (ascending ids) in the order `p` asks for. The id-like orders are a view on the list,
 * O(1) per read; the others (title, slug, include, …) sort a copy.
 */
function ordered(list: readonly WooRecord[], p: ListParams): RecordSeq {
  if (!ID_ORDERED.includes(p.orderby)) {
    const sorted = sortRecords(list, p);
    return viewOf(sorted.length, (i) => sorted[i] as WooRecord, 'asc');
  }
  return viewOf(list.length, (i) => list[i] as WooRecord, p.order);
}

/** `length` records read by `get(i)` in ascending id order, shown ascending or descending. */
function viewOf(length: number, get: (i: number) => WooRecord, order: 'asc' | 'desc'): RecordSeq {
  return { length, at: order === 'asc' ? get : (i) => get(length - 1 - i) };
}

function sortRecords(list: readonly WooRecord[], p: ListParams): WooRecord[] {
  const dir = p.order === 'asc' ? 1 : -1;
  const key = (r: WooRecord): [number | string, number] => {
    if (p.orderby === 'include' && p.include) return [p.include.indexOf(r.id), r.id];
    if (p.orderby === 'title' || p.orderby === 'slug') return [r.name.toLowerCase(), r.id];
    // date/modified follow creation order here (ids grow with time); ID breaks ties as in WC's query.
    return [r.id, r.id];
  };
  return [...list].sort((a, b) => {
    const [ka, ia] = key(a);
    const [kb, ib] = key(b);
    if (ka < kb) return -dir;
    if (ka > kb) return dir;
    return (ia - ib) * dir;
  });
}

/** A page of a collection with X-WP-Total, X-WP-TotalPages and the prev/next Link headers. */
function pageReply(all: RecordSeq, p: ListParams, query: Record<string, string>, origin: string, route: string, render: (r: WooRecord) => Record<string, unknown>): Reply {
  const total = all.length;
  const totalPages = Math.ceil(total / p.perPage);
  const start = p.offset ?? (p.page - 1) * p.perPage;
  const slice: WooRecord[] = [];
  for (let i = Math.max(start, 0); i < Math.min(start + p.perPage, total); i++) slice.push(all.at(i));
  const linkFor = (page: number) => {
    const params = new URLSearchParams({ ...query, page: String(page) });
    return `<${origin}${API_PREFIX}${route}?${params.toString()}>`;
  };
  const linkHeaders: string[] = [];
  if (p.page > 1) linkHeaders.push(`${linkFor(Math.min(p.page - 1, Math.max(totalPages, 1)))}; rel="prev"`);
  if (totalPages > p.page) linkHeaders.push(`${linkFor(p.page + 1)}; rel="next"`);
  const headers: Record<string, string | string[]> = { 'X-WP-Total': String(total), 'X-WP-TotalPages': String(totalPages) };
  if (linkHeaders.length) headers.Link = linkHeaders;
  return { status: 200, json: slice.map((r) => filterFields(render(r), p.fields)), headers };
}

/* ------------------------------------------------------------------------------------------ */
/* Handlers                                                                                    */
/* ------------------------------------------------------------------------------------------ */

interface HandlerContext {
  method: string;
  query: Record<string, string>;
  body: unknown;
  origin: string;
  params: number[];
}

type Handler = (ctx: HandlerContext) => Reply;

interface Route {
  pattern: RegExp;
  /** Permission-callback error code for an anonymous caller, by method class. */
  read?: { handler: Handler; denied: WpError };
  write?: { handler: Handler; denied: WpError };
}

const CANNOT_LIST = wpError('woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.', 401);
const CANNOT_VIEW = wpError('woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.', 401);
const CANNOT_EDIT = wpError('woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.', 401);
const CANNOT_CREATE = wpError('woocommerce_rest_cannot_create', 'Sorry, you are not allowed to create resources.', 401);
const CANNOT_BATCH = wpError('woocommerce_rest_cannot_batch', 'Sorry, you are not allowed to batch manipulate this resource.', 401);

const invalidProductId = () => wpError('woocommerce_rest_product_invalid_id', 'Invalid ID.', 400);
const invalidVariationId = () => wpError('woocommerce_rest_product_variation_invalid_id', 'Invalid ID.', 400);
const variationViaProducts = () => wpError(
  'woocommerce_rest_invalid_product_id',
  'To manipulate product variations you should use the /products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.',
  404,
);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function createHandlers(catalog: Catalog, options: { batchLimit: number; storeManagesStock: boolean; faults: WooFaults }) {
  const rejected = (sku: string) => sku !== '' && options.faults.rejectSkus.includes(sku);
  const rejectedError = (sku: string) => wpError('woocommerce_rest_invalid_stock', `Stock for SKU "${sku}" was rejected by the store.`, 400);

  /** Shared part of a product/variation write: SKU rules, name, stock. Returns an error or null. */
  function writeFields(r: WooRecord, item: Record<string, unknown>): WpError | null {
    const sku = has(item, 'sku') ? String(item.sku).trim() : r.sku;
    if (rejected(sku)) return rejectedError(sku);
    if (has(item, 'sku') && catalog.skuTaken(sku, r.id)) return wpError('product_invalid_sku', 'Invalid or duplicated SKU.', 400);
    // The controllers' schema says `regular_price` is a string: a number fails validation (400 rest_invalid_param).
    if (has(item, 'regular_price') && typeof item.regular_price !== 'string') {
      return wpError('rest_invalid_param', 'Invalid parameter(s): regular_price', 400, {
        params: { regular_price: 'regular_price is not of type string.' },
        details: { regular_price: { code: 'rest_invalid_type', message: 'regular_price is not of type string.', data: { param: 'regular_price' } } },
      });
    }
    r.sku = sku;
    if (has(item, 'name')) r.name = String(item.name);
    const invalid = listingError(r, item);
    if (invalid) return invalid;
    applyStock(r, item, options.storeManagesStock);
    if (has(item, 'regular_price')) r.regular_price = formatDecimal(item.regular_price as string);
    applyListing(r, item);
    return null;
  }

  function updateProduct(item: Record<string, unknown>, origin: string): Record<string, unknown> | WpError {
    const current = catalog.get(Number(item.id));
    if (!current) return invalidProductId();
    if (current.type === 'variation') return variationViaProducts();
    // Validate on a copy so a failed item leaves the stored product untouched.
    const draft: WooRecord = { ...current, variations: [...current.variations] };
    const err = writeFields(draft, item);
    if (err) return err;
    const before = { ...current };
    Object.assign(current, draft);
    catalog.touch(current);
    catalog.skuChanged(current, before.sku);
    if (current.type === 'variable') catalog.refreshParent(current.id);
    const rendered = productJson(current, origin, catalog.shownSku(current, 'view'));
    revertIfFaulted(current, before);
    return rendered;
  }

  function revertIfFaulted(current: WooRecord, before: WooRecord): void {
    if (!options.faults.revertStockSkus.includes(current.sku)) return;
    current.manage_stock = before.manage_stock;
    current.stock_quantity = before.stock_quantity;
    current.stock_status = before.stock_status;
  }

  function createProduct(item: Record<string, unknown>, origin: string): Record<string, unknown> | WpError {
    const sku = has(item, 'sku') ? String(item.sku).trim() : '';
    if (rejected(sku)) return rejectedError(sku);
    if (catalog.skuTaken(sku, -1)) return wpError('product_invalid_sku', 'Invalid or duplicated SKU.', 400);
    const created = catalog.addProduct({ ...item, sku } as WooSeedProduct & Record<string, unknown>, item);
    catalog.touch(created);
    return productJson(created, origin, catalog.shownSku(created, 'view'));
  }

  function deleteProduct(id: number, origin: string): Record<string, unknown> | WpError {
    const current = catalog.get(id);
    if (!current) return wpError('woocommerce_rest_product_invalid_id', 'Invalid ID.', 404);
    if (current.type === 'variation') return variationViaProducts();
    const rendered = productJson(current, origin, catalog.shownSku(current, 'view'));
    catalog.remove(id);
    return rendered;
  }

  function variationOf(parentId: number, id: number): WooRecord | null {
    const v = catalog.get(id);
    return v && v.type === 'variation' && v.parent_id === parentId ? v : null;
  }

  function updateVariation(parentId: number, item: Record<string, unknown>, origin: string): Record<string, unknown> | WpError {
    const current = variationOf(parentId, Number(item.id));
    if (!current) return invalidVariationId();
    const draft: WooRecord = { ...current };
    const err = writeFields(draft, item);
    if (err) return err;
    const before = { ...current };
    Object.assign(current, draft);
    catalog.touch(current);
    catalog.skuChanged(current, before.sku);
    const rendered = variationJson(current, origin, catalog.shownSku(current, 'view'));
    revertIfFaulted(current, before);
    catalog.refreshParent(parentId);
    return rendered;
  }

  function createVariation(parentId: number, item: Record<string, unknown>, origin: string): Record<string, unknown> | WpError {
    const parent = catalog.get(parentId);
    if (!parent || parent.type !== 'variable') return invalidProductId();
    const sku = has(item, 'sku') ? String(item.sku).trim() : '';
    if (rejected(sku)) return rejectedError(sku);
    if (catalog.skuTaken(sku, -1)) return wpError('product_invalid_sku', 'Invalid or duplicated SKU.', 400);
    const created = catalog.addVariation(parentId, { ...item, sku });
    catalog.touch(created);
    return variationJson(created, origin, catalog.shownSku(created, 'view'));
  }

  function deleteVariation(parentId: number, id: number, origin: string): Record<string, unknown> | WpError {
    const current = variationOf(parentId, id);
    if (!current) return wpError('woocommerce_rest_product_variation_invalid_id', 'Invalid ID.', 404);
    const rendered = variationJson(current, origin, catalog.shownSku(current, 'view'));
    catalog.remove(id);
    return rendered;
  }

  /** WC_REST_Controller::batch_items(): count all three lists against the limit, then run each item; not atomic. */
  function batch(
    body: unknown,
    ops: {
      create: (item: Record<string, unknown>) => Record<string, unknown> | WpError;
      update: (item: Record<string, unknown>) => Record<string, unknown> | WpError;
      delete: (id: number) => Record<string, unknown> | WpError;
    },
  ): Reply {
    const input = isObject(body) ? body : {};
    const list = (key: string): unknown[] => (Array.isArray(input[key]) ? input[key] as unknown[] : []);
    const total = list('create').length + list('update').length + list('delete').length;
    if (total > options.batchLimit) {
      return errorReply(wpError('woocommerce_rest_request_entity_too_large', `Unable to accept more than ${options.batchLimit} items for this request.`, 413));
    }
    const asResult = (id: unknown, out: Record<string, unknown> | WpError) =>
      isWpError(out) ? { id: Number(id) || 0, error: { code: out.code, message: out.message, data: out.data } } : out;
    const response: Record<string, unknown[]> = {};
    if (list('create').length) {
      response.create = list('create').map((item) => asResult(0, isObject(item) ? ops.create(item) : invalidProductId()));
    }
    if (list('update').length) {
      response.update = list('update').map((item) => {
        const obj = isObject(item) ? item : {};
        return asResult(obj.id, ops.update(obj));
      });
    }
    if (list('delete').length) {
      response.delete = list('delete').map((id) => asResult(id, ops.delete(Number(id))));
    }
    // PHP json_encode of an empty array is "[]".
    return { status: 200, json: Object.keys(response).length ? response : [] };
  }

  const ok = (out: Record<string, unknown> | WpError, status = 200): Reply => (isWpError(out) ? errorReply(out) : { status, json: out });

  function listProducts(ctx: HandlerContext): Reply {
    const p = validateListParams(ctx.query, false);
    if (isWpError(p)) return errorReply(p);
    const render = (r: WooRecord) => productJson(r, ctx.origin, catalog.shownSku(r, p.context));
    if (!p.skus && !p.include && !p.type && !p.stockStatus && !p.modifiedAfter && ID_ORDERED.includes(p.orderby)) {
      // The adapter's full listing: a view on the catalog's id index, no copy of the catalog.
      const ids = catalog.productIds();
      return pageReply(viewOf(ids.length, (i) => catalog.get(ids[i] as number) as WooRecord, p.order), p, ctx.query, ctx.origin, 'products', render);
    }
    let all = p.skus ? catalog.withSkus(p.skus) : p.include ? catalog.withIds(p.include).filter((r) => r.type !== 'variation') : productsOf(catalog.productIds());
    if (p.skus && p.include) all = keepIds(all, p.include);
    if (p.type) all = all.filter((r) => r.type === p.type);
    if (p.stockStatus) all = all.filter((r) => r.stock_status === p.stockStatus);
    if (p.modifiedAfter) all = modifiedSince(all, p.modifiedAfter);
    return pageReply(ordered(all, p), p, ctx.query, ctx.origin, 'products', render);
  }

  function listVariations(ctx: HandlerContext): Reply {
    const parentId = ctx.params[0] as number;
    const p = validateListParams(ctx.query, true);
    if (isWpError(p)) return errorReply(p);
    let all = productsOf(catalog.variationIds(parentId));
    if (p.skus) {
      const skus = new Set(p.skus);
      all = all.filter((r) => skus.has(r.sku));
    }
    if (p.include) all = keepIds(all, p.include);
    if (p.stockStatus) all = all.filter((r) => r.stock_status === p.stockStatus);
    if (p.modifiedAfter) all = modifiedSince(all, p.modifiedAfter);
    return pageReply(ordered(all, p), p, ctx.query, ctx.origin, `products/${parentId}/variations`, (r) => variationJson(r, ctx.origin, catalog.shownSku(r, p.context)));
  }

  /** Strictly later than the bound, at second precision (both sides are 'YYYY-MM-DDTHH:MM:SS' GMT). */
  function modifiedSince(list: WooRecord[], bound: string): WooRecord[] {
    return list.filter((r) => r.date_modified > bound);
  }

  function productsOf(ids: readonly number[]): WooRecord[] {
    return ids.map((id) => catalog.get(id) as WooRecord);
  }

  function keepIds(list: WooRecord[], ids: readonly number[]): WooRecord[] {
    const wanted = new Set(ids);
    return list.filter((r) => wanted.has(r.id));
  }

  function contextOf(q: Record<string, string>): WooContext | WpError {
    const context = q.context ?? 'view';
    if (context === 'view' || context === 'edit') return context;
    const message = 'context is not one of view and edit.';
    return wpError('rest_invalid_param', 'Invalid parameter(s): context', 400, {
      params: { context: message }, details: { context: { code: 'rest_not_in_enum', message, data: null } },
    });
  }

  function fieldsOf(q: Record<string, string>): string[] | null {
    return q._fields ? q._fields.split(',').map((s) => s.trim()).filter(Boolean) : null;
  }

  const routes: Route[] = [
    {
      pattern: /^products$/,
      read: { handler: listProducts, denied: CANNOT_LIST },
      write: { handler: (ctx) => ok(createProduct(isObject(ctx.body) ? ctx.body : {}, ctx.origin), 201), denied: CANNOT_CREATE },
    },
    {
      pattern: /^products\/batch$/,
      write: {
        denied: CANNOT_BATCH,
        handler: (ctx) => batch(ctx.body, {
          create: (item) => createProduct(item, ctx.origin),
          update: (item) => updateProduct(item, ctx.origin),
          delete: (id) => deleteProduct(id, ctx.origin),
        }),
      },
    },
    {
      pattern: /^products\/(\d+)$/,
      read: {
        denied: CANNOT_VIEW,
        handler: (ctx) => {
          const r = catalog.get(ctx.params[0] as number);
          if (!r) return errorReply(wpError('woocommerce_rest_product_invalid_id', 'Invalid ID.', 404));
          const context = contextOf(ctx.query);
          if (isWpError(context)) return errorReply(context);
          return { status: 200, json: filterFields(productJson(r, ctx.origin, catalog.shownSku(r, context)), fieldsOf(ctx.query)) };
        },
      },
      write: { denied: CANNOT_EDIT, handler: (ctx) => ok(updateProduct({ ...(isObject(ctx.body) ? ctx.body : {}), id: ctx.params[0] }, ctx.origin)) },
    },
    {
      pattern: /^products\/(\d+)\/variations$/,
      read: { handler: listVariations, denied: CANNOT_LIST },
      write: { denied: CANNOT_CREATE, handler: (ctx) => ok(createVariation(ctx.params[0] as number, isObject(ctx.body) ? ctx.body : {}, ctx.origin), 201) },
    },
    {
      pattern: /^products\/(\d+)\/variations\/batch$/,
      write: {
        denied: CANNOT_BATCH,
        handler: (ctx) => {
          const parentId = ctx.params[0] as number;
          return batch(ctx.body, {
            create: (item) => createVariation(parentId, item, ctx.origin),
            update: (item) => updateVariation(parentId, item, ctx.origin),
            delete: (id) => deleteVariation(parentId, id, ctx.origin),
          });
        },
      },
    },
    {
      pattern: /^products\/(\d+)\/variations\/(\d+)$/,
      read: {
        denied: CANNOT_VIEW,
        handler: (ctx) => {
          const v = variationOf(ctx.params[0] as number, ctx.params[1] as number);
          if (!v) return errorReply(wpError('woocommerce_rest_product_variation_invalid_id', 'Invalid ID.', 404));
          const context = contextOf(ctx.query);
          if (isWpError(context)) return errorReply(context);
          return { status: 200, json: filterFields(variationJson(v, ctx.origin, catalog.shownSku(v, context)), fieldsOf(ctx.query)) };
        },
      },
      write: {
        denied: CANNOT_EDIT,
        handler: (ctx) => ok(updateVariation(ctx.params[0] as number, { ...(isObject(ctx.body) ? ctx.body : {}), id: ctx.params[1] }, ctx.origin)),
      },
    },
  ];
  return routes;
}

function isWpError(v: unknown): v is WpError {
  return isObject(v) && typeof v.code === 'string' && typeof v.message === 'string' && isObject(v.data) && !('id' in v);
}

/** Count of items in a batch body (for the request log). */
function batchSize(body: unknown): number | undefined {
  if (!isObject(body)) return undefined;
  let n = 0;
  for (const key of ['create', 'update', 'delete']) if (Array.isArray(body[key])) n += (body[key] as unknown[]).length;
  return n;
}

const MAINTENANCE_HTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Maintenance</title></head>
<body><h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1></body></html>`;

/* ------------------------------------------------------------------------------------------ */
/* Server                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** Start the emulator on 127.0.0.1. Resolves once it is listening. */
export async function startWooEmulator(options: WooEmulatorOptions = {}): Promise<WooEmulator> {
  const now = options.now ?? Date.now;
  const keys: Array<Required<WooApiKey>> = (options.keys ?? [{ ...DEFAULT_WOO_KEY, permissions: options.permissions ?? 'read_write' }])
    .map((k) => ({ permissions: 'read_write' as WooPermissions, ...k }));
  const faults: WooFaults = Object.assign(noFaults(), options.faults);
  const storeManagesStock = options.storeManagesStock ?? true;
  const catalog = createCatalog({ firstId: options.firstId ?? 1, storeManagesStock, now });
  const routes = createHandlers(catalog, { batchLimit: options.batchLimit ?? 100, storeManagesStock, faults });
  const orderBook = createOrderBook({
    describe: (id) => {
      const r = catalog.get(id);
      return r ? { sku: catalog.shownSku(r, 'view'), name: r.name } : undefined;
    },
    adjustStock: (id, delta) => {
      const r = catalog.get(id);
      if (r) {
        applyStock(r, { inventory_delta: delta }, storeManagesStock);
        catalog.touch(r);
      }
      if (r?.parent_id) catalog.refreshParent(r.parent_id);
    },
  }, now);
  routes.push({
    pattern: /^orders$/,
    read: {
      denied: CANNOT_LIST,
      handler: (ctx) => (faults.failOrders
        ? errorReply(wpError('internal_server_error', 'There has been a critical error on this website.', 500))
        : orderBook.list(ctx.query, ctx.origin, { ignoreFilters: faults.ignoreOrderFilters })),
    },
  });
  const authenticate = createAuthenticator(keys, now);
  const requests: WooRequestLogEntry[] = [];
  const acceptedTimes: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const secure = Boolean(options.tls);

  for (const p of options.products ?? []) catalog.seed(p);

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  /** Fault switches, in the order a request would meet them on the way in. Null: no fault. */
  function faultReply(): Reply | null {
    if (faults.rateLimitPerSecond !== null && faults.rateLimitPerSecond !== undefined) {
      const t = Date.now();
      while (acceptedTimes.length && (acceptedTimes[0] as number) <= t - 1000) acceptedTimes.shift();
      if (acceptedTimes.length >= faults.rateLimitPerSecond) {
        return { status: 429, headers: { 'Retry-After': '1' }, json: wpError('rest_too_many_requests', 'Too many requests.', 429) };
      }
      acceptedTimes.push(t);
    }
    if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      const headers: Record<string, string> = {};
      if (faults.status429.retryAfter !== undefined) headers['Retry-After'] = String(faults.status429.retryAfter);
      return { status: 429, headers, json: wpError('rest_too_many_requests', 'Too many requests.', 429) };
    }
    if (faults.status503 && faults.status503.count > 0) {
      faults.status503.count--;
      const headers: Record<string, string> = {};
      if (faults.status503.retryAfter !== undefined) headers['Retry-After'] = String(faults.status503.retryAfter);
      return { status: 503, headers, html: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
    }
    if (faults.htmlMaintenance) return { status: 200, html: MAINTENANCE_HTML };
    if (faults.failAuth) return errorReply(wpError('woocommerce_rest_authentication_error', 'Consumer key is invalid.', 401));
    return null;
  }

  function dispatch(req: http.IncomingMessage, url: URL, query: Record<string, string>, body: unknown, origin: string): Reply {
    const method = (req.method ?? 'GET').toUpperCase();
    const auth = authenticate({ secure, method, origin, path: url.pathname, query, authorization: req.headers.authorization });
    // rest_authentication_errors runs before routing: a failed signature is a 401 on any route.
    if ('error' in auth) return errorReply(auth.error);
    if ('user' in auth) {
      const denied = keyPermissionError(auth.user, method);
      if (denied) return errorReply(denied);
    }
    if (!url.pathname.startsWith(API_PREFIX)) return errorReply(NO_ROUTE);
    const routePath = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, '');
    for (const route of routes) {
      const m = route.pattern.exec(routePath);
      if (!m) continue;
      const reading = method === 'GET' || method === 'HEAD';
      const entry = reading ? route.read : ['POST', 'PUT', 'PATCH'].includes(method) ? route.write : undefined;
      if (!entry) return errorReply(NO_ROUTE);
      if (!('user' in auth)) return errorReply(entry.denied);
      return entry.handler({ method, query, body, origin, params: m.slice(1).map(Number) });
    }
    return errorReply(NO_ROUTE);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const query = parsePhpQuery(url.search);
    const entry: WooRequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query, status: 0, at: Date.now() };
    requests.push(entry);
    const raw = await readBody(req);
    let body: unknown = undefined;
    let bodyError: Reply | null = null;
    if (raw.length > 0 && req.method !== 'GET') {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        bodyError = errorReply(wpError('rest_invalid_json', 'Invalid JSON body passed.', 400, { json_error_code: 4, json_error_message: (err as Error).message }));
      }
    }
    if (/\/batch\/?$/.test(url.pathname)) entry.items = batchSize(body);
    else if (req.method !== 'GET' && req.method !== 'HEAD') entry.items = 1;

    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.hangMs > 0) await sleep(faults.hangMs);
    if (res.destroyed || res.writableEnded) return;
    if (faults.dropConnections > 0) {
      faults.dropConnections--;
      req.socket.destroy();
      return;
    }
    const origin = `${secure ? 'https' : 'http'}://${req.headers.host ?? `127.0.0.1:${port}`}`;
    let reply: Reply;
    try {
      reply = faultReply() ?? bodyError ?? dispatch(req, url, query, body, origin);
    } catch (err) {
      reply = errorReply(wpError('internal_server_error', `There has been a critical error on this website. (${(err as Error).message})`, 500));
    }
    entry.status = reply.status;
    // The server's clock, as WordPress's web server sends it (whole seconds): the one date_modified uses.
    res.setHeader('Date', new Date(now()).toUTCString());
    send(res, reply);
  }

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) send(res, errorReply(wpError('internal_server_error', String(err), 500)));
    });
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : http.createServer(listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;

  const copy = (r: WooRecord): WooRecord => ({ ...r, variations: [...r.variations] });

  return {
    url,
    apiUrl: `${url}/wp-json/wc/v3`,
    port,
    keys,
    faults,
    requests,
    writeRequests: () => requests.filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH').length,
    // NOTE: `records` iterates in id order (ids only grow), so no sort is needed.
    items: () => [...catalog.records.values()].map(copy),
    get: (id) => {
      const r = catalog.get(id);
      return r ? copy(r) : undefined;
    },
    stockBySku: () => {
      const out = new Map<string, number | null>();
      for (const r of catalog.records.values()) {
        if ((r.type === 'simple' || r.type === 'variation') && r.sku !== '') out.set(r.sku, r.stock_quantity);
      }
      return out;
    },
    priceBySku: () => {
      const out = new Map<string, string>();
      for (const r of catalog.records.values()) {
        if ((r.type === 'simple' || r.type === 'variation') && r.sku !== '') out.set(r.sku, r.regular_price);
      }
      return out;
    },
    seed: (products) => (Array.isArray(products) ? products : [products]).map((p) => copy(catalog.seed(p))),
    seedVariation: (parentId, variation) => {
      const parent = catalog.get(parentId);
      if (!parent || parent.type !== 'variable') throw new Error(`seedVariation: ${parentId} is not a variable product`);
      return copy(catalog.addVariation(parentId, catalog.seedInput(variation)));
    },
    placeOrder: (order) => orderBook.place(order),
    setOrderStatus: (id, status) => orderBook.setStatus(id, status),
    orders: () => orderBook.all(),
    resetFaults: () => { Object.assign(faults, noFaults()); },
    close: async () => {
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
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
    req.on('aborted', () => resolve(''));
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.html !== undefined) {
    res.setHeader('Content-Type', 'text/html; charset=UTF-8');
    res.statusCode = reply.status;
    res.end(reply.html);
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=UTF-8');
  res.statusCode = reply.status;
  res.end(JSON.stringify(reply.json ?? null));
}
