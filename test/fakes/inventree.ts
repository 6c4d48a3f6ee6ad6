import http from 'node:http';
import { listenLoopback } from './fake-http.js';

/**
 * A local InvenTree REST API (API_FACTS §9): the part list `GET /api/part/` as Django REST
 * Framework serves it, with InvenTree's authentication and switchable faults. 127.0.0.1 only.
 *
 * Copied from the real thing:
 * - DRF LimitOffsetPagination without PAGE_SIZE: with `limit` → `{count, next, previous, results}`
 *   where next/previous are absolute URLs built from the Host header with the query re-encoded
 *   in sorted order (DRF's replace_query_param); WITHOUT `limit` (or with an invalid one: 0, -1,
 *   "abc") → a bare JSON array of every row. An invalid `offset` counts as 0. No maximum limit.
 * - PartList ordering: `ordering` accepts only PartList.ordering_fields (name, IPN, in_stock,
 *   total_in_stock, unallocated_stock, …; NOT pk); unknown fields are silently ignored; the default
 *   is `name`, with `pk` appended as the tie-breaker (InvenTreeOrderingFilter, InvenTree ≥ 0.17).
 * - `active` filter (django-filter BooleanFilter: true/false/1/0/True/False; anything else → 400).
 * - Quantities are Python floats: `"unallocated_stock": 12.0` on the wire.
 * - Auth: `Authorization: Token <token>`. Missing → 401 "Authentication credentials were not
 *   provided."; unknown → 401 "Invalid token." (DRF TokenAuthentication); a token whose user lacks
 *   the part "view" role → 403 "You do not have permission to perform this action.".
 * - `/api/part` without the trailing slash → 301 to `/api/part/` (Django APPEND_SLASH).
 */

/** One part as the list serializer returns it (the stock-related subset invsync cares about). */
export interface InvenTreePart {
  pk: number;
  IPN: string | null;
  name: string;
  active: boolean;
  in_stock: number;
  variant_stock: number;
  total_in_stock: number;
  allocated_to_sales_orders: number;
  allocated_to_build_orders: number;
  unallocated_stock: number;
  ordering: number;
  building: number;
  [field: string]: unknown;
}

export interface InvenTreeToken {
  token: string;
  /** The user's part "view" role (default true). */
  partView?: boolean;
}

export interface InvenTreeFaults {
  /** Delay before every response. */
  latencyMs: number;
  /** The next `count` requests get 503 (Retry-After when given). */
  status503: { count: number; retryAfter?: number } | null;
  /** The next N requests have their socket destroyed without a response. */
  dropConnections: number;
  /** Every request for this offset gets `status` (a page that fails repeatedly). */
  failOffset: { offset: number; status: number } | null;
  /** Served values replaced at serialisation time (malformed rows), by pk. */
  corrupt: Array<{ pk: number; field: string; value: unknown }>;
}

export interface InvenTreeRequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  /** 0 when the connection was dropped. */
  status: number;
}

export interface InvenTreeFakeOptions {
  parts?: InvenTreePart[];
  /** Default: one token, `DEFAULT_INVENTREE_TOKEN`, with the part view role. */
  tokens?: InvenTreeToken[];
  faults?: Partial<InvenTreeFaults>;
  /** Called before each part list request is answered, with its 1-based number (e.g. to change the catalog mid-run). */
  onListRequest?: (n: number) => void;
}

export interface InvenTreeFake {
  /** Site root, e.g. `http://127.0.0.1:49152` (what a source config's `url` holds). */
  readonly url: string;
  readonly faults: InvenTreeFaults;
  readonly requests: InvenTreeRequestLogEntry[];
  /** Requests for the part list (any status). */
  listRequests(): number;
  /** Add or replace parts (by pk). */
  seed(parts: InvenTreePart[]): void;
  resetFaults(): void;
  close(): Promise<void>;
}

export const DEFAULT_INVENTREE_TOKEN = 'inv-5f2b7c1e9a8d4c3b2a1f0e9d8c7b6a5f4e3d2c1b-20260101';

/** PartList.ordering_fields (InvenTree part/api.py). */
const ORDERING_FIELDS = new Set([
  'name', 'creation_date', 'IPN', 'in_stock', 'total_in_stock', 'unallocated_stock', 'category',
  'last_stocktake', 'units', 'pricing_min', 'pricing_max', 'pricing_updated',
]);
const FLOAT_FIELDS = ['in_stock', 'variant_stock', 'total_in_stock', 'allocated_to_sales_orders', 'allocated_to_build_orders', 'unallocated_stock', 'ordering', 'building'];

