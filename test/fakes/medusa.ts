/**
 * A local Medusa v2 Admin API for the adapter's tests, with switchable faults. It copies what
 * was checked against a real Medusa 2.21 (e2e/medusa, see API_FACTS §6) and refuses what Medusa
 * refuses:
 *
 * - `POST /auth/user/emailpass` → `{token}`, or 401 `{"type":"unauthorized","message":"Invalid email or password"}`;
 *   `/admin/*` without a valid bearer token → 401 `{"message":"Unauthorized"}`.
 * - `GET /admin/products`: `limit` (default 50, no maximum), `offset`, `order` (`id`, `-id`,
 *   `created_at`; an unknown field → 500 unknown_error), `id[]=` filter, and `fields` selecting
 *   nested relations (`variants.inventory_items.inventory.location_levels.stocked_quantity`);
 *   a product's variants come in creation order.
 * - `POST /admin/inventory-items/location-levels/batch` is one transaction: `update` of a level
 *   that does not exist → 404 "Item X is not stocked at location Y"; `create` of an existing one
 *   → 400 "… already exists."; `create` for an unknown inventory item → 404 "You tried to set
 *   relationship …"; negative or non-numeric quantities → 400 invalid_data. Like Medusa, it does
 *   not check that the location exists.
 * - `POST /admin/products/{id}/variants/batch` with `manage_inventory: true` creates and links an
 *   inventory item for a variant that has none.
 * - Prices (SPEC §14): a variant's `prices` ([{id, currency_code, amount}], amounts in the
 *   currency's main unit) are its price set's. An update with `prices` REPLACES the set, as
 *   Medusa's updatePriceSets does: a price sent with its `id` is updated, one without is
 *   created, one not sent is deleted. An amount that is not a number → 400 invalid_data.
 *   `GET /admin/stores` names the supported currencies and the default one.
 * - Open orders (SPEC §12): a placed, unfulfilled order reserves units of the item at a location
 *   (`reserve`): the level's `reserved_quantity` rises and `available_quantity` = stocked −
 *   reserved falls; `stocked_quantity` drops only at fulfilment (`fulfil`). A reservation needs a
 *   level at the location, as Medusa's does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MedusaFakeLevel {
  id: string;
  stocked_quantity: number;
  /** Units reserved for placed, unfulfilled orders; Medusa sells stocked − reserved (`available_quantity`). */
  reserved_quantity: number;
}

export interface MedusaFakeInventoryItem {
  id: string;
  sku: string;
  /** location id → level. */
  levels: Map<string, MedusaFakeLevel>;
}

export interface MedusaFakeVariant {
  id: string;
  sku: string;
  title: string;
  manage_inventory: boolean;
  items: Array<{ inventoryItemId: string; required_quantity: number }>;
  prices: Array<{ id: string; currency_code: string; amount: number }>;
}

export interface MedusaFakeProduct {
  id: string;
  title: string;
  variants: MedusaFakeVariant[];
}

export interface MedusaSeedVariant {
  sku: string;
  id?: string;
  /** Stock at the main location; null: the item is not stocked there (no level). Default 0. */
  stock?: number | null;
  /** Default true. False: no inventory item (Medusa creates none for such variants). */
  manageInventory?: boolean;
  /** A kit: several inventory items (or `required_quantity` > 1). */
  kit?: Array<{ required_quantity: number }>;
  /** The variant's prices (default none). */
  prices?: Array<{ currency_code: string; amount: number }>;
}

export interface MedusaSeedProduct {
  title?: string;
  id?: string;
  variants: MedusaSeedVariant[];
}

export interface MedusaFaults {
  latencyMs: number;
  status429: { count: number; retryAfter?: number } | null;
  status503: { count: number } | null;
  /** Writes to these SKUs' inventory items fail as if the items had been deleted meanwhile. */
  rejectSkus: string[];
}

export interface MedusaFakeOptions {
  email?: string;
  password?: string;
  products?: MedusaSeedProduct[];
  /** The store's supported currencies, the first the default (default ['usd', 'eur']). */
  currencies?: string[];
  faults?: Partial<MedusaFaults>;
}

