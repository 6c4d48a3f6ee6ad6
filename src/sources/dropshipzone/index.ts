import path from 'node:path';
import type { DropshipzoneSourceConfig } from '../../config/schema.js';
import { HttpError } from '../../domain/errors.js';
import { toQtyMap } from '../../domain/quantity.js';
import type { SourceRecord } from '../../domain/types.js';
import { createHttpClient, type HttpResponse } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { realClock } from '../../lib/rate-limit.js';
import type { SourceAdapter, SourceContext } from '../types.js';
import { dropshipzoneLimits } from './budget.js';
import { createPersistedBudget, type Clock } from './budget-file.js';
import { MAX_LIMIT, MIN_LIMIT, pageLimit, ProductsPage, productRecord } from './products.js';
import { fileSafe } from '../../lib/state-file.js';
import { createTokenManager } from './token.js';

export { dropshipzoneLimits } from './budget.js';

/** Test seams: time (the budget's waits and the token's expiry). */
export interface DropshipzoneDeps {
  clock?: Clock;
}

/** State files of one Dropshipzone source (both mode 0600). */
export function dropshipzoneStateFiles(stateDir: string, sourceName: string): { token: string; budget: string } {
  const base = path.join(stateDir, `dropshipzone-${fileSafe(sourceName)}`);
  return { token: `${base}.token.json`, budget: `${base}.budget.json` };
}

/**
 * Dropshipzone supplier catalog (API_FACTS §8): `GET /v2/products`, page by page
 * (`page_no` from 1 until `page_no >= total_pages`, `limit` = pageSize clamped to 40–200,
 * default 200). Memory holds one page.
 *
 * Auth: `POST /auth` with email/password → a JWT sent as `Authorization: jwt <token>`, cached in
 * `<stateDir>/dropshipzone-<name>.token.json` (mode 0600) and reused, across runs too, until
 * ~2 minutes before it expires. A 401 on a page re-authenticates once and retries that page.
 *
 * Rate limits: every request (auth included, retries included) first takes a slot from a budget
 * persisted in `<stateDir>/dropshipzone-<name>.budget.json`: evenly paced at `rateLimit`
 * (default 60/minute), at most that many per rolling minute and `maxPerHour` (default 600) per
 * rolling hour, counting the requests of earlier runs. When a budget is used up the source sleeps
 * (and logs how long) instead of letting the gateway answer 429. 429/5xx/dropped connections are
 * retried by the HTTP client, honouring Retry-After.
 *
 * Records: SKU trimmed; qty = `stock_qty`, 0 when `in_stock` is "0"; a product with no SKU or a
 * non-numeric `stock_qty` is rejected at row (page − 1) × limit + index + 1.
 *
 * Throws (rejects the iteration) SourceError when the credentials are refused (401 on /auth);
 * HttpError when a request fails after retries, a page is refused with 401 again right after a
 * new auth, or a response does not have the documented shape; the signal's reason on abort.
 */
export function createDropshipzoneSource(config: DropshipzoneSourceConfig, ctx: SourceContext, deps: DropshipzoneDeps = {}): SourceAdapter {
  const clock = deps.clock ?? realClock;
  const log = logger('dropshipzone').child({ source: config.name });
  const qtyMap = toQtyMap(config.qtyMap);
  const files = dropshipzoneStateFiles(ctx.stateDir, config.name);
  const budget = createPersistedBudget({
    file: files.budget,
    limits: dropshipzoneLimits(config.rateLimit, config.maxPerHour),
    clock,
    log,
  });
  const limit = pageLimit(config.pageSize);
  if (config.pageSize !== undefined && config.pageSize !== limit) {
    log.warn(`pageSize ${config.pageSize} is outside the API's ${MIN_LIMIT}–${MAX_LIMIT}: using ${limit}`);
  }
  // The signal of the operation in progress, for budget waits (the sign hook has no signal of its own).
  let activeSignal: AbortSignal | undefined;
  const clientOptions = {
    name: `source ${config.name}`,
    baseUrl: config.url,
    // NOTE: no client rateLimit: the persisted budget paces every attempt (retries too) in `sign`.
    concurrency: 1,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    insecureTls: config.insecureTls,
    headers: { 'content-type': 'application/json' },
  };
  // NOTE: two clients: an API call's `sign` may need an auth first, and a client with concurrency 1
  // cannot send one request while another waits in its `sign`.
  const authHttp = createHttpClient({ ...clientOptions, sign: () => budget.acquire(activeSignal) });
  const http = createHttpClient({ ...clientOptions, sign: (request) => authorize(request.headers) });
  const tokens = createTokenManager({
    source: config.name,
    http: authHttp, file: files.token, url: config.url, email: config.email, password: config.password, clock, log,
  });

  /**
   * Just before each attempt of an API call: wait for the budget, THEN pick the token, so a long
   * budget wait never sends a token that expired meanwhile. An auth this needs takes its own slot,
   * after which the loop waits for the next one.
   */
  async function authorize(headers: Record<string, string>): Promise<void> {
    for (;;) {
      await budget.waitForSlot(activeSignal);
      const token = await tokens.get(activeSignal);
      if (await budget.tryAcquire()) {
        headers.authorization = `jwt ${token}`;
        return;
      }
    }
  }

  /** The `authorization` header is added by `authorize` (through `sign`). */
  function getPage(page: number, size: number, signal?: AbortSignal): Promise<HttpResponse<ProductsPage>> {
    return http.json({ url: '/v2/products', searchParams: { page_no: page, limit: size }, signal }, ProductsPage);
  }

  /** One page; a 401 (token expired or revoked server-side) re-authenticates once and retries it. */
  async function fetchPage(page: number, size: number, signal?: AbortSignal): Promise<ProductsPage> {
    try {
      return (await getPage(page, size, signal)).body;
    } catch (err) {
      if (!(err instanceof HttpError) || err.details.status !== 401) throw err;
      log.info(`page ${page}: token refused (401): authenticating again`);
      await tokens.refresh(signal);
      return (await getPage(page, size, signal)).body;
    }
  }

  return {
    name: config.name,
    type: 'dropshipzone',

    async *stream(signal?: AbortSignal): AsyncIterable<SourceRecord> {
      activeSignal = signal;
      try {
        for (let page = 1; ; page++) {
          const body = await fetchPage(page, limit, signal);
          const base = (page - 1) * limit;
          const { result } = body;
          for (let i = 0; i < result.length; i++) yield productRecord(result[i], base + i + 1, qtyMap, ctx.prices === true);
          log.debug({ page, totalPages: body.total_pages, items: result.length }, `page ${page}/${body.total_pages}`);
          if (page >= body.total_pages) break;
        }
      } finally {
        activeSignal = undefined;
      }
    },

    async check(): Promise<string> {
      // A fresh auth, not the cached token: check is where users test their credentials.
      await tokens.refresh();
      const body = await fetchPage(1, MIN_LIMIT);
      const pages = Math.ceil(body.total / limit);
      return `authenticated as ${config.email}; ${body.total} product(s), ${pages} page(s) of ${limit}`;
    },
  } satisfies SourceAdapter;
}
