import crypto from 'node:crypto';

/**
 * OAuth 1.0a "one-legged" signing, as WooCommerce requires for plain-http requests
 * (WC_REST_Authentication::check_oauth_signature): consumer key and secret only, no token,
 * parameters in the query string, HMAC-SHA1, key = consumer secret + "&".
 *
 * The base string is built as RFC 5849 §3.4.1 says (decoded query parameters, each name and value
 * percent-encoded, sorted, joined, then the whole encoded again). WooCommerce builds the same
 * string for parameters made of unreserved characters; see the NOTE in index.ts on why invsync
 * keeps signed query strings to such characters anyway.
 */

export interface OAuthCredentials {
  consumerKey: string;
  consumerSecret: string;
}

export interface OAuthSignOptions {
  /** Fixed values for tests; fresh random nonce and current time otherwise. */
  nonce?: string;
  timestamp?: number;
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256';
}

/** RFC 3986 percent-encoding (PHP rawurlencode): everything but A-Z a-z 0-9 - _ . ~ on UTF-8 bytes. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 §3.4.1.2 base string URI: lower-case scheme and host, port only when not the default, no query. */
export function baseStringUri(url: URL): string {
  return `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname}`;
}

/** RFC 5849 §3.4.1.3.2: encode every name and value, sort by name then value, join with "=" and "&". */
export function normalizedParameters(params: Array<[string, string]>): string {
  return params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** The signature base string for a URL whose query already holds every parameter (oauth_* included, oauth_signature excluded). */
export function signatureBaseString(method: string, url: URL): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'oauth_signature');
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizedParameters(params))].join('&');
}

/**
 * HMAC over the base string. NOTE: WooCommerce uses the raw consumer secret + "&" as the key
 * (RFC 5849 would percent-encode the secret first); WooCommerce's `cs_` secrets are hex, so
 * both agree, and the server is the one that has to accept the signature.
 */
export function hmacSignature(baseString: string, consumerSecret: string, method: 'HMAC-SHA1' | 'HMAC-SHA256' = 'HMAC-SHA1'): string {
  const algorithm = method === 'HMAC-SHA1' ? 'sha1' : 'sha256';
  return crypto.createHmac(algorithm, `${consumerSecret}&`).update(baseString).digest('base64');
}

/**
 * Add oauth_consumer_key, oauth_nonce, oauth_signature_method, oauth_timestamp and
 * oauth_signature to `url`'s query (mutates it). Call once per attempt: WooCommerce refuses a
 * nonce it has seen in the last 15 minutes, and a timestamp more than 15 minutes off.
 */
export function signUrl(method: string, url: URL, credentials: OAuthCredentials, options: OAuthSignOptions = {}): void {
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1';
  for (const name of [...url.searchParams.keys()]) if (name.startsWith('oauth_')) url.searchParams.delete(name);
  url.searchParams.set('oauth_consumer_key', credentials.consumerKey);
  url.searchParams.set('oauth_nonce', options.nonce ?? crypto.randomBytes(16).toString('hex'));
  url.searchParams.set('oauth_signature_method', signatureMethod);
  url.searchParams.set('oauth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000)));
  const signature = hmacSignature(signatureBaseString(method, url), credentials.consumerSecret, signatureMethod);
  url.searchParams.set('oauth_signature', signature);
}
