import crypto from 'node:crypto';

/**
 * OAuth 1.0a request signing (RFC 5849), the one implementation behind both users:
 * - WooCommerce over plain http (`signUrl`): one-legged (consumer key and secret, no token),
 *   parameters in the query string, as WC_REST_Authentication::check_oauth_signature checks them;
 * - NetSuite Token-Based Authentication (`authorizationHeader`, API_FACTS §10): consumer and token
 *   credentials, HMAC-SHA256, the account id as `realm`, an `Authorization` header.
 *
 * Pure apart from the random nonce and the clock (both injectable for tests).
 *
 * NOTE: not the `oauth-1.0a` package: it always adds `oauth_version` to the signed parameters
 * (WooCommerce's known-answer signature then differs), sorts the header fields (NetSuite's
 * known-answer header differs), draws nonces from Math.random, and reads a query value only up
 * to its first "=" (a base64 cursor such as `c=YWJj==` is signed as `c=YWJj`).
 */

export type SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256';

/** RFC 3986 percent-encoding (RFC 5849 §3.6, PHP rawurlencode): everything but A-Z a-z 0-9 - . _ ~, on UTF-8 bytes. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 §3.4.1.2: lower-case scheme and host, port only when not the scheme's default, path, no query. */
export function baseStringUri(url: URL): string {
  // NOTE: URL.host already omits the default port (80 for http, 443 for https).
  return `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname}`;
}

/** RFC 5849 §3.4.1.3.2: encode each name and value, sort by encoded name then value, join with "=" and "&". */
export function normalizeParameters(params: Array<[string, string]>): string {
  return params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * The signature base string: METHOD & enc(base URI) & enc(normalised parameters), the parameters
 * being the URL's query (decoded; `oauth_signature` left out) plus `oauthParams` and
 * `extraParams` (form-encoded body fields, which take part in the signature but are not sent here).
 *
 * WooCommerce's "double encoding" (each name=value pair rawurlencoded again, joined with %26) is
 * this same string: enc() of the normalised parameters encodes each pair's encoding once more.
 */
export function signatureBaseString(method: string, url: URL, oauthParams: Array<[string, string]> = [], extraParams: Array<[string, string]> = []): string {
  const params: Array<[string, string]> = [];
  for (const entry of url.searchParams.entries()) if (entry[0] !== 'oauth_signature') params.push(entry);
  for (const entry of oauthParams) params.push(entry);
  for (const entry of extraParams) params.push(entry);
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(params))].join('&');
}

/** RFC 5849 §3.4.2 HMAC key: enc(consumerSecret) & enc(tokenSecret). */
export function signingKey(consumerSecret: string, tokenSecret: string): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

/** Base64 HMAC of the base string (not yet percent-encoded). */
export function sign(baseString: string, key: string, method: SignatureMethod = 'HMAC-SHA256'): string {
  return crypto.createHmac(method === 'HMAC-SHA256' ? 'sha256' : 'sha1', key).update(baseString).digest('base64');
}

function nonce(): string {
  return crypto.randomBytes(16).toString('hex');
}

function now(): string {
  return String(Math.floor(Date.now() / 1000));
}

// ---------------------------------------------------------------------------------------------
// WooCommerce: one-legged, in the query string

export interface OAuthCredentials {
  consumerKey: string;
  consumerSecret: string;
}

export interface OAuthSignOptions {
  /** Fixed values for tests; fresh random nonce and current time otherwise. */
  nonce?: string;
  timestamp?: number;
  /** Default HMAC-SHA1 (what WooCommerce's own clients send). */
  signatureMethod?: SignatureMethod;
}

/**
 * Add oauth_consumer_key, oauth_nonce, oauth_signature_method, oauth_timestamp and
 * oauth_signature to `url`'s query (mutates it; earlier oauth_* parameters are replaced). Call
 * once per attempt: WooCommerce refuses a nonce it has seen in the last 15 minutes, and a
 * timestamp more than 15 minutes off.
 *
 * NOTE: WooCommerce keys the HMAC with the raw consumer secret + "&" (RFC 5849 would
 * percent-encode the secret first); its `cs_` secrets are hex, so both agree, and the server is
 * the one that has to accept the signature.
 */
export function signUrl(method: string, url: URL, credentials: OAuthCredentials, options: OAuthSignOptions = {}): void {
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1';
  for (const name of [...url.searchParams.keys()]) if (name.startsWith('oauth_')) url.searchParams.delete(name);
  url.searchParams.set('oauth_consumer_key', credentials.consumerKey);
  url.searchParams.set('oauth_nonce', options.nonce ?? nonce());
  url.searchParams.set('oauth_signature_method', signatureMethod);
  url.searchParams.set('oauth_timestamp', options.timestamp === undefined ? now() : String(options.timestamp));
  url.searchParams.set('oauth_signature', sign(signatureBaseString(method, url), `${credentials.consumerSecret}&`, signatureMethod));
}

// ---------------------------------------------------------------------------------------------
// NetSuite: token-based, in the Authorization header

export interface TbaCredentials {
  consumerKey: string;
  consumerSecret: string;
  /** The access token's id (sent as `oauth_token`). */
  tokenId: string;
  tokenSecret: string;
}

export interface AuthorizationOptions {
  method: string;
  /** Full request URL, query included. */
  url: URL;
  /** Sent as-is in `realm="…"` (NetSuite: account id, upper case, `_`). */
  realm: string;
  credentials: TbaCredentials;
  /** Fixed values for tests; a fresh random nonce and the current time otherwise. */
  nonce?: string;
  timestamp?: number;
  /** Default HMAC-SHA256 (NetSuite refuses HMAC-SHA1 for new integrations). */
  signatureMethod?: SignatureMethod;
  /** Extra parameters that take part in the signature (form-encoded body fields). Not sent. */
  extraParams?: Array<[string, string]>;
}

/**
 * The complete `Authorization` header value:
 * `OAuth realm="…", oauth_consumer_key="…", oauth_token="…", oauth_signature_method="HMAC-SHA256",
 * oauth_timestamp="…", oauth_nonce="…", oauth_version="1.0", oauth_signature="…"`, every value
 * percent-encoded (RFC 5849 §3.5.1). The query parameters (`limit`, `offset`) are signed; a JSON
 * body is not (only form bodies are). Call once per attempt: NetSuite refuses a nonce it has seen.
 */
export function authorizationHeader(options: AuthorizationOptions): string {
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA256';
  const oauth: Array<[string, string]> = [
    ['oauth_consumer_key', options.credentials.consumerKey],
    ['oauth_token', options.credentials.tokenId],
    ['oauth_signature_method', signatureMethod],
    ['oauth_timestamp', options.timestamp === undefined ? now() : String(options.timestamp)],
    ['oauth_nonce', options.nonce ?? nonce()],
    ['oauth_version', '1.0'],
  ];
  const base = signatureBaseString(options.method, options.url, oauth, options.extraParams);
  const signature = sign(base, signingKey(options.credentials.consumerSecret, options.credentials.tokenSecret), signatureMethod);
  oauth.push(['oauth_signature', signature]);
  return `OAuth realm="${options.realm}", ${oauth.map(([k, v]) => `${k}="${percentEncode(v)}"`).join(', ')}`;
}
