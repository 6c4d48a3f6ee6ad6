import { z } from 'zod';
import { isPlainNumber, MAX_QTY, qtyMapKey } from '../domain/quantity.js';
import { parseDuration } from '../lib/duration.js';
import { DEFAULT_ROTATION, parseSize } from '../lib/log-file.js';
import { isPackError, parsePackSize } from '../pipeline/rules/pack.js';
import { checkLedger, ledgerFields } from '../sources/ledger/schema.js';
import { amazonFields } from '../stores/amazon/schema.js';
import { openOrdersUnsupported } from '../stores/open-orders.js';
import { pricesUnsupported } from '../stores/prices.js';
import { parseDecimal, roundEnding } from '../domain/price.js';
import { statusUnsupported } from '../stores/status.js';
import { storeSourceFields } from '../sources/store/schema.js';

/**
 * The configuration contract (SPEC §3). One schema per adapter type, joined in discriminated
 * unions on "type"; a schema and its inferred type share one name.
 */

const positiveInt = z.number().int().positive();

export const RateLimit = z.union([
  z.object({ perSecond: z.number().positive() }).strict(),
  z.object({ perMinute: z.number().positive() }).strict(),
]);
export type RateLimit = z.infer<typeof RateLimit>;

/** Tuning every remote endpoint accepts. */
const connectionTuning = {
  rateLimit: RateLimit.optional(),
  concurrency: positiveInt.optional(),
  timeoutMs: positiveInt.optional(),
  retries: z.number().int().min(0).max(20).optional(),
  pageSize: positiveInt.optional(),
  insecureTls: z.boolean().optional(),
  /** Accept plain http:// to a host that may be on the Internet (loopback and private hosts need no flag). */
  allowInsecureHttp: z.boolean().optional(),
};

const httpUrl = z.url({ protocol: /^https?$/, error: 'Invalid url (expected http:// or https://)' });

const sourceCommon = {
  /** Added in front of every SKU this source lists (after stripPrefix). */
  skuPrefix: z.string().optional(),
  /** Removed from the front of every SKU this source lists, when present. */
  stripPrefix: z.string().optional(),
  /** CSV file `supplier_sku,store_sku[,pack]` for the SKUs that differ between supplier and store (or their pack). */
  skuMap: z.string().min(1).optional(),
  /** SPEC §14: text stock values → quantities (`{ "in stock": 10, "Y": 1, "N": 0 }`), case-insensitive; checked in Config. */
  qtyMap: z.record(z.string(), z.number().int().min(0).max(MAX_QTY)).optional(),
  /** SPEC §14: N (the supplier counts packs of N: multiply) or "1/N" (divide, rounding down); checked in Config. */
  packSize: z.union([z.number(), z.string()]).optional(),
  /** A fetch with fewer items than this share of the last successful one counts as failed. */
  minItemsRatio: z.number().min(0).max(1).default(0.5),
  name: z.string().trim().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"')
    .refine((n) => !['__proto__', 'constructor', 'prototype'].includes(n), 'reserved name'),
  enabled: z.boolean().default(true),
  ...connectionTuning,
};

export const CsvSourceConfig = z.object({
  ...sourceCommon,
  type: z.literal('csv'),
  path: z.string().min(1).optional(),
  url: httpUrl.optional(),
  columns: z.object({
    sku: z.string().min(1).default('sku'), qty: z.string().min(1).default('qty'),
    /** SPEC §14 `prices`: the columns holding the supplier's price, cost, MAP and MSRP (each optional). */
    price: z.string().min(1).optional(), cost: z.string().min(1).optional(), map: z.string().min(1).optional(), msrp: z.string().min(1).optional(),
  }).strict().default({ sku: 'sku', qty: 'qty' }),
  delimiter: z.string().min(1).max(1).default(','),
  headers: z.record(z.string(), z.string()).optional(),
}).strict().refine((c) => (c.path === undefined) !== (c.url === undefined), {
  message: 'give exactly one of "path" or "url"', path: ['path'],
});
export type CsvSourceConfig = z.infer<typeof CsvSourceConfig>;

