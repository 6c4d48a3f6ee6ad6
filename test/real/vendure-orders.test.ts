/**
 * Open orders on a REAL Vendure 3.7 server (issue 16 point 4; SPEC §12): an order is placed
 * through Vendure's own Shop API (guest checkout, dummy payment: PaymentAuthorized, stock
 * allocated), invsync `full` runs with `rules.openOrders: "subtract"`, and the result is read back
 * through Vendure's Admin and Shop APIs. Vendure holds the order's units back itself
 * (saleable = stockOnHand − stockAllocated), so invsync writes the supplier's level to
 * stockOnHand and subtracts nothing there; a second store sharing the supply (the WooCommerce
 * emulator) gets the supplier's level minus the units Vendure holds.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { tempDir } from '../helpers/cli.js';
import { csvProject } from '../helpers/project.js';
import { startRealServer, type RealServer } from './servers.js';
// @ts-expect-error -- plain ESM script without types (the same seeding `node e2e/vendure/seed.mjs` does)
import { adminClient, seedVendure } from '../../e2e/vendure/seed.mjs';

const PASSWORD = 'e2e-Vendure-Orders-9c1d';
const ENV = { VENDURE_PASSWORD: PASSWORD, WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;
interface Client { gql: Gql; login(username?: string, password?: string): Promise<void> }
const client = adminClient as (url: string) => Client;

/** Vendure: MUG 10, TEE-S 6 and TEE-M 4 (one product with two variants). */
const CATALOG = { products: [{ name: 'Mug', variants: [{ sku: 'MUG', stock: 10 }] }, { name: 'Tee', variants: [{ sku: 'TEE-S', stock: 6 }, { sku: 'TEE-M', stock: 4 }] }] };
/** The order placed through the Shop API: 3 MUG and 2 TEE-S. */
const ORDER: Array<[string, number]> = [['MUG', 3], ['TEE-S', 2]];
/** The supplier's levels: they do not know the order yet. */
const FEED: Array<[string, number]> = [['MUG', 8], ['TEE-S', 5], ['TEE-M', 7]];

interface Stock { stockOnHand: number; stockAllocated: number }

/** Guest checkout through the Shop API, step by step as a storefront does it; every step must succeed. */
async function placeOrder(shopApi: string, variantIds: Map<string, string>, shippingMethodId: string): Promise<{ code: string; state: string }> {
  const { gql } = client(shopApi);
  const step = async (field: string, query: string, variables: Record<string, unknown> = {}) => {
    const data = await gql<Record<string, { errorCode?: string; message?: string; code: string; state: string }>>(query, variables);
    const result = data[field]!;
    if (result.errorCode) throw new Error(`Shop API ${field}: ${result.errorCode} ${result.message}`);
    return result;
  };
  for (const [sku, quantity] of ORDER) {
    await step('addItemToOrder', `mutation($id: ID!, $q: Int!) { addItemToOrder(productVariantId: $id, quantity: $q) {
      ... on Order { code state } ... on ErrorResult { errorCode message } } }`, { id: variantIds.get(sku), q: quantity });
  }
  await step('setCustomerForOrder', `mutation { setCustomerForOrder(input: { emailAddress: "guest@example.com", firstName: "Guest", lastName: "Buyer" }) {
    ... on Order { code state } ... on ErrorResult { errorCode message } } }`);
  await step('setOrderShippingAddress', `mutation { setOrderShippingAddress(input: { fullName: "Guest Buyer", streetLine1: "1 Main St", city: "Sydney", postalCode: "2000", countryCode: "AU" }) {
    ... on Order { code state } ... on ErrorResult { errorCode message } } }`);
  await step('setOrderShippingMethod', `mutation($id: [ID!]!) { setOrderShippingMethod(shippingMethodId: $id) {
    ... on Order { code state } ... on ErrorResult { errorCode message } } }`, { id: [shippingMethodId] });
  await step('transitionOrderToState', `mutation { transitionOrderToState(state: "ArrangingPayment") {
    ... on Order { code state } ... on ErrorResult { errorCode message } } }`);
  return step('addPaymentToOrder', `mutation { addPaymentToOrder(input: { method: "dummy", metadata: { shouldDecline: false } }) {
    ... on Order { code state } ... on ErrorResult { errorCode message } } }`);
}

