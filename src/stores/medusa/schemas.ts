import { z } from 'zod';

/**
 * What invsync reads from Medusa v2's Admin API (API_FACTS §6), checked at the boundary.
 * Medusa answers with the fields asked for in `fields` (plus a few ids it always adds);
 * unknown fields are ignored.
 */

/** POST /auth/user/emailpass → { token } (a JWT). */
export const MedusaAuth = z.object({ token: z.string().min(1) });
export type MedusaAuth = z.infer<typeof MedusaAuth>;

/** Quantities are numbers (BigNumber-backed: fractions are possible when set through the API). */
export const MedusaLevel = z.object({
  location_id: z.string(),
  stocked_quantity: z.number(),
  /** Units held by placed, unfulfilled orders (SPEC §12); Medusa sells stocked − reserved. */
  reserved_quantity: z.number(),
});
export type MedusaLevel = z.infer<typeof MedusaLevel>;

/** A variant's link to an inventory item (`required_quantity` units of it make one variant). */
export const MedusaVariantItem = z.object({
  inventory_item_id: z.string(),
  required_quantity: z.number().default(1),
  inventory: z.object({ location_levels: z.array(MedusaLevel).nullish().transform((l) => l ?? []) }).nullish(),
});
export type MedusaVariantItem = z.infer<typeof MedusaVariantItem>;

export const MedusaVariant = z.object({
  id: z.string().min(1),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  title: z.string().nullish(),
  manage_inventory: z.boolean(),
  inventory_items: z.array(MedusaVariantItem).nullish().transform((i) => i ?? []),
  /** SPEC §14: the price set's prices (amounts in the currency's main unit); absent unless asked for. */
  prices: z.array(z.object({ id: z.string(), currency_code: z.string(), amount: z.number() })).nullish(),
});
export type MedusaVariant = z.infer<typeof MedusaVariant>;

export const MedusaProduct = z.object({
  id: z.string().min(1),
  title: z.string().nullish(),
  variants: z.array(MedusaVariant).nullish().transform((v) => v ?? []),
});
export type MedusaProduct = z.infer<typeof MedusaProduct>;

/** GET /admin/products → { products, count, offset, limit }. */
export const MedusaProductPage = z.object({
  products: z.array(MedusaProduct),
  count: z.number().int().min(0),
});
export type MedusaProductPage = z.infer<typeof MedusaProductPage>;

/** GET /admin/products/{id}. */
export const MedusaProductResponse = z.object({ product: MedusaProduct });
export type MedusaProductResponse = z.infer<typeof MedusaProductResponse>;

/** GET /admin/stock-locations/{id}. */
export const MedusaStockLocation = z.object({
  stock_location: z.object({ id: z.string(), name: z.string().nullish() }),
});
export type MedusaStockLocation = z.infer<typeof MedusaStockLocation>;

/** A level as returned by the batch endpoint. */
export const MedusaBatchLevel = z.object({
  inventory_item_id: z.string(),
  location_id: z.string(),
  stocked_quantity: z.number(),
});
export type MedusaBatchLevel = z.infer<typeof MedusaBatchLevel>;

/** POST /admin/inventory-items/location-levels/batch → { created, updated, deleted }. */
export const MedusaLevelBatchResponse = z.object({
  created: z.array(MedusaBatchLevel).default([]),
  updated: z.array(MedusaBatchLevel).default([]),
});
export type MedusaLevelBatchResponse = z.infer<typeof MedusaLevelBatchResponse>;

/** POST /admin/products/{id}/variants/batch → { created, updated, deleted }. */
export const MedusaVariantBatchResponse = z.object({
  updated: z.array(z.object({ id: z.string(), manage_inventory: z.boolean() })).default([]),
});
export type MedusaVariantBatchResponse = z.infer<typeof MedusaVariantBatchResponse>;

/** Medusa's error body: { type, message } (type: not_found, invalid_data, unauthorized, …). */
export const MedusaErrorBody = z.object({ type: z.string().optional(), message: z.string() });
export type MedusaErrorBody = z.infer<typeof MedusaErrorBody>;

/** GET /admin/stores → the store and its currencies (one `is_default`). */
export const MedusaStores = z.object({
  stores: z.array(z.object({
    supported_currencies: z.array(z.object({ currency_code: z.string(), is_default: z.boolean().nullish() })).nullish().transform((c) => c ?? []),
  })),
});
export type MedusaStores = z.infer<typeof MedusaStores>;

/** POST /admin/products/{id}/variants/batch when prices were sent: only the ids are relied on. */
export const MedusaVariantPriceBatchResponse = z.object({ updated: z.array(z.object({ id: z.string() })).default([]) });

/** GET /admin/products with only the variants' prices (to send them back). */
export const MedusaPricePage = z.object({
  products: z.array(z.object({
    id: z.string(),
    variants: z.array(MedusaVariant.pick({ id: true, prices: true })).nullish().transform((v) => v ?? []),
  })),
});