const dotPath = z.string().min(1);

export const JsonPaging = z.discriminatedUnion('type', [
  z.object({ type: z.literal('page'), pageParam: z.string().default('page'), sizeParam: z.string().default('per_page'), totalPath: dotPath.optional(), firstPage: z.number().int().min(0).default(1) }).strict(),
  z.object({ type: z.literal('offset'), offsetParam: z.string().default('offset'), sizeParam: z.string().default('limit'), totalPath: dotPath.optional() }).strict(),
  z.object({ type: z.literal('cursor'), cursorParam: z.string().default('cursor'), cursorPath: dotPath, sizeParam: z.string().default('limit') }).strict(),
  z.object({ type: z.literal('link'), sizeParam: z.string().default('per_page') }).strict(),
]);
export type JsonPaging = z.infer<typeof JsonPaging>;

export const JsonSourceConfig = z.object({
  ...sourceCommon,
  type: z.literal('json'),
  path: z.string().min(1).optional(),
  url: httpUrl.optional(),
  /** Dot path to the items array in the document / each page; omitted: the body itself is the array. */
  itemsPath: dotPath.optional(),
  skuPath: dotPath.default('sku'),
  qtyPath: dotPath.default('qty'),
  /** SPEC §14 `prices`: dot paths to the supplier's price, cost, MAP and MSRP in each item (each optional). */
  pricePath: dotPath.optional(),
  costPath: dotPath.optional(),
  mapPath: dotPath.optional(),
  msrpPath: dotPath.optional(),
  paging: JsonPaging.optional(),
  headers: z.record(z.string(), z.string()).optional(),
}).strict().refine((c) => (c.path === undefined) !== (c.url === undefined), {
  message: 'give exactly one of "path" or "url"', path: ['path'],
}).refine((c) => c.paging === undefined || c.url !== undefined, { message: 'paging needs "url"', path: ['paging'] });
export type JsonSourceConfig = z.infer<typeof JsonSourceConfig>;

export const DropshipzoneSourceConfig = z.object({
  ...sourceCommon,
  type: z.literal('dropshipzone'),
  url: httpUrl.default('https://api.dropshipzone.com.au'),
  email: z.string().min(1),
  password: z.string().min(1),
  /** The API's own hourly budget (600/h); the per-minute one is `rateLimit` (default 60/min). */
  maxPerHour: z.number().int().positive().default(600),
}).strict();
export type DropshipzoneSourceConfig = z.infer<typeof DropshipzoneSourceConfig>;

export const InvenTreeSourceConfig = z.object({
  ...sourceCommon,
  type: z.literal('inventree'),
  url: httpUrl,
  token: z.string().min(1),
  skuField: z.string().min(1).default('IPN'),
  qtyField: z.string().min(1).default('unallocated_stock'),
  /** Only parts with active=true (default). */
  activeOnly: z.boolean().default(true),
}).strict();
export type InvenTreeSourceConfig = z.infer<typeof InvenTreeSourceConfig>;

export const NetSuiteSourceConfig = z.object({
  ...sourceCommon,
  type: z.literal('netsuite'),
  accountId: z.string().min(1),
  consumerKey: z.string().min(1),
  consumerSecret: z.string().min(1),
  tokenId: z.string().min(1),
  tokenSecret: z.string().min(1),
  /** SuiteQL returning one row per item and location; default: inventory items × locations. */
  query: z.string().min(1).optional(),
  /** Internal location ids whose available quantities are summed; default: all. */
  locations: z.array(z.union([z.string().min(1), z.number().int()])).optional(),
  skuField: z.string().min(1).default('itemid'),
  qtyField: z.string().min(1).default('quantityavailable'),
  locationField: z.string().min(1).default('location'),
  url: httpUrl.optional(),
}).strict();
export type NetSuiteSourceConfig = z.infer<typeof NetSuiteSourceConfig>;

