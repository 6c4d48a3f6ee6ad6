import { describe, expect, it } from '@jest/globals';
import {
  authorizationHeader, baseStringUri, normalizeParameters, percentEncode, sign, signatureBaseString, signingKey,
} from '../../src/sources/netsuite/oauth.js';

/**
 * Expected values here were not produced by the code under test:
 * - the Twitter "Creating a signature" example (HMAC-SHA1), published with its signature;
 * - a NetSuite-shaped HMAC-SHA256 request whose base string is written out by hand below and
 *   whose signature was computed with `printf '%s' "$BASE" | openssl dgst -sha256 -hmac "$KEY" -binary | base64`.
 */

describe('NetSuite OAuth 1.0a signing', () => {
  it('reproduces the published Twitter signature (query and body parameters, HMAC-SHA1)', () => {
    const header = authorizationHeader({
      method: 'POST',
      url: new URL('https://api.twitter.com/1.1/statuses/update.json?include_entities=true'),
      realm: 'X',
      credentials: {
        consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
        consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
        tokenId: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
        tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
      },
      nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
      timestamp: 1318622958,
      signatureMethod: 'HMAC-SHA1',
      extraParams: [['status', 'Hello Ladies + Gentlemen, a signed OAuth request!']],
    });
    expect(header).toContain('oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"');
  });

  it('signs a SuiteQL page with HMAC-SHA256 over the query parameters, with encoded secrets in the key', () => {
    const url = new URL('https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=1000&offset=2000');
    const credentials = { consumerKey: 'consumer-key-1', consumerSecret: 'cs+secret/1', tokenId: 'token-id-1', tokenSecret: 'ts secret&2' };
    const BASE = 'POST&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Fquery%2Fv1%2Fsuiteql&'
      + 'limit%3D1000%26oauth_consumer_key%3Dconsumer-key-1%26oauth_nonce%3Dabc123nonce%26oauth_signature_method%3DHMAC-SHA256'
      + '%26oauth_timestamp%3D1700000000%26oauth_token%3Dtoken-id-1%26oauth_version%3D1.0%26offset%3D2000';
    const oauth: Array<[string, string]> = [
      ['oauth_consumer_key', 'consumer-key-1'], ['oauth_token', 'token-id-1'], ['oauth_signature_method', 'HMAC-SHA256'],
      ['oauth_timestamp', '1700000000'], ['oauth_nonce', 'abc123nonce'], ['oauth_version', '1.0'],
    ];
    expect(signatureBaseString('post', url, oauth)).toBe(BASE);
    expect(signingKey(credentials.consumerSecret, credentials.tokenSecret)).toBe('cs%2Bsecret%2F1&ts%20secret%262');
    expect(sign(BASE, 'cs%2Bsecret%2F1&ts%20secret%262')).toBe('JuctYpxWkYwHisbSAlYqu8at7J/N3vQv6Iz7OwVqGbw=');

    const header = authorizationHeader({ method: 'POST', url, realm: '1234567_SB1', credentials, nonce: 'abc123nonce', timestamp: 1700000000 });
    expect(header).toBe('OAuth realm="1234567_SB1", oauth_consumer_key="consumer-key-1", oauth_token="token-id-1", '
      + 'oauth_signature_method="HMAC-SHA256", oauth_timestamp="1700000000", oauth_nonce="abc123nonce", oauth_version="1.0", '
      + 'oauth_signature="JuctYpxWkYwHisbSAlYqu8at7J%2FN3vQv6Iz7OwVqGbw%3D"');
  });

  it('changes the signature when a query parameter changes (offset is signed)', () => {
    const credentials = { consumerKey: 'a', consumerSecret: 'b', tokenId: 'c', tokenSecret: 'd' };
    const at = (offset: number) => authorizationHeader({
      method: 'POST', url: new URL(`https://x.example/q?limit=10&offset=${offset}`), realm: 'R', credentials, nonce: 'n', timestamp: 1,
    });
    expect(at(0)).not.toBe(at(10));
  });

  it('uses a fresh nonce and the current time unless told otherwise', () => {
    const credentials = { consumerKey: 'a', consumerSecret: 'b', tokenId: 'c', tokenSecret: 'd' };
    const url = new URL('https://x.example/q');
    const nonce = (h: string) => /oauth_nonce="([^"]+)"/.exec(h)?.[1];
    const a = authorizationHeader({ method: 'POST', url, realm: 'R', credentials });
    const b = authorizationHeader({ method: 'POST', url, realm: 'R', credentials });
    expect(nonce(a)).not.toBe(nonce(b));
    const ts = Number(/oauth_timestamp="(\d+)"/.exec(a)?.[1]);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(5);
  });

  it('encodes per RFC 3986 and builds the base URI without default ports or query', () => {
    expect(percentEncode("a b+c/d&e=f!*'()~._-é")).toBe('a%20b%2Bc%2Fd%26e%3Df%21%2A%27%28%29~._-%C3%A9');
    expect(baseStringUri(new URL('HTTPS://Example.COM:443/Path/x?y=1'))).toBe('https://example.com/Path/x');
    expect(baseStringUri(new URL('http://127.0.0.1:8080/p'))).toBe('http://127.0.0.1:8080/p');
    expect(normalizeParameters([['b', '2'], ['a', '2'], ['a', '1'], ['a1', '0']])).toBe('a=1&a=2&a1=0&b=2');
  });
});
