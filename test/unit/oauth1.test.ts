import { describe, expect, it } from '@jest/globals';
import { authorizationHeader, signatureBaseString, signUrl } from '../../src/lib/oauth1.js';
import { signUrl as wooSignUrl } from '../../src/stores/woocommerce/oauth.js';
import { authorizationHeader as netsuiteHeader } from '../../src/sources/netsuite/oauth.js';

describe('OAuth 1.0a: one implementation for WooCommerce and NetSuite', () => {
  it('is the same code behind both adapters\' modules', () => {
    expect(wooSignUrl).toBe(signUrl);
    expect(netsuiteHeader).toBe(authorizationHeader);
  });

  it('signs a query value holding "=" whole (a base64 cursor), "+" as a space, and repeated names', () => {
    const url = new URL('https://api.example.com/v1/items?cursor=YWJj==&q=a+b&tag=2&tag=1');
    expect(signatureBaseString('GET', url)).toBe(
      'GET&https%3A%2F%2Fapi.example.com%2Fv1%2Fitems&cursor%3DYWJj%253D%253D%26q%3Da%2520b%26tag%3D1%26tag%3D2',
    );
  });

  it('sends no oauth_version to WooCommerce (it is not in the signature WooCommerce checks) and one to NetSuite', () => {
    const url = new URL('http://shop.test/wp-json/wc/v3/products');
    signUrl('GET', url, { consumerKey: 'ck', consumerSecret: 'cs' }, { nonce: 'n', timestamp: 1 });
    expect(url.searchParams.has('oauth_version')).toBe(false);
    const header = authorizationHeader({ method: 'POST', url: new URL('https://x.example/q'), realm: 'R', credentials: { consumerKey: 'a', consumerSecret: 'b', tokenId: 'c', tokenSecret: 'd' } });
    expect(header).toMatch(/^OAuth realm="R", oauth_consumer_key="a", oauth_token="c", oauth_signature_method="HMAC-SHA256", oauth_timestamp="\d+", oauth_nonce="[0-9a-f]{32}", oauth_version="1.0", oauth_signature="[^"]+"$/);
  });
});