/** SPEC §11: counts and movements applied exactly once (keys in sources/ledger/schema.ts). */
export const LedgerSourceConfig = z.object({ ...sourceCommon, ...ledgerFields }).strict().superRefine(checkLedger);
export type LedgerSourceConfig = z.infer<typeof LedgerSourceConfig>;


/**
 * How a store's index is refreshed (issue 19): `incremental` (opt-in) lists only what changed
 * since the last refresh where the store supports it, with a full refresh at least every
 * `fullEvery` (hours as a number, or "24h", "90m", "1d"; default daily).
 */
export const IndexSettings = z.object({
  incremental: z.boolean().default(false),
  fullEvery: z.union([z.number(), z.string()]).default('24h')
    .refine((v) => parseDuration(v) !== null, 'expected hours (a positive number) or a duration such as "24h", "90m", "1d"'),
}).strict();
export type IndexSettings = z.infer<typeof IndexSettings>;

const storeCommon = {
  ...connectionTuning,
  /** Items per write request; default and maximum: the API's own maximum. */
  batchSize: positiveInt.optional(),
  index: IndexSettings.optional(),
};

export const WooCommerceStoreConfig = z.object({
  ...storeCommon,
  type: z.literal('woocommerce'),
  url: httpUrl,
  consumerKey: z.string().min(1),
  consumerSecret: z.string().min(1),
}).strict();
export type WooCommerceStoreConfig = z.infer<typeof WooCommerceStoreConfig>;

export const Shift4ShopStoreConfig = z.object({
  ...storeCommon,
  type: z.literal('shift4shop'),
  /** API base, e.g. https://apirest.3dcart.com/3dCartWebAPI/v1 */
  url: httpUrl.default('https://apirest.3dcart.com/3dCartWebAPI/v1'),
  secureUrl: httpUrl,
  privateKey: z.string().min(1),
  token: z.string().min(1),
}).strict();
export type Shift4ShopStoreConfig = z.infer<typeof Shift4ShopStoreConfig>;

export const Magento2StoreConfig = z.object({
  ...storeCommon,
  type: z.literal('magento2'),
  /** The shop's base URL; requests go to <url>/rest/V1/… */
  url: httpUrl,
  token: z.string().min(1),
  msi: z.boolean().default(true),
  sourceCode: z.string().min(1).default('default'),
}).strict();
export type Magento2StoreConfig = z.infer<typeof Magento2StoreConfig>;

export const ShopifyStoreConfig = z.object({
  ...storeCommon,
  type: z.literal('shopify'),
  url: httpUrl,
  accessToken: z.string().min(1),
  apiVersion: z.string().regex(/^\d{4}-\d{2}$/, 'expected YYYY-MM, e.g. 2026-10').default('2026-10'),
  /** gid://shopify/Location/… (a bare number is accepted too). */
  locationId: z.union([z.string().min(1), z.number().int().positive()]).transform((v) => (/^\d+$/.test(String(v)) ? `gid://shopify/Location/${v}` : String(v))),
  /** List with a bulk operation from this many variants on (default in the adapter); false: always page. */
  bulkThreshold: z.union([positiveInt, z.literal(false)]).optional(),
}).strict();
export type ShopifyStoreConfig = z.infer<typeof ShopifyStoreConfig>;

export const BigCommerceStoreConfig = z.object({
  ...storeCommon,
  type: z.literal('bigcommerce'),
  /** API base; requests go to <url>/stores/<storeHash>/v3/… */
  url: httpUrl.default('https://api.bigcommerce.com'),
  storeHash: z.string().min(1),
  accessToken: z.string().min(1),
  /** Inventory location id (default 1, the store's default location). */
  locationId: z.number().int().positive().default(1),
}).strict();
export type BigCommerceStoreConfig = z.infer<typeof BigCommerceStoreConfig>;

