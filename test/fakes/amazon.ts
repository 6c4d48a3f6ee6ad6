/**
 * A faithful fake of the parts of Amazon's Selling Partner API invsync uses (API_FACTS §11):
 * Login with Amazon, the Reports API (async statuses, gzip + Windows-1252 tab-separated
 * GET_MERCHANT_LISTINGS_ALL_DATA with extra columns), the Feeds API (feed documents on presigned
 * "S3" URLs, async processing, JSON processing reports with per-message issues), the Listings
 * Items API (patch, get, search), the Orders API v0 (getOrders filtered by creation time, status
 * and fulfillment channel, getOrderItems, both paged by NextToken; placing a merchant-fulfilled
 * order lowers the listing's quantity, already while Pending, as Amazon does), usage plans per
 * operation answering 429 QuotaExceeded when exceeded, and the error bodies as the facts quote
 * them. Everything on one loopback server.
 */
import { gzipSync } from 'node:zlib';
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from './fake-http.js';

export interface AmazonListing {
  sku: string;
  asin: string;
  name: string;
  /** `DEFAULT` (merchant-fulfilled) or `AMAZON_NA`, `AMAZON_EU`… (FBA). */
  channel: string;
  /** null: no quantity (FBA rows, or a listing without one yet). */
  qty: number | null;
  /** Handling time kept by `merge`, dropped by `replace`. */
  leadTime?: number;
  price?: string;
}

/** Orders API v0 statuses (the model's OrderStatus enum). */
export const AMAZON_ORDER_STATUSES = ['PendingAvailability', 'Pending', 'Unshipped', 'PartiallyShipped', 'Shipped', 'InvoiceUnconfirmed', 'Canceled', 'Unfulfillable'] as const;
export type AmazonOrderStatus = typeof AMAZON_ORDER_STATUSES[number];

export interface AmazonOrder {
  id: string;
  status: AmazonOrderStatus;
  /** `MFN`: the seller ships; `AFN`: Amazon ships (FBA). */
  channel: 'MFN' | 'AFN';
  purchaseDate: Date;
  items: Array<{ sku: string; ordered: number; shipped: number }>;
}

export interface AmazonFakeOptions {
  listings?: AmazonListing[];
  sellerId?: string;
  marketplaceId?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Roles granted to the app (default: Product Listing, and Inventory and Order Tracking for the Orders API). */
  roles?: string[];
  /** getReport calls answered IN_QUEUE / IN_PROGRESS before DONE (default 2). */
  reportPolls?: number;
  /** getFeed calls answered IN_QUEUE / IN_PROGRESS before the feed is processed (default 2). */
  feedPolls?: number;
  /** Report documents gzip-compressed (default true, as Amazon sends large ones). */
  gzipReports?: boolean;
  /** Usage-plan rates multiplied by this (tests); default 1. */
  rateSpeed?: number;
  /** Access token lifetime (s); default 3600. An expired token is refused like a revoked one. */
  expiresIn?: number;
  /** Lifetime of presigned document URLs (ms); default 5 minutes, as Amazon's. */
  documentUrlTtlMs?: number;
  /** getOrderItems items per page (Amazon's is undocumented); default 100. */
  orderItemsPage?: number;
}

export const AMAZON_DEFAULTS = {
  sellerId: 'A2FAKESELLER01',
  marketplaceId: 'ATVPDKIKX0DER',
  clientId: 'amzn1.application-oa2-client.fake0123456789',
  clientSecret: 'amzn1.oa2-cs.v1.fakeclientsecret0123456789abcdef',
  refreshToken: 'Atzr|IwEBIFakeRefreshToken0123456789abcdefghijklmnop',
};

/** Usage plans (API_FACTS §11.5), by operation. */
const PLANS: Record<string, { rate: number; burst: number }> = {
  createReport: { rate: 0.0167, burst: 15 }, getReport: { rate: 2, burst: 15 }, getReportDocument: { rate: 0.0167, burst: 15 },
  createFeedDocument: { rate: 0.5, burst: 15 }, createFeed: { rate: 0.0083, burst: 15 }, getFeed: { rate: 2, burst: 15 },
  getFeedDocument: { rate: 0.0222, burst: 10 }, patchListingsItem: { rate: 5, burst: 5 }, getListingsItem: { rate: 5, burst: 5 },
  searchListingsItems: { rate: 5, burst: 5 }, jsonFeed: { rate: 5 / 300, burst: 5 },
  getOrders: { rate: 0.0167, burst: 20 }, getOrderItems: { rate: 0.5, burst: 30 },
};

/** The role each operation needs (the rest: Product Listing). */
const ORDERS_ROLE = 'Inventory and Order Tracking';

