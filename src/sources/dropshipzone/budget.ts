import type { RateLimit } from '../../config/schema.js';
import { intervalMs } from '../../lib/rate-limit.js';

/**
 * Pure request-budget arithmetic for an API whose gateway counts requests in rolling windows
 * (Dropshipzone: 60/minute and 600/hour). No clock, no disk: the caller passes the timestamps of
 * the requests already sent (from this run and earlier ones) and the current time.
 */

export interface BudgetWindow {
  /** Requests allowed within any rolling `ms` milliseconds. */
  limit: number;
  ms: number;
}

export interface BudgetLimits {
  /** Minimum gap between two consecutive requests (even pacing, as the API's docs advise); 0 for none. */
  intervalMs: number;
  windows: BudgetWindow[];
  /**
   * Added to every window (at most 5% of it, so a 1-second window is not doubled). NOTE: the
   * gateway counts arrival times, and a request delayed on the way can land inside a window the
   * client already considers left; the margin absorbs that jitter.
   */
  marginMs: number;
}

export interface BudgetDecision {
  /** How long to wait before the next request may be sent (0: send now). */
  waitMs: number;
  /** What imposes the wait: the even pacing, a full window, or nothing. */
  reason: 'interval' | 'window' | null;
  /** The full window that imposes the longest wait, when `reason` is 'window'. */
  window?: BudgetWindow;
  /** Requests already counted in that window. */
  used?: number;
}

/** Default safety margin per window (see BudgetLimits.marginMs). */
export const BUDGET_MARGIN_MS = 1000;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/**
 * The Dropshipzone budget from the config: `rateLimit` (default 60/minute: the per-minute window
 * and the even pacing) and `maxPerHour` (default 600: the hourly window).
 */
export function dropshipzoneLimits(rateLimit: RateLimit | undefined, maxPerHour: number, marginMs = BUDGET_MARGIN_MS): BudgetLimits {
  const spec = rateLimit ?? { perMinute: 60 };
  const short: BudgetWindow = 'perMinute' in spec
    ? { limit: Math.max(1, Math.floor(spec.perMinute)), ms: MINUTE_MS }
    : { limit: Math.max(1, Math.floor(spec.perSecond)), ms: 1000 };
  return { intervalMs: intervalMs(spec), windows: [short, { limit: maxPerHour, ms: HOUR_MS }], marginMs };
}

/**
 * How long to wait before one more request keeps every limit: at least `intervalMs` after the
 * last request, and fewer than `limit` requests in every rolling window (lengthened by the margin).
 * `past` must be sorted ascending and hold no time after `now` (see `normalizeTimestamps`).
 * After waiting `waitMs` with no other request sent meanwhile, the request fits every limit.
 */
export function budgetWait(past: readonly number[], now: number, limits: BudgetLimits): BudgetDecision {
  let decision: BudgetDecision = { waitMs: 0, reason: null };
  const last = past[past.length - 1];
  if (last !== undefined && limits.intervalMs > 0) {
    const wait = last + limits.intervalMs - now;
    if (wait > 0) decision = { waitMs: wait, reason: 'interval' };
  }
  for (const window of limits.windows) {
    const span = spanOf(window, limits);
    if (past.length < window.limit) continue;
    // The `limit`-th most recent request must leave the window before another one may enter it.
    const oldest = past[past.length - window.limit] as number;
    const wait = oldest + span - now;
    if (wait > decision.waitMs) {
      decision = { waitMs: wait, reason: 'window', window, used: countSince(past, now - span) };
    }
  }
  return { ...decision, waitMs: Math.ceil(decision.waitMs) };
}

/** A window's length as the client counts it: the server's, plus the margin. */
function spanOf(window: BudgetWindow, limits: BudgetLimits): number {
  return window.ms + Math.min(limits.marginMs, window.ms / 20);
}

/** Requests strictly after `since` (past sorted ascending). */
function countSince(past: readonly number[], since: number): number {
  let n = 0;
  for (let i = past.length - 1; i >= 0 && (past[i] as number) > since; i--) n++;
  return n;
}

/**
 * Clean timestamps read from disk: finite numbers only, sorted ascending, none later than `now`
 * (a clock set back must not make old requests look like they are still to come).
 */
export function normalizeTimestamps(raw: readonly unknown[], now: number): number[] {
  const out: number[] = [];
  for (const t of raw) if (typeof t === 'number' && Number.isFinite(t)) out.push(Math.min(t, now));
  return out.sort((a, b) => a - b);
}

/**
 * The timestamps that can still matter at `now`: those inside the longest window (plus margin),
 * at most as many as the largest window limit, and always the last one (for the pacing).
 */
export function pruneTimestamps(past: readonly number[], now: number, limits: BudgetLimits): number[] {
  const longest = Math.max(0, ...limits.windows.map((w) => spanOf(w, limits)));
  const keep = Math.max(1, ...limits.windows.map((w) => w.limit));
  let from = past.length;
  while (from > 0 && past.length - from < keep && (past[from - 1] as number) > now - longest) from--;
  const kept = past.slice(from);
  if (kept.length === 0 && past.length > 0) kept.push(past[past.length - 1] as number);
  return kept;
}
