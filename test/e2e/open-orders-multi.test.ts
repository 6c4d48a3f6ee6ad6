/**
 * SPEC §12 with several stores (§9): a sale on one channel is a sale for all. The built CLI against
 * the WooCommerce emulator (open orders read through its orders API) and the Vendure fake (units
 * placed orders hold, `stockAllocated`, read with the listing), or the Medusa fake (units placed
 * orders reserve at the location, `reserved_quantity`, read with the listing).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startMedusaFake, type MedusaFake } from '../fakes/medusa.js';
import { startVendureFake, type VendureFake } from '../fakes/vendure.js';
import { DEFAULT_WOO_KEY, variableProduct, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { csvProject } from '../helpers/project.js';
import type { RunSummary } from '../../src/domain/types.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

const ENV = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

/** Web (WooCommerce): MUG (id 1), TEE (2) with TEE-S (3) and TEE-M (4), CAP (5); Vendure: MUG, TEE-S, CAP. Every level 2. */
async function shops(): Promise<{ web: WooEmulator; vendure: VendureFake }> {
  const web = await webShop();
  const vendure = await startVendureFake({
    products: [{ variants: [{ sku: 'MUG', stock: 2 }] }, { variants: [{ sku: 'TEE-S', stock: 2 }] }, { variants: [{ sku: 'CAP', stock: 2 }] }],
  });
  closers.push(() => vendure.close());
  return { web, vendure };
}

async function webShop(): Promise<WooEmulator> {
  const web = await startWooEmulator({
    products: [
      { type: 'simple', name: 'Mug', sku: 'MUG', manage_stock: true, stock_quantity: 2 },
      variableProduct('TEE', [{ sku: 'TEE-S', stock_quantity: 2 }, { sku: 'TEE-M', stock_quantity: 2 }]),
      { type: 'simple', name: 'Cap', sku: 'CAP', manage_stock: true, stock_quantity: 2 },
    ],
  });
  closers.push(() => web.close());
  return web;
}

const webStore = (web: WooEmulator) => ({ name: 'web', type: 'woocommerce', url: web.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' });

/**
 * The web's orders of the subtract scenarios: 2 MUG and 1 TEE-S (one multi-line order, a
 * variation), an on-hold order for 1 CAP (open), a completed one for 1 TEE-M (not open).
 */
function placeWebOrders(web: WooEmulator): void {
  web.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }, { product_id: 2, variation_id: 3, quantity: 1 }] });
  web.placeOrder({ status: 'on-hold', line_items: [{ product_id: 5, quantity: 1 }] });
  web.placeOrder({ status: 'completed', line_items: [{ product_id: 2, variation_id: 4, quantity: 1 }] });
}

function setup(web: WooEmulator, vendure: VendureFake, openOrders: unknown, feed: Array<[string, number]>, stores?: unknown[]) {
  return setupStores(openOrders, feed, stores ?? [
    webStore(web),
    { name: 'vendure', type: 'vendure', url: vendure.url, username: vendure.username, password: vendure.password },
  ]);
}

function setupStores(openOrders: unknown, feed: Array<[string, number]>, stores: unknown[]) {
  return csvProject(feed, { stores, rules: { openOrders } }, { env: ENV });
}

const FEED: Array<[string, number]> = [['MUG', 5], ['TEE-S', 5], ['TEE-M', 5], ['CAP', 5]];
const summary = (stdout: string) => JSON.parse(stdout) as RunSummary;
const changes = (s: RunSummary) => s.changes.map((c) => [c.store, c.sku, c.from, c.to, c.reason]);

