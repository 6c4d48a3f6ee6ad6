import crypto from 'node:crypto';
import http from 'node:http';
import { listenLoopback } from './fake-http.js';

/**
 * A local Dropshipzone API (API_FACTS §8), 127.0.0.1 only, built to be as strict as the real one:
 *
 * - `POST /auth` `{email, password}` → `{iat, exp, token}` (a signed JWT-like token); wrong
 *   credentials → 401 `{"code":"Unauthorized","message":…}`.
 * - `GET /v2/products?page_no&limit` requires `Authorization: jwt <token>` (lowercase scheme; a
 *   `Bearer`, unknown, tampered, expired or revoked token → 401). `limit` is CLAMPED to [40, 200]
 *   (API_FACTS: "clamped/rejected"; its fake notes say clamp), default 40; `page_no` default 1;
 *   a non-numeric one → 400 `{"code":"ResourceNotFound","message":"Bad Request"}`; `skus` with
 *   more than 100 SKUs → 400. Answers `{result, total, total_pages, current_page}`, `in_stock` a
 *   string.
 * - Gateway throttle: every request (auth included) is counted per rolling minute and hour; above
 *   `limits` (default 60/min and 600/h) → 429 with `Retry-After: 60`. Only accepted requests count.
 * - Fault switches (live: change `faults` between requests) for 503s, dropped connections, 429s,
 *   a page that always fails, and tokens that stop working after N requests.
 *
 * Time comes from `now()` (default Date.now), so tests can run hours of rate budget in virtual time.
 */

export type DszProduct = Record<string, unknown>;

export interface DszFaults {
  /** The next N requests get 503 (HTML body, as a gateway sends). */
  status503: number;
  /** The next N requests have their socket destroyed without a response. */
  dropConnections: number;
  /** The next `count` requests get 429 with this Retry-After (seconds). */
  status429: { count: number; retryAfter: number } | null;
  /** Requests for this page answer `status` (default 500), `count` times (default: always). */
  failPage: { page: number; status?: number; count?: number } | null;
  /** Every token stops working (401) after this many product requests made with it. */
  expireTokenAfterRequests: number | null;
  /** Delay before every response. */
  latencyMs: number;
}

export interface DszFakeOptions {
  /** The catalog, in listing order (entries may be malformed on purpose). */
  products?: DszProduct[];
  /** A catalog generated on demand (benchmarks): product i (0-based) of `count`. */
  catalog?: { count: number; product?: (i: number) => DszProduct };
  email?: string;
  password?: string;
  /** Token lifetime (exp − iat). Default 900 s (the docs' "15 minutes"). */
  tokenTtlSeconds?: number;
  /** Gateway throttle; null lifts it. Default { perMinute: 60, perHour: 600 }. */
  limits?: { perMinute: number; perHour: number } | null;
  faults?: Partial<DszFaults>;
  /** Clock (ms since epoch). */
  now?: () => number;
}

export interface DszRequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 0 when the connection was dropped. */
  status: number;
  /** Arrival time on the fake's clock. */
  at: number;
}

export interface DszFake {
  url: string;
  faults: DszFaults;
  /** Every request received, in arrival order. */
  log: DszRequestLogEntry[];
  readonly requests: number;
  readonly authCalls: number;
  readonly productRequests: number;
  /** 429 answers sent by the throttle (not by the `status429` fault). */
  readonly saw429: number;
  /** Most requests that arrived within any rolling window of `ms` (every attempt, faulted ones too). */
  maxInWindow(ms: number): number;
  /** Revoke every token issued so far (as a password change does). */
  revokeTokens(): void;
  close(): Promise<void>;
}

export const DSZ_EMAIL = 'api-user@example.com';
export const DSZ_PASSWORD = 'fake-dsz-password';

/** A product as `/v2/products` lists it (schema after 30 Sep 2025), with a stock of `qty`. */
export function dszProduct(i: number, qty: number, overrides: DszProduct = {}): DszProduct {
  const sku = `V${200 + (i % 50)}-${String(i).padStart(7, '0')}`;
  return {
    entity_id: 100_000 + i,
    sku,
    title: `Product ${i}`,
    stock_qty: qty,
    in_stock: qty > 0 ? '1' : '0',
    status: qty > 0 ? 'In Stock' : 'Out Of Stock',
    price: 10 + (i % 90),
    cost: 10 + (i % 90),
    RrpPrice: 20 + (i % 90),
    RRP: { Standard: 20 + (i % 90) },
    currency: 'AUD',
    discontinued: 'No',
    product_status: 1,
    updated_at: 1720503883,
    brand: 'Does not apply',
    eancode: 'N/A',
    vendor_id: String(200 + (i % 50)),
    ...overrides,
  };
}

