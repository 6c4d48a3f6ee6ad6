/**
 * Open orders on a REAL Medusa 2.21 server (issue 16 point 4; SPEC §12): an order is placed
 * through Medusa's own Store API (cart → line items → address → shipping method → payment
 * collection with the system payment provider → complete), which reserves its units at the
 * location; invsync `full` runs with `rules.openOrders: "subtract"`, and the result is read back
 * through the Admin API (the location levels) and the Store API (what the storefront is told it
 * can sell). Medusa holds the order's units back itself (available = stocked_quantity −
 * reserved_quantity), so invsync writes the supplier's level to stocked_quantity and subtracts
 * nothing there. With a second store sharing the supply, Medusa's reserved units (read with its
 * listing) come off that store's target. Not part of `npm test`: run with `npm run e2e:medusa`.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { DEFAULT_WOO_KEY, startWooEmulator } from '../fakes/woocommerce.js';
import { tempDir } from '../helpers/cli.js';
import { csvProject } from '../helpers/project.js';
import { startRealServer, type RealServer } from './servers.js';
// @ts-expect-error -- plain ESM script without types (the same seeding `node e2e/medusa/seed.mjs` does)
import { adminClient, seedCheckout, seedMedusa } from '../../e2e/medusa/seed.mjs';

interface MedusaInfo { url: string; email: string; password: string }
type Call = <T>(method: string, p: string, body?: unknown) => Promise<T>;
interface Seeded { locationId: string; salesChannelId: string; variants: Array<{ sku: string; id: string; inventoryItemId: string }> }
interface Checkout { regionId: string; publishableKey: string; shippingOptionId: string }
interface Level { stocked: number; reserved: number; available: number }

/** Medusa: MUG 10, TEE-S 6 and TEE-M 4 (one product with two variants). */
const CATALOG = { products: [{ name: 'Mug', variants: [{ sku: 'MUG', stock: 10 }] }, { name: 'Tee', variants: [{ sku: 'TEE-S', stock: 6 }, { sku: 'TEE-M', stock: 4 }] }] };
/** The order placed through the Store API: 3 MUG and 2 TEE-S. */
const ORDER: Array<[string, number]> = [['MUG', 3], ['TEE-S', 2]];
/** The supplier's levels: they do not know the order yet. */
const FEED: Array<[string, number]> = [['MUG', 8], ['TEE-S', 5], ['TEE-M', 7]];

/** The Store API as a storefront calls it: every request carries the publishable key. */
function storeApi(url: string, publishableKey: string): Call {
  return async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-publishable-api-key': publishableKey },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`Store API ${method} ${p}: ${res.status} ${(await res.text()).slice(0, 1000)}`);
    return await res.json() as T;
  };
}

/** Guest checkout through the Store API, step by step as a storefront does it; every step must succeed. */
async function placeOrder(store: Call, checkout: Checkout, variantIds: Map<string, string>): Promise<{ id: string; displayId: number; status: string }> {
  const { cart } = await store<{ cart: { id: string } }>('POST', '/store/carts', { region_id: checkout.regionId, email: 'guest@example.com' });
  for (const [sku, quantity] of ORDER) {
    await store('POST', `/store/carts/${cart.id}/line-items`, { variant_id: variantIds.get(sku), quantity });
  }
  const address = { first_name: 'Guest', last_name: 'Buyer', address_1: '1 Main St', city: 'Springfield', postal_code: '12345', country_code: 'us' };
  await store('POST', `/store/carts/${cart.id}`, { shipping_address: address, billing_address: address });
  const { shipping_options: options } = await store<{ shipping_options: Array<{ id: string }> }>('GET', `/store/shipping-options?cart_id=${cart.id}`);
  expect(options.map((o) => o.id)).toEqual([checkout.shippingOptionId]);
  await store('POST', `/store/carts/${cart.id}/shipping-methods`, { option_id: checkout.shippingOptionId });
  const { payment_collection: collection } = await store<{ payment_collection: { id: string } }>('POST', '/store/payment-collections', { cart_id: cart.id });
  await store('POST', `/store/payment-collections/${collection.id}/payment-sessions`, { provider_id: 'pp_system_default' });
  const done = await store<{ type: string; order?: { id: string; display_id: number; status: string }; error?: unknown }>('POST', `/store/carts/${cart.id}/complete`, {});
  if (done.type !== 'order' || !done.order) throw new Error(`Store API complete cart: ${JSON.stringify(done).slice(0, 1000)}`);
  return { id: done.order.id, displayId: done.order.display_id, status: done.order.status };
}

