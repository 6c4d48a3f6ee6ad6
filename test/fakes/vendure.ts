/**
 * A local Vendure 3.7 Admin API (`POST /admin-api`, GraphQL) for the adapter's tests, with
 * switchable faults. It copies what was checked against a real Vendure 3.7.3 (e2e/vendure, see
 * API_FACTS §7) and refuses what Vendure refuses:
 *
 * - `login` answers with CurrentUser and a `vendure-auth-token` header, or with an
 *   INVALID_CREDENTIALS_ERROR result (HTTP 200, no header); everything else needs
 *   `Authorization: Bearer <token>`, else a FORBIDDEN error (HTTP 200, `data: null`).
 * - Unknown fields: HTTP 400 GRAPHQL_VALIDATION_FAILED; `take` > 1000: USER_INPUT_ERROR
 *   "Cannot take more than 1000 results from a list query".
 * - `productVariants` sorts by one key of `sort` (ids numerically; with several keys Vendure
 *   3.7.3 applied only the last one: `{ productId: ASC, id: ASC }` came back in id order),
 *   filters on `id`/`sku` `eq`/`in`, never lists deleted variants.
 * - `ProductVariant.stockOnHand` is the sum over stock levels; writing `stockOnHand` changes the
 *   default (oldest) location's level, `stockLevels` the named ones (creating a missing level).
 * - `updateProductVariants` is one transaction: an unknown or deleted id fails it whole with
 *   ENTITY_NOT_FOUND `No ProductVariant with the id "X" could be found` and `data: null`; a
 *   non-zero `stockOnHand` below the out-of-stock threshold fails it with USER_INPUT_ERROR; an
 *   unknown stock location with "FOREIGN KEY constraint failed" (sql.js's message).
 * - Prices (SPEC §14): `price` is the Money scalar, an integer in minor units (cents). The input
 *   price is the channel's list price: gross when `activeChannel.pricesIncludeTax`, else net;
 *   `price` reads the net amount and `priceWithTax` the gross one (a flat TAX_RATE here). A
 *   price that is not a number is refused before anything runs (HTTP 400 BAD_USER_INPUT).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GqlSyntaxError, GqlValidationError, parseOperation, project, resolveArgs, validate,
  type Field, type MiniSchema, type Operation,
} from './vendure-graphql.js';

export type TrackInventory = 'INHERIT' | 'TRUE' | 'FALSE';

export interface VendureFakeVariant {
  id: number;
  productId: number;
  sku: string;
  name: string;
  trackInventory: TrackInventory;
  /** stock location id → stockOnHand. */
  levels: Map<number, number>;
  /** stock location id → stockAllocated: units of placed, unfulfilled orders (stockOnHand is reduced only at fulfilment). */
  allocated?: Map<number, number>;
  deleted: boolean;
  /** The list price in minor units, as entered (gross when the channel's prices include tax); default 1000. */
  price?: number;
  /** ProductVariant.enabled (SPEC §14 `rules.status`); absent: true. */
  enabled?: boolean;
}

export interface VendureSeedVariant {
  sku: string;
  /** stockOnHand at the default location (default 0). */
  stock?: number;
  /** Levels at other locations: location id → stockOnHand. */
  levels?: Record<number, number>;
  trackInventory?: TrackInventory;
  /** List price in minor units (default 1000). */
  price?: number;
  enabled?: boolean;
}

export interface VendureSeedProduct {
  name?: string;
  variants: VendureSeedVariant[];
}

export interface VendureFaults {
  latencyMs: number;
  status429: { count: number; retryAfter?: number } | null;
  status503: { count: number } | null;
  /** Writes naming these SKUs' variants fail as if the variants had been deleted meanwhile. */
  rejectSkus: string[];
}

export interface VendureFakeOptions {
  username?: string;
  password?: string;
  /** GlobalSettings.trackInventory (Vendure's default: true). */
  trackInventory?: boolean;
  /** GlobalSettings.outOfStockThreshold (default 0). */
  outOfStockThreshold?: number;
  /** Extra stock locations after "Default Stock Location" (id 1). */
  extraLocations?: string[];
  /** Channel.pricesIncludeTax (Vendure's default channel: false). */
  pricesIncludeTax?: boolean;
  products?: VendureSeedProduct[];
  faults?: Partial<VendureFaults>;
}

