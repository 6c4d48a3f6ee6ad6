import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { WooCommerceStoreConfig } from '../../src/config/schema.js';
import { HttpError } from '../../src/domain/errors.js';
import { createHttpClient, describeBody } from '../../src/lib/http.js';
import { configureLogging, logger } from '../../src/lib/log.js';
import { clearSecrets, redact, registerSecret, registerUrlSecrets, safeUrl } from '../../src/lib/redact.js';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';

beforeEach(() => clearSecrets());

const servers: http.Server[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r)))); });

/** A server answering every request with `status`, `type` and the body `render(request)` makes. */
async function serve(type: string, render: (req: http.IncomingMessage) => string): Promise<string> {
  const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': type }); res.end(render(req)); });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('safeUrl', () => {
  it('masks every query value and the userinfo, whatever the parameter names', () => {
    expect(safeUrl('http://bob:pw123@feeds.example.com/stock.csv?customer=4711&pw=hunter2secret&format=csv'))
      .toBe('http://***:***@feeds.example.com/stock.csv?customer=***&pw=***&format=***');
    expect(safeUrl('https://shop.example.com/wp-json/wc/v3/products')).toBe('https://shop.example.com/wp-json/wc/v3/products');
  });

  it('keeps a page number or size under a paging name (where a listing failed), nothing else', () => {
    expect(safeUrl('https://api.example.com/v2/products?page_no=2&limit=200&token=abc&page=next-cursor-xyz&offset=99999999'))
      .toBe('https://api.example.com/v2/products?page_no=2&limit=200&token=***&page=***&offset=***');
  });
});

describe('redact', () => {
  it('masks a secret holding " or \\ in a JSON log line, where it is written escaped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-redact-'));
    const file = path.join(dir, 'log.jsonl');
    const secret = 'pa"ss\\word-42';
    registerSecret(secret);
    configureLogging({ level: 'info', stderrLevel: 'silent', file });
    logger('test').info({ detail: `login with ${secret}` }, `refused: ${secret}`);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(text).not.toContain('ss\\\\word');
    const line = JSON.parse(text.trim().split('\n').pop()!) as { msg: string; detail: string };
    expect([line.msg, line.detail]).toEqual(['refused: ***', 'login with ***']);
  });

  it('masks the longest secret whole when one secret contains another', () => {
    registerSecret('abcd');
    registerSecret('abcdefgh-long');
    expect(redact('x abcdefgh-long y abcd')).toBe('x *** y ***');
  });

  it('masks a numeric query value only together with its name', () => {
    registerUrlSecrets('https://feeds.example.com/f.csv?customer=4711&pw=hunter2secret&active=true');
    expect(redact('?customer=4711&pw=hunter2secret&active=true: 4711 items, dryRun true')).toBe('?***&pw=***&***: 4711 items, dryRun true');
  });
});

describe('derived credentials', () => {
  it('the WooCommerce Basic token base64(key:secret) is registered as a secret', () => {
    const consumerKey = 'ck_derived_0123456789';
    const consumerSecret = 'cs_derived_9876543210';
    createWooCommerceStore(WooCommerceStoreConfig.parse({ type: 'woocommerce', url: 'https://shop.example.com', consumerKey, consumerSecret }));
    const token = Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64');
    expect(redact(`authorization: Basic ${token}`)).toBe('authorization: Basic ***');
  });

  it('a non-JSON error page that echoes the request headers is described by type, size and title only', async () => {
    const token = Buffer.from('ck_unregistered:cs_unregistered_secret').toString('base64');
    const url = await serve('text/html; charset=utf-8', (req) => `<title>Request blocked</title>Authorization: ${req.headers.authorization}`);
    const client = createHttpClient({ name: 'store', retries: 0, headers: { authorization: `Basic ${token}` } });
    const err = await client.json({ url: `${url}/wp-json/wc/v3/products` }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as Error).message).toMatch(/expected JSON, got text\/html \(\d+ bytes, titled "Request blocked"\)$/);
    expect((err as Error).message).not.toContain(token);
  });

  it('describeBody: plain text is never echoed; a token-like run in an HTML title is masked', () => {
    const token = Buffer.from('ck_x:cs_y_long_enough_secret').toString('base64');
    expect(describeBody(`Authorization: Basic ${token}`, { 'content-type': 'text/plain' })).toBe(`text/plain (${`Authorization: Basic ${token}`.length} bytes)`);
    expect(describeBody(`<html><head><title>Denied ${token}</title>`, { 'content-type': 'text/html' })).toMatch(/titled "Denied \*\*\*"\)$/);
    expect(describeBody('', {})).toBe('no content type (0 bytes)');
  });
});
