import { z } from 'zod';

/**
 * The `store` source's own keys (SPEC §9 "a store can be a source"): another shop's stock read as
 * supplier items, read-only. `store` is the name of a store configured under `stores` (or "store"
 * for the singular one), or a store's keys inline. config/schema.ts passes its store schema in, so
 * the two files never import each other.
 */
export function storeSourceFields<S extends z.ZodType>(storeConfig: S) {
  return {
    type: z.literal('store'),
    store: z.union([z.string().trim().min(1), storeConfig]),
  };
}