export const MedusaStoreConfig = z.object({
  ...storeCommon,
  type: z.literal('medusa'),
  url: httpUrl,
  email: z.string().min(1),
  password: z.string().min(1),
  locationId: z.string().min(1),
  /** SPEC §14: the currency whose variant price invsync reads and writes (ISO 4217); default: the store's default currency. */
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'a three-letter ISO 4217 code such as "usd"').transform((c) => c.toLowerCase()).optional(),
}).strict();
export type MedusaStoreConfig = z.infer<typeof MedusaStoreConfig>;

export const VendureStoreConfig = z.object({
  ...storeCommon,
  type: z.literal('vendure'),
  /** The Admin API endpoint, e.g. http://127.0.0.1:3000/admin-api */
  url: httpUrl,
  username: z.string().min(1),
  password: z.string().min(1),
  stockLocationId: z.union([z.string().min(1), z.number().int()]).transform(String).optional(),
}).strict();
export type VendureStoreConfig = z.infer<typeof VendureStoreConfig>;

/** SPEC §10: Amazon Selling Partner API (merchant-fulfilled quantities); keys in stores/amazon/schema.ts. */
export const AmazonStoreConfig = z.object({ ...storeCommon, ...amazonFields }).strict();
export type AmazonStoreConfig = z.infer<typeof AmazonStoreConfig>;

export const StoreConfig = z.discriminatedUnion('type', [
  WooCommerceStoreConfig, Shift4ShopStoreConfig, Magento2StoreConfig, ShopifyStoreConfig, BigCommerceStoreConfig, MedusaStoreConfig, VendureStoreConfig,
  AmazonStoreConfig,
]);
export type StoreConfig = z.infer<typeof StoreConfig>;

/** The look-back window of `rules.openOrders` when none is given (SPEC §12). */
export const DEFAULT_LOOKBACK_HOURS = 48;

/**
 * SPEC §12: `"ignore"` (default), `"subtract"`, or `{ "mode": "subtract", "lookbackHours": 48 }`;
 * always the object form once parsed.
 */
export const OpenOrders = z.union([
  z.enum(['ignore', 'subtract']).transform((mode) => ({ mode, lookbackHours: DEFAULT_LOOKBACK_HOURS })),
  z.object({
    mode: z.enum(['ignore', 'subtract']),
    // A year at most: a longer window counts orders that long since shipped as still open.
    lookbackHours: z.number().positive().max(8760).default(DEFAULT_LOOKBACK_HOURS),
  }).strict(),
]);
export type OpenOrders = z.infer<typeof OpenOrders>;

/** SPEC §9: a store read as a source (its items and their stock as supplier items, read-only). */
export const StoreSourceConfig = z.object({ ...sourceCommon, ...storeSourceFields(StoreConfig) }).strict();
export type StoreSourceConfig = z.infer<typeof StoreSourceConfig>;

export const SourceConfig = z.discriminatedUnion('type', [
  CsvSourceConfig, JsonSourceConfig, DropshipzoneSourceConfig, InvenTreeSourceConfig, NetSuiteSourceConfig, LedgerSourceConfig, StoreSourceConfig,
]);
export type SourceConfig = z.infer<typeof SourceConfig>;

/** SPEC §14: what happens to an item that reaches 0 (`whenZero`) or is in no feed (`whenMissing`). */
const statusMode = z.enum(['none', 'outofstock', 'hide']);
export const StatusRules = z.object({
  whenZero: statusMode.default('none'),
  whenMissing: statusMode.default('none'),
  /** Put back what invsync replaced once the item has been back in stock for graceHours. */
  restore: z.boolean().default(true),
  // A year at most, like the open-orders window: longer is a typo for "never" (restore: false).
  graceHours: z.number().min(0).max(8760).default(24),
}).strict();
export type StatusRules = z.infer<typeof StatusRules>;