/**
 * `n` parts, pk `start`…: IPN `IPN-00001`…, names that do NOT sort in pk order, fractional
 * stock on every 5th part, allocations on every 3rd, every 10th inactive, unless overridden.
 */
export function inventreeParts(n: number, options: { start?: number; ipn?: (pk: number) => string | null; active?: (pk: number) => boolean } = {}): InvenTreePart[] {
  const start = options.start ?? 1;
  return Array.from({ length: n }, (_, k) => {
    const pk = start + k;
    const inStock = (pk % 17) + (pk % 5 === 0 ? 0.5 : 0);
    const variant = pk % 7 === 0 ? 2 : 0;
    const total = inStock + variant;
    const sales = pk % 3 === 0 ? 1 : 0;
    const build = pk % 11 === 0 ? 3 : 0;
    return {
      pk,
      IPN: options.ipn ? options.ipn(pk) : `IPN-${String(pk).padStart(5, '0')}`,
      // Reversed digits: "Part 01" (pk 10) sorts before "Part 10" (pk 1)… so name order ≠ pk order.
      name: `Part ${String(pk).padStart(5, '0').split('').reverse().join('')}`,
      active: options.active ? options.active(pk) : pk % 10 !== 0,
      in_stock: inStock,
      variant_stock: variant,
      total_in_stock: total,
      allocated_to_sales_orders: sales,
      allocated_to_build_orders: build,
      unallocated_stock: Math.max(total - sales - build, 0),
      ordering: 0,
      building: 0,
    };
  });
}

function noFaults(): InvenTreeFaults {
  return { latencyMs: 0, status503: null, dropConnections: 0, failOffset: null, corrupt: [] };
}

type Reply = { status: number; json?: unknown; text?: string; html?: string; headers?: Record<string, string> };

/** DRF's `_positive_int`: integer ≥ 0 (> 0 when strict); throws otherwise. */
function positiveInt(raw: string, strict: boolean): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new Error('not an int');
  const n = Number.parseInt(raw, 10);
  if (n < 0 || (strict && n === 0)) throw new Error('not positive');
  return n;
}

const BOOLEAN_VALUES: Record<string, boolean> = { true: true, True: true, '1': true, false: false, False: false, '0': false };

/** Python's json.dumps renders float 12.0 as `12.0`; JSON.stringify would print `12`. */
function serialize(value: unknown): string {
  return JSON.stringify(value, (key, v) => (FLOAT_FIELDS.includes(key) && typeof v === 'number' && Number.isInteger(v) ? `__FLOAT__${v}` : v))
    .replace(/"__FLOAT__(-?\d+)"/g, '$1.0');
}