describe('open orders with several stores (SPEC §12, §9)', () => {
  it('without subtract, each store gets the whole supply: the units sold on the other channel are offered again', async () => {
    const { web, vendure } = await shops();
    web.placeOrder({ line_items: [{ product_id: 1, quantity: 2 }] });
    vendure.placeOrder('CAP', 1);
    const res = await setup(web, vendure, 'ignore', FEED).run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(vendure.stockOf('MUG')).toBe(5);
    expect(web.stockBySku().get('CAP')).toBe(5);
  });

  it('with subtract, every store\'s open orders come off every store\'s target; a platform store\'s own held units only off the others\'', async () => {
    const { web, vendure } = await shops();
    // WooCommerce sold 2 MUG and 1 TEE-S (one multi-line order, a variation) and has an on-hold order for CAP;
    // Vendure holds 1 CAP and 2 TEE-S for placed, unfulfilled orders.
    placeWebOrders(web);
    vendure.placeOrder('CAP', 1);
    vendure.placeOrder('TEE-S', 2);
    const res = await setup(web, vendure, 'subtract', FEED).run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(changes(s)).toEqual([
      // web: MUG 5 − 2 (its own order); TEE-S 5 − 1 (own) − 2 (Vendure's); TEE-M: the completed order is not open; CAP 5 − 1 (own) − 1 (Vendure's).
      ['web', 'MUG', 0, 3, 'feed 5 → open orders −2 → 3'],
      ['web', 'TEE-S', 1, 2, 'feed 5 → open orders −3 → 2'],
      ['web', 'TEE-M', 1, 5, 'supplier'],
      ['web', 'CAP', 1, 3, 'feed 5 → open orders −2 → 3'],
      // vendure: the web's orders only; its own allocations are already held back by Vendure (saleable = stockOnHand − stockAllocated).
      ['vendure', 'MUG', 2, 3, 'feed 5 → open orders −2 → 3'],
      ['vendure', 'TEE-S', 2, 4, 'feed 5 → open orders −1 → 4'],
      ['vendure', 'CAP', 2, 4, 'feed 5 → open orders −1 → 4'],
    ]);
    expect(Object.fromEntries(web.stockBySku())).toEqual({ MUG: 3, 'TEE-S': 2, 'TEE-M': 5, CAP: 3 });
    expect([vendure.stockOf('MUG'), vendure.stockOf('TEE-S'), vendure.stockOf('CAP')]).toEqual([3, 4, 4]);
    // Vendure sells 4 − 2 TEE-S and 4 − 1 CAP; the web 2 and 3: together 5 − 1 − 2 sold TEE-S, never more than the supplier has.
    expect([vendure.allocatedOf('TEE-S'), vendure.allocatedOf('CAP')]).toEqual([2, 1]);
  });

  it('orders outside the window are not subtracted', async () => {
    const { web, vendure } = await shops();
    web.placeOrder({ createdAt: new Date(Date.now() - 30 * 3_600_000), line_items: [{ product_id: 1, quantity: 1 }] });
    web.placeOrder({ line_items: [{ product_id: 5, quantity: 1 }] });
    const res = await setup(web, vendure, { mode: 'subtract', lookbackHours: 24 }, FEED).run(['full', '--json']);
    expect(res.code).toBe(0);
    const s = summary(res.stdout);
    expect(s.changes.filter((c) => c.store === 'vendure').map((c) => [c.sku, c.to])).toEqual([['MUG', 5], ['TEE-S', 5], ['CAP', 4]]);
  });

  it('a fetch narrowed with --store leaves the other store\'s open orders from an earlier fetch: match refuses (exit 4) until a full fetch', async () => {
    const { web, vendure } = await shops();
    const t = setup(web, vendure, 'subtract', FEED);
    expect((await t.run(['fetch'])).code).toBe(0);
    vendure.placeOrder('MUG', 2);
    expect((await t.run(['fetch', '--store', 'web'])).code).toBe(0);
    const refused = await t.run(['match', '--store', 'web', '--json']);
    expect(refused.code).toBe(4);
    expect(summary(refused.stdout).stores![0]!.message).toMatch(/did not read the open orders of store "vendure"/);
    expect((await t.run(['fetch'])).code).toBe(0);
    const res = await t.run(['match', '--store', 'web', '--json']);
    expect(res.code).toBe(0);
    expect(summary(res.stdout).changes.find((c) => c.sku === 'MUG')).toMatchObject({ to: 3, reason: 'feed 5 → open orders −2 → 3' });
  });

  it('a store that cannot tell open orders, or cannot tell them to the others, refuses subtract at config validation (exit 2, naming it)', async () => {
    const { web, vendure } = await shops();
    const woo = webStore(web);
    const legacy = { name: 'm2', type: 'magento2', url: 'http://127.0.0.1:9', token: 't', msi: false };
    const big = setup(web, vendure, 'subtract', FEED, [woo, legacy]);
    const r1 = await big.run(['fetch']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/stores\.1\.type: rules\.openOrders .*store \\"m2\\": store type \\"magento2\\" with msi: false cannot tell open orders/);
    const magento = setup(web, vendure, 'subtract', FEED, [woo, { name: 'mag', type: 'magento2', url: 'http://127.0.0.1:9', token: 't' }]);
    const r2 = await magento.run(['fetch']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/store \\"mag\\": store type \\"magento2\\" holds its open orders back itself, but invsync cannot read them for the other stores/);
    // The same stores with "ignore" are fine.
    expect((await setup(web, vendure, 'ignore', FEED, [woo, legacy]).run(['fetch', '--store', 'web'])).code).toBe(0);
  });
});