export interface VendureFakeRequest {
  at: number;
  status: number;
  /** Root fields of the operation, e.g. ['globalSettings', 'stockLocations', 'productVariants']. */
  fields: string[];
  kind: 'query' | 'mutation' | 'none';
  items: number;
  authorized: boolean;
}

export interface VendureFake {
  /** The Admin API endpoint, e.g. http://127.0.0.1:PORT/admin-api */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly faults: VendureFaults;
  readonly requests: VendureFakeRequest[];
  seed(products: VendureSeedProduct[]): VendureFakeVariant[];
  variants(): VendureFakeVariant[];
  /** What Vendure lists as stock: the sum of levels, or one location's level. */
  stockOf(sku: string, locationId?: number): number | undefined;
  tracked(sku: string): boolean | undefined;
  /** The list price in minor units as entered; undefined: no such SKU. */
  priceOf(sku: string): number | undefined;
  deleteVariant(sku: string): void;
  /**
   * A placed order line, as Vendure's default stock allocation does it: stockAllocated rises by
   * `qty` at the location, stockOnHand stays until the order is fulfilled.
   */
  placeOrder(sku: string, qty: number, locationId?: number): void;
  /** Fulfilment: stockOnHand and stockAllocated both drop by `qty`. */
  fulfil(sku: string, qty: number, locationId?: number): void;
  allocatedOf(sku: string): number | undefined;
  /** Session tokens issued so far (and not revoked). */
  sessions(): string[];
  /** Ends every session (as an expired or revoked token would): later calls get FORBIDDEN. */
  revokeTokens(): void;
  /** updateProductVariants calls received. */
  writeRequests(): number;
  close(): Promise<void>;
}

export const VENDURE_LIST_LIMIT = 1000;

const SCHEMA: MiniSchema = {
  types: {
    Query: {
      productVariants: 'ProductVariantList', globalSettings: 'GlobalSettings', stockLocations: 'StockLocationList',
      productVariant: 'ProductVariant', activeChannel: 'Channel',
    },
    Mutation: { login: 'NativeAuthenticationResult', updateProductVariants: '[ProductVariant]' },
    ProductVariantList: { totalItems: 'int', items: '[ProductVariant]' },
    StockLocationList: { totalItems: 'int', items: '[StockLocation]' },
    ProductVariant: {
      id: 'id', productId: 'id', sku: 'string', name: 'string', stockOnHand: 'int', stockAllocated: 'int',
      price: 'int', priceWithTax: 'int', currencyCode: 'enum',
      trackInventory: 'enum', outOfStockThreshold: 'int', useGlobalOutOfStockThreshold: 'boolean', enabled: 'boolean',
      stockLevels: '[StockLevel]', product: 'Product',
    },
    Product: { id: 'id', name: 'string' },
    StockLevel: { id: 'id', stockLocationId: 'id', stockOnHand: 'int', stockAllocated: 'int' },
    StockLocation: { id: 'id', name: 'string' },
    GlobalSettings: { trackInventory: 'boolean', outOfStockThreshold: 'int' },
    Channel: { id: 'id', code: 'string', token: 'string', pricesIncludeTax: 'boolean', currencyCode: 'enum', defaultCurrencyCode: 'enum' },
    CurrentUser: { id: 'id', identifier: 'string' },
    InvalidCredentialsError: { errorCode: 'enum', message: 'string', authenticationError: 'string' },
    NativeAuthenticationResult: {},
  },
  abstract: { ErrorResult: ['InvalidCredentialsError'], NativeAuthenticationResult: ['CurrentUser', 'InvalidCredentialsError'] },
};

/** A GraphQL error as Vendure sends it. */
interface GqlError { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }

/** The flat tax rate between `price` and `priceWithTax` (Vendure's would come from the zone's tax rates). */
export const TAX_RATE = 0.2;

