/**
 * SPEC §12 on WooCommerce: the adapter's open orders against the emulator's orders endpoint,
 * and the endpoint's own fidelity (what stock an order takes, which statuses a filter returns).
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { WooCommerceStoreConfig } from '../../src/config/schema.js';
import { HttpError } from '../../src/domain/errors.js';
import { createWooCommerceStore } from '../../src/stores/woocommerce/index.js';
import type { OpenOrderLine } from '../../src/stores/types.js';
import {
  DEFAULT_WOO_KEY, TEST_TLS, startWooEmulator, variableProduct, wooRequest, WOO_ORDER_STATUSES,
  type WooEmulator, type WooEmulatorOptions,
} from '../fakes/woocommerce.js';

beforeAll(() => {
  process.env.INVSYNC_RETRY_BASE_MS = '20';
});

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

async function shop(options: WooEmulatorOptions = {}): Promise<WooEmulator> {
  const emu = await startWooEmulator({
    products: [
      { type: 'simple', name: 'Mug', sku: 'MUG', manage_stock: true, stock_quantity: 10 },
      variableProduct('TEE', [{ sku: 'TEE-S', stock_quantity: 10 }, { sku: 'TEE-M', stock_quantity: 10 }]),
      { type: 'simple', name: 'Cap', sku: 'CAP', manage_stock: true, stock_quantity: 10 },
    ],
    ...options,
  });
  running.push(emu);
  return emu;
}

function store(emu: WooEmulator, overrides: Partial<WooCommerceStoreConfig> = {}) {
  return createWooCommerceStore({
    type: 'woocommerce', url: emu.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret,
    ...(emu.url.startsWith('https:') ? { insecureTls: true } : {}),
    ...overrides,
  });
}

async function lines(emu: WooEmulator, since: string): Promise<OpenOrderLine[]> {
  const out: OpenOrderLine[] = [];
  for await (const line of store(emu).openOrders!(since)) out.push(line);
  return out;
}

const HOUR = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR);

/** Ids as the emulator assigned them: MUG 1, TEE 2 (variations 3 and 4), CAP 5. */
const MUG = { product_id: 1 };
const TEE_S = { product_id: 2, variation_id: 3 };
const TEE_M = { product_id: 2, variation_id: 4 };

describe('the emulator keeps WooCommerce orders', () => {
  it('takes stock off when an order is processing or on-hold, not while pending, and puts it back when cancelled', async () => {
    const emu = await shop();
    const pending = emu.placeOrder({ status: 'pending', line_items: [{ ...MUG, quantity: 2 }] });
    expect(emu.stockBySku().get('MUG')).toBe(10);
    emu.setOrderStatus(pending.id, 'processing');
    expect(emu.stockBySku().get('MUG')).toBe(8);
    emu.setOrderStatus(pending.id, 'completed');
    expect(emu.stockBySku().get('MUG')).toBe(8);
    const held = emu.placeOrder({ status: 'on-hold', line_items: [{ ...TEE_S, quantity: 3 }] });
    expect(emu.stockBySku().get('TEE-S')).toBe(7);
    emu.setOrderStatus(held.id, 'cancelled');
    expect(emu.stockBySku().get('TEE-S')).toBe(10);
  });

  it('filters by a comma list of statuses and a GMT `after`, pages with X-WP-Total, and rejects what WordPress rejects', async () => {
    const emu = await shop();
    for (const status of WOO_ORDER_STATUSES) emu.placeOrder({ status, line_items: [{ ...MUG, quantity: 1 }] });
    emu.placeOrder({ status: 'processing', createdAt: ago(72), line_items: [{ ...MUG, quantity: 1 }] });
    const after = ago(48).toISOString().slice(0, 19);
    const res = await wooRequest(emu, { path: 'orders', query: { status: 'processing,on-hold', after, dates_are_gmt: 'true', per_page: 100 } });
    expect(res.status).toBe(200);
    expect((res.body as Array<{ status: string }>).map((o) => o.status).sort()).toEqual(['on-hold', 'processing']);
    expect(res.headers.get('x-wp-total')).toBe('2');
    expect((await wooRequest(emu, { path: 'orders', query: { per_page: 101 } })).status).toBe(400);
    expect((await wooRequest(emu, { path: 'orders', query: { status: 'open' } })).status).toBe(400);
    expect((await wooRequest(emu, { path: 'orders', query: { after: 'yesterday' } })).status).toBe(400);
    expect((await wooRequest(emu, { path: 'orders', auth: 'none' })).status).toBe(401);
  });
});

