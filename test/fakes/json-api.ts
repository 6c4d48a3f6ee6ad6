import http from 'node:http';
import { listenLoopback } from './fake-http.js';

/**
 * A configurable paged JSON API (127.0.0.1 only) for the `json` source, serving one catalog of
 * `count` items in every paging style the source supports, like typical real APIs do:
 *
 * | route | parameters | body |
 * |---|---|---|
 * | `GET /page` | `page` (1-based), `per_page` | `{ data: [...], total, page, per_page }` |
 * | `GET /offset` | `offset`, `limit` | `{ results: [...], meta: { total, offset, limit } }` |
 * | `GET /cursor` | `cursor` (opaque), `limit` | `{ items: [...], meta: { next_cursor } }` (null on the last page) |
 * | `GET /link` | `page`, `per_page` | a bare array; `Link: <…>; rel="next", <…>; rel="last"` |
 * | `GET /export` | – | the whole catalog as one document `{ meta: { count }, products: [...] }`, streamed |
 *
 * Strict like a real API: a page size above `maxPageSize` (default 100) or below 1, a malformed
 * page/offset/cursor → 400 `{ "error": … }`; a missing size → `defaultPageSize` (25); with
 * `token`, every request needs `Authorization: Bearer <token>` (else 401 with
 * `WWW-Authenticate: Bearer`); `requireQuery` parameters must be on every request (else 400).
 * Link URLs keep every query parameter of the request (absolute by default, or relative).
 *
 * Items are computed from their index (`item(i)`), never stored: a 1,000,000-item catalog costs
 * no memory, and each page is built from its index range.
 */

export interface JsonApiFaults {
  /** The next N requests get 503 with `Retry-After: 0`. */
  status503: number;
  /** The next N requests have their socket destroyed without a response. */
  dropConnections: number;
  /** The next N responses are complete HTTP responses whose JSON body is cut in half. */
  truncatedBodies: number;
  /** The next `count` requests get 429 with this Retry-After (seconds). */
  status429: { count: number; retryAfter: number } | null;
  /** Delay before every response. */
  latencyMs: number;
}

export interface JsonApiFakeOptions {
  /** Items in the catalog. */
  count: number;
  /** Item i (0-based). Default `jsonItem`. */
  item?: (i: number) => unknown;
  maxPageSize?: number;
  defaultPageSize?: number;
  /** Bearer token every request must carry (none: no auth). */
  token?: string;
  /** Query parameters every request must carry, e.g. `{ store: '7' }`. */
  requireQuery?: Record<string, string>;
  /** Link header URLs: absolute (default) or relative to the request. */
  linkStyle?: 'absolute' | 'relative';
  faults?: Partial<JsonApiFaults>;
}

export interface JsonApiRequest {
  path: string;
  query: Record<string, string>;
  authorization?: string;
  /** 0 when the connection was dropped. */
  status: number;
}

export interface JsonApiFake {
  url: string;
  faults: JsonApiFaults;
  /** Every request, in arrival order. */
  log: JsonApiRequest[];
  readonly requests: number;
  close(): Promise<void>;
}

/** The default item: `{ id, sku, qty, stock: { available }, codes: [sku] }`. */
export function jsonItem(i: number): { id: number; sku: string; qty: number; stock: { available: number }; codes: string[] } {
  const sku = `J-${String(i + 1).padStart(7, '0')}`;
  const qty = i % 23;
  return { id: i + 1, sku, qty, stock: { available: qty }, codes: [sku] };
}

const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