export async function startInvenTreeFake(options: InvenTreeFakeOptions = {}): Promise<InvenTreeFake> {
  const parts = new Map<number, InvenTreePart>();
  for (const p of options.parts ?? []) parts.set(p.pk, p);
  const tokens = options.tokens ?? [{ token: DEFAULT_INVENTREE_TOKEN, partView: true }];
  const faults: InvenTreeFaults = Object.assign(noFaults(), options.faults);
  const requests: InvenTreeRequestLogEntry[] = [];
  let listCount = 0;
  const ordered = new Map<string, InvenTreePart[]>();

  function authenticate(header: string | undefined): Reply | null {
    const m = /^Token\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) {
      return { status: 401, headers: { 'WWW-Authenticate': 'Token' }, json: { detail: 'Authentication credentials were not provided.' } };
    }
    const t = tokens.find((x) => x.token === m[1]);
    if (!t) return { status: 401, headers: { 'WWW-Authenticate': 'Token' }, json: { detail: 'Invalid token.' } };
    if (t.partView === false) return { status: 403, json: { detail: 'You do not have permission to perform this action.' } };
    return null;
  }

  function orderParts(rows: InvenTreePart[], ordering: string | undefined): InvenTreePart[] {
    const requested = (ordering ?? '').split(',').map((f) => f.trim()).filter((f) => ORDERING_FIELDS.has(f.replace(/^-/, '')));
    const keys = requested.length > 0 ? requested : ['name'];
    const reversed = keys.some((k) => k.startsWith('-'));
    keys.push(reversed ? '-pk' : 'pk');
    return rows.sort((a, b) => {
      for (const k of keys) {
        const desc = k.startsWith('-');
        const f = desc ? k.slice(1) : k;
        const av = a[f] as string | number | null;
        const bv = b[f] as string | number | null;
        if (av === bv) continue;
        // Postgres sorts NULLs last ascending.
        const cmp = av === null ? 1 : bv === null ? -1 : av < bv ? -1 : 1;
        return desc ? -cmp : cmp;
      }
      return 0;
    });
  }

  function served(part: InvenTreePart): Record<string, unknown> {
    const out: Record<string, unknown> = { ...part };
    for (const c of faults.corrupt) if (c.pk === part.pk) out[c.field] = c.value;
    return out;
  }

  function listParts(url: URL, host: string): Reply {
    const q = url.searchParams;
    const active = q.get('active');
    if (active !== null && !(active in BOOLEAN_VALUES)) return { status: 400, json: { active: ['Enter a valid boolean.'] } };
    // The filtered, ordered list is cached per filter and ordering (large catalogs page through it many times).
    const cacheKey = `${active === null ? '' : BOOLEAN_VALUES[active]}|${q.get('ordering') ?? ''}`;
    let rows = ordered.get(cacheKey);
    if (!rows) {
      rows = [...parts.values()];
      if (active !== null) rows = rows.filter((p) => p.active === BOOLEAN_VALUES[active]);
      rows = orderParts(rows, q.get('ordering') ?? undefined);
      ordered.set(cacheKey, rows);
    }

    let limit: number | null = null;
    try { limit = positiveInt(q.get('limit') ?? '', true); } catch { limit = null; }
    if (limit === null) return { status: 200, text: serialize(rows.map(served)) };
    let offset = 0;
    try { offset = positiveInt(q.get('offset') ?? '', false); } catch { offset = 0; }
    const count = rows.length;
    const page = count === 0 || offset > count ? [] : rows.slice(offset, offset + limit);
    const self = new URL(`http://${host}${url.pathname}${url.search}`);
    const link = (set: Record<string, string | null>): string => {
      const params = new Map<string, string>([...self.searchParams.entries()]);
      for (const [k, v] of Object.entries(set)) if (v === null) params.delete(k); else params.set(k, v);
      const query = [...params.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      return `${self.origin}${self.pathname}${query ? `?${query}` : ''}`;
    };
    const next = offset + limit >= count ? null : link({ limit: String(limit), offset: String(offset + limit) });
    const previous = offset <= 0 ? null : offset - limit <= 0 ? link({ limit: String(limit), offset: null }) : link({ limit: String(limit), offset: String(offset - limit) });
    return { status: 200, text: serialize({ count, next, previous, results: page.map(served) }) };
  }

  function dispatch(req: http.IncomingMessage, url: URL): Reply {
    if (faults.status503 && faults.status503.count > 0) {
      faults.status503.count--;
      const headers: Record<string, string> = {};
      if (faults.status503.retryAfter !== undefined) headers['Retry-After'] = String(faults.status503.retryAfter);
      return { status: 503, headers, html: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
    }
    if (url.pathname === '/api/part') {
      return { status: 301, headers: { Location: `/api/part/${url.search}` }, html: '' };
    }
    if (url.pathname !== '/api/part/') return { status: 404, json: { detail: 'Endpoint not found', url: url.pathname } };
    const denied = authenticate(req.headers.authorization);
    if (denied) return denied;
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, json: { detail: `Method "${req.method}" not allowed.` } };
    listCount++;
    options.onListRequest?.(listCount);
    const offset = url.searchParams.get('offset') ?? '0';
    if (faults.failOffset && String(faults.failOffset.offset) === offset) {
      return { status: faults.failOffset.status, html: '<h1>Server Error (500)</h1>' };
    }
    return listParts(url, req.headers.host ?? '127.0.0.1');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const entry: InvenTreeRequestLogEntry = {
      method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, status: 0,
    };
    requests.push(entry);
    req.resume();
    const answer = () => {
      if (res.destroyed) return;
      if (faults.dropConnections > 0) {
        faults.dropConnections--;
        req.socket.destroy();
        return;
      }
      let reply: Reply;
      try {
        reply = dispatch(req, url);
      } catch (err) {
        reply = { status: 500, html: `<h1>Server Error (500)</h1><!-- ${(err as Error).message} -->` };
      }
      entry.status = reply.status;
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      res.statusCode = reply.status;
      if (reply.html !== undefined) {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(reply.html);
      } else {
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Allow', 'GET, POST, HEAD, OPTIONS');
        res.end(reply.text ?? JSON.stringify(reply.json));
      }
    };
    if (faults.latencyMs > 0) setTimeout(answer, faults.latencyMs); else answer();
  });
  const url = await listenLoopback(server);

  return {
    url,
    faults,
    requests,
    listRequests: () => requests.filter((r) => r.path === '/api/part/').length,
    seed: (more) => { for (const p of more) parts.set(p.pk, p); ordered.clear(); },
    resetFaults: () => { Object.assign(faults, noFaults()); },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
