import { z } from 'zod';

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
};

const httpUrl = z.url({ protocol: /^https?$/, error: 'Invalid url (expected http:// or https://)' });

const sourceCommon = {
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

export const SourceConfig = z.discriminatedUnion('type', [CsvSourceConfig]);
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

export const StoreConfig = z.discriminatedUnion('type', [WooCommerceStoreConfig]);
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
  breaker: z.object({
    consecutiveFailures: positiveInt.default(3),
    maxErrorRatio: ratio.default(0.2),
  }).strict().prefault({}),
}).strict();
export type Safety = z.infer<typeof Safety>;

export const Config = z.object({
  stateDir: z.string().min(1).default('.invsync'),
  sources: z.array(SourceConfig).min(1, 'configure at least one source'),
  store: StoreConfig,
  rules: Rules.prefault({}),
  safety: Safety.prefault({}),
  lock: z.object({ staleMs: z.number().int().min(2000).default(30_000) }).strict().prefault({}),
  log: z.object({ file: z.string().min(1).optional(), level: z.string().optional() }).strict().prefault({}),
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
