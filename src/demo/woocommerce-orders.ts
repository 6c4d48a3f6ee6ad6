/**
 * Orders for the WooCommerce emulator (API_FACTS §13 "Orders", SPEC §12): what the orders
 * controller lists and how placing or moving an order changes product stock.
 *
 * Copied from WooCommerce: stock is reduced when an order becomes `processing` or `on-hold`
 * (`wc_maybe_reduce_stock_levels`, once per order: `_order_stock_reduced`) and put back when a
 * reduced order goes back to `pending` or is `cancelled` (`wc_maybe_increase_stock_levels`); here
 * `refunded` and `failed` put it back too (a full refund with "restock items" ticked); `completed`
 * keeps it reduced. `GET /orders` takes `status` (a comma list or `status[]`), `after` /
 * `before` (ISO 8601, compared with the site-local creation date unless `dates_are_gmt=true`; the
 * emulated site runs on UTC, so both are the same), `page`, `per_page` (1–100), `orderby`,
 * `order`, `_fields`, and answers with `X-WP-Total` / `X-WP-TotalPages` like every collection.
 */

export type WooOrderStatus = 'pending' | 'processing' | 'on-hold' | 'completed' | 'cancelled' | 'refunded' | 'failed' | 'checkout-draft';

export const WOO_ORDER_STATUSES: WooOrderStatus[] = ['pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed', 'checkout-draft'];

export interface WooOrderLineRecord {
  id: number;
  product_id: number;
  /** 0 for a simple product. */
  variation_id: number;
  quantity: number;
  /** The SKU of the product when the order was placed. */
  sku: string;
  name: string;
}

export interface WooOrderRecord {
  id: number;
  status: WooOrderStatus;
  /** GMT, "YYYY-MM-DDTHH:MM:SS". */
  date_created_gmt: string;
  line_items: WooOrderLineRecord[];
  /** `_order_stock_reduced`: whether this order's lines are currently taken off the stock. */
  stockReduced: boolean;
}

/** An order to place: lines by product id (and variation id for a variation). */
export interface WooSeedOrder {
  status?: WooOrderStatus;
  /** Creation time (default: now). */
  createdAt?: Date | string;
  line_items: Array<{ product_id: number; variation_id?: number; quantity: number }>;
}

/** What the orders book needs from the catalog. */
export interface OrderCatalog {
  /** The record (product or variation) with this id: its SKU and name, or undefined. */
  describe(id: number): { sku: string; name: string } | undefined;
  /** Change a managed item's stock by `delta` (WooCommerce's wc_update_product_stock); unmanaged items are left alone. */
  adjustStock(id: number, delta: number): void;
}

interface Reply {
  status: number;
  json?: unknown;
  headers?: Record<string, string | string[]>;
}