export const Rules = z.object({
  status: StatusRules.prefault({}),
  openOrders: OpenOrders.default({ mode: 'ignore', lookbackHours: DEFAULT_LOOKBACK_HOURS }),
  aggregate: z.enum(['sum', 'min', 'max', 'priority']).default('sum'),
  buffer: z.number().int().min(0).default(0),
  maxQty: z.number().int().min(0).nullable().default(null),
  missing: z.enum(['keep', 'zero']).default('keep'),
  skuCaseSensitive: z.boolean().default(false),
  /** SPEC §14: a combined quantity strictly below this is offered as 0 (0: off). */
  minQty: z.number().int().min(0).max(MAX_QTY).default(0),
  /** SPEC §14: CSV `kit_sku,component_sku,units` (relative to the config file). */
  kits: z.string().min(1).optional(),
  /** SPEC §14: whole-SKU glob patterns never written, or `{ "file": … }` holding one pattern per line. */
  exclude: z.union([
    z.array(z.string().trim().min(1, 'an empty pattern')),
    z.object({ file: z.string().min(1) }).strict(),
  ], { error: 'expected an array of SKU patterns (["DISC-*", "*-OLD"]) or { "file": "exclude.txt" }' }).optional(),
}).strict();
export type Rules = z.infer<typeof Rules>;

const ratio = z.number().min(0).max(1);

export const Safety = z.object({
  maxMissingRatio: ratio.default(0.3),
  maxZeroRatio: ratio.default(0.5),
  maxStockDropRatio: ratio.default(0.5),
  /** `push` refuses a plan older than this (ms; default 6 h) as stale, unless `--force`. */
  maxPlanAgeMs: z.number().int().min(1).default(21_600_000),
  /** SPEC §14: the largest share of priced items whose price may change by more than `prices.maxChangeRatio` (exit 4 above it). */
  maxPriceChangeRatio: ratio.default(0.2),
  /**
   * The plan may multiply the in-scope total stock by at most this factor (null: no limit). Not
   * judged while the store holds less than one unit per in-scope item (first stocking, sold out).
   * NOTE: 1000 catches quantities wrong by orders of magnitude (1e12, a barcode read as a quantity,
   * grams as kilograms) without tripping on a dropshipping shop that adopts its supplier's levels
   * (a few units per item before, hundreds after). Shops that want a tighter check set e.g. 10.
   */
  maxStockRiseRatio: z.number().min(1).nullable().default(1000),
  breaker: z.object({
    consecutiveFailures: positiveInt.default(3),
    maxErrorRatio: ratio.default(0.2),
  }).strict().prefault({}),
}).strict();
export type Safety = z.infer<typeof Safety>;

/** Where to tell someone about a run (issue 7): a webhook and/or a healthchecks.io-style ping URL. */
/** A bare URL string stands for `{ "url": … }` with every other setting at its default. */
const urlOrObject = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' ? { url: v } : v), schema);

export const Notify = z.object({
  webhook: urlOrObject(z.object({
    url: httpUrl,
    /** "problems": failed, partial and blocked runs; "always": every run. */
    on: z.enum(['problems', 'always']).default('problems'),
    /** "json": the run summary; "slack": `{"text": …}` for Slack/Mattermost/Rocket.Chat incoming webhooks. */
    format: z.enum(['json', 'slack']).default('json'),
    headers: z.record(z.string(), z.string()).optional(),
  }).strict()).optional(),
  /** Pinged at `<url>/start`, then `<url>` on success or `<url>/fail` (healthchecks.io convention). */
  healthcheck: urlOrObject(z.object({ url: httpUrl }).strict()).optional(),
}).strict();
export type Notify = z.infer<typeof Notify>;

const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) { ctx.addIssue({ code: 'custom', message: 'expected a size such as 10MB, 500KB or a number of bytes' }); return z.NEVER; }
  return bytes;
});

