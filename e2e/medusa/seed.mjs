/**
 * Seeds a fresh Medusa v2 (see start.mjs) through its own Admin API: a stock location linked
 * to the default sales channel, products with options and variants carrying SKUs (a variant
 * that manages inventory gets its inventory item from Medusa), and inventory levels at the
 * location for the variants given a `stock` (`stock: null` leaves the item not stocked there).
 *
 *   import { seedMedusa } from './seed.mjs';
 *   const { locationId, variants } = await seedMedusa(url, { email, password }, {
 *     products: [{ name: 'Tee', variants: [{ sku: 'TEE-S', stock: 3 }, { sku: 'TEE-M', stock: null }] }] });
 *
 *   node seed.mjs <url> <email> <password> <catalog.json>   # prints the result as JSON
 *
 * Variants: { sku, stock = 0 | null, manageInventory = true }. Returns the location id and
 * [{ id, productId, sku, inventoryItemId, stock }] in catalog order.
 */

export function adminClient(url) {
  let token;
  async function call(method, path, body) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`Medusa ${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
    return json;
  }
  async function login(email, password) {
    ({ token } = await call('POST', '/auth/user/emailpass', { email, password }));
  }
  return { call, login };
}

export async function seedMedusa(url, credentials, catalog) {
  const { call, login } = adminClient(url);
  await login(credentials.email, credentials.password);

  const { stock_location: location } = await call('POST', '/admin/stock-locations', { name: catalog.locationName ?? 'Main warehouse' });
  const { sales_channels: [channel] } = await call('GET', '/admin/sales-channels?limit=1');
  await call('POST', `/admin/stock-locations/${location.id}/sales-channels`, { add: [channel.id] });
  const { shipping_profiles: [profile] } = await call('GET', '/admin/shipping-profiles?limit=1');

  const inputs = catalog.products.map((p, i) => {
    const multi = p.variants.length > 1;
    return {
      title: p.name,
      handle: `p-${i + 1}-${p.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      status: 'published',
      shipping_profile_id: profile.id,
      sales_channels: [{ id: channel.id }],
      options: [{ title: multi ? 'Size' : 'Default', values: multi ? p.variants.map((v) => v.sku) : ['Default'] }],
      variants: p.variants.map((v) => ({
        title: multi ? v.sku : p.name,
        sku: v.sku,
        manage_inventory: v.manageInventory ?? true,
        options: multi ? { Size: v.sku } : { Default: 'Default' },
        prices: [{ currency_code: 'usd', amount: 10 }],
      })),
    };
  });
  // One request per 100 products (ids made in the same millisecond do not sort in catalog order).
  const productIds = [];
  for (let start = 0; start < inputs.length; start += 100) {
    const { created } = await call('POST', '/admin/products/batch', { create: inputs.slice(start, start + 100) });
    productIds.push(...created.map((p) => p.id));
  }

  // Variant ids and inventory items, read back through the same API invsync uses.
  const bySku = new Map();
  const fields = 'id,variants.id,variants.sku,variants.inventory_items.inventory_item_id';
  for (let offset = 0; ; offset += 200) {
    const page = await call('GET', `/admin/products?limit=200&offset=${offset}&fields=${fields}`);
    for (const p of page.products) for (const v of p.variants) bySku.set(v.sku, { id: v.id, productId: p.id, inventoryItemId: v.inventory_items?.[0]?.inventory_item_id ?? null });
    if (offset + page.products.length >= page.count || page.products.length === 0) break;
  }

  const variants = catalog.products.flatMap((p) => p.variants.map((v) => ({ sku: v.sku, stock: v.stock === undefined ? 0 : v.stock, ...bySku.get(v.sku) })));
  const levels = variants.filter((v) => v.inventoryItemId && v.stock !== null)
    .map((v) => ({ location_id: location.id, inventory_item_id: v.inventoryItemId, stocked_quantity: v.stock }));
  for (let start = 0; start < levels.length; start += 500) {
    await call('POST', '/admin/inventory-items/location-levels/batch', { create: levels.slice(start, start + 500) });
  }
  return { locationId: location.id, salesChannelId: channel.id, variants };
}

/**
 * What a storefront checkout needs on top of seedMedusa's catalogue, set up through the Admin API:
 * a region (USD, the given country, the system payment provider `pp_system_default`), a
 * publishable API key for the sales channel, and a flat-rate shipping option (the manual
 * fulfillment provider) in a service zone of a shipping fulfillment set at the location.
 *
 *   const { regionId, publishableKey, shippingOptionId } = await seedCheckout(url, credentials, seeded);
 */
export async function seedCheckout(url, credentials, { locationId, salesChannelId }, country = 'us') {
  const { call, login } = adminClient(url);
  await login(credentials.email, credentials.password);

  const { region } = await call('POST', '/admin/regions', { name: 'Checkout region', currency_code: 'usd', countries: [country], payment_providers: ['pp_system_default'] });
  const { api_key: key } = await call('POST', '/admin/api-keys', { title: 'Storefront', type: 'publishable' });
  await call('POST', `/admin/api-keys/${key.id}/sales-channels`, { add: [salesChannelId] });

  await call('POST', `/admin/stock-locations/${locationId}/fulfillment-providers`, { add: ['manual_manual'] });
  const { stock_location: location } = await call('POST', `/admin/stock-locations/${locationId}/fulfillment-sets?fields=id,fulfillment_sets.id`, { name: 'Shipping', type: 'shipping' });
  const fulfillmentSetId = location.fulfillment_sets[0].id;
  const { fulfillment_set: set } = await call('POST', `/admin/fulfillment-sets/${fulfillmentSetId}/service-zones`, { name: 'Domestic', geo_zones: [{ type: 'country', country_code: country }] });
  const { shipping_profiles: [profile] } = await call('GET', '/admin/shipping-profiles?limit=1');
  const { shipping_option: option } = await call('POST', '/admin/shipping-options', {
    name: 'Standard',
    service_zone_id: set.service_zones[0].id,
    shipping_profile_id: profile.id,
    provider_id: 'manual_manual',
    price_type: 'flat',
    type: { label: 'Standard', description: 'Standard shipping', code: 'standard' },
    prices: [{ currency_code: 'usd', amount: 5 }],
    rules: [{ attribute: 'enabled_in_store', operator: 'eq', value: 'true' }, { attribute: 'is_return', operator: 'eq', value: 'false' }],
  });
  return { regionId: region.id, publishableKey: key.token, shippingOptionId: option.id };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, email, password, file] = process.argv.slice(2);
  const fs = await import('node:fs');
  const result = await seedMedusa(url, { email, password }, JSON.parse(fs.readFileSync(file, 'utf8')));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