/** Web (WooCommerce) as in shops(); Medusa: MUG, TEE-S, CAP, each stocked 2 at its location. */
async function withMedusa(): Promise<{ web: WooEmulator; medusa: MedusaFake; stores: unknown[] }> {
  const web = await webShop();
  const medusa = await startMedusaFake({
    products: [{ title: 'Mug', variants: [{ sku: 'MUG', stock: 2 }] }, { title: 'Tee S', variants: [{ sku: 'TEE-S', stock: 2 }] }, { title: 'Cap', variants: [{ sku: 'CAP', stock: 2 }] }],
  });
  closers.push(() => medusa.close());
  const stores = [
    webStore(web),
    { name: 'med', type: 'medusa', url: medusa.url, email: medusa.email, password: medusa.password, locationId: medusa.locationId },
  ];
  return { web, medusa, stores };
}

describe('open orders with several stores: Medusa reservations (SPEC §12, §9)', () => {
  it('with subtract, Medusa\'s reserved units come off the other store\'s target, not its own; the other store\'s open orders come off Medusa\'s', async () => {
    const { web, medusa, stores } = await withMedusa();
    placeWebOrders(web);
    // Medusa reserves 1 CAP and 2 TEE-S for placed, unfulfilled orders.
    medusa.reserve('CAP', 1);
    medusa.reserve('TEE-S', 2);
    const res = await setupStores('subtract', FEED, stores).run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(changes(summary(res.stdout))).toEqual([
      // web: MUG 5 − 2 (its own order); TEE-S 5 − 1 (own) − 2 (Medusa's reserved); CAP 5 − 1 (own) − 1 (Medusa's).
      ['web', 'MUG', 0, 3, 'feed 5 → open orders −2 → 3'],
      ['web', 'TEE-S', 1, 2, 'feed 5 → open orders −3 → 2'],
      ['web', 'TEE-M', 1, 5, 'supplier'],
      ['web', 'CAP', 1, 3, 'feed 5 → open orders −2 → 3'],
      // med: the web's orders only; Medusa already sells stocked − reserved.
      ['med', 'MUG', 2, 3, 'feed 5 → open orders −2 → 3'],
      ['med', 'TEE-S', 2, 4, 'feed 5 → open orders −1 → 4'],
      ['med', 'CAP', 2, 4, 'feed 5 → open orders −1 → 4'],
    ]);
    expect(Object.fromEntries(web.stockBySku())).toEqual({ MUG: 3, 'TEE-S': 2, 'TEE-M': 5, CAP: 3 });
    expect([medusa.stockOf('MUG'), medusa.stockOf('TEE-S'), medusa.stockOf('CAP')]).toEqual([3, 4, 4]);
    // Medusa sells 4 − 2 TEE-S and 4 − 1 CAP; the web 2 and 3: never more than the supplier's 5 minus what is sold.
    expect([medusa.reservedOf('TEE-S'), medusa.reservedOf('CAP')]).toEqual([2, 1]);
  });

  it('without subtract, Medusa\'s reservations are not read: the web gets the whole supply', async () => {
    const { web, medusa, stores } = await withMedusa();
    medusa.reserve('CAP', 2);
    const res = await setupStores('ignore', FEED, stores).run(['full', '--json']);
    expect(res.code).toBe(0);
    expect(web.stockBySku().get('CAP')).toBe(5);
    expect(medusa.stockOf('CAP')).toBe(5);
  });
});