export interface MedusaFakeRequest {
  at: number;
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
  body?: unknown;
}

export interface MedusaFake {
  readonly url: string;
  readonly email: string;
  readonly password: string;
  /** The main stock location (seeded stock lives there). */
  readonly locationId: string;
  /** A second location with no stock. */
  readonly otherLocationId: string;
  readonly faults: MedusaFaults;
  readonly requests: MedusaFakeRequest[];
  seed(products: MedusaSeedProduct[]): MedusaFakeProduct[];
  products(): MedusaFakeProduct[];
  inventoryItem(id: string): MedusaFakeInventoryItem | undefined;
  /** A managed variant's stocked quantity at the main location (0 when not stocked there); null when unmanaged; undefined: no such SKU. */
  stockOf(sku: string, locationId?: string): number | null | undefined;
  /** Whether the SKU's inventory item has a level at the location. */
  hasLevel(sku: string, locationId?: string): boolean;
  /** The variant's prices as Medusa holds them; undefined: no such SKU. */
  pricesOf(sku: string): Array<{ id: string; currency_code: string; amount: number }> | undefined;
  /** Remove a level (as an admin unstocking an item would). */
  deleteLevel(sku: string, locationId?: string): void;
  /** Create a level (as an admin stocking an item would). */
  addLevel(sku: string, qty: number, locationId?: string): void;
  /** A placed, unfulfilled order of `qty` units: the level's reserved_quantity rises; stocked_quantity does not change. */
  reserve(sku: string, qty: number, locationId?: string): void;
  /** Fulfilment: stocked_quantity and reserved_quantity both drop by `qty`. */
  fulfil(sku: string, qty: number, locationId?: string): void;
  /** The level's reserved_quantity; undefined: no such level. */
  reservedOf(sku: string, locationId?: string): number | undefined;
  /** Tokens issued by the login endpoint, oldest first. */
  sessions(): string[];
  writeRequests(): number;
  close(): Promise<void>;
}

/** A fake ULID tail: fixed-width, so that ids sort in creation order unless a seed gives its own. */
function fakeId(prefix: string, n: number): string {
  return `${prefix}_01FAKE${String(n).padStart(20, '0')}`;
}

function noFaults(): MedusaFaults {
  return { latencyMs: 0, status429: null, status503: null, rejectSkus: [] };
}

class Reply {
  constructor(readonly status: number, readonly body: unknown) {}
}
const notFound = (message: string) => new Reply(404, { type: 'not_found', message });
const invalid = (message: string) => new Reply(400, { type: 'invalid_data', message });

/**
 * Medusa's `fields` selection: dotted paths; `rel.*` (or `*rel`) selects a relation's scalar
 * fields; an entity always keeps its `id`.
 */
export function projectFields(entity: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ('id' in entity) out.id = entity.id;
  const scalars = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).filter(([, v]) => v === null || typeof v !== 'object'));
  const byHead = new Map<string, string[][]>();
  for (const path of paths) {
    const [head, ...rest] = path;
    if (head === undefined) continue;
    if (head === '*') { Object.assign(out, scalars(entity)); continue; }
    const key = head.startsWith('*') ? head.slice(1) : head;
    byHead.set(key, [...(byHead.get(key) ?? []), head.startsWith('*') ? ['*'] : rest]);
  }
  for (const [key, rests] of byHead) {
    const value = entity[key];
    if (value === null || typeof value !== 'object') { out[key] = value ?? null; continue; }
    const sub = rests.some((r) => r.length === 0) ? [...rests.filter((r) => r.length > 0), ['*']] : rests;
    out[key] = Array.isArray(value)
      ? value.map((v) => projectFields(v as Record<string, unknown>, sub))
      : projectFields(value as Record<string, unknown>, sub);
  }
  return out;
}