/** `n` well-formed products; stock = `stock(i)` (default i % 17). */
export function dszCatalog(n: number, stock: (i: number) => number = (i) => i % 17): DszProduct[] {
  return Array.from({ length: n }, (_, i) => dszProduct(i, stock(i)));
}

/** A clock that only moves when someone sleeps: hours of rate budget pass in milliseconds. */
export function virtualClock(start = Date.UTC(2026, 10, 22, 2, 0, 0)): { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void>; advance(ms: number): void; slept: number } {
  let t = start;
  const clock = {
    slept: 0,
    now: () => t,
    advance: (ms: number) => { t += ms; },
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      t += ms;
      clock.slept += ms;
      // Let I/O run, as a real sleep would.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
  return clock;
}

const SECRET = crypto.randomBytes(32);
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

interface TokenInfo { exp: number; uses: number; revoked: boolean }

export async function startDropshipzoneFake(options: DszFakeOptions = {}): Promise<DszFake> {
  const now = options.now ?? Date.now;
  const email = options.email ?? DSZ_EMAIL;
  const password = options.password ?? DSZ_PASSWORD;
  const ttl = options.tokenTtlSeconds ?? 900;
  const limits = options.limits === undefined ? { perMinute: 60, perHour: 600 } : options.limits;
  const faults: DszFaults = {
    status503: 0, dropConnections: 0, status429: null, failPage: null, expireTokenAfterRequests: null, latencyMs: 0,
    ...options.faults,
  };
  const products = options.products;
  const count = products ? products.length : options.catalog?.count ?? 0;
  const make = options.catalog?.product ?? ((i: number) => dszProduct(i, i % 17));
  const productAt = (i: number): DszProduct => (products ? products[i] as DszProduct : make(i));

  const log: DszRequestLogEntry[] = [];
  const accepted: number[] = [];
  const tokens = new Map<string, TokenInfo>();
  let authCalls = 0;
  let productRequests = 0;
  let saw429 = 0;
  let serial = 0;

  type Reply = { status: number; json?: unknown; html?: string; headers?: Record<string, string> };
  const error = (status: number, code: string, message: string): Reply => ({ status, json: { code, message } });

  /** The gateway's rolling-window throttle. */
  function throttle(at: number): Reply | null {
    if (!limits) return null;
    while (accepted.length && (accepted[0] as number) <= at - 3_600_000) accepted.shift();
    let lastMinute = 0;
    for (let i = accepted.length - 1; i >= 0 && (accepted[i] as number) > at - 60_000; i--) lastMinute++;
    if (lastMinute >= limits.perMinute || accepted.length >= limits.perHour) {
      saw429++;
      return { ...error(429, 'TooManyRequests', 'Too many requests, please try again later.'), headers: { 'Retry-After': '60' } };
    }
    accepted.push(at);
    return null;
  }

  function issueToken(): { iat: number; exp: number; token: string } {
    const iat = Math.floor(now() / 1000);
    const exp = iat + ttl;
    const head = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ sub: email, iat, exp, jti: ++serial });
    const sig = crypto.createHmac('sha256', SECRET).update(`${head}.${payload}`).digest('base64url');
    const token = `${head}.${payload}.${sig}`;
    tokens.set(token, { exp, uses: 0, revoked: false });
    return { iat, exp, token };
  }

  /** null when the request carries a valid token (and counts its use). */
  function checkToken(authorization: string | undefined): Reply | null {
    const m = /^jwt (\S+)$/.exec(authorization ?? '');
    if (!m) return error(401, 'Unauthorized', 'No auth token');
    const token = m[1] as string;
    const [head, payload, sig] = token.split('.');
    const expected = crypto.createHmac('sha256', SECRET).update(`${head}.${payload}`).digest('base64url');
    const info = tokens.get(token);
    if (!head || !payload || sig !== expected || !info) return error(401, 'Unauthorized', 'invalid signature');
    if (info.revoked || now() / 1000 >= info.exp) return error(401, 'Unauthorized', 'jwt expired');
    if (faults.expireTokenAfterRequests !== null && info.uses >= faults.expireTokenAfterRequests) {
      info.revoked = true;
      return error(401, 'Unauthorized', 'jwt expired');
    }
    info.uses++;
    return null;
  }

  function listProducts(query: Record<string, string>, authorization: string | undefined): Reply {
    productRequests++;
    const denied = checkToken(authorization);
    if (denied) return denied;
    const pageRaw = query.page_no ?? '1';
    const limitRaw = query.limit ?? '40';
    if (!/^\d+$/.test(pageRaw) || !/^\d+$/.test(limitRaw) || Number(pageRaw) < 1) return error(400, 'ResourceNotFound', 'Bad Request');
    if (query.skus !== undefined && query.skus.split(',').length > 100) return error(400, 'ResourceNotFound', 'Bad Request');
    const page = Number(pageRaw);
    const limit = Math.min(200, Math.max(40, Number(limitRaw)));
    if (faults.failPage && faults.failPage.page === page && (faults.failPage.count ?? Infinity) > 0) {
      if (faults.failPage.count !== undefined) faults.failPage.count--;
      const status = faults.failPage.status ?? 500;
      return error(status, 'InternalServer', 'boom!');
    }
    let pick: (i: number) => DszProduct = productAt;
    let total = count;
    if (query.skus !== undefined) {
      const wanted = new Set(query.skus.split(',').map((s) => s.trim()));
      const matching: DszProduct[] = [];
      for (let i = 0; i < count; i++) { const p = productAt(i); if (wanted.has(String(p.sku))) matching.push(p); }
      pick = (i) => matching[i] as DszProduct;
      total = matching.length;
    }
    const result: DszProduct[] = [];
    for (let i = (page - 1) * limit; i < Math.min(total, page * limit); i++) result.push(pick(i));
    return { status: 200, json: { result, total, total_pages: Math.ceil(total / limit), current_page: page } };
  }

  function login(body: string): Reply {
    authCalls++;
    let creds: unknown;
    try { creds = JSON.parse(body); } catch { return error(400, 'InvalidContent', 'Invalid JSON in request body'); }
    const c = creds as { email?: unknown; password?: unknown } | null;
    if (!c || c.email !== email || c.password !== password) return error(401, 'Unauthorized', 'Invalid email or password');
    return { status: 200, json: issueToken() };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const entry: DszRequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query, status: 0, at: now() };
    log.push(entry);
    const body = await readBody(req);
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.dropConnections > 0) {
      faults.dropConnections--;
      req.socket.destroy();
      return;
    }
    let reply: Reply | null = null;
    if (faults.status503 > 0) {
      faults.status503--;
      reply = { status: 503, html: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>' };
    } else if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      reply = { ...error(429, 'TooManyRequests', 'Too many requests'), headers: { 'Retry-After': String(faults.status429.retryAfter) } };
    }
    reply ??= throttle(entry.at);
    if (!reply) {
      if (req.method === 'POST' && url.pathname === '/auth') reply = login(body);
      else if (req.method === 'GET' && url.pathname === '/v2/products') reply = listProducts(query, req.headers.authorization);
      else reply = error(404, 'ResourceNotFound', `${url.pathname} does not exist`);
    }
    entry.status = reply.status;
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.statusCode = reply.status;
    if (reply.html !== undefined) {
      res.setHeader('Content-Type', 'text/html');
      res.end(reply.html);
    } else {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(reply.json));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) { res.statusCode = 500; res.end(JSON.stringify({ code: 'InternalServer', message: String(err) })); }
    });
  });
  const url = await listenLoopback(server);

  return {
    url,
    faults,
    log,
    get requests() { return log.length; },
    get authCalls() { return authCalls; },
    get productRequests() { return productRequests; },
    get saw429() { return saw429; },
    maxInWindow(ms: number) {
      const times = log.map((e) => e.at);
      let best = 0;
      let from = 0;
      for (let i = 0; i < times.length; i++) {
        while ((times[from] as number) <= (times[i] as number) - ms) from++;
        best = Math.max(best, i - from + 1);
      }
      return best;
    },
    revokeTokens() { for (const t of tokens.values()) t.revoked = true; },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}