const QUOTA_EXCEEDED = { errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.', details: '' }] };
const INVALID_INPUT = { errors: [{ code: 'InvalidInput', message: 'Request has missing or invalid parameters and cannot be parsed.', details: '' }] };
const TOKEN_INVALID = { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.', details: 'The access token you provided is revoked, malformed or invalid.' }] };
const TOKEN_MISSING = { errors: [{ code: 'Unauthorized', message: 'Access token is missing in the request header.', details: '' }] };
const ROLE_MISSING = { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.', details: '' }] };
const REPORT_ROLE_MISSING = { errors: [{ code: 'Unauthorized', message: 'Access to the resource is forbidden', details: '' }] };

/** The report's columns, Amazon's order, plus two it added later (parse by header). */
const REPORT_COLUMNS = ['item-name', 'item-description', 'listing-id', 'seller-sku', 'price', 'quantity', 'open-date', 'image-url',
  'item-is-marketplace', 'product-id-type', 'zshop-shipping-fee', 'item-note', 'item-condition', 'zshop-category1', 'zshop-browse-path',
  'zshop-storefront-feature', 'asin1', 'asin2', 'asin3', 'will-ship-internationally', 'expedited-shipping', 'zshop-boldface', 'product-id',
  'bid-for-featured-placement', 'add-delete', 'pending-quantity', 'fulfillment-channel', 'Business Price', 'Quantity Price Type',
  'merchant-shipping-group', 'status'];

const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Text as Windows-1252 bytes; characters it cannot hold become `?` (as Amazon's reports do). */
export function encodeCp1252(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const high = CP1252_HIGH.indexOf(cp);
    out[n++] = cp < 0x80 || (cp >= 0xa0 && cp <= 0xff) ? cp : high >= 0 ? 0x80 + high : 0x3f;
  }
  return out.subarray(0, n);
}

interface ReportJob { id: string; polls: number; status: string; documentId?: string; marketplaceIds: string[] }
interface FeedJob { id: string; polls: number; status: string; documentId: string; resultId?: string; hold: boolean }
interface Bucket { tokens: number; at: number }

export interface AmazonFake extends FakeServer {
  readonly options: Required<Pick<AmazonFakeOptions, 'sellerId' | 'marketplaceId' | 'clientId' | 'clientSecret' | 'refreshToken'>>;
  readonly listings: Map<string, AmazonListing>;
  /** Live switches. */
  readonly faults: FakeServer['faults'] & {
    /** Feed messages for these SKUs get an ERROR issue. */
    rejectSkus: string[];
    /** Feeds stay IN_PROGRESS while true. */
    holdFeeds: boolean;
    /** The next feed to reach processing ends FATAL with a feed-level issue. */
    fatalFeed: boolean;
    /** Every getOrders is answered 500 InternalFailure. */
    failOrders: boolean;
    /** The next report to finish ends FATAL (no document). */
    fatalReport: boolean;
    /** Feeds still IN_QUEUE end CANCELLED at their next poll (no processing report), as when the seller cancels them. */
    cancelFeeds: boolean;
  };
  readonly orders: Map<string, AmazonOrder>;
  /**
   * A buyer places an order: a merchant-fulfilled one lowers its listings' quantity at once
   * (already while Pending, as Amazon does), never below 0. Returns the order id.
   */
  placeOrder(order: Partial<Omit<AmazonOrder, 'items'>> & { items: AmazonOrder['items'] }): string;
  /** Access tokens issued so far. */
  readonly issuedTokens: string[];
  /** Feeds created, by id. */
  readonly feeds: Map<string, FeedJob & { messages: number }>;
  /** Requests answered 429 QuotaExceeded by a usage plan (not injected). */
  quotaRefusals(): number;
  /** Requests by operation name (token, createReport, …, s3-get, s3-put). */
  requestsByOperation(): Record<string, number>;
  seed(listings: AmazonListing[]): void;
  stockBySku(): Map<string, number | null>;
  /** Revoke every access token issued so far (the seller re-authorized). */
  revokeTokens(): void;
}

/** `count` merchant-fulfilled listings (and `fba` Amazon-fulfilled ones after them). */
export function amazonCatalog(count: number, options: { fba?: number; stock?: (i: number) => number } = {}): { listings: AmazonListing[]; skus: string[] } {
  const listings: AmazonListing[] = [];
  for (let i = 1; i <= count; i++) {
    listings.push({ sku: `AMZ-${String(i).padStart(5, '0')}`, asin: `B0${String(i).padStart(8, '0')}`, name: `Café “Mug” ${i} – 5€`, channel: 'DEFAULT', qty: options.stock ? options.stock(i) : i % 9, leadTime: 3, price: '12.99' });
  }
  for (let i = 1; i <= (options.fba ?? 0); i++) {
    listings.push({ sku: `FBA-${String(i).padStart(5, '0')}`, asin: `B1${String(i).padStart(8, '0')}`, name: `FBA item ${i}`, channel: 'AMAZON_NA', qty: null, price: '9.99' });
  }
  return { listings, skus: listings.map((l) => l.sku) };
}

export async function startAmazonFake(options: AmazonFakeOptions = {}): Promise<AmazonFake> {
  const opts = { ...AMAZON_DEFAULTS, ...options };
  const roles = new Set(options.roles ?? ['Product Listing', ORDERS_ROLE]);
  const speed = options.rateSpeed ?? 1;
  const listings = new Map<string, AmazonListing>();
  /** Access token → when it expires (ms). */
  const tokens = new Map<string, number>();
  const issuedTokens: string[] = [];
  const reports = new Map<string, ReportJob>();
  const reportDocs = new Map<string, Buffer>();
  const feedDocs = new Map<string, { contentType: string; body?: Buffer }>();
  const resultDocs = new Map<string, string>();
  const feeds = new Map<string, FeedJob & { messages: number }>();
  const buckets = new Map<string, Bucket>();
  const byOperation: Record<string, number> = {};
  const orders = new Map<string, AmazonOrder>();
  /** getOrders / getOrderItems continuation: what is left to page through. */
  const cursors = new Map<string, { kind: 'orders' | 'items'; orderId?: string; offset: number; ids?: string[] }>();
  let quotaRefusals = 0;
  let counter = 0;
  const next = (prefix: string) => `${prefix}${++counter}`;
  for (const l of options.listings ?? []) listings.set(l.sku, { ...l });

  const faults = {
    latencyMs: 0, status429: 0, status503: 0, dropConnections: 0, rejectSkus: [] as string[], holdFeeds: false, fatalFeed: false, failOrders: false,
    fatalReport: false, cancelFeeds: false,
  };
  let server: FakeServer;
  const base = () => server.url;

  function take(op: string): boolean {
    const plan = PLANS[op]!;
    const now = Date.now();
    const b = buckets.get(op) ?? { tokens: plan.burst, at: now };
    b.tokens = Math.min(plan.burst, b.tokens + ((now - b.at) / 1000) * plan.rate * speed);
    b.at = now;
    buckets.set(op, b);
    // A bucket refilled to exactly one token may hold 0.999…: floating point, not a spent plan.
    if (b.tokens < 1 - 1e-9) return false;
    b.tokens -= 1;
    return true;
  }

  /** Which documented operation a request is (undefined: not an SP-API route). */
  function operationOf(req: FakeRequest): string | undefined {
    const p = req.path;
    if (p === '/auth/o2/token') return 'token';
    if (p.startsWith('/s3/')) return req.method === 'PUT' ? 's3-put' : 's3-get';
    if (req.method === 'POST' && p === '/reports/2021-06-30/reports') return 'createReport';
    if (req.method === 'GET' && /^\/reports\/2021-06-30\/reports\/[^/]+$/.test(p)) return 'getReport';
    if (req.method === 'GET' && /^\/reports\/2021-06-30\/documents\/[^/]+$/.test(p)) return 'getReportDocument';
    if (req.method === 'POST' && p === '/feeds/2021-06-30/documents') return 'createFeedDocument';
    if (req.method === 'POST' && p === '/feeds/2021-06-30/feeds') return 'createFeed';
    if (req.method === 'GET' && /^\/feeds\/2021-06-30\/feeds\/[^/]+$/.test(p)) return 'getFeed';
    if (req.method === 'GET' && /^\/feeds\/2021-06-30\/documents\/[^/]+$/.test(p)) return 'getFeedDocument';
    if (req.method === 'PATCH' && /^\/listings\/2021-08-01\/items\/[^/]+\/[^/]+$/.test(p)) return 'patchListingsItem';
    if (req.method === 'GET' && /^\/listings\/2021-08-01\/items\/[^/]+\/[^/]+$/.test(p)) return 'getListingsItem';
    if (req.method === 'GET' && /^\/listings\/2021-08-01\/items\/[^/]+$/.test(p)) return 'searchListingsItems';
    if (req.method === 'GET' && p === '/orders/v0/orders') return 'getOrders';
    if (req.method === 'GET' && /^\/orders\/v0\/orders\/[^/]+\/orderItems$/.test(p)) return 'getOrderItems';
    return undefined;
  }

  /** A presigned document URL: S3 refuses it once its lifetime (5 minutes at Amazon) is over. */
  const urlTtlMs = options.documentUrlTtlMs ?? 5 * 60_000;
  const presign = (p: string) => `${base()}${p}?X-Amz-Date=${Date.now()}&X-Amz-Expires=${Math.ceil(urlTtlMs / 1000)}&X-Amz-Signature=fake`;
  const S3_DENIED: FakeReply = { status: 403, text: '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', contentType: 'application/xml' };
  const S3_EXPIRED: FakeReply = { status: 403, text: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', contentType: 'application/xml' };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeReply => ({
    status, json: body, headers: { 'x-amzn-RequestId': next('req-'), ...headers },
  });

  function reportBytes(): Buffer {
    const lines = [REPORT_COLUMNS.join('\t')];
    for (const l of listings.values()) {
      const row: Record<string, string> = {
        'item-name': l.name, 'item-description': '', 'listing-id': `0${l.asin}`, 'seller-sku': l.sku, price: l.price ?? '', quantity: l.qty === null ? '' : String(l.qty),
        'open-date': '2026-01-05 10:00:00 PST', 'asin1': l.asin, 'product-id-type': '1', 'product-id': l.asin, 'item-condition': '11',
        'fulfillment-channel': l.channel, 'Business Price': '', 'Quantity Price Type': '', 'merchant-shipping-group': l.channel === 'DEFAULT' ? 'Migrated Template' : '', status: 'Active',
      };
      lines.push(REPORT_COLUMNS.map((c) => row[c] ?? '').join('\t'));
    }
    const bytes = encodeCp1252(`${lines.join('\r\n')}\r\n`);
    return options.gzipReports === false ? bytes : gzipSync(bytes);
  }

  function token(req: FakeRequest): FakeReply {
    const form = new URLSearchParams(req.rawBody ?? '');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return json(400, { error_description: 'The request has an invalid parameter : grant_type', error: 'invalid_request' });
    }
    if (form.get('grant_type') !== 'refresh_token') return json(400, { error_description: 'The request has an invalid parameter : grant_type', error: 'invalid_request' });
    if (form.get('client_id') !== opts.clientId || form.get('client_secret') !== opts.clientSecret) {
      return json(401, { error_description: 'Client authentication failed', error: 'invalid_client' });
    }
    if (form.get('refresh_token') !== opts.refreshToken) {
      return json(400, { error_description: 'The request has an invalid grant parameter : refresh_token', error: 'invalid_grant' });
    }
    const access = `Atza|IQEBLjAsAh${next('tok')}${'x'.repeat(40)}`;
    tokens.set(access, Date.now() + (options.expiresIn ?? 3600) * 1000);
    issuedTokens.push(access);
    return json(200, { access_token: access, token_type: 'bearer', expires_in: options.expiresIn ?? 3600, refresh_token: opts.refreshToken });
  }

  /** Applies one PATCH's patches to a listing; returns the issues (empty when accepted). */
  function applyPatches(sku: string, productType: unknown, patches: unknown): Array<{ code: string; message: string; severity: 'ERROR' }> {
    if (typeof productType !== 'string' || productType === '') return [{ code: '4000003', message: 'The Amazon product type specified is invalid or not supported.', severity: 'ERROR' }];
    if (!Array.isArray(patches) || patches.length === 0) return [{ code: 'BAD_REQUEST', message: 'Invalid parameters provided.', severity: 'ERROR' }];
    if (faults.rejectSkus.includes(sku)) return [{ code: '90220', message: `'[fulfillment_availability]' is invalid for SKU ${sku}.`, severity: 'ERROR' }];
    const listing = listings.get(sku);
    for (const patch of patches as Array<{ op?: string; path?: string; value?: unknown }>) {
      if (patch.path !== '/attributes/fulfillment_availability') return [{ code: '90000900', message: 'The attributes are invalid.', severity: 'ERROR' }];
      const value = Array.isArray(patch.value) ? patch.value[0] as Record<string, unknown> | undefined : undefined;
      if (!value || typeof value.fulfillment_channel_code !== 'string' || value.fulfillment_channel_code === '') {
        return [{ code: 'BAD_REQUEST', message: 'Invalid parameters provided.', severity: 'ERROR' }];
      }
      if (!['merge', 'replace'].includes(String(patch.op))) return [{ code: 'BAD_REQUEST', message: 'Invalid parameters provided.', severity: 'ERROR' }];
      // NOTE: assumption (API_FACTS §11.6 has no documented error): quantity writes to FBA listings are refused.
      if (listing && listing.channel !== 'DEFAULT') return [{ code: '8541', message: `SKU ${sku} is fulfilled by Amazon: its quantity cannot be set by the seller.`, severity: 'ERROR' }];
      // Unknown SKUs are accepted silently, as users report (API_FACTS §11.2).
      if (!listing) continue;
      if (typeof value.quantity === 'number') listing.qty = value.quantity;
      if (patch.op === 'replace') listing.leadTime = typeof value.lead_time_to_ship_max_days === 'number' ? value.lead_time_to_ship_max_days : undefined;
    }
    return [];
  }

  function processFeed(feed: FeedJob & { messages: number }): void {
    const doc = feedDocs.get(feed.documentId);
    const issues: Array<Record<string, unknown>> = [];
    let processed = 0;
    let accepted = 0;
    let parsed: { header?: { sellerId?: string; version?: string }; messages?: Array<Record<string, unknown>> } | undefined;
    try { parsed = JSON.parse((doc?.body ?? Buffer.alloc(0)).toString('utf8')); } catch { parsed = undefined; }
    if (faults.fatalFeed) {
      faults.fatalFeed = false;
      feed.status = 'FATAL';
      issues.push({ code: '4002001', severity: 'ERROR', message: "Item 'Feed' cannot be parsed." });
    } else if (!parsed || !parsed.header || parsed.header.sellerId !== opts.sellerId || parsed.header.version !== '2.0' || !Array.isArray(parsed.messages)
      || parsed.messages.length === 0 || parsed.messages.length > 25_000) {
      feed.status = 'DONE';
      issues.push({ code: '4002001', severity: 'ERROR', message: "Item 'Feed' cannot be parsed." });
    } else {
      feed.status = 'DONE';
      feed.messages = parsed.messages.length;
      const seen = new Set<unknown>();
      for (const m of parsed.messages) {
        processed++;
        const id = m.messageId;
        // The schema's messageId: an integer 1..2147483647, unique in the feed.
        const validId = typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= 2_147_483_647;
        if (!validId || seen.has(id) || typeof m.sku !== 'string' || m.operationType !== 'PATCH') {
          issues.push({ ...(validId ? { messageId: id } : {}), code: 'BAD_REQUEST', severity: 'ERROR', message: 'Invalid parameters provided.' });
          continue;
        }
        seen.add(id);
        const found = applyPatches(m.sku, m.productType, m.patches);
        if (found.length === 0) accepted++;
        for (const issue of found) issues.push({ messageId: id, sku: m.sku, code: issue.code, severity: issue.severity, message: issue.message });
      }
    }
    const resultId = next('amzn1.tortuga.4.na.result.');
    resultDocs.set(resultId, JSON.stringify({
      header: { sellerId: opts.sellerId, version: '2.0', feedId: feed.id },
      issues,
      summary: { errors: issues.filter((i) => i.severity === 'ERROR').length, warnings: 0, messagesProcessed: processed, messagesAccepted: accepted, messagesInvalid: processed - accepted },
    }));
    feed.resultId = resultId;
  }

  async function handle(req: FakeRequest): Promise<FakeReply> {
    const op = operationOf(req);
    byOperation[op ?? 'unknown'] = (byOperation[op ?? 'unknown'] ?? 0) + 1;
    if (op === undefined) return json(404, { errors: [{ code: 'MissingAuthenticationToken', message: 'Missing Authentication Token', details: '' }] });
    if (op === 'token') return token(req);
    if (op === 's3-put' || op === 's3-get') {
      if (req.query.get('X-Amz-Signature') !== 'fake') return S3_DENIED;
      if (Date.now() > Number(req.query.get('X-Amz-Date')) + urlTtlMs) return S3_EXPIRED;
    }
    if (op === 's3-put') {
      const id = decodeURIComponent(req.path.replace(/^\/s3\/feed\//, ''));
      const doc = feedDocs.get(id);
      if (!doc) return S3_DENIED;
      if (req.headers['content-type'] !== doc.contentType) {
        return { status: 403, text: '<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>', contentType: 'application/xml' };
      }
      doc.body = Buffer.from(req.rawBody ?? '', 'utf8');
      return { status: 200 };
    }
    if (op === 's3-get') {
      const m = /^\/s3\/(report|result)\/(.+)$/.exec(req.path);
      if (m?.[1] === 'report' && reportDocs.has(decodeURIComponent(m[2]!))) {
        return { status: 200, body: reportDocs.get(decodeURIComponent(m[2]!))!, contentType: 'text/plain; charset=Cp1252' };
      }
      if (m?.[1] === 'result' && resultDocs.has(decodeURIComponent(m[2]!))) {
        return { status: 200, body: gzipSync(Buffer.from(resultDocs.get(decodeURIComponent(m[2]!))!, 'utf8')), contentType: 'application/json' };
      }
      return { status: 403, text: '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', contentType: 'application/xml' };
    }
    const access = req.headers['x-amz-access-token'];
    if (access === undefined) return json(403, TOKEN_MISSING);
    if (typeof access !== 'string' || !((tokens.get(access) ?? 0) > Date.now())) return json(403, TOKEN_INVALID);
    const ordersOp = op === 'getOrders' || op === 'getOrderItems';
    if (!roles.has(ordersOp ? ORDERS_ROLE : 'Product Listing')) return json(403, op.startsWith('createReport') || op.startsWith('getReport') ? REPORT_ROLE_MISSING : ROLE_MISSING);
    if (!take(op) || (op === 'createFeed' && !take('jsonFeed'))) {
      quotaRefusals++;
      return json(429, QUOTA_EXCEEDED);
    }
    const rateHeader = { 'x-amzn-RateLimit-Limit': String(PLANS[op]!.rate) };
    const segments = req.path.split('/').map(decodeURIComponent);
    switch (op) {
      case 'createReport': {
        const body = req.body as { reportType?: unknown; marketplaceIds?: unknown } | undefined;
        if (body?.reportType !== 'GET_MERCHANT_LISTINGS_ALL_DATA' || !Array.isArray(body.marketplaceIds) || body.marketplaceIds.length === 0) return json(400, INVALID_INPUT, rateHeader);
        const id = next('');
        reports.set(id, { id, polls: 0, status: 'IN_QUEUE', marketplaceIds: body.marketplaceIds as string[] });
        return json(202, { reportId: id }, rateHeader);
      }
      case 'getReport': {
        const job = reports.get(segments[4]!);
        if (!job) return json(404, { errors: [{ code: 'NotFound', message: 'The requested report was not found.', details: '' }] }, rateHeader);
        job.polls++;
        const polls = options.reportPolls ?? 2;
        if (job.status === 'IN_QUEUE' || job.status === 'IN_PROGRESS') {
          job.status = job.polls > polls ? 'DONE' : job.polls > 1 ? 'IN_PROGRESS' : 'IN_QUEUE';
          if (job.status === 'DONE' && faults.fatalReport) {
            faults.fatalReport = false;
            job.status = 'FATAL';
          } else if (job.status === 'DONE' && listings.size === 0) {
            // "automatic cancellation if there is no data" (API_FACTS §11.4): no document at all.
            job.status = 'CANCELLED';
          } else if (job.status === 'DONE') {
            job.documentId = next('amzn1.spdoc.1.4.na.');
            reportDocs.set(job.documentId, reportBytes());
          }
        }
        return json(200, {
          reportId: job.id, reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', marketplaceIds: job.marketplaceIds, createdTime: new Date().toISOString(),
          processingStatus: job.status, ...(job.documentId ? { reportDocumentId: job.documentId } : {}),
        }, rateHeader);
      }
      case 'getReportDocument': {
        const id = segments[4]!;
        if (!reportDocs.has(id)) return json(404, { errors: [{ code: 'NotFound', message: 'The requested report document was not found.', details: '' }] }, rateHeader);
        return json(200, { reportDocumentId: id, url: presign(`/s3/report/${encodeURIComponent(id)}`), ...(options.gzipReports === false ? {} : { compressionAlgorithm: 'GZIP' }) }, rateHeader);
      }
      case 'createFeedDocument': {
        const contentType = (req.body as { contentType?: unknown } | undefined)?.contentType;
        if (typeof contentType !== 'string' || contentType === '') return json(400, INVALID_INPUT, rateHeader);
        const id = next('amzn1.tortuga.3.na.');
        feedDocs.set(id, { contentType });
        return json(201, { feedDocumentId: id, url: presign(`/s3/feed/${encodeURIComponent(id)}`) }, rateHeader);
      }
      case 'createFeed': {
        const body = req.body as { feedType?: unknown; marketplaceIds?: unknown; inputFeedDocumentId?: unknown } | undefined;
        if (body?.feedType !== 'JSON_LISTINGS_FEED' || !Array.isArray(body.marketplaceIds) || body.marketplaceIds.length < 1 || body.marketplaceIds.length > 25
          || typeof body.inputFeedDocumentId !== 'string' || !feedDocs.get(body.inputFeedDocumentId)?.body) return json(400, INVALID_INPUT, rateHeader);
        const id = next('');
        feeds.set(id, { id, polls: 0, status: 'IN_QUEUE', documentId: body.inputFeedDocumentId, hold: false, messages: 0 });
        return json(202, { feedId: id }, rateHeader);
      }
      case 'getFeed': {
        const feed = feeds.get(segments[4]!);
        if (!feed) return json(404, { errors: [{ code: 'NotFound', message: 'The requested feed was not found.', details: '' }] }, rateHeader);
        feed.polls++;
        if (feed.status === 'IN_QUEUE' && faults.cancelFeeds) feed.status = 'CANCELLED';
        else if (feed.status === 'IN_QUEUE' || feed.status === 'IN_PROGRESS') {
          if (faults.holdFeeds || feed.polls <= (options.feedPolls ?? 2)) feed.status = feed.polls > 1 ? 'IN_PROGRESS' : 'IN_QUEUE';
          else processFeed(feed);
        }
        return json(200, {
          feedId: feed.id, feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [opts.marketplaceId], createdTime: new Date().toISOString(),
          processingStatus: feed.status, ...(feed.resultId ? { resultFeedDocumentId: feed.resultId } : {}),
        }, rateHeader);
      }
      case 'getFeedDocument': {
        const id = segments[4]!;
        if (!resultDocs.has(id)) return json(404, { errors: [{ code: 'NotFound', message: 'The requested feed document was not found.', details: '' }] }, rateHeader);
        return json(200, { feedDocumentId: id, url: presign(`/s3/result/${encodeURIComponent(id)}`), compressionAlgorithm: 'GZIP' }, rateHeader);
      }
      case 'patchListingsItem':
      case 'getListingsItem':
      case 'searchListingsItems': {
        const seller = segments[4]!;
        const marketplaces = req.query.get('marketplaceIds');
        if (!marketplaces) return json(400, INVALID_INPUT, rateHeader);
        if (seller !== opts.sellerId) return json(403, ROLE_MISSING);
        if (op === 'searchListingsItems') {
          const size = Number(req.query.get('pageSize') ?? 10);
          if (!Number.isInteger(size) || size < 1 || size > 20) return json(400, INVALID_INPUT, rateHeader);
          const items = [...listings.values()].slice(0, size).map((l) => ({ sku: l.sku, summaries: [{ marketplaceId: opts.marketplaceId, asin: l.asin, productType: 'PRODUCT' }] }));
          return json(200, { numberOfResults: listings.size, items }, rateHeader);
        }
        const sku = segments[5]!;
        if (op === 'getListingsItem') {
          const l = listings.get(sku);
          if (!l) return json(404, { errors: [{ code: 'NOT_FOUND', message: `SKU '${sku}' not found in marketplace ${marketplaces.split(',')[0]}` }] }, rateHeader);
          return json(200, {
            sku, summaries: [{ marketplaceId: opts.marketplaceId, asin: l.asin, productType: 'PRODUCT', conditionType: 'new_new', status: ['BUYABLE', 'DISCOVERABLE'], itemName: l.name, createdDate: '2026-01-05T00:00:00Z', lastUpdatedDate: '2026-01-05T00:00:00Z' }],
            fulfillmentAvailability: [l.qty === null ? { fulfillmentChannelCode: l.channel } : { fulfillmentChannelCode: l.channel, quantity: l.qty }],
          }, rateHeader);
        }
        // "we don't support updating multiple marketplaces in a single API request" (API_FACTS §11.2).
        // NOTE: assumption: the refusal's body is the generic InvalidInput one (Amazon's is not quoted).
        if (marketplaces.includes(',')) return json(400, INVALID_INPUT, rateHeader);
        const body = req.body as { productType?: unknown; patches?: unknown } | undefined;
        if (!body || body.productType === undefined || !Array.isArray(body.patches)) return json(400, INVALID_INPUT, rateHeader);
        const issues = applyPatches(sku, body.productType, body.patches);
        return json(200, { sku, status: issues.length ? 'INVALID' : 'ACCEPTED', submissionId: next('f1dc2914-'), issues: issues.map((i) => ({ ...i, categories: ['INVALID_ATTRIBUTE'] })) }, rateHeader);
      }
      case 'getOrders':
        return getOrders(req, rateHeader);
      case 'getOrderItems':
        return getOrderItems(segments[4]!, req, rateHeader);
      default:
        return json(404, {});
    }
  }

  const orderJson = (o: AmazonOrder) => ({
    AmazonOrderId: o.id, PurchaseDate: o.purchaseDate.toISOString(), LastUpdateDate: o.purchaseDate.toISOString(), OrderStatus: o.status,
    FulfillmentChannel: o.channel, SalesChannel: 'Amazon.com', MarketplaceId: opts.marketplaceId,
    NumberOfItemsShipped: o.items.reduce((n, i) => n + i.shipped, 0), NumberOfItemsUnshipped: o.items.reduce((n, i) => n + i.ordered - i.shipped, 0),
  });

  /** Orders API v0 getOrders: the model's required and bounded parameters, NextToken paging. */
  function getOrders(req: FakeRequest, rateHeader: Record<string, string>): FakeReply {
    if (faults.failOrders) return json(500, { errors: [{ code: 'InternalFailure', message: 'We encountered an internal error. Please try again.', details: '' }] });
    const q = req.query;
    const marketplaces = q.get('MarketplaceIds');
    if (!marketplaces || !marketplaces.split(',').includes(opts.marketplaceId)) return json(400, INVALID_INPUT, rateHeader);
    const token = q.get('NextToken');
    let ids: string[];
    let offset = 0;
    let size = 100;
    if (token) {
      // "If NextToken is present, that will be used to retrieve the orders instead of other criteria."
      const cursor = cursors.get(token);
      if (!cursor || cursor.kind !== 'orders') return json(400, { errors: [{ code: 'InvalidInput', message: 'Invalid NextToken', details: '' }] }, rateHeader);
      cursors.delete(token);
      ids = cursor.ids!;
      offset = cursor.offset;
      size = Number(q.get('MaxResultsPerPage') ?? 100);
    } else {
      const createdAfter = q.get('CreatedAfter');
      if (!createdAfter && !q.get('LastUpdatedAfter')) return json(400, { errors: [{ code: 'InvalidInput', message: 'Either CreatedAfter or LastUpdatedAfter must be specified.', details: '' }] }, rateHeader);
      const after = createdAfter ? Date.parse(createdAfter) : Number.NaN;
      if (createdAfter && (!Number.isFinite(after) || after > Date.now() - 2 * 60_000)) {
        return json(400, { errors: [{ code: 'InvalidInput', message: 'CreatedAfter must be no later than two minutes before the time that the request was submitted.', details: '' }] }, rateHeader);
      }
      size = Number(q.get('MaxResultsPerPage') ?? 100);
      const statuses = q.get('OrderStatuses')?.split(',');
      if (statuses?.some((st) => !(AMAZON_ORDER_STATUSES as readonly string[]).includes(st))) return json(400, INVALID_INPUT, rateHeader);
      const channels = q.get('FulfillmentChannels')?.split(',');
      if (channels?.some((c) => c !== 'MFN' && c !== 'AFN')) return json(400, INVALID_INPUT, rateHeader);
      ids = [...orders.values()]
        .filter((o) => (!createdAfter || o.purchaseDate.getTime() >= after) && (!statuses || statuses.includes(o.status)) && (!channels || channels.includes(o.channel)))
        .sort((a, b) => a.purchaseDate.getTime() - b.purchaseDate.getTime()).map((o) => o.id);
    }
    if (!Number.isInteger(size) || size < 1 || size > 100) return json(400, INVALID_INPUT, rateHeader);
    const page = ids.slice(offset, offset + size);
    let nextToken: string | undefined;
    if (offset + size < ids.length) {
      nextToken = next('orders-next-');
      cursors.set(nextToken, { kind: 'orders', offset: offset + size, ids });
    }
    return json(200, { payload: { Orders: page.map((id) => orderJson(orders.get(id)!)), ...(nextToken ? { NextToken: nextToken } : {}), CreatedBefore: new Date(Date.now() - 2 * 60_000).toISOString() } }, rateHeader);
  }

  /** Orders API v0 getOrderItems, NextToken paging (`orderItemsPage` items a page). */
  function getOrderItems(orderId: string, req: FakeRequest, rateHeader: Record<string, string>): FakeReply {
    const order = orders.get(orderId);
    if (!order) return json(404, { errors: [{ code: 'NotFound', message: 'Invalid AmazonOrderId', details: '' }] }, rateHeader);
    const token = req.query.get('NextToken');
    let offset = 0;
    if (token) {
      const cursor = cursors.get(token);
      if (!cursor || cursor.kind !== 'items' || cursor.orderId !== orderId) return json(400, { errors: [{ code: 'InvalidInput', message: 'Invalid NextToken', details: '' }] }, rateHeader);
      cursors.delete(token);
      offset = cursor.offset;
    }
    const size = options.orderItemsPage ?? 100;
    const items = order.items.slice(offset, offset + size).map((i, k) => ({
      ASIN: listings.get(i.sku)?.asin ?? 'B000000000', SellerSKU: i.sku, OrderItemId: `${orderId}-${offset + k + 1}`, Title: listings.get(i.sku)?.name ?? i.sku,
      QuantityOrdered: i.ordered, QuantityShipped: i.shipped,
    }));
    let nextToken: string | undefined;
    if (offset + size < order.items.length) {
      nextToken = next('items-next-');
      cursors.set(nextToken, { kind: 'items', orderId, offset: offset + size });
    }
    return json(200, { payload: { AmazonOrderId: orderId, OrderItems: items, ...(nextToken ? { NextToken: nextToken } : {}) } }, rateHeader);
  }

  function placeOrder(order: Partial<Omit<AmazonOrder, 'items'>> & { items: AmazonOrder['items'] }): string {
    const full: AmazonOrder = {
      id: order.id ?? `113-${String(++counter).padStart(7, '0')}-${String(counter * 7919 % 10_000_000).padStart(7, '0')}`,
      status: order.status ?? 'Unshipped', channel: order.channel ?? 'MFN',
      // Ten minutes ago by default: getOrders sees nothing newer than two minutes.
      purchaseDate: order.purchaseDate ?? new Date(Date.now() - 10 * 60_000), items: order.items.map((i) => ({ ...i })),
    };
    orders.set(full.id, full);
    if (full.channel === 'MFN' && full.status !== 'Canceled') {
      for (const item of full.items) {
        const listing = listings.get(item.sku);
        if (listing && listing.channel === 'DEFAULT' && listing.qty !== null) listing.qty = Math.max(0, listing.qty - item.ordered);
      }
    }
    return full.id;
  }

  server = await startFakeServer({
    handle,
    tooManyRequests: () => json(429, QUOTA_EXCEEDED),
    isWrite: (req) => operationOf(req) === 'createFeed' || operationOf(req) === 'patchListingsItem',
    faults,
  });

  return Object.assign(server, {
    options: opts,
    listings,
    faults,
    issuedTokens,
    feeds,
    orders,
    placeOrder,
    quotaRefusals: () => quotaRefusals,
    requestsByOperation: () => ({ ...byOperation }),
    seed(more: AmazonListing[]) { for (const l of more) listings.set(l.sku, { ...l }); },
    stockBySku: () => new Map([...listings.values()].map((l) => [l.sku, l.qty])),
    revokeTokens: () => tokens.clear(),
  }) as AmazonFake;
}