export const LogSettings = z.object({
  file: z.string().min(1).optional(),
  level: z.string().optional(),
  /** Rotate `file` when it reaches this size (default 10MB). */
  maxSize: byteSize.default(DEFAULT_ROTATION.maxSize),
  /** Old log files kept besides the current one (default 5). */
  maxFiles: z.number().int().min(0).max(100).default(DEFAULT_ROTATION.maxFiles),
}).strict();

/**
 * SPEC §9: per-store overrides of the shared rules. `share` (0–1) is the fraction of the combined
 * quantity offered on that store, floored, applied before the buffer (SPEC §14's order).
 */
export const StoreRules = z.object({
  buffer: z.number().int().min(0).optional(),
  maxQty: z.number().int().min(0).nullable().optional(),
  missing: z.enum(['keep', 'zero']).optional(),
  share: z.number().min(0).max(1).optional(),
}).strict();
export type StoreRules = z.infer<typeof StoreRules>;

/** A name usable as a store's key in the state database and on the command line (`--store <name>`). */
const storeName = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"');

/** What an entry of `stores` adds to a store's own keys (SPEC §9). */
const storeEntryFields = {
  name: storeName,
  /** The sources feeding this store, by name (default: every enabled source). */
  sources: z.array(z.string().min(1)).min(1, 'name at least one source (or leave "sources" out: every source)').optional(),
  rules: StoreRules.optional(),
  safety: z.object({
    maxMissingRatio: ratioField().optional(),
    maxZeroRatio: ratioField().optional(),
    maxStockDropRatio: ratioField().optional(),
    maxStockRiseRatio: z.number().min(1).nullable().optional(),
    maxPlanAgeMs: z.number().int().min(1).optional(),
    maxPriceChangeRatio: ratioField().optional(),
    breaker: z.object({ consecutiveFailures: positiveInt.optional(), maxErrorRatio: ratioField().optional() }).strict().optional(),
  }).strict().optional(),
};

function ratioField() {
  return z.number().min(0).max(1);
}

/** One entry of `stores`: a store's keys (by `type`) plus its name and overrides. */
export const StoreEntry = z.discriminatedUnion('type', StoreConfig.options.map((o) => o.extend(storeEntryFields)) as unknown as [
  ReturnType<typeof WooCommerceStoreConfig.extend<typeof storeEntryFields>>,
  ...Array<ReturnType<typeof WooCommerceStoreConfig.extend<typeof storeEntryFields>>>,
]);
export type StoreEntry = StoreConfig & { name: string; sources?: string[]; rules?: StoreRules; safety?: z.infer<typeof storeEntryFields.safety> };

/** A plain number with at most `places` decimals (money and percentages are exact, never floats). */
const decimalPlaces = (places: number) => (n: number) => Number.isFinite(n) && parseDecimal(n) !== undefined && parseDecimal(n)!.den <= 10n ** BigInt(places);

/**
 * SPEC §14 `prices` (opt-in): the price each store item is offered at, from its supplier's cost or
 * price (see domain/price.ts for the formula and its order).
 */
