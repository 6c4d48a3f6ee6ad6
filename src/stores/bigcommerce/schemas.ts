import { z } from 'zod';

/**
 * What invsync reads from BigCommerce's v3 Catalog and Inventory APIs (API_FACTS §5). Unknown
 * fields are ignored; the fields used are checked strictly.
 */

const sku = z.string().nullish().transform((s) => (s ?? '').trim());

/** `{data, meta.pagination}`: the v3 collection envelope. */
function collection<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    meta: z.object({
      pagination: z.object({
        total: z.number().int().min(0),
        current_page: z.number().int().min(0),
        total_pages: z.number().int().min(0),
      }),
    }),
  });
}

export const BcTracking = z.enum(['none', 'product', 'variant']);
export type BcTracking = z.infer<typeof BcTracking>;

/** GET /catalog/products?include_fields=id,sku,name,inventory_tracking,base_variant_id */
export const BcProduct = z.object({
  id: z.number().int().positive(),
  sku,
  name: z.string().nullish(),
  inventory_tracking: BcTracking,
  /** Set for a product without options (its one variant); null for a product with options. */
  base_variant_id: z.number().int().positive().nullish().transform((v) => v ?? null),
  /** SPEC §14: the product's price (a number); absent unless asked for in include_fields. */
  price: z.number().nullish(),
  /** SPEC §14 `rules.status`: a product out of the storefront. */
  is_visible: z.boolean().optional(),
});
export type BcProduct = z.infer<typeof BcProduct>;
export const BcProductPage = collection(BcProduct);
export type BcProductPage = z.infer<typeof BcProductPage>;

/** GET /catalog/variants?include_fields=id,product_id,sku */
export const BcVariant = z.object({
  id: z.number().int().positive(),
  product_id: z.number().int().positive(),
  sku,
  /** The variant's own price; null: the product's applies. */
  price: z.number().nullish(),
  /** SPEC §14 `rules.status`: a variant that cannot be bought. */
  purchasing_disabled: z.boolean().optional(),
});
export type BcVariant = z.infer<typeof BcVariant>;
export const BcVariantPage = collection(BcVariant);
export type BcVariantPage = z.infer<typeof BcVariantPage>;

/** GET /inventory/items?location_id:in=<id> */
export const BcInventoryItem = z.object({
  identity: z.object({
    sku: sku.optional(),
    variant_id: z.number().int().nullish().transform((v) => v ?? null),
    product_id: z.number().int().nullish().transform((v) => v ?? null),
  }),
  locations: z.array(z.object({
    location_id: z.number().int(),
    total_inventory_onhand: z.number(),
  })),
});
export type BcInventoryItem = z.infer<typeof BcInventoryItem>;
export const BcInventoryPage = collection(BcInventoryItem);
export type BcInventoryPage = z.infer<typeof BcInventoryPage>;

/** Any collection read only for its count (`include_fields=id`). */
export const BcCountPage = collection(z.object({ id: z.number().int() }));

/** PUT /inventory/adjustments/absolute → 200 `{transaction_id}`. */
export const BcAdjustmentResult = z.object({ transaction_id: z.union([z.string(), z.number()]) });

/** PUT /catalog/products (batch of ≤ 10) → 200 `{data: [...]}`: only the ids are relied on. */
export const BcProductsUpdated = z.object({ data: z.array(z.object({ id: z.number().int() })) });

/** PUT /catalog/variants (batch of ≤ 50) answers like the products batch. */
export const BcVariantsUpdated = BcProductsUpdated;

/**
 * SPEC §12: a line of an order as `GET /v2/orders?include=consignments.line_items&consignment_structure=object`
 * returns it inline (the `/v2/orders/{id}/products` resource; bigcommerce/docs reference/orders.v2.oas2.yml).
 */
export const BcOrderLine = z.object({
  product_id: z.number().int(),
  variant_id: z.number().int().nullish().transform((v) => v ?? null),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  quantity: z.number().int(),
  quantity_shipped: z.number().int().nullish().transform((v) => v ?? 0),
});
export type BcOrderLine = z.infer<typeof BcOrderLine>;

const consignmentList = z.array(z.object({ line_items: z.array(BcOrderLine).default([]) })).nullish().transform((v) => v ?? []);

export const BcOrder = z.object({
  id: z.number().int(),
  status_id: z.number().int(),
  consignments: z.object({ shipping: consignmentList, pickups: consignmentList, downloads: consignmentList }),
});
export type BcOrder = z.infer<typeof BcOrder>;
/** A page of v2 orders; 204 No Content (null here) when there are none. */
export const BcOrderPage = z.array(BcOrder).nullable();
