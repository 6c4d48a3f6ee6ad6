import type { ZodType } from 'zod';
import { HttpError, StoreError } from '../../domain/errors.js';
import type { HttpClient } from '../../lib/http.js';
import type { Logger } from '../../lib/log.js';
import { realClock } from '../../lib/rate-limit.js';
import { safeUrl } from '../../lib/redact.js';
import { GraphQLEnvelope, type GraphQLError } from './schemas.js';
import { reserve, throttledWaitMs, waitForCost, type BucketState } from './throttle.js';

/**
 * Admin GraphQL over the shared HTTP client, with Shopify's cost-based throttling.
 *
 * The client (src/lib/http.ts) already retries HTTP-level failures (429 with Retry-After, 5xx,
 * timeouts, resets) and stops at once on 401/403. Two GraphQL answers come back as HTTP 200 and
 * so never reach its retry logic: THROTTLED (the cost bucket is empty) and, for an idempotent
 * mutation, "an identical request is still being processed". Both mean "the same request will
 * succeed later", so this module waits the time the server's numbers call for and re-sends
 * the identical request, a bounded number of times. That is the one retry loop in the adapter.
 */

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface GraphQLCall<T> {
  /** Operation name, for logs and messages. */
  operation: string;
  query: string;
  variables: Record<string, unknown>;
  /** Estimated requested cost: decides the wait before sending. */
  cost: number;
  /** Validates `data` once the response carries no top-level errors. */
  schema: ZodType<T>;
  /** True when `data` says an identical idempotent request is still in flight: wait and re-send it. */
  busy?: (data: T) => boolean;
  signal?: AbortSignal;
}

export interface GraphQLAnswer<T> {
  data: T;
  /** `extensions.cost.requestedQueryCost` as the server computed it. */
  requestedQueryCost: number | null;
}

/** The query's requested cost exceeds the single-query limit (MAX_COST_EXCEEDED): send a smaller one. */
export class QueryCostError extends StoreError {
  constructor(message: string, readonly cost: number | undefined, readonly maxCost: number | undefined) {
    super(message);
  }
}

export interface ShopifyGraphQL {
  /**
   * Send one operation; returns its validated `data`. Waits for the cost bucket before sending
   * and after THROTTLED. Throws: HttpError (from the client; `details.auth` for 401/403 and for
   * ACCESS_DENIED), QueryCostError, StoreError for any other GraphQL error, a response that does
   * not match the schema, or still THROTTLED after `maxWaits` waits.
   */
  request<T>(call: GraphQLCall<T>): Promise<GraphQLAnswer<T>>;
  /** The bucket as last reported by the server (undefined before the first answer). */
  readonly bucket: BucketState | undefined;
  /** THROTTLED answers received so far. */
  readonly throttled: number;
}

export interface ShopifyGraphQLOptions {
  http: HttpClient;
  /** Absolute endpoint URL (`…/admin/api/<version>/graphql.json`). */
  endpoint: string;
  log: Logger;
  clock?: Clock;
  /** Waits allowed per request (THROTTLED or in-flight duplicate) before giving up. Default 10. */
  maxWaits?: number;
  /** First wait for an in-flight duplicate (doubles each time). Default 1000 ms. */
  busyWaitMs?: number;
}

export function createShopifyGraphQL(options: ShopifyGraphQLOptions): ShopifyGraphQL {
  const { http, endpoint, log } = options;
  const clock = options.clock ?? realClock;
  const maxWaits = options.maxWaits ?? 10;
  const busyWaitMs = options.busyWaitMs ?? 1000;
  let bucket: BucketState | undefined;
  let throttled = 0;

  async function request<T>(call: GraphQLCall<T>): Promise<GraphQLAnswer<T>> {
    let cost = call.cost;
    for (let waits = 0; ; waits++) {
      const before = waitForCost(bucket, cost, clock.now());
      if (before > 0) {
        log.debug({ operation: call.operation, cost, waitMs: before }, 'waiting for the cost bucket to refill');
        await clock.sleep(before, call.signal);
      }
      if (bucket) bucket = reserve(bucket, cost, clock.now());

      const res = await http.json({
        method: 'POST', url: endpoint, json: { query: call.query, variables: call.variables }, signal: call.signal,
      }, GraphQLEnvelope);
      const body = res.body;
      const costs = body.extensions?.cost;
      if (costs?.throttleStatus) bucket = { status: costs.throttleStatus, observedAt: clock.now() };
      const errors = body.errors ?? [];

      if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
        throttled++;
        if (waits >= maxWaits) {
          throw new StoreError(`shopify ${call.operation}: still THROTTLED after ${waits} waits for the cost bucket (another app may be using this shop's API budget)`);
        }
        cost = costs?.requestedQueryCost ?? cost;
        const wait = costs?.throttleStatus ? throttledWaitMs(cost, costs.throttleStatus) : busyWaitMs;
        log.info({ operation: call.operation, cost, waitMs: wait, throttleStatus: costs?.throttleStatus }, 'THROTTLED: waiting for the cost bucket');
        await clock.sleep(wait, call.signal);
        continue;
      }
      if (errors.length > 0) throw graphQLFailure(call.operation, errors, endpoint);

      const parsed = call.schema.safeParse(body.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const at = issue?.path.length ? `data.${issue.path.join('.')}` : 'data';
        throw new StoreError(`shopify ${call.operation}: unexpected response at ${at}: ${issue?.message}`);
      }
      if (call.busy?.(parsed.data)) {
        if (waits >= maxWaits) throw new StoreError(`shopify ${call.operation}: an identical request was still being processed after ${waits} waits`);
        const wait = busyWaitMs * 2 ** Math.min(waits, 5);
        log.info({ operation: call.operation, waitMs: wait }, 'an identical request is still in flight: waiting to collect its result');
        await clock.sleep(wait, call.signal);
        continue;
      }
      return { data: parsed.data, requestedQueryCost: costs?.requestedQueryCost ?? null };
    }
  }

  return {
    request,
    get bucket() { return bucket; },
    get throttled() { return throttled; },
  };
}

/** A top-level GraphQL error as a typed error: ACCESS_DENIED is a permission refusal, like HTTP 403. */
function graphQLFailure(operation: string, errors: GraphQLError[], endpoint: string): Error {
  const text = errors.slice(0, 3).map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message)).join('; ');
  const denied = errors.find((e) => e.extensions?.code === 'ACCESS_DENIED');
  if (denied) {
    return new HttpError(`shopify ${operation}: ${text} (permission refused; give the app the read_products, read_inventory, write_inventory and read_locations scopes)`, {
      status: 403, url: safeUrl(endpoint), auth: true, body: { errors }, retryable: false,
    });
  }
  const tooCostly = errors.find((e) => e.extensions?.code === 'MAX_COST_EXCEEDED');
  if (tooCostly) {
    const cost = tooCostly.extensions?.cost ?? Number(/Query cost is (\d+)/.exec(tooCostly.message)?.[1] ?? NaN);
    return new QueryCostError(`shopify ${operation}: ${text}`, Number.isFinite(cost) ? cost : undefined, tooCostly.extensions?.maxCost);
  }
  return new StoreError(`shopify ${operation}: ${text}`);
}