export const Prices = z.object({
  enabled: z.boolean().default(false),
  /** The basis: the supplier's `cost` or its `price` (e.g. a recommended retail price). */
  from: z.enum(['cost', 'price']).default('cost'),
  markup: z.object({
    percent: z.number().gt(-100).max(10_000).refine(decimalPlaces(4), 'at most 4 decimals').default(30),
    fixed: z.number().min(-1_000_000).max(1_000_000).refine(decimalPlaces(2), 'an amount: at most 2 decimals').default(0),
  }).strict().prefault({}),
  /** Prices are rounded UP to the smallest amount ending in these cents ("0.99"); null: to the cent only. */
  round: z.string().refine((r) => roundEnding(r) !== undefined, 'expected cents like "0.99", "0.95" or "0.00"').nullable().default('0.99'),
  floor: z.object({
    /** The margin on the selling price never undercut: price ≥ cost ÷ (1 − minMarginPercent/100). */
    minMarginPercent: z.number().min(0).lt(100).refine(decimalPlaces(4), 'at most 4 decimals').default(10),
    /** Never below the supplier's MAP (minimum advertised price), when it gives one. */
    map: z.boolean().default(true),
  }).strict().prefault({}),
  /** Never above the supplier's MSRP, when it gives one (the price is the MSRP itself then). */
  ceiling: z.object({ msrp: z.boolean().default(true) }).strict().prefault({}),
  /** A price changing by more than this share of the current one counts toward `safety.maxPriceChangeRatio`. */
  maxChangeRatio: z.number().min(0).default(0.3),
}).strict();
export type Prices = z.infer<typeof Prices>;

export const Config = z.object({
  stateDir: z.string().min(1).default('.invsync'),
  sources: z.array(SourceConfig).min(1, 'configure at least one source'),
  /** The one-store case (named "store"); `stores` replaces it (SPEC §9). */
  store: StoreConfig.optional(),
  stores: z.array(StoreEntry).min(1, 'configure at least one store').optional(),
  /** How many stores are pushed at once (each within its own rateLimit). */
  storeConcurrency: positiveInt.default(4),
  rules: Rules.prefault({}),
  safety: Safety.prefault({}),
  lock: z.object({ staleMs: z.number().int().min(2000).default(30_000) }).strict().prefault({}),
  log: LogSettings.prefault({}),
  notify: Notify.prefault({}),
  /** `textfile`: Prometheus text-format metrics for node_exporter's textfile collector (a `.prom` file). */
  metrics: z.object({ textfile: z.string().min(1).optional() }).strict().prefault({}),
  /** `lowStock`: items a run sets to at or below this quantity are listed in the summary and notifications. */
  alerts: z.object({ lowStock: z.number().int().min(0).optional() }).strict().prefault({}),
  /**
   * `invsync serve` (SPEC §13). `token`: the API token (a `${ENV}` reference is best); without it
   * one is generated into `<stateDir>/serve.token` and only a loopback bind is allowed.
   * `schedule`: a cron expression (5 or 6 fields, croner) on which the server runs `full`.
   */
  serve: z.object({
    token: z.string().min(16, 'at least 16 characters (it guards writes to the store)').optional(),
    schedule: z.string().min(1).optional(),
  }).strict().prefault({}),
  prices: Prices.prefault({}),
}).strict().superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.sources.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', message: `duplicate source name "${s.name}"`, path: ['sources', i, 'name'] });
    seen.add(s.name);
    checkQuantityRules(s, i, ctx);
  });
  if (c.rules.openOrders.mode === 'subtract') {
    // With several stores every one of them must tell its open orders: a sale on one channel is a
    // sale for all (SPEC §12), so one store that cannot tell would let the others oversell.
    if (c.store) {
      const why = openOrdersUnsupported(c.store);
      if (why) ctx.addIssue({ code: 'custom', message: why, path: ['rules', 'openOrders'] });
    }
    c.stores?.forEach((s, i) => {
      const why = openOrdersUnsupported(s as { type: string; msi?: boolean }, true);
      if (why) ctx.addIssue({ code: 'custom', message: `rules.openOrders "subtract": store "${s.name}": ${why}`, path: ['stores', i, 'type'] });
    });
  }
  if (c.prices.enabled) {
    // A store that cannot write (and read back) prices refuses them rather than syncing stock only.
    const stores: Array<{ type: string; name?: string }> = c.store ? [c.store] : (c.stores ?? []);
    for (const s of stores) {
      const why = pricesUnsupported(s);
      if (why) ctx.addIssue({ code: 'custom', message: `${why}${c.stores ? ` (store "${s.name}")` : ''}: set prices.enabled to false`, path: ['prices', 'enabled'] });
    }
  }
  for (const [where, type] of c.stores ? c.stores.map((s) => [`store "${s.name}"`, s.type] as const) : c.store ? [['store "store"', c.store.type] as const] : []) {
    for (const option of ['whenZero', 'whenMissing'] as const) {
      const why = statusUnsupported(type, option, c.rules.status[option]);
      if (why) ctx.addIssue({ code: 'custom', message: `${where}: ${why}`, path: ['rules', 'status', option] });
    }
  }
  if ((c.store === undefined) === (c.stores === undefined)) {
    ctx.addIssue({ code: 'custom', message: c.store ? 'give "store" or "stores", not both' : 'configure a store: "store" (one) or "stores" (several)', path: [c.store ? 'stores' : 'store'] });
  }
  const names = new Set<string>(c.store ? ['store'] : []);
  c.stores?.forEach((s) => names.add(s.name));
  c.sources.forEach((s, i) => {
    if (s.type === 'store' && typeof s.store === 'string' && !names.has(s.store)) {
      ctx.addIssue({ code: 'custom', message: `no store named "${s.store}" (stores: ${[...names].join(', ')})`, path: ['sources', i, 'store'] });
    }
  });
  names.clear();
  c.stores?.forEach((s, i) => {
    if (names.has(s.name)) ctx.addIssue({ code: 'custom', message: `duplicate store name "${s.name}"`, path: ['stores', i, 'name'] });
    names.add(s.name);
    s.sources?.forEach((name, j) => {
      if (!seen.has(name)) ctx.addIssue({ code: 'custom', message: `no source named "${name}" (sources: ${[...seen].join(', ')})`, path: ['stores', i, 'sources', j] });
    });
    // A store fed by its own stock would only ever copy it onto itself.
    const feeds = s.sources ?? c.sources.map((x) => x.name);
    const self = c.sources.find((x) => x.type === 'store' && x.store === s.name && feeds.includes(x.name));
    if (self) ctx.addIssue({ code: 'custom', message: `source "${self.name}" reads this very store: name the other sources in "sources"`, path: ['stores', i, 'sources'] });
  });
});
export type Config = z.infer<typeof Config>;

