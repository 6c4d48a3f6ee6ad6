/**
 * WooCommerce pages by offset (`page` × `per_page` over id order): a product that reappears with a
 * lower id while invsync lists (restored from the trash, published from a draft) shifts every later
 * page by one, so the next page repeats the last product of the page before. The emulator cannot
 * do that (its ids only grow), so this server serves such shifted pages as a real shop would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';
import { collect } from '../contracts/store-contract.js';

const product = (id: number) => ({ id, type: 'simple', sku: `S-${id}`, name: `P${id}`, manage_stock: true, stock_quantity: id, variations: [] });

let server: http.Server | undefined;
afterEach(async () => { await new Promise((r) => (server ? server.close(r) : r(undefined))); server = undefined; });

describe('woocommerce listing over pages that shift while it lists', () => {
  it('a product repeated at a page boundary is listed once, never as two holders of one SKU', async () => {
    // Page 1 is read before product 2 comes back from the trash; page 2 is read after: [3, 4] became [2, 3].
    const pages: Record<string, number[]> = { 1: [1, 3], 2: [3, 4], 3: [5] };
    server = http.createServer((req, res) => {
      const page = new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1';
      res.writeHead(200, { 'content-type': 'application/json', 'x-wp-total': '5', 'x-wp-totalpages': '3' });
      res.end(JSON.stringify((pages[page] ?? []).map(product)));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = createWooCommerceStore({ type: 'woocommerce', url, consumerKey: 'ck_x', consumerSecret: 'cs_x', pageSize: 2 } as Parameters<typeof createWooCommerceStore>[0]);
    expect((await collect(store.list())).map((i) => i.sku)).toEqual(['S-1', 'S-3', 'S-4', 'S-5']);
  });
});
