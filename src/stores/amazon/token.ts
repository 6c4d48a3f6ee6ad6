/**
 * Login with Amazon (API_FACTS §11.1): the refresh token is exchanged for an access token that
 * lives one hour. The access token is cached in the state dir (0600, written atomically) and
 * reused, across runs too, until shortly before it expires. Every token is registered for
 * redaction.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { HttpError } from '../../domain/errors.js';
import type { HttpClient } from '../../lib/http.js';
import type { Logger } from '../../lib/log.js';
import { redact } from '../../lib/redact.js';
import { createCachedToken } from '../../lib/token-cache.js';
import { stateKey } from '../../state/state-key.js';
import { LwaError, LwaToken } from './schema.js';

/** Refresh this long before expiry, so a token never expires between taking it and Amazon reading it. */
export const REFRESH_EARLY_MS = 5 * 60_000;

/** LWA error codes that mean the credentials themselves are refused (API_FACTS §11.1): no retry helps. */
const REFUSED = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied', 'invalid_scope', 'invalid_request']);

const CachedToken = z.object({
  version: z.literal(1),
  /** Keyed fingerprint of tokenUrl + clientId + refresh token: another credential never reuses this token. */
  credential: z.string(),
  accessToken: z.string().min(1),
  expiresAt: z.number(),
  lifetimeMs: z.number(),
});
type CachedToken = z.infer<typeof CachedToken>;

/** Pure: when to stop using a token. */
export function refreshAt(token: { expiresAt: number; lifetimeMs: number }): number {
  return token.expiresAt - Math.min(REFRESH_EARLY_MS, token.lifetimeMs / 2);
}

/**
 * HMAC with the state dir's key (SPEC §8: a checksum that covers secrets is keyed, so the cache
 * file is no oracle for the refresh token).
 */
export function credentialFingerprint(key: Buffer, tokenUrl: string, clientId: string, refreshToken: string): string {
  return createHmac('sha256', key).update(`${tokenUrl}\n${clientId}\n${refreshToken}`).digest('hex').slice(0, 32);
}

export interface LwaOptions {
  http: HttpClient;
  stateDir: string | undefined;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  clock: { now(): number };
  log: Logger;
}

export interface LwaTokens {
  /** A token not about to expire: memory, then the cache file, else a new exchange. */
  get(signal?: AbortSignal): Promise<string>;
  /** Exchange now (for `check`, or after Amazon refused the cached token), replacing the cache. */
  refresh(signal?: AbortSignal): Promise<string>;
  /** Exchanges made. */
  readonly exchanges: number;
}

/**
 * Throws an HttpError with `details.auth` when LWA refuses the credentials (`invalid_grant`,
 * `invalid_client`, …: exit 5 at once); the client's HttpError when the exchange fails otherwise.
 * Without a state dir (tests, `check` before one exists) the token is kept in memory only.
 */
export function createLwaTokens(options: LwaOptions): LwaTokens {
  const { http, clock, log } = options;
  let fingerprint: string | undefined;
  let file: string | undefined;
  if (options.stateDir) {
    fingerprint = credentialFingerprint(stateKey(options.stateDir), options.tokenUrl, options.clientId, options.refreshToken);
    file = path.join(options.stateDir, `amazon-lwa-${fingerprint.slice(0, 16)}.token.json`);
  }
  let exchanges = 0;

  async function exchange(signal?: AbortSignal): Promise<CachedToken> {
    exchanges++;
    const form = new URLSearchParams({
      grant_type: 'refresh_token', refresh_token: options.refreshToken, client_id: options.clientId, client_secret: options.clientSecret,
    });
    const receivedAt = clock.now();
    let res;
    try {
      res = await http.json({
        method: 'POST', url: options.tokenUrl, body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }, signal,
      }, LwaToken);
    } catch (err) {
      throw refusal(err) ?? err;
    }
    const lifetimeMs = res.body.expires_in * 1000;
    log.info({ expiresInS: res.body.expires_in }, 'Login with Amazon: access token obtained');
    return { version: 1, credential: fingerprint ?? '', accessToken: res.body.access_token, expiresAt: receivedAt + lifetimeMs, lifetimeMs };
  }

  const cache = createCachedToken({
    file, schema: CachedToken, log, label: 'access token', exchange, secretOf: (t) => t.accessToken,
    // A cache written for other credentials (another refresh token) is never reused.
    usable: (t) => t.credential === (fingerprint ?? '') && clock.now() < refreshAt(t),
  });

  return {
    get: async (signal) => (await cache.get(signal)).accessToken,
    refresh: async (signal) => (await cache.refresh(signal)).accessToken,
    get exchanges() { return exchanges; },
  };
}

/** An LWA answer that refuses the credentials, as an auth HttpError naming the LWA code (never a secret). */
function refusal(err: unknown): HttpError | undefined {
  if (!(err instanceof HttpError) || err.details.status === undefined || err.details.status >= 500) return undefined;
  const body = LwaError.safeParse(err.details.body);
  if (!body.success || !REFUSED.has(body.data.error)) return undefined;
  const description = body.data.error_description ? ` (${redact(body.data.error_description.slice(0, 200))})` : '';
  return new HttpError(
    `Login with Amazon refused the credentials: ${body.data.error}${description}; check clientId/clientSecret, or re-authorize the app in Seller Central for a new refreshToken`,
    { ...err.details, auth: true, retryable: false },
    { cause: err },
  );
}
