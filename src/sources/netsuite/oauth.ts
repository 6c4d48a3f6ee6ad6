import crypto from 'node:crypto';

/**
 * OAuth 1.0a signing as NetSuite Token-Based Authentication requires (API_FACTS §10): consumer
 * key/secret plus token id/secret, HMAC-SHA256, the account id as `realm`, credentials in the
 * `Authorization` header. Pure apart from the random nonce and the clock (both injectable).
 *
 * The base string follows RFC 5849 §3.4.1: method, base string URI, and the normalised
 * parameters — the request URL's query parameters (`limit`, `offset`) AND the oauth_* ones,
 * `realm` and `oauth_signature` excluded. The JSON body is not part of it (only form bodies are).
 */

export interface TbaCredentials {
  consumerKey: string;
  consumerSecret: string;
  /** The access token's id (sent as `oauth_token`). */
  tokenId: string;
  tokenSecret: string;
}

export type SignatureMethod = 'HMAC-SHA256' | 'HMAC-SHA1';

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

/** RFC 3986 percent-encoding (RFC 5849 §3.6): everything but A-Z a-z 0-9 - . _ ~, on UTF-8 bytes. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 §3.4.1.2: lower-case scheme and host, port only when not the scheme's default, path, no query. */
export function baseStringUri(url: URL): string {
  // NOTE: URL.host already omits the default port (80 for http, 443 for https).
  return `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname}`;
}

/** RFC 5849 §3.4.1.3.2: encode each name and value, sort by encoded name then value, join. */
export function normalizeParameters(params: Array<[string, string]>): string {
  return params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** The signature base string: METHOD&enc(base URI)&enc(normalised query + oauth + extra parameters). */
export function signatureBaseString(method: string, url: URL, oauthParams: Array<[string, string]>, extraParams: Array<[string, string]> = []): string {
  const params = [...url.searchParams.entries(), ...oauthParams, ...extraParams];
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(params))].join('&');
}

/** HMAC key: enc(consumerSecret) & enc(tokenSecret) (RFC 5849 §3.4.2). */
export function signingKey(consumerSecret: string, tokenSecret: string): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

/** Base64 HMAC of the base string (not yet percent-encoded). */
export function sign(baseString: string, key: string, method: SignatureMethod = 'HMAC-SHA256'): string {
  return crypto.createHmac(method === 'HMAC-SHA256' ? 'sha256' : 'sha1', key).update(baseString).digest('base64');
}

/**
 * The complete `Authorization` header value:
 * `OAuth realm="…", oauth_consumer_key="…", oauth_token="…", oauth_signature_method="HMAC-SHA256",
 * oauth_timestamp="…", oauth_nonce="…", oauth_version="1.0", oauth_signature="…"`, every value
 * percent-encoded (RFC 5849 §3.5.1). Call once per attempt: NetSuite refuses a nonce it has seen.
 */
export function authorizationHeader(options: AuthorizationOptions): string {
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA256';
  const oauth: Array<[string, string]> = [
    ['oauth_consumer_key', options.credentials.consumerKey],
    ['oauth_token', options.credentials.tokenId],
    ['oauth_signature_method', signatureMethod],
    ['oauth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000))],
    ['oauth_nonce', options.nonce ?? crypto.randomBytes(16).toString('hex')],
    ['oauth_version', '1.0'],
  ];
  const base = signatureBaseString(options.method, options.url, oauth, options.extraParams);
  const signature = sign(base, signingKey(options.credentials.consumerSecret, options.credentials.tokenSecret), signatureMethod);
  const fields = [...oauth, ['oauth_signature', signature] as [string, string]]
    .map(([k, v]) => `${k}="${percentEncode(v)}"`);
  return `OAuth realm="${options.realm}", ${fields.join(', ')}`;
}
