/**
 * Amazon's usage plans (API_FACTS §11.5): a token bucket per operation — `rate` requests per
 * second restored, at most `burst` saved up — plus, for JSON_LISTINGS_FEED, five submissions per
 * five minutes per region. invsync takes a token before each request (retries included), so it
 * never spends more than a plan allows; a 429 that still comes (another app of the same seller,
 * an earlier run) empties the bucket, and the next attempt waits for it to refill.
 */

export type Operation =
  | 'createReport' | 'getReport' | 'getReportDocument'
  | 'createFeedDocument' | 'createFeed' | 'getFeed' | 'getFeedDocument'
  | 'patchListingsItem' | 'getListingsItem' | 'searchListingsItems'
  | 'getOrders' | 'getOrderItems';

export interface BucketSpec {
  /** Tokens restored per second. */
  rate: number;
  /** Most tokens held. */
  burst: number;
}

/** The model defaults (API_FACTS §11.5). */
export const USAGE_PLANS: Record<Operation, BucketSpec> = {
  createReport: { rate: 0.0167, burst: 15 },
  getReport: { rate: 2, burst: 15 },
  getReportDocument: { rate: 0.0167, burst: 15 },
  createFeedDocument: { rate: 0.5, burst: 15 },
  createFeed: { rate: 0.0083, burst: 15 },
  getFeed: { rate: 2, burst: 15 },
  getFeedDocument: { rate: 0.0222, burst: 10 },
  patchListingsItem: { rate: 5, burst: 5 },
  // 5/s burst 10 per the model, but burst 5 per the per-account docs: the lower one.
  getListingsItem: { rate: 5, burst: 5 },
  searchListingsItems: { rate: 5, burst: 5 },
  // Orders API v0 usage plans (the model's operation descriptions; the same figures in the
  // @sp-api-sdk/orders-api-v0 client's rate table): getOrders 0.0167/s burst 20,
  // getOrderItems 0.5/s burst 30.
  getOrders: { rate: 0.0167, burst: 20 },
  getOrderItems: { rate: 0.5, burst: 30 },
};

/** "five feed submissions per five minutes" per region for JSON_LISTINGS_FEED. */
export const JSON_FEED_PLAN: BucketSpec = { rate: 5 / 300, burst: 5 };

export interface BucketState {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** Pure: the bucket at `now`, refilled since `state.at`. */
export function refill(state: BucketState, spec: BucketSpec, now: number): BucketState {
  const elapsed = Math.max(0, now - state.at) / 1000;
  return { tokens: Math.min(spec.burst, state.tokens + elapsed * spec.rate), at: now };
}

/** Pure: ms until one token is available (0 when one is). */
export function waitForToken(state: BucketState, spec: BucketSpec, now: number): number {
  const current = refill(state, spec, now);
  if (current.tokens >= 1) return 0;
  return Math.ceil(((1 - current.tokens) / spec.rate) * 1000);
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface TokenBucket {
  /** Resolves once a token was taken. Callers are served in order. */
  take(signal?: AbortSignal): Promise<void>;
  /** The server said the quota is spent (429): hold everything until a token has refilled. */
  drain(): void;
  /** Tokens available now (for tests and logs). */
  available(): number;
}

/**
 * Added to every wait for a refill. Amazon counts a request when it arrives, invsync when it
 * leaves: a first request slowed on the way and a later one that was not would otherwise meet an
 * Amazon bucket a few milliseconds short of a token (a 429 the plan said could not happen).
 */
export const ARRIVAL_MARGIN_MS = 50;

/** A bucket that starts full, as Amazon's does for an account that has been idle. */
export function createBucket(spec: BucketSpec, clock: Clock, marginMs = ARRIVAL_MARGIN_MS): TokenBucket {
  let state: BucketState = { tokens: spec.burst, at: clock.now() };
  let queue: Promise<void> = Promise.resolve();
  return {
    take(signal) {
      const turn = queue.then(async () => {
        for (;;) {
          const wait = waitForToken(state, spec, clock.now());
          if (wait <= 0) break;
          await clock.sleep(wait + marginMs, signal);
        }
        state = refill(state, spec, clock.now());
        state = { tokens: state.tokens - 1, at: state.at };
      });
      queue = turn.catch(() => {});
      return turn;
    },
    drain() {
      state = { tokens: 0, at: clock.now() };
    },
    available() {
      return refill(state, spec, clock.now()).tokens;
    },
  };
}

/** Every operation's bucket, rates multiplied by `speed` (tests run the same plans faster). */
export function createUsagePlans(clock: Clock, speed = 1): Record<Operation, TokenBucket> & { jsonFeed: TokenBucket } {
  const scaled = (s: BucketSpec): BucketSpec => ({ rate: s.rate * speed, burst: s.burst });
  const out = {} as Record<Operation, TokenBucket> & { jsonFeed: TokenBucket };
  for (const [op, spec] of Object.entries(USAGE_PLANS) as Array<[Operation, BucketSpec]>) out[op] = createBucket(scaled(spec), clock);
  out.jsonFeed = createBucket(scaled(JSON_FEED_PLAN), clock);
  return out;
}
