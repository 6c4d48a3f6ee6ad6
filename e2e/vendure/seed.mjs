/**
 * Seeds a fresh Vendure (see start.mjs) through its own Admin API: a country, zone, tax
 * category and rate, the channel's default zones (Vendure refuses to price variants without
 * them), a flat-rate shipping method and a payment method using the dummy payment handler (so
 * the Shop API can take an order, see start.mjs), then products with variants carrying SKUs and
 * stock. A product with several variants gets an option group, as Vendure requires.
 *
 *   import { seedVendure } from './seed.mjs';
 *   const { variants } = await seedVendure(adminApi, { products: [{ name: 'Tee', variants: [{ sku: 'TEE-S', stock: 3 }, …] }] });
 *
 *   node seed.mjs <adminApiUrl> <catalog.json>     # prints the created variants as JSON
 *
 * Requests are few and large (aliased mutations, one createProductVariants for the whole
 * catalog), so a thousand variants take seconds. Returns [{ id, productId, sku, stock }] in
 * catalog order (as `{ variants }`), with `shippingMethodId` and `paymentMethodCode`.
 */

/** A tiny Admin API client: bearer token from the `vendure-auth-token` header. */
export function adminClient(url) {
  let token;
  async function gql(query, variables) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const next = res.headers.get('vendure-auth-token');
    if (next) token = next;
    const body = await res.json();
    if (!res.ok || body.errors) throw new Error(`Vendure ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
    return body.data;
  }
  async function login(
    username = process.env.VENDURE_SUPERADMIN_USERNAME ?? 'superadmin',
    password = process.env.VENDURE_SUPERADMIN_PASSWORD ?? 'superadmin',
  ) {
    const data = await gql(`mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
      ... on CurrentUser { id } ... on ErrorResult { errorCode message } } }`, { u: username, p: password });
    if (!data.login.id) throw new Error(`login failed: ${data.login.message}`);
  }
  return { gql, login };
}

const en = (name) => [{ languageCode: 'en', name }];

/** Runs one mutation per input in a single request (GraphQL aliases run mutations in order). */
async function aliased(gql, field, inputs, selection, type) {
  const out = [];
  for (let start = 0; start < inputs.length; start += 200) {
    const chunk = inputs.slice(start, start + 200);
    const vars = chunk.map((_, i) => `$v${i}: ${type}`).join(', ');
    const body = chunk.map((_, i) => `m${i}: ${field}(input: $v${i}) ${selection}`).join('\n');
    const variables = Object.fromEntries(chunk.map((v, i) => [`v${i}`, v]));
    const data = await gql(`mutation(${vars}) {\n${body}\n}`, variables);
    chunk.forEach((_, i) => out.push(data[`m${i}`]));
  }
  return out;
}

/** Zones and tax so that variants can be created; idempotent enough for one fresh server. */
export async function seedTaxSetup(gql) {
  const { createCountry: country } = await gql(`mutation { createCountry(input: { code: "AU", enabled: true,
    translations: [{ languageCode: en, name: "Australia" }] }) { id } }`);
  const { createZone: zone } = await gql(`mutation($m: [ID!]!) { createZone(input: { name: "Everywhere", memberIds: $m }) { id } }`, { m: [country.id] });
  const { createTaxCategory: category } = await gql(`mutation { createTaxCategory(input: { name: "Standard", isDefault: true }) { id } }`);
  await gql(`mutation($c: ID!, $z: ID!) { createTaxRate(input: { name: "GST", enabled: true, value: 10, categoryId: $c, zoneId: $z }) { id } }`,
    { c: category.id, z: zone.id });
  const { activeChannel } = await gql('{ activeChannel { id } }');
  const { updateChannel } = await gql(`mutation($id: ID!, $z: ID!) { updateChannel(input: { id: $id, defaultTaxZoneId: $z, defaultShippingZoneId: $z }) {
    ... on Channel { id } ... on ErrorResult { message } } }`, { id: activeChannel.id, z: zone.id });
  if (!updateChannel.id) throw new Error(`updateChannel: ${updateChannel.message}`);
  return { zoneId: zone.id, taxCategoryId: category.id };
}

/**
 * What a guest checkout through the Shop API needs: a shipping method (flat 5.00, every order
 * eligible) and a payment method `dummy` (Vendure's dummyPaymentHandler: metadata
 * `{ shouldDecline: false }` authorizes the payment, which allocates the order's stock).
 */
export async function seedCheckout(gql) {
  const arg = (name, value) => ({ name, value: String(value) });
  const { createShippingMethod } = await gql(`mutation($input: CreateShippingMethodInput!) { createShippingMethod(input: $input) { id } }`, { input: {
    code: 'standard', fulfillmentHandler: 'manual-fulfillment',
    checker: { code: 'default-shipping-eligibility-checker', arguments: [arg('orderMinimum', 0)] },
    calculator: { code: 'default-shipping-calculator', arguments: [arg('rate', 500), arg('includesTax', 'auto'), arg('taxRate', 0)] },
    translations: [{ languageCode: 'en', name: 'Standard', description: '' }],
  } });
  const { createPaymentMethod } = await gql(`mutation($input: CreatePaymentMethodInput!) { createPaymentMethod(input: $input) { id code } }`, { input: {
    code: 'dummy', enabled: true,
    handler: { code: 'dummy-payment-handler', arguments: [arg('automaticSettle', false)] },
    translations: [{ languageCode: 'en', name: 'Dummy', description: '' }],
  } });
  return { shippingMethodId: createShippingMethod.id, paymentMethodCode: createPaymentMethod.code };
}

/**
 * catalog.products: [{ name, variants: [{ sku, stock = 0, trackInventory = 'INHERIT', late = false }] }].
 * credentials: { username, password } (default: the VENDURE_SUPERADMIN_* variables, else superadmin/superadmin).
 */
export async function seedVendure(adminApi, catalog, credentials = {}) {
  const { gql, login } = adminClient(adminApi);
  await login(credentials.username, credentials.password);
  await seedTaxSetup(gql);
  const checkout = await seedCheckout(gql);

  const products = await aliased(gql, 'createProduct',
    catalog.products.map((p, i) => ({ translations: [{ languageCode: 'en', name: p.name, slug: `p-${i + 1}-${p.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, description: '' }] })),
    '{ id }', 'CreateProductInput!');

  // Option groups for products with several variants: one option per variant.
  const multi = catalog.products.map((p, i) => ({ p, i })).filter(({ p }) => p.variants.length > 1);
  const groups = await aliased(gql, 'createProductOptionGroup',
    multi.map(({ p, i }) => ({
      code: `size-${i + 1}`, translations: en('Size'),
      options: p.variants.map((v) => ({ code: v.sku.toLowerCase(), translations: en(v.sku) })),
    })),
    '{ id options { id code } }', 'CreateProductOptionGroupInput!');
  for (let start = 0; start < multi.length; start += 200) {
    // addOptionGroupToProduct takes two scalar arguments: literal ids keep it one request per 200.
    const body = multi.slice(start, start + 200).map(({ i }, k) =>
      `m${k}: addOptionGroupToProduct(productId: ${JSON.stringify(products[i].id)}, optionGroupId: ${JSON.stringify(groups[start + k].id)}) { id }`).join('\n');
    await gql(`mutation {\n${body}\n}`);
  }
  const optionIdsOf = new Map();
  multi.forEach(({ i }, k) => optionIdsOf.set(i, groups[k].options));

  const inputs = [];
  catalog.products.forEach((p, i) => p.variants.forEach((v, j) => inputs.push({
    productId: products[i].id,
    sku: v.sku,
    price: 1000 + j,
    translations: en(`${p.name} ${v.sku}`),
    stockOnHand: v.stock ?? 0,
    trackInventory: v.trackInventory ?? 'INHERIT',
    optionIds: p.variants.length > 1 ? [optionIdsOf.get(i)[j].id] : [],
  })));
  // Variants marked `late` are created after all the others, so their ids come last (as for a
  // variant added to an old product): store order must still put them with their product.
  const late = new Set(catalog.products.flatMap((p) => p.variants.filter((v) => v.late).map((v) => v.sku)));
  const ordered = [...inputs.filter((i) => !late.has(i.sku)), ...inputs.filter((i) => late.has(i.sku))];
  const bySku = new Map();
  for (let start = 0; start < ordered.length; start += 500) {
    // Vendure creates a list's variants in order, so ids follow `ordered`.
    const { createProductVariants } = await gql('mutation($input: [CreateProductVariantInput!]!) { createProductVariants(input: $input) { id productId sku } }',
      { input: ordered.slice(start, start + 500) });
    for (const v of createProductVariants) bySku.set(v.sku, v);
  }
  return {
    ...checkout,
    variants: catalog.products.flatMap((p) => p.variants.map((v) => {
      const created = bySku.get(v.sku);
      return { id: created.id, productId: created.productId, sku: v.sku, stock: v.stock ?? 0 };
    })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [adminApi, file] = process.argv.slice(2);
  const fs = await import('node:fs');
  const result = await seedVendure(adminApi, JSON.parse(fs.readFileSync(file, 'utf8')));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
