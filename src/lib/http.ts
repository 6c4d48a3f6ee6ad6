import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { got, type Method, type OptionsOfTextResponseBody, RequestError } from 'got';
import pLimit from 'p-limit';
import type { ZodType } from 'zod';
import { HttpError } from '../domain/errors.js';
import { logger } from './log.js';
import { createRateLimiter, realClock, type RateLimitSpec } from './rate-limit.js';
import { redact, safeUrl } from './redact.js';
import { DEFAULT_BACKOFF, isRetryableNetworkCode, isRetryableStatus, parseRetryAfter, retryDelay, type BackoffOptions } from './retry.js';

/**
 * The one HTTP client factory: every adapter request goes through it, so rate limit,
 * concurrency, retries (honouring Retry-After), timeouts, auth signing and redaction are
 * implemented once. Adapters describe requests; they never retry by themselves.
 */
export interface HttpClientOptions {
  /** Name used in logs and messages ("store", "source feed"). */
  name: string;
  baseUrl?: string;
  rateLimit?: RateLimitSpec;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures (default 5). */
  retries?: number;
  backoff?: Partial<BackoffOptions>;
  headers?: Record<string, string>;
  /**
   * Adds authentication to a request just before each attempt (signatures must be fresh).
   * NOTE: it runs inside this client's concurrency slot: a `sign` that sends requests (a login)
   * must use another client, or it deadlocks at concurrency 1.
   */
  sign?: (request: SignableRequest) => void | Promise<void>;
  /** TLS verification stays on unless explicitly disabled. */
  insecureTls?: boolean;
  /**
   * How long a throttled or failing server asks us to wait, for APIs that say it in their own
   * header (BigCommerce's X-Rate-Limit-Time-Reset-Ms). Default: the standard Retry-After.
   */
  retryAfter?: (headers: Record<string, string | string[] | undefined>, status: number) => number | undefined;
}

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

export interface HttpRequest {
  method?: Method;
  /** Absolute URL, or a path joined to `baseUrl`. */
  url: string;
  searchParams?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A raw request body (e.g. text/plain); give a content-type header with it. */
  body?: string;
  headers?: Record<string, string>;
  /** Statuses that are returned to the caller instead of thrown (e.g. 404 as "absent"). */
  allowStatuses?: number[];
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  url: string;
}

export interface HttpClient {
  /** Send a request and parse a JSON body, validated by `schema` when given. Throws HttpError. */
  json<T = unknown>(request: HttpRequest, schema?: ZodType<T>): Promise<HttpResponse<T>>;
  /** Send a request and return the body as text, unparsed (webhooks answer "ok", not JSON). Throws HttpError. */
  text(request: HttpRequest): Promise<HttpResponse<string>>;
  /** Open a response body as a stream (retries apply until the response starts). */
  stream(request: HttpRequest): Promise<Readable>;
  /** Requests sent so far (attempts, including retries). */
  readonly requestCount: number;
}

