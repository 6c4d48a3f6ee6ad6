import { z } from 'zod';

/**
 * What invsync reads from Vendure's Admin GraphQL API (API_FACTS §7), checked at the boundary.
 * Ids are GraphQL `ID`s: strings on the wire (numbers with the default id strategy, UUIDs with
 * another), kept as strings.
 */

/** One entry of a GraphQL `errors` list. `extensions.code` is Vendure's stable error code. */
export const GraphQLError = z.object({
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
  extensions: z.object({ code: z.string().optional() }).loose().optional(),
});
export type GraphQLError = z.infer<typeof GraphQLError>;

/** The response envelope: `data` is null when a non-null root field failed (Vendure rolls the mutation back then). */
export function graphQLResponse<T extends z.ZodType>(data: T) {
  return z.object({
    data: data.nullable().optional(),
    errors: z.array(GraphQLError).optional(),
  });
}

export const TrackInventory = z.enum(['INHERIT', 'TRUE', 'FALSE']);
export type TrackInventory = z.infer<typeof TrackInventory>;

export const VendureStockLevel = z.object({
  stockLocationId: z.string(),
  stockOnHand: z.number().int(),
  /** Units of placed, unfulfilled orders at this location (SPEC §12). */
  stockAllocated: z.number().int().optional(),
});
export type VendureStockLevel = z.infer<typeof VendureStockLevel>;

/** A variant as listed by `productVariants` and returned by `updateProductVariants`. */
export const VendureVariant = z.object({
  id: z.string().min(1),
  productId: z.string().min(1),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  name: z.string().nullish(),
  /** The sum over all stock locations of the channel. */
  stockOnHand: z.number().int(),
  /** Units of placed, unfulfilled orders over all locations: Vendure sells stockOnHand − this. */
  stockAllocated: z.number().int().optional(),
  trackInventory: TrackInventory,
  stockLevels: z.array(VendureStockLevel),
  /** SPEC §14: Money, an integer in minor units; `price` net, `priceWithTax` gross. */
  price: z.number().int().optional(),
  priceWithTax: z.number().int().optional(),
  /** SPEC §14 `rules.status`: a disabled variant is not sold. */
  enabled: z.boolean().optional(),
});
export type VendureVariant = z.infer<typeof VendureVariant>;

const VariantList = z.object({
  totalItems: z.number().int().min(0),
  items: z.array(VendureVariant),
});

/** Later pages: variants only. */
export const VariantPage = z.object({ productVariants: VariantList });
export type VariantPage = z.infer<typeof VariantPage>;

/** Whether the channel's prices are entered with tax: decides which price field holds what invsync wrote. */
const ActiveChannel = z.object({ pricesIncludeTax: z.boolean() });

/** The first page also reads the settings that decide how the variants are read and written. */
export const FirstVariantPage = VariantPage.extend({
  globalSettings: z.object({ trackInventory: z.boolean() }),
  activeChannel: ActiveChannel,
  stockLocations: z.object({
    totalItems: z.number().int().min(0),
    items: z.array(z.object({ id: z.string(), name: z.string() })),
  }),
});
export type FirstVariantPage = z.infer<typeof FirstVariantPage>;

/** Read-back after a push: the variants asked for, and how INHERIT resolves. */
export const ReadBackPage = VariantPage.extend({
  globalSettings: z.object({ trackInventory: z.boolean() }),
  activeChannel: ActiveChannel,
});
export type ReadBackPage = z.infer<typeof ReadBackPage>;

/** `login` answers with the user, or with an ErrorResult (e.g. INVALID_CREDENTIALS_ERROR) as data, not as an error. */
export const LoginData = z.object({
  login: z.union([
    z.object({ id: z.string(), identifier: z.string().optional() }),
    z.object({ errorCode: z.string(), message: z.string() }),
  ]),
});
export type LoginData = z.infer<typeof LoginData>;

/** `updateProductVariants` returns `[ProductVariant]!`, in input order. */
export const UpdateVariantsData = z.object({
  updateProductVariants: z.array(VendureVariant.nullable()),
});
export type UpdateVariantsData = z.infer<typeof UpdateVariantsData>;

/** The channel's price setting alone (apply() without a list() in the same run). */
export const ChannelPrices = z.object({ activeChannel: ActiveChannel });