const REDUCING: WooOrderStatus[] = ['processing', 'on-hold', 'completed'];
const RESTORING: WooOrderStatus[] = ['cancelled', 'refunded', 'pending', 'failed'];
const ORDER_ORDERBY = ['date', 'id', 'include', 'title', 'slug', 'modified'];
/** WordPress rest_parse_date: RFC 3339 with optional fraction and zone. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

function invalidParams(problems: Record<string, string>): Reply {
  const keys = Object.keys(problems);
  const details = Object.fromEntries(keys.map((k) => [k, { code: 'rest_invalid_param', message: problems[k], data: null }]));
  return { status: 400, json: { code: 'rest_invalid_param', message: `Invalid parameter(s): ${keys.join(', ')}`, data: { status: 400, params: problems, details } } };
}

function gmt(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/** A zone-free time is read as GMT (the emulated site's zone). */
function parseTime(value: string): number {
  return Date.parse(/[zZ]|[+-]\d{2}(?::?\d{2})?$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}

export function createOrderBook(catalog: OrderCatalog, now: () => number) {
  const orders = new Map<number, WooOrderRecord>();
  let nextOrderId = 1;
  let nextLineId = 1;

  function setStockReduced(order: WooOrderRecord, reduced: boolean): void {
    if (order.stockReduced === reduced) return;
    for (const line of order.line_items) catalog.adjustStock(line.variation_id || line.product_id, reduced ? -line.quantity : line.quantity);
    order.stockReduced = reduced;
  }

  function place(seed: WooSeedOrder): WooOrderRecord {
    const created = seed.createdAt === undefined ? new Date(now()) : new Date(seed.createdAt);
    const line_items = seed.line_items.map((l) => {
      const id = l.variation_id || l.product_id;
      const known = catalog.describe(id);
      if (!known) throw new Error(`placeOrder: no product or variation ${id}`);
      return { id: nextLineId++, product_id: l.product_id, variation_id: l.variation_id ?? 0, quantity: l.quantity, sku: known.sku, name: known.name };
    });
    const order: WooOrderRecord = { id: nextOrderId++, status: 'pending', date_created_gmt: gmt(created), line_items, stockReduced: false };
    orders.set(order.id, order);
    setStatus(order.id, seed.status ?? 'processing');
    return copy(order);
  }

  function setStatus(id: number, status: WooOrderStatus): WooOrderRecord {
    const order = orders.get(id);
    if (!order) throw new Error(`setOrderStatus: no order ${id}`);
    order.status = status;
    if (REDUCING.includes(status)) setStockReduced(order, true);
    else if (RESTORING.includes(status)) setStockReduced(order, false);
    return copy(order);
  }

  function copy(o: WooOrderRecord): WooOrderRecord {
    return { ...o, line_items: o.line_items.map((l) => ({ ...l })) };
  }

  function orderJson(o: WooOrderRecord, origin: string): Record<string, unknown> {
    return {
      id: o.id,
      parent_id: 0,
      status: o.status,
      currency: 'EUR',
      date_created: o.date_created_gmt,
      date_created_gmt: o.date_created_gmt,
      date_modified: o.date_created_gmt,
      date_modified_gmt: o.date_created_gmt,
      customer_id: 0,
      line_items: o.line_items.map((l) => ({
        id: l.id, name: l.name, product_id: l.product_id, variation_id: l.variation_id, quantity: l.quantity,
        tax_class: '', subtotal: '0.00', total: '0.00', sku: l.sku, price: 0, meta_data: [],
      })),
      refunds: [],
      _links: { self: [{ href: `${origin}/wp-json/wc/v3/orders/${o.id}` }], collection: [{ href: `${origin}/wp-json/wc/v3/orders` }] },
    };
  }

  /** GET /orders. `query` is what PHP sees (`status[]` arrives as its last value only: pass a comma list). */
  function list(query: Record<string, string>, origin: string, options: { ignoreFilters?: boolean } = {}): Reply {
    const problems: Record<string, string> = {};
    const int = (name: string, fallback: number, min: number, max?: number): number => {
      const raw = query[name];
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) { problems[name] = `${name} is not of type integer.`; return fallback; }
      if (n < min || (max !== undefined && n > max)) problems[name] = max === undefined ? `${name} must be greater than or equal to ${min}` : `${name} must be between ${min} (inclusive) and ${max} (inclusive)`;
      return n;
    };
    const page = int('page', 1, 1);
    const perPage = int('per_page', 10, 1, 100);
    const rawStatus = query.status ?? query['status[]'] ?? 'any';
    const statuses = rawStatus.split(',').map((s) => s.trim()).filter(Boolean);
    const allowed = ['any', 'trash', ...WOO_ORDER_STATUSES];
    const badStatus = statuses.find((s) => !allowed.includes(s));
    if (badStatus !== undefined) problems.status = `status[${statuses.indexOf(badStatus)}] is not one of ${allowed.join(', ')}.`;
    for (const name of ['after', 'before']) {
      if (query[name] !== undefined && !RFC3339.test(query[name]!)) problems[name] = 'Invalid date.';
    }
    if (query.orderby !== undefined && !ORDER_ORDERBY.includes(query.orderby)) problems.orderby = `orderby is not one of ${ORDER_ORDERBY.join(', ')}.`;
    if (query.order !== undefined && !['asc', 'desc'].includes(query.order)) problems.order = 'order is not one of asc and desc.';
    if (query.dates_are_gmt !== undefined && !['true', 'false', '1', '0'].includes(query.dates_are_gmt)) problems.dates_are_gmt = 'dates_are_gmt is not of type boolean.';
    if (Object.keys(problems).length > 0) return invalidParams(problems);

    const any = statuses.length === 0 || statuses.includes('any') || options.ignoreFilters === true;
    const after = query.after === undefined || options.ignoreFilters ? null : parseTime(query.after);
    const before = query.before === undefined || options.ignoreFilters ? null : parseTime(query.before);
    let all = [...orders.values()].filter((o) => (any ? o.status !== 'checkout-draft' : statuses.includes(o.status)));
    // WP_Date_Query: `after` and `before` are exclusive.
    if (after !== null) all = all.filter((o) => parseTime(o.date_created_gmt) > after);
    if (before !== null) all = all.filter((o) => parseTime(o.date_created_gmt) < before);
    const dir = query.order === 'asc' ? 1 : -1;
    all.sort((a, b) => (query.orderby === 'id' ? a.id - b.id : parseTime(a.date_created_gmt) - parseTime(b.date_created_gmt) || a.id - b.id) * dir);
    const total = all.length;
    const totalPages = Math.ceil(total / perPage);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const fields = query._fields ? query._fields.split(',').map((f) => f.trim().split('.')[0]!).filter(Boolean) : null;
    const render = (o: WooOrderRecord) => {
      const json = orderJson(o, origin);
      return fields ? Object.fromEntries(Object.entries(json).filter(([k]) => fields.includes(k))) : json;
    };
    const headers: Record<string, string | string[]> = { 'X-WP-Total': String(total), 'X-WP-TotalPages': String(totalPages) };
    if (totalPages > page) {
      const params = new URLSearchParams({ ...query, page: String(page + 1) });
      headers.Link = `<${origin}/wp-json/wc/v3/orders?${params.toString()}>; rel="next"`;
    }
    return { status: 200, json: slice.map(render), headers };
  }

  return {
    place,
    setStatus,
    list,
    all: () => [...orders.values()].sort((a, b) => a.id - b.id).map(copy),
  };
}

export type OrderBook = ReturnType<typeof createOrderBook>;