const keepAliveHttp = new http.Agent({ keepAlive: true, maxSockets: 16 });
const keepAliveHttps = new https.Agent({ keepAlive: true, maxSockets: 16 });

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const log = logger('http').child({ client: options.name });
  if (options.insecureTls) log.warn(`${options.name}: TLS certificate verification is OFF (insecureTls: true): use this only for a self-signed staging server`);
  const limiter = createRateLimiter(options.rateLimit);
  const limit = pLimit(options.concurrency ?? 4);
  const retries = options.retries ?? 5;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...envBackoff(), ...options.backoff };
  const timeoutMs = options.timeoutMs ?? 30_000;
  let requestCount = 0;

  function resolveUrl(request: HttpRequest): URL {
    const url = options.baseUrl && !/^https?:\/\//i.test(request.url)
      ? new URL(joinPath(options.baseUrl, request.url))
      : new URL(request.url);
    for (const [k, v] of Object.entries(request.searchParams ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url;
  }

  async function prepare(request: HttpRequest): Promise<{ url: URL; gotOptions: OptionsOfTextResponseBody }> {
    const url = resolveUrl(request);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...request.headers };
    const method = request.method ?? 'GET';
    if (options.sign) await options.sign({ method, url, headers });
    const gotOptions: OptionsOfTextResponseBody = {
      method,
      headers,
      throwHttpErrors: false,
      retry: { limit: 0 },
      // NOTE: a redirect (typically http → https) would invalidate signatures; name it instead of following it.
      followRedirect: false,
      timeout: { request: timeoutMs },
      agent: { http: keepAliveHttp, https: keepAliveHttps },
      https: { rejectUnauthorized: !options.insecureTls },
      responseType: 'text',
      signal: request.signal,
    };
    if (request.json !== undefined) gotOptions.json = request.json;
    else if (request.body !== undefined) gotOptions.body = request.body;
    return { url, gotOptions };
  }

  /** Run `attempt` with rate limit, concurrency and retries. `attempt` throws HttpError. */
  async function withRetries<T>(request: HttpRequest, attempt: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await limit(async () => {
          await limiter.acquire(request.signal);
          requestCount++;
          return attempt();
        });
      } catch (err) {
        if (!(err instanceof HttpError) || !err.retryable || n >= retries || request.signal?.aborted) throw err;
        const wait = retryDelay(n + 1, err.details.retryAfterMs, backoff);
        // info, not warn: a retry that succeeds must not turn into a cron mail; giving up is logged as an error.
        log.info({ status: err.details.status, attempt: n + 1, waitMs: wait }, `retrying: ${err.message}`);
        await realClock.sleep(wait, request.signal);
      }
    }
  }

  /** One attempt: send, and throw HttpError for a network failure or a status the caller did not allow. */
  async function attempt(request: HttpRequest) {
    const { url, gotOptions } = await prepare(request);
    const where = `${gotOptions.method} ${safeUrl(url)}`;
    let res;
    try {
      res = await got(url, gotOptions);
    } catch (err) {
      throw networkError(err, where, url);
    }
    const headers = res.headers as Record<string, string | string[] | undefined>;
    const allowed = request.allowStatuses?.includes(res.statusCode) ?? false;
    if ((res.statusCode < 200 || res.statusCode >= 300) && !allowed) throw statusError(res.statusCode, res.body, headers, where, url, options.retryAfter);
    return { res, url, where, headers, allowed };
  }

  async function json<T>(request: HttpRequest, schema?: ZodType<T>): Promise<HttpResponse<T>> {
    return withRetries(request, async () => {
      const { res, url, where, headers, allowed } = await attempt(request);
      const status = res.statusCode;
      let body: unknown;
      try {
        body = res.body === '' ? null : JSON.parse(res.body);
      } catch {
        // A 200 with an HTML maintenance page is a failure, not an empty success.
        throw new HttpError(`${where}: expected JSON, got ${describeBody(res.body, headers)}`, {
          status, url: safeUrl(url), retryable: true,
        });
      }
      if (schema && !allowed) {
        const parsed = schema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const at = issue?.path.length ? issue.path.join('.') : '(body)';
          throw new HttpError(`${where}: unexpected response at ${at}: ${issue?.message}`, { status, url: safeUrl(url), retryable: false });
        }
        body = parsed.data;
      }
      return { status, headers, body: body as T, url: url.toString() };
    });
  }

  async function text(request: HttpRequest): Promise<HttpResponse<string>> {
    return withRetries(request, async () => {
      const { res, url, headers } = await attempt(request);
      return { status: res.statusCode, headers, body: res.body, url: url.toString() };
    });
  }


  async function stream(request: HttpRequest): Promise<Readable> {
    return withRetries(request, async () => {
      const { url, gotOptions } = await prepare(request);
      const where = `${gotOptions.method} ${safeUrl(url)}`;
      return new Promise<Readable>((resolve, reject) => {
        const { responseType: _ignored, ...streamOptions } = gotOptions;
        // A download may take longer than one request timeout: bound each phase and idle time instead.
        const phases = { lookup: timeoutMs, connect: timeoutMs, secureConnect: timeoutMs, response: timeoutMs, socket: timeoutMs };
        const s = got.stream(url, { ...streamOptions, timeout: phases, isStream: true } as never) as unknown as Readable & {
          on(event: 'response', cb: (res: http.IncomingMessage) => void): void;
        };
        let settled = false;
        s.on('response', (res: http.IncomingMessage) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) { settled = true; resolve(s); return; }
          settled = true;
          s.destroy();
          reject(statusError(status, '', res.headers as Record<string, string>, where, url, options.retryAfter));
        });
        s.on('error', (err: unknown) => { if (!settled) { settled = true; reject(networkError(err, where, url)); } });
      });
    });
  }

  return {
    json,
    text,
    stream,
    get requestCount() { return requestCount; },
  };
}

