import crypto from 'node:crypto';
import http from 'node:http';
import { listenLoopback } from './fake-http.js';

/**
 * A local NetSuite SuiteTalk REST SuiteQL endpoint (API_FACTS §10), 127.0.0.1 only.
 *
 * Copied from the real thing:
 * - `POST /services/rest/query/v1/suiteql?limit=&offset=` with `{"q": "…"}`; `Prefer: transient`
 *   required; `limit` 1–1000 (default 1000), `offset` a multiple of `limit`; at most `rowCap`
 *   (100,000) rows / 1000 pages per query: a page starting at or past the cap is a 400.
 * - Response `{links, count, hasMore, offset, totalResults, items}`; every value a string; empty
 *   (null) columns left out of the row; each item carries `links: []`.
 * - OAuth 1.0a TBA verified exactly: `realm` = account id (upper case, `_`), HMAC-SHA256 only,
 *   signature over method, base URI and ALL parameters (query string + oauth_*), key
 *   enc(consumer secret)&enc(token secret); a reused nonce is refused. Any failure → 401
 *   INVALID_LOGIN_ATTEMPT. This verifier is written independently of src/sources/netsuite/oauth.ts.
 * - Errors in NetSuite's RFC 7807 shape with `o:errorDetails: [{detail, o:errorCode}]`.
 * - Per-account concurrency governance: more than `concurrencyLimit` requests in flight → 429
 *   CONCURRENCY_LIMIT_EXCEEDED.
 *
 * SuiteQL itself is not interpreted: the fake knows the default inventory query (any item and
 * inventoryitemlocations columns, with or without `AND i.id > N`) over its item × location
 * dataset, plus exact custom queries registered with their rows. Anything else is a 400.
 * NOTE: error detail texts are close to NetSuite's, not guaranteed verbatim.
 */

export interface NsItem {
  id: number;
  itemid: string | null;
  /** Default 'InvtPart'. */
  itemtype?: string;
  /** Default 'F'. */
  isinactive?: 'T' | 'F';
  /** Per location id: inventoryitemlocations columns (null/undefined = empty). */
  locations: Record<string, Record<string, string | number | null | undefined>>;
  [column: string]: unknown;
}

