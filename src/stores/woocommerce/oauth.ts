/**
 * WooCommerce's OAuth 1.0a signing (query string, HMAC-SHA1 or -SHA256): the shared
 * implementation in lib/oauth1.ts, under the names this adapter's tests and fake import.
 */
export { baseStringUri, signatureBaseString, signUrl, type OAuthCredentials, type OAuthSignOptions } from '../../lib/oauth1.js';
