import { z } from 'zod';

/**
 * What invsync reads from wc/v3 responses. Unknown fields are ignored (stores run plugins that
 * add plenty); the fields used are checked strictly, so a surprise fails loudly at the boundary.
 */

/** `manage_stock` of a variation is "parent" when the parent product manages its stock. */
const ManageStock = z.union([z.boolean(), z.literal('parent')]);

/** A product as listed by GET /products. */
export const WooProduct = z.object({
  id: z.number().int().positive(),
  type: z.string().min(1),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  name: z.string().nullish(),
  manage_stock: ManageStock,
  stock_quantity: z.number().nullable(),
  variations: z.array(z.number().int()).nullish().transform((v) => v ?? []),
  /** SPEC §14: a decimal string ("" for none); absent when `_fields` left it out. */
  regular_price: z.union([z.string(), z.number()]).nullish(),
  /** SPEC §14 `rules.status`: what hiding and out-of-stock marking change. */
  catalog_visibility: z.string().optional(),
  status: z.string().optional(),
  stock_status: z.string().optional(),
});
export type WooProduct = z.infer<typeof WooProduct>;

export const WooProductPage = z.array(WooProduct);
export type WooProductPage = z.infer<typeof WooProductPage>;

/** A variation as listed by GET /products/{id}/variations. */
export const WooVariation = z.object({
  id: z.number().int().positive(),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  name: z.string().nullish(),
  manage_stock: ManageStock,
  stock_quantity: z.number().nullable(),
  regular_price: z.union([z.string(), z.number()]).nullish(),
  status: z.string().optional(),
  stock_status: z.string().optional(),
});
export type WooVariation = z.infer<typeof WooVariation>;

export const WooVariationPage = z.array(WooVariation);
export type WooVariationPage = z.infer<typeof WooVariationPage>;

/** A per-item failure inside a batch response. */
export const WooItemError = z.object({
  code: z.string(),
  message: z.string(),
});
export type WooItemError = z.infer<typeof WooItemError>;

/** One element of a batch response list: the saved object, or `{id, error}`. */
export const WooBatchItem = z.object({
  id: z.union([z.number(), z.string()]).nullish().transform((v) => (v === null || v === undefined ? null : Number(v))),
  error: WooItemError.optional(),
  manage_stock: ManageStock.optional(),
  stock_quantity: z.number().nullable().optional(),
  regular_price: z.union([z.string(), z.number()]).nullish(),
  catalog_visibility: z.string().optional(),
  status: z.string().optional(),
  stock_status: z.string().optional(),
});
export type WooBatchItem = z.infer<typeof WooBatchItem>;

/** POST .../batch → 200 with one list per operation sent (absent when that list was empty). */
export const WooBatchResponse = z.object({
  update: z.array(WooBatchItem).optional(),
});
export type WooBatchResponse = z.infer<typeof WooBatchResponse>;

/**
 * Order statuses whose stock WooCommerce has reduced and that are not shipped yet (SPEC §12):
 * stock is reduced when an order becomes `processing` or `on-hold`; `pending` awaits payment
 * (nothing reduced), `completed` is shipped, `cancelled`/`refunded`/`failed` hold nothing.
 */
export const WOO_OPEN_ORDER_STATUSES = ['processing', 'on-hold'] as const;

/** A line of an order as listed by GET /orders (`variation_id` 0 for a simple product). */
export const WooOrderLine = z.object({
  product_id: z.number().int().min(0),
  variation_id: z.number().int().min(0).nullish().transform((v) => v ?? 0),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  quantity: z.number(),
});
export type WooOrderLine = z.infer<typeof WooOrderLine>;

/** An order as listed by GET /orders. */
export const WooOrder = z.object({
  id: z.number().int().positive(),
  status: z.string(),
  /** "YYYY-MM-DDTHH:MM:SS", GMT, without a zone suffix. */
  date_created_gmt: z.string().nullish(),
  line_items: z.array(WooOrderLine).nullish().transform((l) => l ?? []),
});
export type WooOrder = z.infer<typeof WooOrder>;

export const WooOrderPage = z.array(WooOrder);
export type WooOrderPage = z.infer<typeof WooOrderPage>;