export async function startMedusaFake(options: MedusaFakeOptions = {}): Promise<MedusaFake> {
  const email = options.email ?? 'admin@medusa.test';
  const password = options.password ?? 'medusa-secret';
  const faults: MedusaFaults = Object.assign(noFaults(), options.faults);
  const requests: MedusaFakeRequest[] = [];
  const tokens = new Set<string>();
  const locations = [{ id: 'sloc_01FAKEMAIN', name: 'Main warehouse' }, { id: 'sloc_01FAKEOTHER', name: 'Other warehouse' }];
  const mainLocation = locations[0]!.id;
  const currencies = options.currencies ?? ['usd', 'eur'];
  const store: MedusaFakeProduct[] = [];
  const items = new Map<string, MedusaFakeInventoryItem>();
  let seq = 0;
  const next = () => ++seq;

  function newItem(sku: string): MedusaFakeInventoryItem {
    const item: MedusaFakeInventoryItem = { id: fakeId('iitem', next()), sku, levels: new Map() };
    items.set(item.id, item);
    return item;
  }

  function seed(products: MedusaSeedProduct[]): MedusaFakeProduct[] {
    const created: MedusaFakeProduct[] = [];
    for (const p of products) {
      const product: MedusaFakeProduct = { id: p.id ?? fakeId('prod', next()), title: p.title ?? `Product ${seq}`, variants: [] };
      for (const v of p.variants) {
        const variant: MedusaFakeVariant = {
          id: v.id ?? fakeId('variant', next()), sku: v.sku, title: v.sku, manage_inventory: v.manageInventory ?? true, items: [],
          prices: (v.prices ?? []).map((pr) => ({ id: fakeId('price', next()), ...pr })),
        };
        if (variant.manage_inventory) {
          for (const part of v.kit ?? [{ required_quantity: 1 }]) {
            const item = newItem(v.sku);
            variant.items.push({ inventoryItemId: item.id, required_quantity: part.required_quantity });
            const stock = v.stock === undefined ? 0 : v.stock;
            if (stock !== null) item.levels.set(mainLocation, { id: fakeId('ilev', next()), stocked_quantity: stock, reserved_quantity: 0 });
          }
        }
        product.variants.push(variant);
      }
      store.push(product);
      created.push(product);
    }
    return created;
  }
  seed(options.products ?? []);

  function variantOf(sku: string): MedusaFakeVariant | undefined {
    for (const p of store) for (const v of p.variants) if (v.sku === sku) return v;
    return undefined;
  }

  function levelView(item: MedusaFakeInventoryItem, locationId: string, level: MedusaFakeLevel): Record<string, unknown> {
    return {
      id: level.id, location_id: locationId, inventory_item_id: item.id, metadata: null,
      stocked_quantity: level.stocked_quantity, reserved_quantity: level.reserved_quantity, incoming_quantity: 0,
      available_quantity: level.stocked_quantity - level.reserved_quantity,
    };
  }

  function productView(p: MedusaFakeProduct): Record<string, unknown> {
    return {
      id: p.id, title: p.title, status: 'published', handle: p.id.toLowerCase(),
      variants: p.variants.map((v) => ({
        id: v.id, title: v.title, sku: v.sku, manage_inventory: v.manage_inventory, allow_backorder: false, product_id: p.id,
        prices: v.prices.map((pr) => ({ ...pr, min_quantity: null, max_quantity: null })),
        inventory_items: v.items.map((link, k) => {
          const item = items.get(link.inventoryItemId)!;
          return {
            id: `pvitem_${v.id}_${k}`, variant_id: v.id, inventory_item_id: item.id, required_quantity: link.required_quantity,
            inventory: { id: item.id, sku: item.sku, location_levels: [...item.levels.entries()].map(([loc, l]) => levelView(item, loc, l)) },
          };
        }),
      })),
    };
  }

  const DEFAULT_PRODUCT_FIELDS = [['*'], ['variants', '*']];
  function fieldsOf(query: URLSearchParams): string[][] {
    const raw = query.get('fields');
    return raw ? raw.split(',').map((f) => f.trim().replace(/^\+/, '').split('.')) : DEFAULT_PRODUCT_FIELDS;
  }

  function listProducts(query: URLSearchParams): Reply {
    const order = query.get('order') ?? 'created_at';
    const ids = [...query.getAll('id[]'), ...query.getAll('id')];
    let list = store.filter((p) => ids.length === 0 || ids.includes(p.id));
    if (order === 'id' || order === '-id') {
      list = [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (order === '-id') list.reverse();
    } else if (order !== 'created_at') {
      return new Reply(500, { code: 'unknown_error', type: 'unknown_error', message: 'An unknown error occurred.' });
    }
    const limit = Number(query.get('limit') ?? 50);
    const offset = Number(query.get('offset') ?? 0);
    const fields = fieldsOf(query);
    return new Reply(200, {
      products: list.slice(offset, offset + limit).map((p) => projectFields(productView(p), fields)),
      count: list.length, offset, limit,
    });
  }

  function checkLevelInput(kind: string, entries: unknown, requireItem: boolean): Reply | null {
    if (entries === undefined) return null;
    if (!Array.isArray(entries)) return invalid(`Invalid request: Expected type: 'array' for field '${kind}', got: '${typeof entries}'`);
    for (const [i, e] of entries.entries()) {
      const entry = e as Record<string, unknown>;
      if (entry.stocked_quantity === undefined || typeof entry.stocked_quantity !== 'number') {
        return invalid(`Invalid request: Field '${kind}, ${i}, stocked_quantity' is required`);
      }
      if (entry.stocked_quantity < 0) return invalid(`Invalid request: Value for field '${kind}, ${i}, stocked_quantity' too small, expected at least: '0'`);
      if (typeof entry.location_id !== 'string') return invalid(`Invalid request: Field '${kind}, ${i}, location_id' is required`);
      if (requireItem && typeof entry.inventory_item_id !== 'string') return invalid(`Invalid request: Field '${kind}, ${i}, inventory_item_id' is required`);
    }
    return null;
  }

  function batchLevels(body: Record<string, unknown>): Reply {
    const bad = checkLevelInput('create', body.create, true) ?? checkLevelInput('update', body.update, true);
    if (bad) return bad;
    const usable = (id: string) => {
      const item = items.get(id);
      return item && !faults.rejectSkus.includes(item.sku) ? item : undefined;
    };
    type Entry = { location_id: string; inventory_item_id: string; stocked_quantity: number };
    const update = (body.update ?? []) as Entry[];
    const create = (body.create ?? []) as Entry[];
    // Validate everything first: Medusa rolls the whole batch back on any failure.
    for (const u of update) {
      if (!usable(u.inventory_item_id)?.levels.has(u.location_id)) return notFound(`Item ${u.inventory_item_id} is not stocked at location ${u.location_id}`);
    }
    const pairs = new Set<string>();
    for (const c of create) {
      const item = usable(c.inventory_item_id);
      if (!item) return notFound(`You tried to set relationship inventory_item_id: ${c.inventory_item_id}, but such entity does not exist`);
      const pair = `${c.inventory_item_id}/${c.location_id}`;
      if (item.levels.has(c.location_id) || pairs.has(pair)) {
        return invalid(`Inventory level with inventory_item_id: ${c.inventory_item_id}, location_id: ${c.location_id}, already exists.`);
      }
      pairs.add(pair);
    }
    const created = create.map((c) => {
      const item = items.get(c.inventory_item_id)!;
      const level = { id: fakeId('ilev', next()), stocked_quantity: c.stocked_quantity, reserved_quantity: 0 };
      item.levels.set(c.location_id, level);
      return levelView(item, c.location_id, level);
    });
    const updated = update.map((u) => {
      const item = items.get(u.inventory_item_id)!;
      const level = item.levels.get(u.location_id)!;
      level.stocked_quantity = u.stocked_quantity;
      return levelView(item, u.location_id, level);
    });
    return new Reply(200, { created, updated, deleted: [] });
  }

  function batchVariants(productId: string, body: Record<string, unknown>): Reply {
    const product = store.find((p) => p.id === productId);
    if (!product) return notFound(`Product with id: ${productId} was not found`);
    const update = (body.update ?? []) as Array<{ id: string; manage_inventory?: boolean; prices?: unknown }>;
    for (const [i, u] of update.entries()) {
      if (u.prices === undefined) continue;
      if (!Array.isArray(u.prices)) return invalid(`Invalid request: Expected type: 'array' for field 'update, ${i}, prices', got: '${typeof u.prices}'`);
      for (const [k, pr] of (u.prices as Array<Record<string, unknown>>).entries()) {
        if (typeof pr.amount !== 'number') return invalid(`Invalid request: Expected type: 'number' for field 'update, ${i}, prices, ${k}, amount', got: '${typeof pr.amount}'`);
        if (typeof pr.currency_code !== 'string') return invalid(`Invalid request: Field 'update, ${i}, prices, ${k}, currency_code' is required`);
      }
    }
    const missing = update.filter((u) => !product.variants.some((v) => v.id === u.id)).map((u) => u.id);
    if (missing.length) return invalid(`Cannot update non-existing variants with ids: ${missing.join(', ')}`);
    const updated = update.map((u) => {
      const v = product.variants.find((x) => x.id === u.id)!;
      if (u.manage_inventory !== undefined) v.manage_inventory = u.manage_inventory;
      if (Array.isArray(u.prices)) {
        // The price set is replaced: prices not sent are gone.
        v.prices = (u.prices as Array<{ id?: string; currency_code: string; amount: number }>).map((pr) => ({
          id: pr.id && v.prices.some((old) => old.id === pr.id) ? pr.id : fakeId('price', next()), currency_code: pr.currency_code, amount: pr.amount,
        }));
      }
      if (v.manage_inventory && v.items.length === 0) v.items.push({ inventoryItemId: newItem(v.sku).id, required_quantity: 1 });
      return { id: v.id, title: v.title, sku: v.sku, manage_inventory: v.manage_inventory, product_id: product.id };
    });
    return new Reply(200, { created: [], updated, deleted: { ids: [], object: 'variant', deleted: true } });
  }

  function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>, token: string | undefined): Reply {
    if (method === 'POST' && path === '/auth/user/emailpass') {
      if (body.email === email && body.password === password) {
        const t = `eyJfake.${Buffer.from(`${email}:${next()}`).toString('base64url')}.sig`;
        tokens.add(t);
        return new Reply(200, { token: t });
      }
      return new Reply(401, { type: 'unauthorized', message: 'Invalid email or password' });
    }
    if (!path.startsWith('/admin/')) return new Reply(404, `Cannot ${method} ${path}`);
    if (!token || !tokens.has(token)) return new Reply(401, { message: 'Unauthorized' });
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/admin/products') return listProducts(query);
    if (method === 'GET' && (m = /^\/admin\/products\/([^/]+)$/.exec(path))) {
      const p = store.find((x) => x.id === m![1]);
      return p ? new Reply(200, { product: projectFields(productView(p), fieldsOf(query)) }) : notFound(`Product with id: ${m[1]} was not found`);
    }
    if (method === 'POST' && (m = /^\/admin\/products\/([^/]+)\/variants\/batch$/.exec(path))) return batchVariants(m[1]!, body);
    if (method === 'GET' && path === '/admin/stores') {
      return new Reply(200, {
        stores: [{ id: 'store_01FAKE', name: 'Medusa Store', supported_currencies: currencies.map((c, i) => ({ currency_code: c, is_default: i === 0 })) }],
        count: 1, offset: 0, limit: 50,
      });
    }
    if (method === 'GET' && (m = /^\/admin\/stock-locations\/([^/]+)$/.exec(path))) {
      const l = locations.find((x) => x.id === m![1]);
      return l ? new Reply(200, { stock_location: { ...l, address: null, metadata: null } }) : notFound(`Stock location with id: ${m[1]} was not found`);
    }
    if (method === 'POST' && path === '/admin/inventory-items/location-levels/batch') return batchLevels(body);
    return new Reply(404, `Cannot ${method} ${path}`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: MedusaFakeRequest = { at: Date.now(), method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, status: 0 };
    requests.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8', ...headers });
      res.end(text);
    };
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      send(429, { type: 'too_many_requests', message: 'Too many requests' }, faults.status429.retryAfter !== undefined ? { 'retry-after': String(faults.status429.retryAfter) } : {});
      return;
    }
    if (faults.status503 && faults.status503.count > 0) {
      faults.status503.count--;
      send(503, '<html><body>503 Service Unavailable</body></html>');
      return;
    }
    let body: Record<string, unknown> = {};
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        send(400, { type: 'invalid_data', message: 'Invalid JSON' });
        return;
      }
    }
    entry.body = body;
    const token = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const reply = route(entry.method, entry.path, url.searchParams, body, token);
    send(reply.status, reply.body);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'unknown_error', type: 'unknown_error', message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const levelOf = (sku: string, locationId: string) => {
    const v = variantOf(sku);
    const link = v?.items[0];
    return link ? items.get(link.inventoryItemId)?.levels.get(locationId) : undefined;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    email,
    password,
    locationId: mainLocation,
    otherLocationId: locations[1]!.id,
    faults,
    requests,
    seed,
    products: () => store,
    inventoryItem: (id) => items.get(id),
    stockOf(sku, locationId = mainLocation) {
      const v = variantOf(sku);
      if (!v) return undefined;
      if (!v.manage_inventory || v.items.length === 0) return null;
      return levelOf(sku, locationId)?.stocked_quantity ?? 0;
    },
    pricesOf: (sku) => variantOf(sku)?.prices.map((pr) => ({ ...pr })),
    hasLevel: (sku, locationId = mainLocation) => levelOf(sku, locationId) !== undefined,
    deleteLevel(sku, locationId = mainLocation) {
      const link = variantOf(sku)?.items[0];
      if (link) items.get(link.inventoryItemId)?.levels.delete(locationId);
    },
    addLevel(sku, qty, locationId = mainLocation) {
      const link = variantOf(sku)?.items[0];
      if (link) items.get(link.inventoryItemId)?.levels.set(locationId, { id: fakeId('ilev', next()), stocked_quantity: qty, reserved_quantity: 0 });
    },
    reserve(sku, qty, locationId = mainLocation) {
      const level = levelOf(sku, locationId);
      if (!level) throw new Error(`reserve: ${sku} is not stocked at location ${locationId}`);
      level.reserved_quantity += qty;
    },
    fulfil(sku, qty, locationId = mainLocation) {
      const level = levelOf(sku, locationId);
      if (!level) throw new Error(`fulfil: ${sku} is not stocked at location ${locationId}`);
      level.reserved_quantity -= qty;
      level.stocked_quantity -= qty;
    },
    reservedOf: (sku, locationId = mainLocation) => levelOf(sku, locationId)?.reserved_quantity,
    sessions: () => [...tokens],
    writeRequests: () => requests.filter((r) => r.method === 'POST' && r.path.startsWith('/admin/')).length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Exactly `count` variants: every third product has 3 variants, the others one; one item in 7
 * is not stocked at the main location yet (its first write must `create` the level). All manage
 * inventory. Returns seeds and SKUs in store order.
 */
export function medusaCatalog(count: number, skuPrefix = 'MD-'): { products: MedusaSeedProduct[]; skus: string[] } {
  const products: MedusaSeedProduct[] = [];
  const skus: string[] = [];
  let n = 0;
  for (let p = 1; n < count; p++) {
    const size = p % 3 === 0 ? Math.min(3, count - n) : 1;
    const variants: MedusaSeedVariant[] = [];
    for (let k = 0; k < size; k++, n++) {
      const sku = `${skuPrefix}${String(n + 1).padStart(4, '0')}`;
      variants.push({ sku, stock: n % 7 === 4 ? null : (n * 3) % 11 });
      skus.push(sku);
    }
    products.push({ title: `Product ${p}`, variants });
  }
  return { products, skus };
}