export interface NsCredentials {
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

export interface NsFaults {
  latencyMs: number;
  /** The next `count` requests get 429 CONCURRENCY_LIMIT_EXCEEDED. */
  status429: { count: number; retryAfter?: number } | null;
  /** The next `count` requests get 503. */
  status503: { count: number } | null;
  /** The next N requests have their socket destroyed without a response. */
  dropConnections: number;
  /** Every request at this offset gets `status` (a page failing repeatedly). */
  failOffset: { offset: number; status: number } | null;
  /** Every request is refused with 401 (token revoked). */
  failAuth: boolean;
}

export interface NsRequestLogEntry {
  limit: string | null;
  offset: string | null;
  q: string | undefined;
  status: number;
  /** Requests in flight when this one arrived (itself included). */
  inFlight: number;
  nonce: string | undefined;
  /** Why a 4xx was given (for test diagnostics). */
  error?: string;
}

export interface NetSuiteFakeOptions {
  accountId?: string;
  credentials?: NsCredentials;
  items?: NsItem[];
  /** Exact SuiteQL text (whitespace-normalised, case-sensitive) → its rows, served as given (strings). */
  customQueries?: Record<string, Array<Record<string, unknown>>>;
  /** Requests in flight per account (default 5). */
  concurrencyLimit?: number;
  /** Rows one query may page through (default 100,000). Lower it to test continuation quickly. */
  rowCap?: number;
  faults?: Partial<NsFaults>;
  /** Clock for the OAuth timestamp check, ms. */
  now?: () => number;
}

export interface NetSuiteFake {
  /** Origin to use as the source's `url`, e.g. `http://127.0.0.1:49152`. */
  readonly url: string;
  readonly accountId: string;
  readonly realm: string;
  readonly credentials: NsCredentials;
  readonly faults: NsFaults;
  readonly requests: NsRequestLogEntry[];
  /** Highest number of requests in flight at once. */
  maxInFlight(): number;
  setItems(items: NsItem[]): void;
  close(): Promise<void>;
}

export const DEFAULT_NS_CREDENTIALS: NsCredentials = {
  consumerKey: 'ck0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab',
  consumerSecret: 'cs+secret/0123456789abcdef0123456789abcdef0123456789abcdef01',
  tokenId: 'tk0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab',
  tokenSecret: 'ts secret&0123456789abcdef0123456789abcdef0123456789abcdef01',
};

/**
 * `n` inventory items, ids from `start` (default 98, so ids cross 99 → 100 and string order ≠
 * numeric order), SKU `NS-00001`…, rows for locations 1, 2 and 3 (location 3 missing on every
 * 4th item), quantityavailable `qty(item index, location)` as a string (default (i + loc) % 9,
 * empty on every 7th item at location 2).
 */
export function netsuiteItems(n: number, options: {
  start?: number;
  qty?: (i: number, location: number) => string | number | null;
  locations?: number[];
} = {}): NsItem[] {
  const start = options.start ?? 98;
  const locs = options.locations ?? [1, 2, 3];
  return Array.from({ length: n }, (_, i) => {
    const locations: NsItem['locations'] = {};
    for (const loc of locs) {
      if (loc === 3 && i % 4 === 3) continue;
      const q = options.qty ? options.qty(i, loc) : (i % 7 === 6 && loc === 2 ? null : (i + loc) % 9);
      locations[String(loc)] = { quantityavailable: q === null ? null : String(q), quantityonhand: q === null ? null : String(Number(q) + 1) };
    }
    return { id: start + i, itemid: `NS-${String(i + 1).padStart(5, '0')}`, locations };
  });
}

/** Sum of quantityavailable per SKU over `locations` (all when undefined) — what the source must report. */
export function expectedSums(items: NsItem[], locations?: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    if ((item.itemtype ?? 'InvtPart') !== 'InvtPart' || (item.isinactive ?? 'F') !== 'F' || item.itemid === null) continue;
    if (Object.keys(item.locations).length === 0) continue;
    let sum = 0;
    for (const [loc, cols] of Object.entries(item.locations)) {
      if (locations && !locations.includes(loc)) continue;
      const v = cols.quantityavailable;
      if (v !== null && v !== undefined) sum += Number(v);
    }
    out.set(item.itemid, sum);
  }
  return out;
}

const PATH = '/services/rest/query/v1/suiteql';
const DEFAULT_QUERY = /^SELECT i\.id, i\.(\w+), iil\.(\w+), iil\.(\w+) FROM item i JOIN inventoryitemlocations iil ON iil\.item = i\.id WHERE i\.itemtype = 'InvtPart' AND i\.isinactive = 'F'(?: AND i\.id > (\d+))? ORDER BY i\.id$/i;

type Reply = { status: number; json: unknown; headers?: Record<string, string> };

function nsError(status: number, title: string, detail: string, code: string, typeRef: string): Reply {
  return {
    status,
    json: { type: `https://www.rfc-editor.org/rfc/${typeRef}`, title, status, 'o:errorDetails': [{ detail, 'o:errorCode': code }] },
  };
}

const badRequest = (detail: string, code = 'INVALID_PARAMETER') => nsError(400, 'Bad Request', detail, code, 'rfc9110.html#section-15.5.1');
const LOGIN_FAILED = nsError(401, 'Unauthorized',
  'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.',
  'INVALID_LOGIN_ATTEMPT', 'rfc9110.html#section-15.5.2');

/** RFC 3986 unreserved-only encoding, written out independently of the adapter's. */
function enc(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Parse `OAuth k="v", k2="v2"` into decoded pairs; undefined when it is not an OAuth header. */
function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header || !/^OAuth\s/i.test(header)) return undefined;
  const out = new Map<string, string>();
  const re = /([A-Za-z_]+)="([^"]*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    try { out.set(m[1] as string, decodeURIComponent(m[2] as string)); } catch { return undefined; }
  }
  return out;
}

