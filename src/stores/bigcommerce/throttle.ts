/**
 * BigCommerce's shared request quota (API_FACTS §5): every response says how many requests are
 * left in the current window (`X-Rate-Limit-Requests-Left`) and when it resets
 * (`X-Rate-Limit-Time-Reset-Ms`). Once none are left, the next request waits for the reset
 * instead of earning a 429.
 */
import { realClock } from '../../lib/rate-limit.js';

type Headers = Record<string, string | string[] | undefined>;

/** Longest wait a reset header may impose (two 30 s windows): a broken header must not park a run. */
export const MAX_QUOTA_WAIT_MS = 60_000;

function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Pure decision: how long to hold the next request after a response with these headers
 * (names lower-cased, as node gives them). 0 while requests are left or the headers are absent;
 * the reset time, capped at MAX_QUOTA_WAIT_MS, once none are left.
 */
export function quotaWaitMs(headers: Headers): number {
  const left = numberHeader(headers, 'x-rate-limit-requests-left');
  const reset = numberHeader(headers, 'x-rate-limit-time-reset-ms');
  if (left === undefined || reset === undefined || left > 0) return 0;
  return Math.min(Math.max(0, reset), MAX_QUOTA_WAIT_MS);
}

export interface QuotaGate {
  /** Resolves when the next request may go (at once unless the quota is spent). */
  wait(signal?: AbortSignal): Promise<void>;
  /** Feed every response's headers. */
  observe(headers: Headers): void;
}

export function createQuotaGate(clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> } = realClock): QuotaGate {
  let resumeAt = 0;
  return {
    async wait(signal) {
      const ms = resumeAt - clock.now();
      if (ms > 0) await clock.sleep(ms, signal);
    },
    observe(headers) {
      const ms = quotaWaitMs(headers);
      if (ms > 0) resumeAt = Math.max(resumeAt, clock.now() + ms);
    },
  };
}
