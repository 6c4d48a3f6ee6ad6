/**
 * Shopify's cost-based leaky bucket (API_FACTS §3 "Rate limits"), as pure arithmetic: no clock,
 * no I/O. Every GraphQL response reports `extensions.cost.throttleStatus`; the adapter keeps
 * the last one with the time it saw it and asks these functions how long to wait.
 */

/** `extensions.cost.throttleStatus` as Shopify reports it. */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
}

/** The last status the server reported, and when (ms since epoch). */
export interface BucketState {
  status: ThrottleStatus;
  observedAt: number;
}

/** Shopify refuses a single query whose requested cost exceeds this, before running it. */
export const SINGLE_QUERY_MAX_COST = 1000;

/** The largest `first` a connection accepts. */
export const MAX_PAGE_SIZE = 250;

/**
 * Points in the bucket at `now`: the reported level refilled at `restoreRate` per second since it
 * was observed, capped at `maximumAvailable`. May be negative right after `reserve`.
 */
export function availableAt(state: BucketState, now: number): number {
  const { maximumAvailable, currentlyAvailable, restoreRate } = state.status;
  const elapsed = Math.max(0, now - state.observedAt) / 1000;
  return Math.min(maximumAvailable, currentlyAvailable + restoreRate * elapsed);
}

/**
 * Milliseconds to wait before sending a request of `cost` points: 0 when nothing is known yet or
 * the bucket already holds enough, else (needed − available) / restoreRate. A cost above the
 * bucket size waits for a full bucket (the server then decides).
 */
export function waitForCost(state: BucketState | undefined, cost: number, now: number): number {
  if (!state || !(state.status.restoreRate > 0)) return 0;
  const needed = Math.min(cost, state.status.maximumAvailable);
  const available = availableAt(state, now);
  if (available >= needed) return 0;
  return Math.ceil(((needed - available) / state.status.restoreRate) * 1000);
}

/**
 * The bucket after sending a request of `cost` points at `now` (Shopify takes the requested cost
 * up front and refunds the unused part afterwards). Concurrent requests see each other's
 * reservations until the next reported status replaces the estimate.
 */
export function reserve(state: BucketState, cost: number, now: number): BucketState {
  return { status: { ...state.status, currentlyAvailable: availableAt(state, now) - cost }, observedAt: now };
}

/**
 * Wait after a THROTTLED answer: (requestedQueryCost − currentlyAvailable) / restoreRate seconds,
 * never less than the time one point takes to restore (so a retry never comes back instantly).
 */
export function throttledWaitMs(requestedCost: number, status: ThrottleStatus): number {
  const rate = status.restoreRate > 0 ? status.restoreRate : 1;
  const needed = Math.min(requestedCost, status.maximumAvailable) - status.currentlyAvailable;
  return Math.max(Math.ceil(1000 / rate), Math.ceil((needed / rate) * 1000));
}

/**
 * The largest page (`first`) whose requested cost fits one query: fixed + first × perNode ≤
 * maxCost, between 1 and `maxFirst`.
 */
export function pageSizeFor(perNodeCost: number, fixedCost: number, maxFirst: number = MAX_PAGE_SIZE, maxCost: number = SINGLE_QUERY_MAX_COST): number {
  if (!(perNodeCost > 0)) return Math.max(1, maxFirst);
  return Math.max(1, Math.min(maxFirst, Math.floor((maxCost - fixedCost) / perNodeCost)));
}

/** Cost per node implied by a reported requested cost for a page of `first` (never below 1). */
export function perNodeCost(requestedCost: number, fixedCost: number, first: number): number {
  return Math.max(1, (requestedCost - fixedCost) / Math.max(1, first));
}
