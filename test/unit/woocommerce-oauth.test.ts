import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { baseStringUri, signUrl, signatureBaseString } from '../../src/stores/woocommerce/oauth.js';

/**
 * Reference implementations written out from the documents, independent of the module under test.
 */

/** PHP rawurlencode on UTF-8 bytes. */
function rawurlencode(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/**
 * WC_REST_Authentication::check_oauth_signature: parameters sorted by name (strcmp), names and
 * values rawurlencoded, each "name=value" rawurlencoded again, joined with "%26";
 * METHOD & rawurlencode(url) & that; HMAC key = consumer secret + "&"; base64.
 */
function wooSignature(method: string, urlWithoutQuery: string, params: Record<string, string>, secret: string, algo = 'sha1'): string {
  const query = Object.keys(params)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => rawurlencode(`${rawurlencode(k)}=${rawurlencode(params[k] as string)}`))
    .join('%26');
  const toSign = `${method}&${rawurlencode(urlWithoutQuery)}&${query}`;
  return crypto.createHmac(algo, `${secret}&`).update(toSign).digest('base64');
}

/** RFC 5849 §3.4.1 base string, written from the RFC. */
function rfc5849BaseString(method: string, uri: string, params: Array<[string, string]>): string {
  const normalized = params
    .map(([k, v]) => [rawurlencode(k), rawurlencode(v)])
    .sort(([ak, av], [bk, bv]) => (ak === bk ? ((av as string) < (bv as string) ? -1 : 1) : (ak as string) < (bk as string) ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method}&${rawurlencode(uri)}&${rawurlencode(normalized)}`;
}

const CREDENTIALS = { consumerKey: 'ck_4f1c2a', consumerSecret: 'cs_9b8e7d' };
const NONCE = 'f3a9c2e1d4b5a6978877665544332211';
const TIMESTAMP = 1_700_000_000;

describe('WooCommerce OAuth 1.0a signing', () => {
  it('produces the signature WooCommerce computes for a known request', () => {
    const url = new URL('http://127.0.0.1:8080/wp-json/wc/v3/products?per_page=100&orderby=id&order=asc&page=2');
    signUrl('GET', url, CREDENTIALS, { nonce: NONCE, timestamp: TIMESTAMP });

    const expected = wooSignature('GET', 'http://127.0.0.1:8080/wp-json/wc/v3/products', {
      per_page: '100', orderby: 'id', order: 'asc', page: '2',
      oauth_consumer_key: CREDENTIALS.consumerKey, oauth_nonce: NONCE,
      oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: String(TIMESTAMP),
    }, CREDENTIALS.consumerSecret);

    expect(url.searchParams.get('oauth_signature')).toBe(expected);
    expect(expected).toBe('9M0QvF5BoX6f7heLmHGz1yBESYw=');
    expect(url.searchParams.get('oauth_consumer_key')).toBe(CREDENTIALS.consumerKey);
    expect(url.searchParams.get('oauth_signature_method')).toBe('HMAC-SHA1');
  });

  it('signs POST batch URLs and HMAC-SHA256 the same way', () => {
    const url = new URL('http://shop.test/wp-json/wc/v3/products/12/variations/batch');
    signUrl('POST', url, CREDENTIALS, { nonce: NONCE, timestamp: TIMESTAMP, signatureMethod: 'HMAC-SHA256' });
    const expected = wooSignature('POST', 'http://shop.test/wp-json/wc/v3/products/12/variations/batch', {
      oauth_consumer_key: CREDENTIALS.consumerKey, oauth_nonce: NONCE,
      oauth_signature_method: 'HMAC-SHA256', oauth_timestamp: String(TIMESTAMP),
    }, CREDENTIALS.consumerSecret, 'sha256');
    expect(url.searchParams.get('oauth_signature')).toBe(expected);
  });

  it('matches RFC 5849 for parameters made of unreserved characters', () => {
    const params: Array<[string, string]> = [
      ['per_page', '100'], ['page', '3'], ['order', 'asc'], ['orderby', 'id'], ['sku', 'AB-12_x.y~z'],
      ['oauth_consumer_key', CREDENTIALS.consumerKey], ['oauth_nonce', NONCE],
      ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_timestamp', String(TIMESTAMP)],
    ];
    const url = new URL('http://shop.test/wp-json/wc/v3/products');
    for (const [k, v] of params) url.searchParams.set(k, v);
    const rfc = rfc5849BaseString('GET', 'http://shop.test/wp-json/wc/v3/products', params);
    expect(signatureBaseString('GET', url)).toBe(rfc);

    const rfcSignature = crypto.createHmac('sha1', `${CREDENTIALS.consumerSecret}&`).update(rfc).digest('base64');
    expect(wooSignature('GET', 'http://shop.test/wp-json/wc/v3/products', Object.fromEntries(params), CREDENTIALS.consumerSecret)).toBe(rfcSignature);
  });

  it('encodes reserved characters in values as RFC 5849 does (a comma ends up as %252C)', () => {
    const url = new URL('http://shop.test/wp-json/wc/v3/products?_fields=id,sku');
    expect(signatureBaseString('GET', url)).toBe('GET&http%3A%2F%2Fshop.test%2Fwp-json%2Fwc%2Fv3%2Fproducts&_fields%3Did%252Csku');
  });

  it('normalises the base string URI: lower-case scheme and host, default port dropped, no query', () => {
    expect(baseStringUri(new URL('HTTP://Shop.Example.COM:80/wp-json/wc/v3/products?x=1'))).toBe('http://shop.example.com/wp-json/wc/v3/products');
    expect(baseStringUri(new URL('http://127.0.0.1:8080/p'))).toBe('http://127.0.0.1:8080/p');
  });

  it('uses a fresh nonce on every signing and replaces earlier oauth parameters', () => {
    const url = new URL('http://shop.test/wp-json/wc/v3/products?page=1');
    signUrl('GET', url, CREDENTIALS);
    const first = url.searchParams.get('oauth_nonce');
    signUrl('GET', url, CREDENTIALS);
    expect(url.searchParams.get('oauth_nonce')).not.toBe(first);
    expect(url.searchParams.getAll('oauth_signature')).toHaveLength(1);
    expect(url.searchParams.get('oauth_nonce')).toMatch(/^[0-9a-f]{32}$/);
    expect(Math.abs(Number(url.searchParams.get('oauth_timestamp')) - Date.now() / 1000)).toBeLessThan(5);
  });
});