/** Query string pairs, decoded as application/x-www-form-urlencoded ('+' is a space). */
function queryPairs(search: string): Array<[string, string]> {
  if (search.length <= 1) return [];
  return search.slice(1).split('&').filter((p) => p !== '').map((p) => {
    const i = p.indexOf('=');
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return i < 0 ? [dec(p), ''] : [dec(p.slice(0, i)), dec(p.slice(i + 1))];
  });
}

export async function startNetSuiteFake(options: NetSuiteFakeOptions = {}): Promise<NetSuiteFake> {
  const accountId = options.accountId ?? '1234567_SB1';
  const realm = accountId.toUpperCase().replace(/-/g, '_');
  const credentials = options.credentials ?? DEFAULT_NS_CREDENTIALS;
  const concurrencyLimit = options.concurrencyLimit ?? 5;
  const rowCap = options.rowCap ?? 100_000;
  const now = options.now ?? Date.now;
  const faults: NsFaults = Object.assign(
    { latencyMs: 0, status429: null, status503: null, dropConnections: 0, failOffset: null, failAuth: false } satisfies NsFaults,
    options.faults,
  );
  const customQueries = new Map(Object.entries(options.customQueries ?? {}).map(([q, rows]) => [normalise(q), rows]));
  const requests: NsRequestLogEntry[] = [];
  const usedNonces = new Set<string>();
  let items: NsItem[] = [];
  let rowCache = new Map<string, Array<Record<string, string>>>();
  let inFlight = 0;
  let maxInFlight = 0;

  function setItems(next: NsItem[]): void {
    items = [...next].sort((a, b) => a.id - b.id);
    rowCache = new Map();
  }
  setItems(options.items ?? []);

  function normalise(q: string): string {
    return q.replace(/\s+/g, ' ').trim();
  }

  function verify(req: http.IncomingMessage, url: URL): string | null {
    const p = parseOAuthHeader(req.headers.authorization);
    if (!p) return 'no OAuth header';
    if (p.get('realm') !== realm) return `realm ${p.get('realm')} is not ${realm}`;
    if (p.get('oauth_signature_method') !== 'HMAC-SHA256') return 'signature method is not HMAC-SHA256';
    if (p.has('oauth_version') && p.get('oauth_version') !== '1.0') return 'oauth_version is not 1.0';
    if (p.get('oauth_consumer_key') !== credentials.consumerKey) return 'unknown consumer key';
    if (p.get('oauth_token') !== credentials.tokenId) return 'unknown token';
    const ts = Number(p.get('oauth_timestamp'));
    if (!Number.isInteger(ts) || Math.abs(ts - now() / 1000) > 900) return 'timestamp missing or off by more than 15 minutes';
    const nonce = p.get('oauth_nonce');
    if (!nonce) return 'no nonce';
    const params: Array<[string, string]> = [...queryPairs(url.search)];
    for (const [k, v] of p) if (k !== 'realm' && k !== 'oauth_signature') params.push([k, v]);
    const normalised = params.map(([k, v]) => [enc(k), enc(v)])
      .sort((x, y) => (x[0] !== y[0] ? (x[0]! < y[0]! ? -1 : 1) : x[1] === y[1] ? 0 : x[1]! < y[1]! ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`).join('&');
    const host = String(req.headers.host ?? '').toLowerCase();
    const base = `${(req.method ?? '').toUpperCase()}&${enc(`http://${host}${url.pathname}`)}&${enc(normalised)}`;
    const expected = crypto.createHmac('sha256', `${enc(credentials.consumerSecret)}&${enc(credentials.tokenSecret)}`).update(base).digest();
    const given = Buffer.from(p.get('oauth_signature') ?? '', 'base64');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'signature mismatch';
    if (usedNonces.has(nonce)) return 'nonce already used';
    usedNonces.add(nonce);
    return null;
  }

  function defaultRows(sku: string, location: string, qty: string): Array<Record<string, string>> | Reply {
    const key = `${sku}|${location}|${qty}`;
    const cached = rowCache.get(key);
    if (cached) return cached;
    const itemColumns = new Set(['id', 'itemid', 'displayname', 'upccode', 'itemtype', 'isinactive']);
    for (const item of items) for (const k of Object.keys(item)) if (k !== 'locations') itemColumns.add(k.toLowerCase());
    if (!itemColumns.has(sku)) return badRequest(`Invalid search query. Detailed unprocessed description follows. Search error occurred: Field '${sku}' for record 'item' was not found.`);
    const iilColumns = new Set(['location', 'quantityavailable', 'quantityonhand', 'quantitycommitted', 'quantityonorder', 'quantitybackordered']);
    for (const column of [location, qty]) {
      if (!iilColumns.has(column)) return badRequest(`Invalid search query. Detailed unprocessed description follows. Search error occurred: Field '${column}' for record 'inventoryItemLocations' was not found.`);
    }
    const rows: Array<Record<string, string>> = [];
    for (const item of items) {
      if ((item.itemtype ?? 'InvtPart') !== 'InvtPart' || (item.isinactive ?? 'F') !== 'F') continue;
      const locs = Object.keys(item.locations).sort((a, b) => Number(a) - Number(b));
      for (const loc of locs) {
        const cols = { ...item.locations[loc], location: loc } as Record<string, unknown>;
        const row: Record<string, string> = { id: String(item.id) };
        const put = (name: string, v: unknown) => { if (v !== null && v !== undefined && v !== '') row[name] = String(v); };
        put(sku, sku === 'id' ? item.id : item[sku]);
        put(location, cols[location]);
        put(qty, cols[qty]);
        rows.push(row);
      }
    }
    rowCache.set(key, rows);
    return rows;
  }

  /** Rows of a query, or an error reply. */
  function run(q: string): Array<Record<string, unknown>> | Reply {
    const text = normalise(q);
    const custom = customQueries.get(text);
    if (custom) return custom;
    const m = DEFAULT_QUERY.exec(text);
    if (!m) return badRequest('Invalid search query. Detailed unprocessed description follows. Search error occurred: Invalid or unsupported search.');
    const rows = defaultRows((m[1] as string).toLowerCase(), (m[2] as string).toLowerCase(), (m[3] as string).toLowerCase());
    if (!Array.isArray(rows)) return rows;
    if (m[4] === undefined) return rows;
    const after = Number(m[4]);
    // Rows are ordered by id: find the first id above `after`.
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Number(rows[mid]?.id) > after) hi = mid; else lo = mid + 1;
    }
    return rows.slice(lo);
  }

  function dispatch(req: http.IncomingMessage, url: URL, body: string, entry: NsRequestLogEntry): Reply {
    if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      const r = nsError(429, 'Too Many Requests', 'Concurrent request limit exceeded. Request blocked.', 'CONCURRENCY_LIMIT_EXCEEDED', 'rfc6585.html#section-4');
      if (faults.status429.retryAfter !== undefined) r.headers = { 'Retry-After': String(faults.status429.retryAfter) };
      return r;
    }
    if (faults.status503 && faults.status503.count > 0) {
      faults.status503.count--;
      return nsError(503, 'Service Unavailable', 'The service is temporarily unavailable.', 'SERVICE_UNAVAILABLE', 'rfc9110.html#section-15.6.4');
    }
    if (url.pathname !== PATH) return nsError(404, 'Not Found', `Invalid request URL: ${url.pathname}`, 'NONEXISTENT_ID', 'rfc9110.html#section-15.5.5');
    if (faults.failAuth) return LOGIN_FAILED;
    const authProblem = verify(req, url);
    if (authProblem) {
      entry.error = authProblem;
      return LOGIN_FAILED;
    }
    if (entry.inFlight > concurrencyLimit) {
      return nsError(429, 'Too Many Requests', 'Concurrent request limit exceeded. Request blocked.', 'CONCURRENCY_LIMIT_EXCEEDED', 'rfc6585.html#section-4');
    }
    if (req.method !== 'POST') return nsError(405, 'Method Not Allowed', `The ${req.method} method is not supported for this resource.`, 'INVALID_METHOD', 'rfc9110.html#section-15.5.6');
    const prefer = String(req.headers.prefer ?? '').toLowerCase().split(',').map((s) => s.trim());
    if (!prefer.includes('transient')) return badRequest("The request is missing the required header 'Prefer: transient'.", 'INVALID_HEADER');

    const limitRaw = url.searchParams.get('limit') ?? '1000';
    const offsetRaw = url.searchParams.get('offset') ?? '0';
    const limit = /^\d+$/.test(limitRaw) ? Number(limitRaw) : NaN;
    const offset = /^\d+$/.test(offsetRaw) ? Number(offsetRaw) : NaN;
    if (!(limit >= 1 && limit <= 1000)) return badRequest(`Invalid value for the limit parameter: ${limitRaw}. The value must be between 1 and 1000.`);
    if (!(offset >= 0) || offset % limit !== 0) return badRequest(`Invalid value for the offset parameter: ${offsetRaw}. The offset must be a multiple of the limit.`);
    if (offset >= rowCap || offset / limit >= 1000) {
      return badRequest(`The offset ${offset} exceeds the maximum number of results a query can page through (${rowCap}).`);
    }
    if (faults.failOffset && faults.failOffset.offset === offset) {
      return nsError(faults.failOffset.status, 'Internal Server Error', 'An unexpected error occurred.', 'UNEXPECTED_ERROR', 'rfc9110.html#section-15.6.1');
    }
    let parsed: unknown;
    try { parsed = JSON.parse(body); } catch { return badRequest('Invalid JSON in the request body.', 'INVALID_CONTENT'); }
    const q = (parsed as { q?: unknown } | null)?.q;
    if (typeof q !== 'string' || q.trim() === '') return badRequest("The request body must hold the query in the 'q' property.", 'INVALID_CONTENT');
    entry.q = normalise(q);
    const rows = run(q);
    if (!Array.isArray(rows)) return rows;

    const page = rows.slice(offset, offset + limit).map((r) => ({ links: [], ...r }));
    const total = rows.length;
    const self = `http://${req.headers.host}${PATH}`;
    const at = (o: number) => `${self}?limit=${limit}&offset=${o}`;
    const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
    const links = [
      ...(offset > 0 ? [{ rel: 'previous', href: at(offset - limit) }] : []),
      { rel: 'first', href: at(0) },
      ...(offset + limit < total ? [{ rel: 'next', href: at(offset + limit) }] : []),
      { rel: 'last', href: at(lastOffset) },
      { rel: 'self', href: at(offset) },
    ];
    return { status: 200, json: { links, count: page.length, hasMore: offset + page.length < total, offset, totalResults: total, items: page } };
  }

  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const entry: NsRequestLogEntry = {
      limit: url.searchParams.get('limit'), offset: url.searchParams.get('offset'), q: undefined, status: 0, inFlight,
      nonce: parseOAuthHeader(req.headers.authorization)?.get('oauth_nonce'),
    };
    requests.push(entry);
    let done = false;
    const finish = () => { if (!done) { done = true; inFlight--; } };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        if (res.destroyed) return;
        if (faults.dropConnections > 0) {
          faults.dropConnections--;
          req.socket.destroy();
          return;
        }
        let reply: Reply;
        try {
          reply = dispatch(req, url, Buffer.concat(chunks).toString('utf8'), entry);
        } catch (err) {
          reply = nsError(500, 'Internal Server Error', `An unexpected error occurred: ${(err as Error).message}`, 'UNEXPECTED_ERROR', 'rfc9110.html#section-15.6.1');
        }
        entry.status = reply.status;
        if (reply.status >= 400 && entry.error === undefined) {
          entry.error = ((reply.json as { 'o:errorDetails'?: Array<{ detail: string }> })['o:errorDetails']?.[0]?.detail);
        }
        for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
        res.statusCode = reply.status;
        res.setHeader('Content-Type', reply.status >= 400 ? 'application/vnd.oracle.resource+json; type=error' : 'application/json; charset=UTF-8');
        res.end(JSON.stringify(reply.json));
      };
      if (faults.latencyMs > 0) setTimeout(answer, faults.latencyMs); else answer();
    });
  });
  const url = await listenLoopback(server);

  return {
    url,
    accountId,
    realm,
    credentials,
    faults,
    requests,
    maxInFlight: () => maxInFlight,
    setItems,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