/**
 * What Vendure itself will sell of each variant, asked the way a shopper finds out: a fresh guest
 * session adds far more than there is (100; under Vendure's order limit of 999), and Vendure answers INSUFFICIENT_STOCK_ERROR with the
 * quantity available (stockOnHand − stockAllocated − outOfStockThreshold, computed by Vendure).
 * The guest's order stays in AddingItems, which allocates nothing.
 */
async function saleable(shopApi: string, variantIds: Map<string, string>): Promise<Record<string, number>> {
  const { gql } = client(shopApi);
  const out: Record<string, number> = {};
  for (const [sku, id] of variantIds) {
    const data = await gql<{ addItemToOrder: { errorCode?: string; quantityAvailable?: number } }>(`mutation($id: ID!) { addItemToOrder(productVariantId: $id, quantity: 100) {
      ... on InsufficientStockError { errorCode quantityAvailable } ... on ErrorResult { errorCode } } }`, { id });
    expect({ sku, errorCode: data.addItemToOrder.errorCode }).toEqual({ sku, errorCode: 'INSUFFICIENT_STOCK_ERROR' });
    out[sku] = data.addItemToOrder.quantityAvailable!;
  }
  return out;
}

describe('open orders on a real Vendure 3.7 server (rules.openOrders: "subtract")', () => {
  const dirs: string[] = [];
  let server: RealServer<{ adminApi: string; shopApi: string }> | undefined;
  let web: WooEmulator | undefined;
  let admin: Client;
  const variantIds = new Map<string, string>();
  let placed: { code: string; state: string };

  /** stockOnHand and stockAllocated of every variant, read through the Admin API. */
  async function stock(): Promise<Record<string, Stock>> {
    const data = await admin.gql<{ productVariants: { items: Array<{ sku: string } & Stock> } }>('{ productVariants(options: { take: 100 }) { items { sku stockOnHand stockAllocated } } }');
    return Object.fromEntries(data.productVariants.items.map((v) => [v.sku, { stockOnHand: v.stockOnHand, stockAllocated: v.stockAllocated }]));
  }

  function setup(stores: unknown[]) {
    const dir = tempDir('invsync-vendure-orders-');
    dirs.push(dir);
    const { run } = csvProject(FEED, { stores, rules: { openOrders: 'subtract' } }, { dir, env: ENV });
    return () => run(['full', '--json']);
  }
  const vendureStore = () => ({ name: 'vendure', type: 'vendure', url: server!.info.adminApi, username: 'superadmin', password: '${VENDURE_PASSWORD}' });

  beforeAll(async () => {
    server = await startRealServer<{ adminApi: string; shopApi: string }>('vendure', { VENDURE_SUPERADMIN_PASSWORD: PASSWORD });
    const seeded = await seedVendure(server.info.adminApi, CATALOG, { username: 'superadmin', password: PASSWORD }) as {
      shippingMethodId: string; variants: Array<{ id: string; sku: string }>;
    };
    for (const v of seeded.variants) variantIds.set(v.sku, v.id);
    admin = client(server.info.adminApi);
    await admin.login('superadmin', PASSWORD);
    placed = await placeOrder(server.info.shopApi, variantIds, seeded.shippingMethodId);
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await server?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an order placed through the Shop API allocates its units; invsync writes the supplier\'s level to stockOnHand, subtracts nothing, and the sold units stay sold', async () => {
    expect(placed.state).toBe('PaymentAuthorized');
    const before = await stock();
    expect(before).toEqual({
      MUG: { stockOnHand: 10, stockAllocated: 3 },
      'TEE-S': { stockOnHand: 6, stockAllocated: 2 },
      'TEE-M': { stockOnHand: 4, stockAllocated: 0 },
    });
    expect(await saleable(server!.info.shopApi, variantIds)).toEqual({ MUG: 7, 'TEE-S': 4, 'TEE-M': 4 });

    const res = await setup([vendureStore()])();
    expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(res.stdout) as RunSummary;
    expect(summary.changes.map((c) => [c.sku, c.from, c.to, c.reason, c.status])).toEqual([
      ['MUG', 10, 8, 'supplier', 'applied'],
      ['TEE-S', 6, 5, 'supplier', 'applied'],
      ['TEE-M', 4, 7, 'supplier', 'applied'],
    ]);

    const after = await stock();
    console.info(`real Vendure, order ${placed.code} (${placed.state}): before ${JSON.stringify(before)}; after invsync full ${JSON.stringify(after)}`);
    // stockOnHand is the feed level exactly; the allocation is Vendure's and untouched.
    expect(after).toEqual({
      MUG: { stockOnHand: 8, stockAllocated: 3 },
      'TEE-S': { stockOnHand: 5, stockAllocated: 2 },
      'TEE-M': { stockOnHand: 7, stockAllocated: 0 },
    });
    // What Vendure will sell: feed − allocated, the order's units held back once (not twice).
    expect(await saleable(server!.info.shopApi, variantIds)).toEqual({ MUG: 5, 'TEE-S': 3, 'TEE-M': 7 });
  }, 120_000);

  it('with a second store sharing the supply, that store\'s target is the supplier\'s level minus the units Vendure holds; Vendure\'s own is not lowered by them', async () => {
    // The web shop (WooCommerce emulator) has one open order of its own: 1 TEE-M, stock already reduced.
    web = await startWooEmulator({
      products: [
        { type: 'simple', name: 'Mug', sku: 'MUG', manage_stock: true, stock_quantity: 2 },
        { type: 'simple', name: 'Tee S', sku: 'TEE-S', manage_stock: true, stock_quantity: 2 },
        { type: 'simple', name: 'Tee M', sku: 'TEE-M', manage_stock: true, stock_quantity: 2 },
      ],
    });
    web.placeOrder({ line_items: [{ product_id: 3, quantity: 1 }] });
    const run = setup([
      { name: 'web', type: 'woocommerce', url: web.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
      vendureStore(),
    ]);
    const res = await run();
    expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(res.stdout) as RunSummary;
    expect(summary.changes.map((c) => [c.store, c.sku, c.from, c.to, c.reason])).toEqual([
      // web: Vendure's allocated MUG 3 and TEE-S 2; its own order's TEE-M 1.
      ['web', 'MUG', 2, 5, 'feed 8 → open orders −3 → 5'],
      ['web', 'TEE-S', 2, 3, 'feed 5 → open orders −2 → 3'],
      ['web', 'TEE-M', 1, 6, 'feed 7 → open orders −1 → 6'],
      // vendure: only the web's order; its own allocations are held back by Vendure already.
      ['vendure', 'TEE-M', 7, 6, 'feed 7 → open orders −1 → 6'],
    ]);

    const after = await stock();
    const sells = await saleable(server!.info.shopApi, variantIds);
    console.info(`real Vendure + WooCommerce emulator: vendure ${JSON.stringify(after)}, saleable ${JSON.stringify(sells)}; web ${JSON.stringify(Object.fromEntries(web.stockBySku()))}`);
    expect(after).toEqual({
      MUG: { stockOnHand: 8, stockAllocated: 3 },
      'TEE-S': { stockOnHand: 5, stockAllocated: 2 },
      'TEE-M': { stockOnHand: 6, stockAllocated: 0 },
    });
    expect(sells).toEqual({ MUG: 5, 'TEE-S': 3, 'TEE-M': 6 });
    expect(Object.fromEntries(web.stockBySku())).toEqual({ MUG: 5, 'TEE-S': 3, 'TEE-M': 6 });
  }, 120_000);
});