/** A source's `qtyMap` and `packSize` (SPEC §14): every bad value is a configuration error naming its path. */
function checkQuantityRules(s: SourceConfig, i: number, ctx: z.RefinementCtx): void {
  if (s.packSize !== undefined) {
    const pack = parsePackSize(s.packSize);
    if (isPackError(pack)) ctx.addIssue({ code: 'custom', message: pack.error, path: ['sources', i, 'packSize'] });
  }
  if (s.qtyMap === undefined) return;
  if (s.type === 'ledger') {
    ctx.addIssue({ code: 'custom', message: 'a ledger reads signed movement quantities: qtyMap does not apply to it', path: ['sources', i, 'qtyMap'] });
    return;
  }
  const folded = new Map<string, string>();
  for (const text of Object.keys(s.qtyMap)) {
    const path = ['sources', i, 'qtyMap', text];
    const key = qtyMapKey(text);
    if (key === '') ctx.addIssue({ code: 'custom', message: 'an empty text: a blank quantity is "no quantity", which the source decides', path });
    else if (isPlainNumber(text)) ctx.addIssue({ code: 'custom', message: `"${text}" is a number, which is always read as itself: map only text`, path });
    else if (folded.has(key)) ctx.addIssue({ code: 'custom', message: `"${text}" and "${folded.get(key)}" are the same text (the map is case-insensitive)`, path });
    folded.set(key, text);
  }
}

/** Keys whose string values are secrets: registered for redaction, never printed. */
export const SECRET_KEYS = new Set([
  'password', 'consumerKey', 'consumerSecret', 'token', 'accessToken', 'privateKey', 'tokenSecret', 'tokenId', 'apiKey', 'secret',
  'clientSecret', 'refreshToken',
]);
