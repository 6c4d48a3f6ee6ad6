import { z } from 'zod';
import { HttpError, SourceError } from '../../domain/errors.js';
import type { HttpClient } from '../../lib/http.js';
import type { Logger } from '../../lib/log.js';
import type { Clock } from './budget-file.js';
import { createCachedToken } from '../../lib/token-cache.js';

/** `POST /auth` → `{ iat, exp, token }` (unix seconds). */
export const AuthResponse = z.object({
  iat: z.number().optional(),
  exp: z.number(),
  token: z.string().min(1),
});
export type AuthResponse = z.infer<typeof AuthResponse>;

/** What the cache file holds. Bound to url + email so a changed config never reuses a token. */
const CachedToken = z.object({
  version: z.literal(1),
  url: z.string(),
  email: z.string(),
  token: z.string().min(1),
  /** Local time (ms) the token expires at, corrected for the server's clock. */
  expiresAt: z.number(),
  /** exp − iat in ms: how long the server lets a token live. */
  lifetimeMs: z.number(),
});
type CachedToken = z.infer<typeof CachedToken>;

/** Refresh this long before `exp` (API_FACTS §8: ~2 minutes)… */
export const REFRESH_EARLY_MS = 120_000;

/** …or after half the lifetime when tokens live less than 4 minutes (never refresh before every request). */
export function refreshAt(token: { expiresAt: number; lifetimeMs: number }): number {
  return token.expiresAt - Math.min(REFRESH_EARLY_MS, token.lifetimeMs / 2);
}

/**
 * Turn an auth response into local times. NOTE: `exp` is the server's clock; when `iat` is given,
 * the lifetime (exp − iat) counted from the local receive time is immune to clock skew.
 */
export function tokenTimes(auth: AuthResponse, receivedAt: number): { expiresAt: number; lifetimeMs: number } {
  if (auth.iat !== undefined && auth.exp > auth.iat) {
    const lifetimeMs = (auth.exp - auth.iat) * 1000;
    return { expiresAt: receivedAt + lifetimeMs, lifetimeMs };
  }
  const expiresAt = auth.exp * 1000;
  return { expiresAt, lifetimeMs: Math.max(0, expiresAt - receivedAt) };
}

export interface TokenManager {
  /** A token that is not about to expire: the cached one (memory, then file) or a new one. */
  get(signal?: AbortSignal): Promise<string>;
  /**
   * Authenticate now (after a 401, or for `check`), replacing the cache. Throws SourceError when
   * the credentials are refused (401/403), HttpError when the auth request fails otherwise.
   */
  refresh(signal?: AbortSignal): Promise<string>;
  /** Auth requests made by this manager. */
  readonly authCalls: number;
}

/**
 * Dropshipzone JWTs: obtained with email/password, cached in `file` (mode 0600) for the next runs,
 * reused until shortly before they expire. Every token is registered as a secret.
 */
export function createTokenManager(options: {
  source: string;
  http: HttpClient;
  file: string;
  url: string;
  email: string;
  password: string;
  clock: Clock;
  log: Logger;
}): TokenManager {
  const { http, clock, log } = options;
  let authCalls = 0;

  async function authenticate(signal?: AbortSignal): Promise<CachedToken> {
    authCalls++;
    let res;
    try {
      res = await http.json({
        method: 'POST',
        url: '/auth',
        json: { email: options.email, password: options.password },
        signal,
      }, AuthResponse);
    } catch (err) {
      if (err instanceof HttpError && err.details.auth) {
        throw new SourceError(options.source, `${err.message.replace(/ \(authentication or permission refused.*\)$/, '')}: the email or password is refused`, { cause: err });
      }
      throw err;
    }
    const times = tokenTimes(res.body, clock.now());
    log.info({ expiresInS: Math.round((times.expiresAt - clock.now()) / 1000) }, 'authenticated');
    return { version: 1, url: options.url, email: options.email, token: res.body.token, ...times };
  }

  const cache = createCachedToken({
    file: options.file, schema: CachedToken, log, label: 'token', exchange: authenticate, secretOf: (t) => t.token,
    usable: (t) => t.url === options.url && t.email === options.email && clock.now() < refreshAt(t),
  });

  return {
    get: async (signal) => (await cache.get(signal)).token,
    refresh: async (signal) => (await cache.refresh(signal)).token,
    get authCalls() { return authCalls; },
  };
}
