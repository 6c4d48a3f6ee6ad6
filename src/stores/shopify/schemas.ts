import { z } from 'zod';

/**
 * What invsync reads from Admin GraphQL responses (API_FACTS §3). Unknown fields are ignored;
 * the fields used are checked strictly, so a surprise fails loudly at the boundary.
 */

export const ThrottleStatusSchema = z.object({
  maximumAvailable: z.number(),
  currentlyAvailable: z.number(),
  restoreRate: z.number(),
});

/** `extensions.cost` (on every response, THROTTLED ones included). */
export const CostExtension = z.object({
  requestedQueryCost: z.number().nullish(),
  actualQueryCost: z.number().nullish(),
  throttleStatus: ThrottleStatusSchema.optional(),
});
export type CostExtension = z.infer<typeof CostExtension>;

/** One top-level GraphQL error (`THROTTLED`, `ACCESS_DENIED`, `MAX_COST_EXCEEDED`, validation errors…). */
export const GraphQLError = z.object({
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
  extensions: z.object({
    code: z.string().optional(),
    /** MAX_COST_EXCEEDED: the requested cost and the limit. */
    cost: z.number().optional(),
    maxCost: z.number().optional(),
  }).optional(),
});
export type GraphQLError = z.infer<typeof GraphQLError>;

/** The response envelope; `data` is validated per operation once `errors` has been looked at. */
export const GraphQLEnvelope = z.object({
  data: z.unknown().optional(),
  // A REST-style string appears on some gateway answers; keep it as one message.
  errors: z.union([z.array(GraphQLError), z.string().transform((message): GraphQLError[] => [{ message }])]).optional(),
  extensions: z.object({ cost: CostExtension.optional() }).optional(),
});
export type GraphQLEnvelope = z.infer<typeof GraphQLEnvelope>;

const Quantities = z.array(z.object({ name: z.string(), quantity: z.number().int() }));

/** `inventoryLevel(locationId:)`: null when the item is not stocked at that location. */
const InventoryLevel = z.object({ quantities: Quantities }).nullable();

export const InventoryItemNode = z.object({
  id: z.string(),
  tracked: z.boolean(),
  inventoryLevel: InventoryLevel,
});
export type InventoryItemNode = z.infer<typeof InventoryItemNode>;

export const VariantNode = z.object({
  id: z.string(),
  sku: z.string().nullish().transform((s) => (s ?? '').trim()),
  displayName: z.string().nullish(),
  /** SPEC §14: the variant's price (Money: a decimal string). */
  price: z.union([z.string(), z.number()]).nullish(),
  /** `status`: ProductStatus (ACTIVE, DRAFT, ARCHIVED), SPEC §14 rules.status. */
  product: z.object({ id: z.string(), hasOnlyDefaultVariant: z.boolean(), status: z.string().nullish() }),
  inventoryItem: InventoryItemNode,
});
export type VariantNode = z.infer<typeof VariantNode>;

export const VariantsPage = z.object({
  productVariants: z.object({
    nodes: z.array(VariantNode),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  }),
});
export type VariantsPage = z.infer<typeof VariantsPage>;

export const VariantCount = z.object({ productVariantsCount: z.object({ count: z.number().int(), precision: z.string() }) });

export const BulkRunPayload = z.object({
  bulkOperationRunQuery: z.object({
    bulkOperation: z.object({ id: z.string(), status: z.string() }).nullable(),
    userErrors: z.array(z.object({ field: z.array(z.string()).nullish(), message: z.string(), code: z.string().nullish() })),
  }),
});

export const BulkStatus = z.object({
  node: z.object({
    id: z.string(),
    status: z.string(),
    errorCode: z.string().nullish(),
    objectCount: z.string().nullish(),
    url: z.string().nullish(),
  }).nullable(),
});
export type BulkStatus = z.infer<typeof BulkStatus>;

/** `nodes(ids:)` over inventory items; an unknown id gives null. */
export const LevelsResult = z.object({ nodes: z.array(InventoryItemNode.nullable()) });
export type LevelsResult = z.infer<typeof LevelsResult>;

/**
 * `nodes(ids:)` over variants and products, for changes that arrive without the ids `list()`
 * recorded (e.g. a rollback plan). A product answers with its first variants.
 */
const ResolvedVariant = z.object({ id: z.string(), inventoryItem: InventoryItemNode });
export const ResolveResult = z.object({
  nodes: z.array(z.union([
    ResolvedVariant.extend({ product: z.object({ id: z.string() }) }),
    z.object({ id: z.string(), variants: z.object({ nodes: z.array(ResolvedVariant) }) }),
  ]).nullable()),
});
export type ResolveResult = z.infer<typeof ResolveResult>;

export const UserError = z.object({
  field: z.array(z.string()).nullish(),
  message: z.string(),
  code: z.string().nullish(),
});
export type UserError = z.infer<typeof UserError>;

export const SetQuantitiesPayload = z.object({
  inventoryAdjustmentGroup: z.object({ id: z.string() }).nullable(),
  userErrors: z.array(UserError),
});
export type SetQuantitiesPayload = z.infer<typeof SetQuantitiesPayload>;

export const TrackPayload = z.object({
  inventoryItem: z.object({ id: z.string(), tracked: z.boolean() }).nullable(),
  userErrors: z.array(UserError),
});
export type TrackPayload = z.infer<typeof TrackPayload>;

export const CheckResult = z.object({
  shop: z.object({ name: z.string(), myshopifyDomain: z.string().nullish() }),
  location: z.object({ id: z.string(), name: z.string(), isActive: z.boolean() }).nullable(),
});
export type CheckResult = z.infer<typeof CheckResult>;

/** `nodes(ids:)` over variants for their prices; an unknown id gives null. */
export const PricesResult = z.object({
  nodes: z.array(z.object({ id: z.string(), price: z.union([z.string(), z.number()]).nullish() }).nullable()),
});
export type PricesResult = z.infer<typeof PricesResult>;

export const PriceUpdatePayload = z.object({
  productVariantsBulkUpdate: z.object({
    productVariants: z.array(z.object({ id: z.string(), price: z.union([z.string(), z.number()]).nullish() })).nullable(),
    userErrors: z.array(UserError),
  }),
});
export type PriceUpdatePayload = z.infer<typeof PriceUpdatePayload>;

/** SPEC §14: one product's status and variant ids (null: no such product). */
export const ProductVariantsResult = z.object({
  node: z.object({
    id: z.string(),
    status: z.string(),
    variants: z.object({ nodes: z.array(z.object({ id: z.string() })), pageInfo: z.object({ hasNextPage: z.boolean() }) }),
  }).nullable(),
});
export type ProductVariantsResult = z.infer<typeof ProductVariantsResult>;

/** SPEC §14: products' status (read-back); an unknown id gives null. */
export const ProductsStatusResult = z.object({
  nodes: z.array(z.object({ id: z.string(), status: z.string() }).nullable()),
});
export type ProductsStatusResult = z.infer<typeof ProductsStatusResult>;

export const ProductUpdatePayload = z.object({
  productUpdate: z.object({
    product: z.object({ id: z.string(), status: z.string() }).nullable(),
    userErrors: z.array(UserError),
  }),
});
export type ProductUpdatePayload = z.infer<typeof ProductUpdatePayload>;
