/** Pure retry policy: which failures are retried, and how long to wait. */

export interface BackoffOptions {
  /** First delay before jitter. */
  baseMs: number;
  /** Upper bound of the exponential part. */
  maxMs: number;
  /** Upper bound for a server's Retry-After (a broken server must not park us for hours). */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, maxRetryAfterMs: 120_000 };

/** Statuses worth repeating: throttling and transient server trouble. Other 4xx are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/** Node/got error codes for dropped connections and timeouts. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN',
  'ECONNABORTED', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isRetryableNetworkCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * Parse a Retry-After header: delta-seconds (Shopify sends a float) or an HTTP-date.
 * Returns milliseconds, or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Delay before retry number `attempt` (1 for the first retry).
 * Exponential with "equal jitter" (half fixed, half random) so that many clients spread out;
 * a server's Retry-After wins when it asks for longer, capped at `maxRetryAfterMs`.
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  if (retryAfterMs !== undefined) return Math.min(options.maxRetryAfterMs, Math.max(retryAfterMs, Math.min(jittered, retryAfterMs + options.baseMs)));
  return Math.round(jittered);
}
