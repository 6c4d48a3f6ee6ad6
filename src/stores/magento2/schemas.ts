import { z } from 'zod';

/**
 * What invsync reads from Magento 2 REST responses (API_FACTS §2). Unknown fields are ignored;
 * the fields used are checked strictly.
 */

const sku = z.string().transform((s) => s.trim());

/** A product as listed by GET /V1/products with `fields=items[id,sku,type_id,name],total_count`. */
export const MagentoProduct = z.object({
  id: z.number().int().positive(),
  sku,
  type_id: z.string().min(1),
  name: z.string().nullish(),
  /** SPEC §14: the price in the default scope; absent unless `fields` asks for it. */
  price: z.number().nullish(),
  /** SPEC §14 rules.status: 1 enabled, 2 disabled; absent unless `fields` asks for it. */
  status: z.number().int().nullish(),
});
export type MagentoProduct = z.infer<typeof MagentoProduct>;

/** A search result envelope. `items` may be missing when a `fields` filter leaves it empty. */
function searchResult<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).nullish().transform((v) => v ?? []),
    total_count: z.number().int().min(0),
  });
}

export const MagentoProductPage = searchResult(MagentoProduct);
export type MagentoProductPage = z.infer<typeof MagentoProductPage>;

/** GET /V1/configurable-products/{sku}/children → full child product objects. */
export const MagentoChildren = z.array(z.object({ id: z.number().int().positive(), sku }));
export type MagentoChildren = z.infer<typeof MagentoChildren>;

/** An MSI source item (quantity is a float; status 1 in stock, 0 out of stock). */
export const MagentoSourceItem = z.object({
  sku,
  source_code: z.string(),
  quantity: z.number(),
  status: z.number().int(),
});
export type MagentoSourceItem = z.infer<typeof MagentoSourceItem>;

export const MagentoSourceItemPage = searchResult(MagentoSourceItem);
export type MagentoSourceItemPage = z.infer<typeof MagentoSourceItemPage>;

/** POST /V1/inventory/source-items → 200 `[]`. */
export const MagentoSourceItemsSaved = z.array(z.unknown());

/** A legacy CatalogInventory stock item (GET /V1/stockItems/{sku}). */
export const MagentoStockItem = z.object({
  item_id: z.number().int(),
  product_id: z.number().int(),
  qty: z.number().nullable(),
  is_in_stock: z.boolean(),
  manage_stock: z.boolean(),
});
export type MagentoStockItem = z.infer<typeof MagentoStockItem>;

/** PUT /V1/products/{sku}/stockItems/{itemId} → the item id as a bare JSON integer. */
export const MagentoStockItemSaved = z.number().int();

/** GET /V1/inventory/sources/{code} (MSI). */
export const MagentoSource = z.object({ source_code: z.string(), enabled: z.boolean().optional(), name: z.string().optional() });

/** POST /V1/products/base-prices → 200 with the rows NOT saved (empty: all saved). */
export const MagentoPriceUpdateResult = z.array(z.object({
  message: z.string(),
  parameters: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullish(),
}));
export type MagentoPriceUpdateResult = z.infer<typeof MagentoPriceUpdateResult>;

/** PUT /V1/products/{sku} → the saved product (only the status is checked). */
export const MagentoProductSaved = z.object({ sku, status: z.number().int().nullish() });
