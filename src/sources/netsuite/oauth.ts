/**
 * NetSuite Token-Based Authentication (OAuth 1.0a, HMAC-SHA256, realm = account id): the shared
 * implementation in lib/oauth1.ts, under the names this source's tests import.
 */
export {
  authorizationHeader, baseStringUri, normalizeParameters, percentEncode, sign, signatureBaseString, signingKey,
  type AuthorizationOptions, type SignatureMethod, type TbaCredentials,
} from '../../lib/oauth1.js';