describe('WooCommerce open orders (SPEC §12)', () => {
  it('counts processing and on-hold orders only; pending, completed, cancelled, refunded and failed hold nothing', async () => {
    const emu = await shop();
    for (const status of WOO_ORDER_STATUSES) emu.placeOrder({ status, line_items: [{ ...MUG, quantity: 1 }] });
    const got = await lines(emu, ago(48).toISOString());
    expect(got.map((l) => [l.sku, l.qty])).toEqual([['MUG', 1], ['MUG', 1]]);
    const statuses = emu.orders().filter((o) => got.some((l) => l.orderId === o.id)).map((o) => o.status).sort();
    expect(statuses).toEqual(['on-hold', 'processing']);
  });

  it('reads only orders placed inside the look-back window', async () => {
    const emu = await shop();
    emu.placeOrder({ createdAt: ago(47), line_items: [{ ...MUG, quantity: 2 }] });
    emu.placeOrder({ createdAt: ago(49), line_items: [{ ...MUG, quantity: 5 }] });
    expect((await lines(emu, ago(48).toISOString())).map((l) => l.qty)).toEqual([2]);
    expect((await lines(emu, ago(50).toISOString())).map((l) => l.qty)).toEqual([2, 5]);
  });

  it('yields every line of a multi-line order with its product and variation ids (null for a simple product)', async () => {
    const emu = await shop();
    const order = emu.placeOrder({ status: 'on-hold', line_items: [{ ...MUG, quantity: 1 }, { ...TEE_S, quantity: 2 }, { ...TEE_M, quantity: 3 }] });
    expect(await lines(emu, ago(1).toISOString())).toEqual([
      { orderId: order.id, sku: 'MUG', productId: 1, variationId: null, qty: 1 },
      { orderId: order.id, sku: 'TEE-S', productId: 2, variationId: 3, qty: 2 },
      { orderId: order.id, sku: 'TEE-M', productId: 2, variationId: 4, qty: 3 },
    ]);
  });

  it('pages 100 orders per request, oldest id first, with the statuses and window in the query (also signed over http)', async () => {
    const emu = await shop();
    for (let i = 0; i < 250; i++) emu.placeOrder({ line_items: [{ ...MUG, quantity: 1 }] });
    const since = ago(1);
    const got = await lines(emu, since.toISOString());
    expect(got).toHaveLength(250);
    expect(got.map((l) => l.orderId)).toEqual([...got.map((l) => l.orderId)].sort((a, b) => Number(a) - Number(b)));
    const reads = emu.requests.filter((r) => r.path.endsWith('/orders'));
    expect(reads.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(reads.every((r) => r.status === 200 && r.query.per_page === '100' && r.query.status === 'processing,on-hold'
      && r.query.after === since.toISOString().slice(0, 19) && r.query.dates_are_gmt === 'true' && r.query.orderby === 'id')).toBe(true);
  });

  it('over https asks for the order fields it reads only', async () => {
    const emu = await shop({ tls: TEST_TLS });
    emu.placeOrder({ line_items: [{ ...MUG, quantity: 4 }] });
    expect((await lines(emu, ago(1).toISOString())).map((l) => l.qty)).toEqual([4]);
    expect(emu.requests.find((r) => r.path.endsWith('/orders'))?.query._fields).toBe('id,status,date_created_gmt,line_items');
  });

  it('re-checks status and date itself: a store that ignores the filters never makes a shipped or old order count', async () => {
    const emu = await shop();
    emu.placeOrder({ status: 'completed', line_items: [{ ...MUG, quantity: 1 }] });
    emu.placeOrder({ createdAt: ago(100), line_items: [{ ...MUG, quantity: 1 }] });
    const open = emu.placeOrder({ status: 'on-hold', line_items: [{ ...MUG, quantity: 3 }] });
    emu.faults.ignoreOrderFilters = true;
    const got = await lines(emu, ago(48).toISOString());
    expect(emu.requests.filter((r) => r.path.endsWith('/orders')).map((r) => r.status)).toEqual([200]);
    expect(got.map((l) => l.orderId)).toEqual([open.id]);
  });

  it('a failing orders listing fails as a whole (after retries): the caller never plans with part of them', async () => {
    const emu = await shop();
    emu.placeOrder({ line_items: [{ ...MUG, quantity: 1 }] });
    emu.faults.failOrders = true;
    await expect(lines(emu, ago(1).toISOString())).rejects.toBeInstanceOf(HttpError);
  });
});
