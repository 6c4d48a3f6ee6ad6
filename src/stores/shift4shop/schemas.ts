import { z } from 'zod';

/**
 * What invsync reads from the Shift4Shop (3dcart) REST API v1 (API_FACTS §4). Product objects
 * carry dozens of fields; only the stock-related ones are checked, strictly.
 */

const trimmed = z.string().nullish().transform((s) => (s ?? '').trim());

/** One option combination with its own SKU ("suffix") and stock. */
export const S4sAdvancedOption = z.object({
  // A string in the docs (max 50); sample clients send numbers.
  AdvancedOptionCode: z.union([z.string().min(1), z.number()]).transform(String),
  AdvancedOptionSufix: trimmed,
  AdvancedOptionName: z.string().nullish(),
  AdvancedOptionStock: z.number().nullish(),
});
export type S4sAdvancedOption = z.infer<typeof S4sAdvancedOption>;

/** A product as listed by GET /Products. */
export const S4sProduct = z.object({
  SKUInfo: z.object({
    CatalogID: z.number().int().positive(),
    SKU: trimmed,
    Name: z.string().nullish(),
    // A decimal in the API's model.
    Stock: z.number().nullish(),
    /** SPEC §14 `prices`: the product's price (a decimal); an option's AdvancedOptionPrice is an adjustment on top of it. */
    Price: z.number().nullish(),
  }),
  AdvancedOptionList: z.array(S4sAdvancedOption).nullish().transform((v) => v ?? []),
  /** SPEC §14 `rules.status`: the product is out of the storefront. */
  Hide: z.boolean().optional(),
});
export type S4sProduct = z.infer<typeof S4sProduct>;

export const S4sProductPage = z.array(S4sProduct);
export type S4sProductPage = z.infer<typeof S4sProductPage>;

/**
 * GET /Products/{CatalogID}: the API answers with an array like the listing; a bare product
 * object is accepted too (the single-record shape is UNVERIFIED in API_FACTS).
 */
export const S4sSingleProduct = z.union([S4sProductPage, S4sProduct.transform((p) => [p])]);
export type S4sSingleProduct = z.infer<typeof S4sSingleProduct>;

/**
 * One per-record result (also the error body shape). `Status` is a string in the official
 * client's model and a number in others: both are read as a number.
 */
export const S4sRecordResult = z.object({
  Key: z.string().nullish(),
  Value: z.union([z.string(), z.number()]).nullish().transform((v) => (v === null || v === undefined ? null : String(v))),
  Status: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
  Message: z.string().nullish(),
});
export type S4sRecordResult = z.infer<typeof S4sRecordResult>;

export const S4sRecordResults = z.array(S4sRecordResult);
export type S4sRecordResults = z.infer<typeof S4sRecordResults>;

/**
 * SPEC §12: an order as `GET /Orders` returns it, items and shipments inline (field names from
 * skuvault-integrations/3dCartAccess RestApi/Models/Order/ThreeDCartOrder.cs).
 */
export const S4sOrder = z.object({
  OrderID: z.number().int(),
  OrderStatusID: z.number().int(),
  OrderItemList: z.array(z.object({
    CatalogID: z.number().int().nullish(),
    /** The ordered SKU (an advanced option's suffix for an option). */
    ItemID: z.string().nullish().transform((s) => (s ?? '').trim()),
    ItemQuantity: z.number(),
    ItemShipmentID: z.number().int().nullish(),
  })).nullish().transform((v) => v ?? []),
  ShipmentList: z.array(z.object({ ShipmentID: z.number().int().nullish(), ShipmentOrderStatus: z.number().int().nullish() })).nullish().transform((v) => v ?? []),
});
export type S4sOrder = z.infer<typeof S4sOrder>;
export const S4sOrderPage = z.array(S4sOrder);
