/**
 * Plumbing shared by the store fakes (shift4shop, magento2, bigcommerce): a 127.0.0.1 server on
 * a free port, a request log, and the fault switches every contract needs (429, 503, dropped
 * connections, latency). What a platform answers — its routes, auth, limits, error bodies and
 * its own 429 headers — stays in that platform's fake.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** URL path, e.g. `/rest/V1/products`. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
  /** Set when a body was sent that is not JSON. */
  bodyError?: string;
  /** The body as sent (form posts, uploads). */
  rawBody?: string;
}

export interface FakeReply {
  status: number;
  json?: unknown;
  /** A non-JSON body (HTML error pages, as proxies send them). */
  text?: string;
  /** Raw bytes (compressed documents). */
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** Query parameters (last duplicate wins). */
  query: Record<string, string>;
  /** Response status; 0 while pending or when the connection was dropped. */
  status: number;
  write: boolean;
  /** Items in a write request's body (as the platform counts them). */
  items?: number;
  /** Arrival time (ms since epoch). */
  at: number;
}

/** Live switches: change them between requests. Counts go down as faults are served. */
export interface CommonFaults {
  /** Delay before every response. */
  latencyMs: number;
  /** The next N requests get the platform's 429 reply. */
  status429: number;
  /** The next N requests get 503 (an HTML page, as a proxy in front of the API sends it). */
  status503: number;
  /** The next N requests have their socket destroyed without a response. */
  dropConnections: number;
}

export function noCommonFaults(): CommonFaults {
  return { latencyMs: 0, status429: 0, status503: 0, dropConnections: 0 };
}

export interface FakeServerOptions {
  handle(req: FakeRequest): FakeReply | Promise<FakeReply>;
  /** The platform's own throttling reply (status 429 with its headers and body). */
  tooManyRequests(req: FakeRequest): FakeReply;
  isWrite(req: FakeRequest): boolean;
  /** Items a write carries, for the log. */
  countItems?(req: FakeRequest): number | undefined;
  /** Headers the platform adds to every reply (e.g. rate-limit counters); called once per answered request. */
  decorate?(req: FakeRequest, reply: FakeReply): void;
  /** The live fault switches (the platform's fake may extend them); default: all off. */
  faults?: CommonFaults;
}

export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: LoggedRequest[];
  readonly faults: CommonFaults;
  writeRequests(): number;
  close(): Promise<void>;
}

const UNAVAILABLE_HTML = '<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>';

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const requests: LoggedRequest[] = [];
  const faults: CommonFaults = options.faults ?? noCommonFaults();
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const request: FakeRequest = { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: url.searchParams, headers: req.headers, body: undefined, rawBody: raw };
    if (raw.length > 0) {
      try { request.body = JSON.parse(raw); } catch (err) { request.bodyError = (err as Error).message; }
    }
    const write = options.isWrite(request);
    const entry: LoggedRequest = {
      method: request.method, path: request.path, query: Object.fromEntries(url.searchParams), status: 0, write, at: Date.now(),
      ...(write ? { items: options.countItems?.(request) } : {}),
    };
    requests.push(entry);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (res.destroyed || res.writableEnded) return;
    if (faults.dropConnections > 0) {
      faults.dropConnections--;
      req.socket.destroy();
      return;
    }
    let reply: FakeReply;
    if (faults.status429 > 0) {
      faults.status429--;
      reply = options.tooManyRequests(request);
    } else if (faults.status503 > 0) {
      faults.status503--;
      reply = { status: 503, text: UNAVAILABLE_HTML, contentType: 'text/html' };
    } else {
      try {
        reply = await options.handle(request);
      } catch (err) {
        reply = { status: 500, text: `fake crashed: ${(err as Error).stack}`, contentType: 'text/plain' };
      }
    }
    options.decorate?.(request, reply);
    entry.status = reply.status;
    send(res, reply);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, text: String(err), contentType: 'text/plain' });
    });
  });
  const url = await listenLoopback(server);

  return {
    url,
    requests,
    faults,
    writeRequests: () => requests.filter((r) => r.write).length,
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
  });
}

function send(res: http.ServerResponse, reply: FakeReply): void {
  if (res.destroyed || res.writableEnded) return;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  res.statusCode = reply.status;
  if (reply.body !== undefined) {
    res.setHeader('Content-Type', reply.contentType ?? 'application/octet-stream');
    res.end(reply.body);
    return;
  }
  if (reply.text !== undefined) {
    res.setHeader('Content-Type', reply.contentType ?? 'text/plain; charset=utf-8');
    res.end(reply.text);
    return;
  }
  if (reply.json === undefined) { res.end(); return; }
  res.setHeader('Content-Type', reply.contentType ?? 'application/json; charset=utf-8');
  res.end(JSON.stringify(reply.json));
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One raw request to a fake (global fetch), bypassing any adapter: for fidelity tests. */
export async function rawRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  const request: RequestInit = { method: init.method ?? 'GET', headers };
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    request.body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const res = await fetch(url, request);
  const text = await res.text();
  let body: unknown = text;
  try { body = text === '' ? null : JSON.parse(text); } catch { /* keep the text */ }
  return { status: res.status, headers: res.headers, body };
}

/** Listen on 127.0.0.1 (a free port unless given) and return the server's base URL. */
export async function listenLoopback(server: http.Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The contract suite's hooks for a fake built on this plumbing: seeding from a catalog builder,
 * stock look-ups, counters and the common fault switches. Only bad credentials stay per store.
 */
export function contractHooks<P>(
  fake: {
    seed(products: P[]): unknown;
    stockBySku(): Map<string, number | null>;
    writeRequests(): number;
    requests: unknown[];
    faults: { status429: number; status503: number; rejectSkus: string[] };
  },
  catalog: (count: number) => { products: P[]; skus: string[] },
) {
  return {
    async seed(count: number) {
      const { products, skus } = catalog(count);
      fake.seed(products);
      return skus;
    },
    async stockOf(sku: string) { return fake.stockBySku().get(sku); },
    writeRequests: () => fake.writeRequests(),
    requests: () => fake.requests.length,
    inject429: (n: number) => { fake.faults.status429 = n; },
    inject503: (n: number) => { fake.faults.status503 = n; },
    rejectSkus: (skus: string[]) => { fake.faults.rejectSkus = skus; },
  };
}
