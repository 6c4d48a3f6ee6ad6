/**
 * The SP-API client: one HTTP client per operation, each behind that operation's usage plan
 * (rates.ts), every attempt carrying a fresh `x-amz-access-token` (no SigV4: API_FACTS §11.1).
 * Documents (report downloads, feed uploads) go to presigned URLs without SP-API headers.
 */
import type { Readable } from 'node:stream';
import type { ZodType } from 'zod';
import { HttpError } from '../../domain/errors.js';
import { createHttpClient, type HttpClient, type HttpRequest, type HttpResponse } from '../../lib/http.js';
import type { Logger } from '../../lib/log.js';
import { redact } from '../../lib/redact.js';
import { createUsagePlans, type Clock, type Operation } from './rates.js';
import { SpErrorList } from './schema.js';
import { createLwaTokens, type LwaTokens } from './token.js';

export interface SpApiOptions {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  stateDir: string | undefined;
  timeoutMs?: number;
  retries?: number;
  insecureTls?: boolean;
  clock: Clock;
  /** Usage-plan rates are multiplied by this (tests); 1 in production. */
  rateSpeed: number;
  log: Logger;
}

/** Requests sent, by kind, for logs and measurements. */
export type RequestCounts = Record<Operation | 'token' | 'upload' | 'download', number>;

export interface SpApi {
  readonly tokens: LwaTokens;
  readonly counts: RequestCounts;
  /** One SP-API operation. Throws HttpError (auth: 401/403 and LWA refusals) after the client's retries. */
  call<T>(op: Operation, request: HttpRequest, schema: ZodType<T>): Promise<HttpResponse<T>>;
  /** GET a presigned document URL as a stream, with its Content-Type. */
  download(url: string, signal?: AbortSignal): Promise<{ body: Readable; contentType: string | undefined }>;
  /** GET a presigned document URL as text. */
  downloadText(url: string, signal?: AbortSignal): Promise<{ body: string; contentType: string | undefined }>;
  /** PUT bytes to a presigned upload URL with exactly the content type the document was created with. */
  upload(url: string, contentType: string, body: string): Promise<void>;
}

export function createSpApi(options: SpApiOptions): SpApi {
  const { clock, log } = options;
  const plans = createUsagePlans(clock, options.rateSpeed);
  const counts = Object.fromEntries(['token', 'upload', 'download', 'createReport', 'getReport', 'getReportDocument', 'createFeedDocument',
    'createFeed', 'getFeed', 'getFeedDocument', 'patchListingsItem', 'getListingsItem', 'searchListingsItems', 'getOrders', 'getOrderItems'].map((k) => [k, 0])) as RequestCounts;
  const tuning = { timeoutMs: options.timeoutMs, retries: options.retries, insecureTls: options.insecureTls };
  const authHttp = createHttpClient({ name: 'store amazon (Login with Amazon)', ...tuning, concurrency: 1, sign: () => { counts.token++; } });
  const tokens = createLwaTokens({
    http: authHttp, stateDir: options.stateDir, tokenUrl: options.tokenUrl, clientId: options.clientId,
    clientSecret: options.clientSecret, refreshToken: options.refreshToken, clock, log,
  });
  const documents = createHttpClient({ name: 'store amazon (documents)', ...tuning, concurrency: 2 });
  const clients = new Map<Operation, HttpClient>();

  function clientFor(op: Operation): HttpClient {
    let client = clients.get(op);
    if (client) return client;
    const buckets = op === 'createFeed' ? [plans.createFeed, plans.jsonFeed] : [plans[op]];
    client = createHttpClient({
      name: `store amazon ${op}`,
      baseUrl: options.baseUrl,
      ...tuning,
      concurrency: 4,
      headers: { 'user-agent': 'invsync (Language=JavaScript; Platform=Node.js)' },
      // Before every attempt, retries included: wait for the usage plan, THEN take the token, so a
      // long wait never sends a token that expired meanwhile.
      sign: async (request) => {
        for (const bucket of buckets) await bucket.take();
        request.headers['x-amz-access-token'] = await tokens.get();
        counts[op]++;
      },
      // Amazon sends no Retry-After: a 429 means the plan is spent, so the bucket waits for a refill.
      retryAfter: (_headers, status) => {
        if (status !== 429) return undefined;
        for (const bucket of buckets) bucket.drain();
        log.info(`${op}: QuotaExceeded (429): waiting for the usage plan to refill`);
        return 0;
      },
    });
    clients.set(op, client);
    return client;
  }

  async function call<T>(op: Operation, request: HttpRequest, schema: ZodType<T>): Promise<HttpResponse<T>> {
    const send = () => clientFor(op).json(request, schema).catch((err: unknown) => { throw describe(err, op); });
    try {
      return await send();
    } catch (err) {
      // A cached access token Amazon no longer accepts (the seller re-authorized): one fresh exchange, one retry.
      if (!(err instanceof HttpError) || !err.details.auth || tokens.exchanges > 0 || !isTokenRefusal(err)) throw err;
      log.info(`${op}: the cached access token was refused: exchanging the refresh token again`);
      await tokens.refresh(request.signal);
      return send();
    }
  }

  async function download(url: string, signal?: AbortSignal) {
    counts.download++;
    const body = await documents.stream({ url, signal, headers: { accept: '*/*' } });
    const headers = (body as Readable & { response?: { headers?: Record<string, string | string[] | undefined> } }).response?.headers;
    const type = headers?.['content-type'];
    return { body, contentType: Array.isArray(type) ? type[0] : type };
  }

  async function downloadText(url: string, signal?: AbortSignal) {
    counts.download++;
    const res = await documents.text({ url, signal, headers: { accept: '*/*' } });
    const type = res.headers['content-type'];
    return { body: res.body, contentType: Array.isArray(type) ? type[0] : type };
  }

  async function upload(url: string, contentType: string, body: string): Promise<void> {
    counts.upload++;
    await documents.text({ method: 'PUT', url, body, headers: { 'content-type': contentType } });
  }

  return { tokens, counts, call, download, downloadText, upload };
}

/** A 403 that says the token (not the role) is the problem. */
function isTokenRefusal(err: HttpError): boolean {
  const parsed = SpErrorList.safeParse(err.details.body);
  return parsed.success && parsed.data.errors.some((e) => /access token/i.test(`${e.message} ${e.details ?? ''}`));
}

/** Amazon's `{"errors":[{code, message, details}]}` in the message: code and details say more than the status. */
function describe(err: unknown, op: Operation): unknown {
  if (!(err instanceof HttpError)) return err;
  const parsed = SpErrorList.safeParse(err.details.body);
  if (!parsed.success) return err;
  const first = parsed.data.errors[0]!;
  const text = redact(`${first.code}${first.details ? ` (${first.details})` : ''}`.slice(0, 300));
  // The Orders API is behind its own role (open orders for rules.openOrders "subtract").
  const needed = op === 'getOrders' || op === 'getOrderItems' ? 'Inventory and Order Tracking' : 'Product Listing';
  const role = err.details.auth && !isTokenRefusal(err)
    ? `; if the credentials are right, the app lacks the ${needed} role (add it in the app's registration, then re-authorize for a new refreshToken)`
    : '';
  return new HttpError(`${err.message.replace(/ \(authentication or permission refused; check the credentials\)$/, '')} [${text}]${role}`, err.details, { cause: err });
}
