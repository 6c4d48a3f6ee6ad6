/**
 * Typed errors. `code` decides behaviour (exit code, retry), never the message text.
 * The code → exit-code table lives in one place: src/cli/exit-codes.ts.
 * Messages must never contain secrets; URLs in them are passed through `safeUrl` first.
 */

export type ErrorCode =
  | 'INVSYNC_USAGE'
  | 'INVSYNC_CONFIG'
  | 'INVSYNC_LOCKED'
  | 'INVSYNC_SAFETY'
  | 'INVSYNC_BREAKER_OPEN'
  | 'INVSYNC_STALE_PLAN'
  | 'INVSYNC_UNPAIRED_FETCH'
  | 'INVSYNC_SOURCE'
  | 'INVSYNC_SNAPSHOT'
  | 'INVSYNC_STORE'
  | 'INVSYNC_HTTP'
  | 'INVSYNC_AUTH'
  | 'INVSYNC_INTERNAL';

export class InvsyncError extends Error {
  readonly code: ErrorCode;
  /** True when repeating the same request later may succeed (429, 5xx, timeouts, resets). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Bad command-line usage. Exit 2. */
export class UsageError extends InvsyncError {
  constructor(message: string) { super('INVSYNC_USAGE', message); }
}

/** Invalid configuration; the message starts with the config path (`store.url: Invalid url`). Exit 2. */
export class ConfigError extends InvsyncError {
  constructor(message: string, readonly path?: string) { super('INVSYNC_CONFIG', path ? `${path}: ${message}` : message); }
}

/** Another run holds the lock on the state dir. Exit 3. `holder`: who holds it, when known (serve's 409 names it). */
export class LockedError extends InvsyncError {
  constructor(message: string, readonly holder?: { pid: number; hostname: string; command: string; startedAt: string }) { super('INVSYNC_LOCKED', message); }
}

/** A safety gate tripped at match time. Exit 4. */
export class SafetyError extends InvsyncError {
  constructor(message: string, readonly gate: string) { super('INVSYNC_SAFETY', message); }
}

/** The circuit breaker opened during push; the rest of the plan stays pending. Exit 4. */
export class BreakerOpenError extends InvsyncError {
  constructor(message: string) { super('INVSYNC_BREAKER_OPEN', message); }
}

/** The plan was built from a store index or config that has changed since. Exit 4. */
export class StalePlanError extends InvsyncError {
  constructor(message: string) { super('INVSYNC_STALE_PLAN', message); }
}

/**
 * The snapshot and the store index do not come from the same successful fetch (one of them is
 * older, or predates fetch ids): a plan built from them would mix two moments. Exit 4.
 */
export class UnpairedFetchError extends InvsyncError {
  constructor(message: string) { super('INVSYNC_UNPAIRED_FETCH', message); }
}

/** A source failed outright (unreachable after retries, empty, invalid). Exit 5. */
export class SourceError extends InvsyncError {
  constructor(readonly source: string, message: string, options: { cause?: unknown } = {}) {
    super('INVSYNC_SOURCE', `source "${source}": ${message}`, options);
  }
}

/** A source delivered far fewer items than it usually does (feed-health gate minItemsRatio). Exit 5. */
export class SourceShrunkError extends SourceError {
  readonly gate = 'minItemsRatio';
}

/** The snapshot is missing, incomplete or corrupt. Exit 5. */
export class SnapshotError extends InvsyncError {
  constructor(message: string) { super('INVSYNC_SNAPSHOT', message); }
}

/** The store failed outright (unreachable after retries, invalid response). Exit 5. */
export class StoreError extends InvsyncError {
  constructor(message: string, options: { cause?: unknown } = {}) { super('INVSYNC_STORE', message, options); }
}

/**
 * An HTTP exchange failed. `status` is undefined for network errors and timeouts.
 * `auth` is set for 401/403: callers stop at once instead of retrying.
 */
export class HttpError extends InvsyncError {
  constructor(
    message: string,
    readonly details: { status?: number; url: string; auth?: boolean; body?: unknown; retryable: boolean; retryAfterMs?: number },
    options: { cause?: unknown } = {},
  ) {
    super(details.auth ? 'INVSYNC_AUTH' : 'INVSYNC_HTTP', message, { ...options, retryable: details.retryable });
  }
}

/** Authentication or permission refused (401/403). Never retried. Exit 5. */
export function isAuthError(err: unknown): boolean {
  return err instanceof HttpError && err.details.auth === true;
}