export async function startJsonApiFake(options: JsonApiFakeOptions): Promise<JsonApiFake> {
  const { count } = options;
  const item = options.item ?? jsonItem;
  const maxPageSize = options.maxPageSize ?? 100;
  const defaultPageSize = options.defaultPageSize ?? 25;
  const faults: JsonApiFaults = { status503: 0, dropConnections: 0, truncatedBodies: 0, status429: null, latencyMs: 0, ...options.faults };
  const log: JsonApiRequest[] = [];

  type Reply = { status: number; json?: unknown; headers?: Record<string, string> };
  const bad = (message: string): Reply => ({ status: 400, json: { error: message } });

  const slice = (from: number, size: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = from; i < Math.min(count, from + size); i++) out.push(item(i));
    return out;
  };

  /** The page size parameter: missing → default; out of range or malformed → an error reply. */
  function size(query: Record<string, string>, name: string): number | Reply {
    const raw = query[name];
    if (raw === undefined) return defaultPageSize;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > maxPageSize) return bad(`${name} must be between 1 and ${maxPageSize}`);
    return Number(raw);
  }

  function index(query: Record<string, string>, name: string, min: number): number | Reply {
    const raw = query[name];
    if (raw === undefined) return min;
    if (!/^\d+$/.test(raw) || Number(raw) < min) return bad(`${name} must be an integer >= ${min}`);
    return Number(raw);
  }

  function route(url: URL, query: Record<string, string>, origin: string): Reply {
    switch (url.pathname) {
      case '/page': {
        const perPage = size(query, 'per_page');
        const page = index(query, 'page', 1);
        if (typeof perPage !== 'number') return perPage;
        if (typeof page !== 'number') return page;
        return { status: 200, json: { data: slice((page - 1) * perPage, perPage), total: count, page, per_page: perPage } };
      }
      case '/offset': {
        const limit = size(query, 'limit');
        const offset = index(query, 'offset', 0);
        if (typeof limit !== 'number') return limit;
        if (typeof offset !== 'number') return offset;
        return { status: 200, json: { results: slice(offset, limit), meta: { total: count, offset, limit } } };
      }
      case '/cursor': {
        const limit = size(query, 'limit');
        if (typeof limit !== 'number') return limit;
        const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
        if (offset === undefined) return bad('invalid cursor');
        const next = offset + limit < count ? encodeCursor(offset + limit) : null;
        return { status: 200, json: { items: slice(offset, limit), meta: { next_cursor: next } } };
      }
      case '/link': {
        const perPage = size(query, 'per_page');
        const page = index(query, 'page', 1);
        if (typeof perPage !== 'number') return perPage;
        if (typeof page !== 'number') return page;
        const last = Math.max(1, Math.ceil(count / perPage));
        const linkTo = (p: number) => {
          const u = new URL(url.pathname + url.search, origin);
          u.searchParams.set('page', String(p));
          u.searchParams.set('per_page', String(perPage));
          return options.linkStyle === 'relative' ? `${u.pathname}${u.search}` : u.toString();
        };
        const links = [`<${linkTo(1)}>; rel="first"`];
        if (page < last) links.push(`<${linkTo(page + 1)}>; rel="next"`);
        links.push(`<${linkTo(last)}>; rel="last"`);
        return { status: 200, json: slice((page - 1) * perPage, perPage), headers: { Link: links.join(', ') } };
      }
      default:
        return { status: 404, json: { error: `no route ${url.pathname}` } };
    }
  }

  /** The whole catalog as one document, written in pieces (a 1M-item export never sits in memory). */
  async function sendExport(res: http.ServerResponse, truncate: boolean): Promise<void> {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    const write = (s: string) => (res.write(s) ? Promise.resolve() : new Promise<void>((r) => res.once('drain', () => r())));
    await write(`{"meta":{"count":${count}},"products":[`);
    const stop = truncate ? Math.floor(count / 2) : count;
    for (let from = 0; from < stop; from += 1000) {
      const parts: string[] = [];
      for (let i = from; i < Math.min(stop, from + 1000); i++) parts.push(JSON.stringify(item(i)));
      await write(`${from === 0 ? '' : ','}${parts.join(',')}`);
    }
    if (truncate) { res.end(',{"sku":"CUT'); return; }
    res.end(']}\n');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const entry: JsonApiRequest = { path: url.pathname, query, authorization: req.headers.authorization, status: 0 };
    log.push(entry);
    req.resume();
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.dropConnections > 0) {
      faults.dropConnections--;
      req.socket.destroy();
      return;
    }
    let reply: Reply | null = null;
    if (faults.status503 > 0) {
      faults.status503--;
      reply = { status: 503, json: { error: 'service unavailable' }, headers: { 'Retry-After': '0' } };
    } else if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      reply = { status: 429, json: { error: 'rate limited' }, headers: { 'Retry-After': String(faults.status429.retryAfter) } };
    } else if (req.method !== 'GET') {
      reply = { status: 405, json: { error: 'method not allowed' } };
    } else if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      reply = { status: 401, json: { error: 'unauthorized' }, headers: { 'WWW-Authenticate': 'Bearer' } };
    } else {
      for (const [k, v] of Object.entries(options.requireQuery ?? {})) {
        if (query[k] !== v) { reply = bad(`missing or wrong query parameter ${k}`); break; }
      }
    }
    const truncate = faults.truncatedBodies > 0;
    if (!reply && url.pathname === '/export') {
      if (truncate) faults.truncatedBodies--;
      entry.status = 200;
      await sendExport(res, truncate);
      return;
    }
    reply ??= route(url, query, `http://${req.headers.host ?? '127.0.0.1'}`);
    entry.status = reply.status;
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.setHeader('Content-Type', 'application/json');
    res.statusCode = reply.status;
    let body = JSON.stringify(reply.json);
    if (reply.status === 200 && truncate) {
      faults.truncatedBodies--;
      body = body.slice(0, Math.floor(body.length / 2));
    }
    res.end(body);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) { res.statusCode = 500; res.end(JSON.stringify({ error: String(err) })); } else res.destroy();
    });
  });
  const url = await listenLoopback(server);

  return {
    url,
    faults,
    log,
    get requests() { return log.length; },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