function joinPath(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function envBackoff(): Partial<BackoffOptions> {
  // NOTE: a test hook, not a setting: lets tests (in process, and e2e through the built CLI) shorten retry
  // waits without a config option users could misuse. Unset, empty or not a positive number: no effect.
  const base = Number(process.env.INVSYNC_RETRY_BASE_MS);
  return Number.isFinite(base) && base > 0 ? { baseMs: base, maxMs: base * 8 } : {};
}

/**
 * What a body that is not JSON was, for an error message: its content type and size, and for
 * an HTML page its <title> (a maintenance, login or WAF page names itself there).
 * NOTE: never the raw body: an error page may echo the request, Authorization header included,
 * and a credential derived from the configured ones is not always registered for redaction.
 */
export function describeBody(body: string, headers: Record<string, string | string[] | undefined>): string {
  const type = String(headers['content-type'] ?? 'no content type').split(';')[0];
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body.slice(0, 64 * 1024))?.[1]?.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `${type} (${body.length} bytes${title ? `, titled "${redact(maskTokens(title))}"` : ''})`;
}

/** Long runs of token alphabet (base64, hex, JWT) are credentials more often than words. */
function maskTokens(text: string): string {
  return text.replace(/[A-Za-z0-9+/_=.-]{24,}/g, '***');
}

function statusError(
  status: number,
  body: string,
  headers: Record<string, string | string[] | undefined>,
  where: string,
  url: URL,
  retryAfter?: HttpClientOptions['retryAfter'],
): HttpError {
  let parsed: unknown = undefined;
  try { parsed = body ? JSON.parse(body) : undefined; } catch { /* not JSON */ }
  const apiMessage = extractMessage(parsed);
  if (status >= 300 && status < 400) {
    const location = headers.location;
    return new HttpError(`${where}: HTTP ${status} redirect${location ? ` to ${safeUrl(String(location))}` : ''}: point the configured url at the final address`, {
      status, url: safeUrl(url), retryable: false,
    });
  }
  const auth = status === 401 || status === 403;
  const err = new HttpError(
    `${where}: HTTP ${status}${apiMessage ? ` ${redact(apiMessage)}` : ''}${auth ? ' (authentication or permission refused; check the credentials)' : ''}`,
    { status, url: safeUrl(url), auth, body: parsed, retryable: !auth && isRetryableStatus(status) },
  );
  err.details.retryAfterMs = retryAfter?.(headers, status) ?? parseRetryAfter(headers['retry-after']);
  return err;
}

function extractMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  // NetSuite (RFC 7807 style): {"title": …, "o:errorDetails": [{"detail": …, "o:errorCode": …}]}
  const details = b['o:errorDetails'];
  if (Array.isArray(details) && details[0] && typeof (details[0] as Record<string, unknown>).detail === 'string') {
    return String((details[0] as Record<string, unknown>).detail).slice(0, 200);
  }
  for (const key of ['message', 'error', 'detail', 'title']) {
    const v = b[key];
    if (typeof v === 'string') return v.slice(0, 200);
    if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).message === 'string') return String((v as Record<string, unknown>).message).slice(0, 200);
  }
  if (Array.isArray(b.errors) && b.errors[0] && typeof b.errors[0] === 'object') {
    const m = (b.errors[0] as Record<string, unknown>).message;
    if (typeof m === 'string') return m.slice(0, 200);
  }
  return undefined;
}

function networkError(err: unknown, where: string, url: URL): HttpError {
  const code = err instanceof RequestError ? err.code : (err as { code?: string })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { name?: string })?.name === 'AbortError') {
    return new HttpError(`${where}: aborted`, { url: safeUrl(url), retryable: false }, { cause: err });
  }
  return new HttpError(`${where}: ${code ?? 'network error'} (${redact(message)})`, {
    url: safeUrl(url), retryable: isRetryableNetworkCode(code) || code === undefined,
  }, { cause: err });
}

/** The connection settings every source and store config accepts (SPEC §3). */
export interface ConnectionTuning {
  rateLimit?: RateLimitSpec;
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  insecureTls?: boolean;
}

/**
 * The client options a config's connection settings stand for, with an adapter's own defaults
 * for what the user left out (e.g. a store's documented rate limit, a slow API's timeout).
 */
export function connectionOptions(config: ConnectionTuning, defaults: ConnectionTuning = {}): ConnectionTuning {
  return {
    rateLimit: config.rateLimit ?? defaults.rateLimit,
    concurrency: config.concurrency ?? defaults.concurrency,
    timeoutMs: config.timeoutMs ?? defaults.timeoutMs,
    retries: config.retries ?? defaults.retries,
    insecureTls: config.insecureTls ?? defaults.insecureTls,
  };
}
