import { z } from 'zod';
import { DEFAULT_ROTATION, parseSize } from '../lib/log-file.js';
import { checkLedger, ledgerFields } from '../sources/ledger/schema.js';

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
  /** CSV file `supplier_sku,store_sku` for the SKUs that differ between supplier and store. */
  skuMap: z.string().min(1).optional(),
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
  columns: z.object({ sku: z.string().min(1).default('sku'), qty: z.string().min(1).default('qty') }).strict().default({ sku: 'sku', qty: 'qty' }),
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

export const SourceConfig = z.discriminatedUnion('type', [
  CsvSourceConfig, JsonSourceConfig, DropshipzoneSourceConfig, InvenTreeSourceConfig, NetSuiteSourceConfig, LedgerSourceConfig,
]);
export type SourceConfig = z.infer<typeof SourceConfig>;

const storeCommon = {
  ...connectionTuning,
  /** Items per write request; default and maximum: the API's own maximum. */
  batchSize: positiveInt.optional(),
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

export const StoreConfig = z.discriminatedUnion('type', [
  WooCommerceStoreConfig, Shift4ShopStoreConfig, Magento2StoreConfig, ShopifyStoreConfig, BigCommerceStoreConfig, MedusaStoreConfig, VendureStoreConfig,
]);
export type StoreConfig = z.infer<typeof StoreConfig>;

export const Rules = z.object({
  aggregate: z.enum(['sum', 'min', 'max', 'priority']).default('sum'),
  buffer: z.number().int().min(0).default(0),
  maxQty: z.number().int().min(0).nullable().default(null),
  missing: z.enum(['keep', 'zero']).default('keep'),
  skuCaseSensitive: z.boolean().default(false),
}).strict();
export type Rules = z.infer<typeof Rules>;

const ratio = z.number().min(0).max(1);

export const Safety = z.object({
  maxMissingRatio: ratio.default(0.3),
  maxZeroRatio: ratio.default(0.5),
  maxStockDropRatio: ratio.default(0.5),
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

export const Config = z.object({
  stateDir: z.string().min(1).default('.invsync'),
  sources: z.array(SourceConfig).min(1, 'configure at least one source'),
  store: StoreConfig,
  rules: Rules.prefault({}),
  safety: Safety.prefault({}),
  lock: z.object({ staleMs: z.number().int().min(2000).default(30_000) }).strict().prefault({}),
  log: LogSettings.prefault({}),
  notify: Notify.prefault({}),
  /** `textfile`: Prometheus text-format metrics for node_exporter's textfile collector (a `.prom` file). */
  metrics: z.object({ textfile: z.string().min(1).optional() }).strict().prefault({}),
  /** `lowStock`: items a run sets to at or below this quantity are listed in the summary and notifications. */
  alerts: z.object({ lowStock: z.number().int().min(0).optional() }).strict().prefault({}),
}).strict().superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.sources.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', message: `duplicate source name "${s.name}"`, path: ['sources', i, 'name'] });
    seen.add(s.name);
  });
});
export type Config = z.infer<typeof Config>;

/** Keys whose string values are secrets: registered for redaction, never printed. */
export const SECRET_KEYS = new Set([
  'password', 'consumerKey', 'consumerSecret', 'token', 'accessToken', 'privateKey', 'tokenSecret', 'tokenId', 'apiKey', 'secret',
]);