describe('open orders on a real Medusa 2.21 server (rules.openOrders: "subtract")', () => {
  const dirs: string[] = [];
  let server: RealServer<MedusaInfo> | undefined;
  let admin: Call;
  let store: Call;
  let seeded: Seeded;
  let placed: { id: string; displayId: number; status: string };
  const variantIds = new Map<string, string>();

  /** Per SKU: stocked, reserved and available quantity of its level at the location, read through the Admin API. */
  async function levels(): Promise<Record<string, Level>> {
    const out: Record<string, Level> = {};
    for (const v of seeded.variants) {
      const { inventory_levels: found } = await admin<{ inventory_levels: Array<{ location_id: string; stocked_quantity: number; reserved_quantity: number; available_quantity: number }> }>(
        'GET', `/admin/inventory-items/${v.inventoryItemId}/location-levels?location_id=${seeded.locationId}`);
      expect(found).toHaveLength(1);
      out[v.sku] = { stocked: found[0]!.stocked_quantity, reserved: found[0]!.reserved_quantity, available: found[0]!.available_quantity };
    }
    return out;
  }

  /** What the storefront is told it can sell of each variant (Medusa computes it over the sales channel's locations). */
  async function sellable(): Promise<Record<string, number>> {
    const { products } = await store<{ products: Array<{ variants: Array<{ sku: string; inventory_quantity: number }> }> }>(
      'GET', '/store/products?limit=50&fields=id,variants.sku,%2Bvariants.inventory_quantity');
    return Object.fromEntries(products.flatMap((p) => p.variants.map((v) => [v.sku, v.inventory_quantity] as const)).sort(([a], [b]) => a.localeCompare(b)));
  }

  const medusaStore = () => ({ type: 'medusa', url: server!.info.url, email: server!.info.email, password: '${MEDUSA_PASSWORD}', locationId: seeded.locationId });
  /** `invsync full --json` with the feed, `rules.openOrders: "subtract"` and the given store(s). */
  function setup(stores: Record<string, unknown>) {
    const dir = tempDir('invsync-medusa-orders-');
    dirs.push(dir);
    const { run } = csvProject(FEED, { ...stores, rules: { openOrders: 'subtract' } }, {
      dir, env: { MEDUSA_PASSWORD: server!.info.password, WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret },
    });
    return () => run(['full', '--json']);
  }

  beforeAll(async () => {
    server = await startRealServer<MedusaInfo>('medusa', {}, 300_000);
    const credentials = { email: server.info.email, password: server.info.password };
    seeded = await seedMedusa(server.info.url, credentials, CATALOG) as Seeded;
    for (const v of seeded.variants) variantIds.set(v.sku, v.id);
    const checkout = await seedCheckout(server.info.url, credentials, seeded) as Checkout;
    const client = (adminClient as (url: string) => { call: Call; login(email: string, password: string): Promise<void> })(server.info.url);
    await client.login(credentials.email, credentials.password);
    admin = client.call;
    store = storeApi(server.info.url, checkout.publishableKey);
    placed = await placeOrder(store, checkout, variantIds);
  }, 360_000);

  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an order placed through the Store API reserves its units; invsync writes the supplier\'s level to stocked_quantity, subtracts nothing, and the reservation stays', async () => {
    expect(placed.status).toBe('pending');
    // The order's reservations, as the Admin API lists them: one per line, at the location.
    const { reservations } = await admin<{ reservations: Array<{ inventory_item_id: string; location_id: string; quantity: number }> }>('GET', `/admin/reservations?location_id=${seeded.locationId}&limit=50`);
    const skuOf = new Map(seeded.variants.map((v) => [v.inventoryItemId, v.sku]));
    expect(reservations.map((r) => [skuOf.get(r.inventory_item_id), r.quantity]).sort()).toEqual([['MUG', 3], ['TEE-S', 2]]);

    const before = await levels();
    expect(before).toEqual({
      MUG: { stocked: 10, reserved: 3, available: 7 },
      'TEE-S': { stocked: 6, reserved: 2, available: 4 },
      'TEE-M': { stocked: 4, reserved: 0, available: 4 },
    });
    expect(await sellable()).toEqual({ MUG: 7, 'TEE-M': 4, 'TEE-S': 4 });

    const res = await setup({ store: medusaStore() })();
    expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(res.stdout) as RunSummary;
    // By SKU: Medusa lists by id, and ids made in the same millisecond do not sort in catalog order.
    expect(summary.changes.map((c) => [c.sku, c.from, c.to, c.reason, c.status]).sort()).toEqual([
      ['MUG', 10, 8, 'supplier', 'applied'],
      ['TEE-M', 4, 7, 'supplier', 'applied'],
      ['TEE-S', 6, 5, 'supplier', 'applied'],
    ]);

    const after = await levels();
    const sells = await sellable();
    console.info(`real Medusa, order #${placed.displayId} (${placed.status}): before ${JSON.stringify(before)}; after invsync full ${JSON.stringify(after)}; storefront sells ${JSON.stringify(sells)}`);
    // stocked_quantity is the feed level exactly; the reservation is Medusa's and untouched.
    expect(after).toEqual({
      MUG: { stocked: 8, reserved: 3, available: 5 },
      'TEE-S': { stocked: 5, reserved: 2, available: 3 },
      'TEE-M': { stocked: 7, reserved: 0, available: 7 },
    });
    // What Medusa will sell: feed − reserved, the order's units held back once (not twice).
    expect(sells).toEqual({ MUG: 5, 'TEE-M': 7, 'TEE-S': 3 });
  }, 120_000);

  it('with a second store sharing the supply, Medusa\'s reserved units come off the other store\'s target, not its own; the other store\'s open order comes off Medusa\'s', async () => {
    // After the first test: MUG stocked 8 reserved 3, TEE-S 5 reserved 2, TEE-M 7 — the feed levels.
    const web = await startWooEmulator({
      products: [
        { type: 'simple', name: 'Mug', sku: 'MUG', manage_stock: true, stock_quantity: 2 },
        { type: 'simple', name: 'Tee S', sku: 'TEE-S', manage_stock: true, stock_quantity: 2 },
      ],
    });
    try {
      // The web sells 1 MUG (processing: WooCommerce took it off its stock, 2 → 1).
      web.placeOrder({ line_items: [{ product_id: 1, quantity: 1 }] });
      const res = await setup({ stores: [{ name: 'web', type: 'woocommerce', url: web.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' }, { name: 'medusa', ...medusaStore() }] })();
      expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
      const summary = JSON.parse(res.stdout) as RunSummary;
      expect(summary.changes.map((c) => [c.store, c.sku, c.from, c.to, c.reason, c.status]).sort()).toEqual([
        // medusa: the web's order only; Medusa already holds its own reservations back.
        ['medusa', 'MUG', 8, 7, 'feed 8 → open orders −1 → 7', 'applied'],
        // web: MUG 8 − 1 (its own order) − 3 (Medusa's reserved); TEE-S 5 − 2 (Medusa's reserved).
        ['web', 'MUG', 1, 4, 'feed 8 → open orders −4 → 4', 'applied'],
        ['web', 'TEE-S', 2, 3, 'feed 5 → open orders −2 → 3', 'applied'],
      ]);
      expect(Object.fromEntries(web.stockBySku())).toEqual({ MUG: 4, 'TEE-S': 3 });
    } finally {
      await web.close();
    }
    const after = await levels();
    console.info(`real Medusa with a WooCommerce store sharing the supply: after invsync full ${JSON.stringify(after)}`);
    expect(after).toEqual({
      MUG: { stocked: 7, reserved: 3, available: 4 },
      'TEE-S': { stocked: 5, reserved: 2, available: 3 },
      'TEE-M': { stocked: 7, reserved: 0, available: 7 },
    });
  }, 120_000);
});