/** A variable the schema's scalar refuses: Apollo answers 400 before running anything. */
class InputError extends Error {}

class OperationError extends Error {
  constructor(readonly error: GqlError) { super(error.message); }
}

function noFaults(): VendureFaults {
  return { latencyMs: 0, status429: null, status503: null, rejectSkus: [] };
}

/** Start the fake on 127.0.0.1 and a free port. */
export async function startVendureFake(options: VendureFakeOptions = {}): Promise<VendureFake> {
  const username = options.username ?? 'superadmin';
  const password = options.password ?? 'superadmin';
  const pricesIncludeTax = options.pricesIncludeTax ?? false;
  const settings = { trackInventory: options.trackInventory ?? true, outOfStockThreshold: options.outOfStockThreshold ?? 0 };
  const locations = [{ id: 1, name: 'Default Stock Location' }, ...(options.extraLocations ?? []).map((name, i) => ({ id: i + 2, name }))];
  const faults: VendureFaults = Object.assign(noFaults(), options.faults);
  const tokens = new Set<string>();
  const requests: VendureFakeRequest[] = [];
  const store: VendureFakeVariant[] = [];
  let nextProduct = 1;
  let nextVariant = 1;

  function seed(products: VendureSeedProduct[]): VendureFakeVariant[] {
    const created: VendureFakeVariant[] = [];
    for (const p of products) {
      const productId = nextProduct++;
      for (const v of p.variants) {
        const levels = new Map<number, number>([[1, v.stock ?? 0]]);
        for (const [loc, qty] of Object.entries(v.levels ?? {})) levels.set(Number(loc), qty);
        const variant: VendureFakeVariant = {
          id: nextVariant++, productId, sku: v.sku, name: `${p.name ?? `Product ${productId}`} ${v.sku}`,
          trackInventory: v.trackInventory ?? 'INHERIT', levels, allocated: new Map(), deleted: false, price: v.price ?? 1000, enabled: v.enabled ?? true,
        };
        store.push(variant);
        created.push(variant);
      }
    }
    return created;
  }
  seed(options.products ?? []);

  const live = () => store.filter((v) => !v.deleted);
  const sumOf = (v: VendureFakeVariant) => [...v.levels.values()].reduce((a, b) => a + b, 0);
  const allocatedOf = (v: VendureFakeVariant) => [...(v.allocated?.values() ?? [])].reduce((a, b) => a + b, 0);

  function variantView(v: VendureFakeVariant): Record<string, unknown> {
    return {
      id: String(v.id), productId: String(v.productId), sku: v.sku, name: v.name,
      stockOnHand: sumOf(v), stockAllocated: allocatedOf(v), trackInventory: v.trackInventory,
      price: pricesIncludeTax ? Math.round((v.price ?? 1000) / (1 + TAX_RATE)) : (v.price ?? 1000),
      priceWithTax: pricesIncludeTax ? (v.price ?? 1000) : Math.round((v.price ?? 1000) * (1 + TAX_RATE)), currencyCode: 'USD',
      outOfStockThreshold: 0, useGlobalOutOfStockThreshold: true, enabled: v.enabled ?? true,
      stockLevels: [...v.levels.entries()].sort((a, b) => a[0] - b[0])
        .map(([loc, qty]) => ({ id: `${v.id}-${loc}`, stockLocationId: String(loc), stockOnHand: qty, stockAllocated: v.allocated?.get(loc) ?? 0 })),
      product: { id: String(v.productId), name: v.name },
    };
  }

  function listOptions(raw: unknown): { skip: number; take: number; sort: Array<[string, string]>; filter: Record<string, Record<string, unknown>> } {
    const o = (raw ?? {}) as { skip?: number; take?: number; sort?: Record<string, string>; filter?: Record<string, Record<string, unknown>> };
    const take = o.take ?? VENDURE_LIST_LIMIT;
    if (take > VENDURE_LIST_LIMIT) {
      throw new OperationError({ message: 'Cannot take more than 1000 results from a list query', extensions: { code: 'USER_INPUT_ERROR' } });
    }
    // As observed on Vendure 3.7.3: only the last key of a multi-key sort takes effect.
    return { skip: o.skip ?? 0, take, sort: Object.entries(o.sort ?? {}).slice(-1), filter: o.filter ?? {} };
  }

  function compare(a: Record<string, unknown>, b: Record<string, unknown>, sort: Array<[string, string]>): number {
    for (const [key, dir] of sort) {
      const x = a[key];
      const y = b[key];
      const numeric = /^\d+$/.test(String(x)) && /^\d+$/.test(String(y));
      const c = numeric ? Number(x) - Number(y) : String(x).localeCompare(String(y));
      if (c !== 0) return dir === 'DESC' ? -c : c;
    }
    // Vendure's default order (no sort given) follows creation, i.e. ids here.
    return Number(a.id) - Number(b.id);
  }

  function matches(v: Record<string, unknown>, filter: Record<string, Record<string, unknown>>): boolean {
    for (const [field, ops] of Object.entries(filter)) {
      const value = String(v[field]);
      if ('eq' in ops && value !== String(ops.eq)) return false;
      if ('in' in ops && !(ops.in as unknown[]).map(String).includes(value)) return false;
    }
    return true;
  }

  function productVariants(args: Record<string, unknown>) {
    const { skip, take, sort, filter } = listOptions(args.options);
    const all = live().map(variantView).filter((v) => matches(v, filter)).sort((a, b) => compare(a, b, sort));
    return { totalItems: all.length, items: all.slice(skip, skip + take) };
  }

  function updateProductVariants(args: Record<string, unknown>): unknown[] {
    const inputs = (args.input ?? []) as Array<{ id: string; stockOnHand?: number | null; stockLevels?: Array<{ stockLocationId: string; stockOnHand: number }>; trackInventory?: TrackInventory; price?: unknown; enabled?: unknown }>;
    inputs.forEach((input, i) => {
      if (input.price !== undefined && input.price !== null && (typeof input.price !== 'number' || !Number.isFinite(input.price))) {
        throw new InputError(`Variable "$input" got invalid value ${JSON.stringify(input.price)} at "input[${i}].price"; Expected type "Money". Money cannot represent a non-number value: ${JSON.stringify(input.price)}`);
      }
    });
    // GraphQL coerces variables before anything runs: a non-Boolean `enabled` fails the whole operation.
    inputs.forEach((input, i) => {
      if (input.enabled !== undefined && input.enabled !== null && typeof input.enabled !== 'boolean') {
        throw new OperationError({
          message: `Variable "$input" got invalid value ${JSON.stringify(input.enabled)} at "input[${i}].enabled"; Boolean cannot represent a non boolean value: ${JSON.stringify(input.enabled)}`,
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
    });
    // One transaction: validate and apply on copies, commit only when every input succeeded.
    const staged = new Map<VendureFakeVariant, { levels: Map<number, number>; track: TrackInventory; price: number; enabled: boolean }>();
    for (const input of inputs) {
      const v = store.find((x) => String(x.id) === String(input.id) && !x.deleted);
      if (!v || faults.rejectSkus.includes(v.sku)) {
        throw new OperationError({ message: `No ProductVariant with the id "${input.id}" could be found`, extensions: { code: 'ENTITY_NOT_FOUND' } });
      }
      const state = staged.get(v) ?? { levels: new Map(v.levels), track: v.trackInventory, price: v.price ?? 1000, enabled: v.enabled ?? true };
      if (typeof input.price === 'number') state.price = Math.round(input.price);
      if (typeof input.enabled === 'boolean') state.enabled = input.enabled;
      if (input.stockOnHand && input.stockOnHand < settings.outOfStockThreshold) {
        throw new OperationError({ message: 'stockOnHand cannot be a negative value', extensions: { code: 'USER_INPUT_ERROR' } });
      }
      if (input.trackInventory) state.track = input.trackInventory;
      if (input.stockLevels) {
        for (const level of input.stockLevels) {
          if (!locations.some((l) => String(l.id) === String(level.stockLocationId))) throw new OperationError({ message: 'FOREIGN KEY constraint failed' });
          state.levels.set(Number(level.stockLocationId), level.stockOnHand);
        }
      } else if (input.stockOnHand !== undefined && input.stockOnHand !== null) {
        state.levels.set(1, input.stockOnHand);
      }
      staged.set(v, state);
    }
    for (const [v, state] of staged) { v.levels = state.levels; v.trackInventory = state.track; v.price = state.price; v.enabled = state.enabled; }
    return inputs.map((input) => variantView(store.find((x) => String(x.id) === String(input.id)) as VendureFakeVariant));
  }

  function resolveRoot(op: Operation, field: Field, variables: Record<string, unknown>, reply: { token?: string }): unknown {
    const args = resolveArgs(field.args, variables);
    if (op.kind === 'mutation' && field.name === 'login') {
      if (args.username === username && args.password === password) {
        const token = crypto.randomBytes(16).toString('hex');
        tokens.add(token);
        reply.token = token;
        return { __typename: 'CurrentUser', id: '1', identifier: username };
      }
      return { __typename: 'InvalidCredentialsError', errorCode: 'INVALID_CREDENTIALS_ERROR', message: 'The provided credentials are invalid', authenticationError: '' };
    }
    if (op.kind === 'mutation' && field.name === 'updateProductVariants') return updateProductVariants(args);
    if (op.kind === 'query') {
      switch (field.name) {
        case 'productVariants': return productVariants(args);
        case 'productVariant': return live().filter((v) => String(v.id) === String(args.id)).map(variantView)[0] ?? null;
        case 'globalSettings': return settings;
        case 'stockLocations': {
          const { skip, take } = listOptions(args.options);
          return { totalItems: locations.length, items: locations.slice(skip, skip + take).map((l) => ({ id: String(l.id), name: l.name })) };
        }
        case 'activeChannel': return { id: '1', code: '__default_channel__', token: 'default-channel-token', pricesIncludeTax, currencyCode: 'USD', defaultCurrencyCode: 'USD' };
      }
    }
    return undefined;
  }

  /** Runs one operation; returns the HTTP status and body Vendure would send. */
  function execute(body: { query?: unknown; variables?: unknown }, authorized: boolean, entry: VendureFakeRequest, reply: { token?: string }): { status: number; body: unknown } {
    if (typeof body.query !== 'string') {
      return { status: 400, body: { errors: [{ message: 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.', extensions: { code: 'BAD_REQUEST' } }] } };
    }
    let op: Operation;
    try {
      op = parseOperation(body.query);
    } catch (err) {
      const message = err instanceof GqlSyntaxError ? err.message : 'Syntax Error';
      return { status: 400, body: { errors: [{ message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] } };
    }
    entry.kind = op.kind;
    const fields = op.selections.filter((s): s is Field => 'name' in s);
    entry.fields = fields.map((f) => f.name);
    const rootType = op.kind === 'mutation' ? 'Mutation' : 'Query';
    try {
      validate(SCHEMA, rootType, op.selections);
    } catch (err) {
      if (!(err instanceof GqlValidationError)) throw err;
      return { status: 400, body: { errors: [{ message: err.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] } };
    }
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    const data: Record<string, unknown> = {};
    try {
      for (const field of fields) {
        if (field.name !== 'login' && !authorized) {
          throw new OperationError({ message: 'You are not currently authorized to perform this action', path: [field.alias], extensions: { code: 'FORBIDDEN' } });
        }
        const value = resolveRoot(op, field, variables, reply);
        if (field.name === 'updateProductVariants') entry.items = ((resolveArgs(field.args, variables).input ?? []) as unknown[]).length;
        data[field.alias] = project(SCHEMA, SCHEMA.types[rootType]![field.name]!.replace(/[[\]!]/g, ''), field.selections, value);
      }
    } catch (err) {
      if (err instanceof InputError) return { status: 400, body: { errors: [{ message: err.message, extensions: { code: 'BAD_USER_INPUT' } }] } };
      if (err instanceof OperationError) {
        // A failing non-null root field nulls the whole response (and Vendure rolls the mutation back).
        return { status: 200, body: { errors: [{ path: err.error.path ?? [fields[0]?.alias ?? ''], ...err.error }], data: null } };
      }
      throw err;
    }
    return { status: 200, body: { data } };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const entry: VendureFakeRequest = { at: Date.now(), status: 0, fields: [], kind: 'none', items: 0, authorized: false };
    requests.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.status429 && faults.status429.count > 0) {
      faults.status429.count--;
      send(429, { message: 'Too Many Requests' }, faults.status429.retryAfter !== undefined ? { 'retry-after': String(faults.status429.retryAfter) } : {});
      return;
    }
    if (faults.status503 && faults.status503.count > 0) {
      faults.status503.count--;
      send(503, '<html><body>503 Service Unavailable</body></html>', { 'content-type': 'text/html' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/admin-api' || req.method !== 'POST') {
      send(404, `Cannot ${req.method} ${url.pathname}`, { 'content-type': 'text/html' });
      return;
    }
    let body: { query?: unknown; variables?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      send(400, { errors: [{ message: 'Unexpected token in JSON', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const auth = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    entry.authorized = auth !== undefined && tokens.has(auth);
    const reply: { token?: string } = {};
    const out = execute(body, entry.authorized, entry, reply);
    send(out.status, out.body, reply.token ? { 'vendure-auth-token': reply.token } : {});
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: String(err), extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/admin-api`,
    username,
    password,
    faults,
    requests,
    seed,
    variants: () => store,
    stockOf(sku, locationId) {
      const v = live().find((x) => x.sku === sku);
      if (!v) return undefined;
      return locationId === undefined ? sumOf(v) : (v.levels.get(locationId) ?? 0);
    },
    tracked(sku) {
      const v = live().find((x) => x.sku === sku);
      if (!v) return undefined;
      return v.trackInventory === 'TRUE' || (v.trackInventory === 'INHERIT' && settings.trackInventory);
    },
    priceOf: (sku) => live().find((x) => x.sku === sku)?.price,
    deleteVariant(sku) {
      const v = store.find((x) => x.sku === sku);
      if (v) v.deleted = true;
    },
    placeOrder(sku, qty, locationId = 1) {
      const v = live().find((x) => x.sku === sku);
      if (!v) throw new Error(`placeOrder: no variant ${sku}`);
      v.allocated ??= new Map();
      v.allocated.set(locationId, (v.allocated.get(locationId) ?? 0) + qty);
    },
    fulfil(sku, qty, locationId = 1) {
      const v = live().find((x) => x.sku === sku);
      if (!v) throw new Error(`fulfil: no variant ${sku}`);
      v.allocated ??= new Map();
      v.allocated.set(locationId, (v.allocated.get(locationId) ?? 0) - qty);
      v.levels.set(locationId, (v.levels.get(locationId) ?? 0) - qty);
    },
    allocatedOf(sku) {
      const v = live().find((x) => x.sku === sku);
      return v ? allocatedOf(v) : undefined;
    },
    sessions: () => [...tokens],
    revokeTokens: () => tokens.clear(),
    writeRequests: () => requests.filter((r) => r.fields.includes('updateProductVariants')).length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * A catalog of exactly `count` variants: every third product has 3 variants (an option group in
 * Vendure), the others one; one variant in 10 is not tracked. Returns seeds and SKUs in store order.
 */
export function vendureCatalog(count: number, skuPrefix = 'V-'): { products: VendureSeedProduct[]; skus: string[] } {
  const products: VendureSeedProduct[] = [];
  const skus: string[] = [];
  let n = 0;
  for (let p = 1; n < count; p++) {
    const size = p % 3 === 0 ? Math.min(3, count - n) : 1;
    const variants: VendureSeedVariant[] = [];
    for (let k = 0; k < size; k++, n++) {
      const sku = `${skuPrefix}${String(n + 1).padStart(4, '0')}`;
      variants.push({ sku, stock: (n * 5) % 13, ...(n % 10 === 7 ? { trackInventory: 'FALSE' as const } : {}) });
      skus.push(sku);
    }
    products.push({ name: `Product ${p}`, variants });
  }
  return { products, skus };
}
