import { ConfigError } from '../domain/errors.js';

/**
 * A registry of adapters whose modules are imported only when a config names their type (issue 19),
 * shared by the store and the source registries. `load` imports the named types (each once; unknown
 * types are skipped and refused by `create`); `create` builds the adapter of a loaded type.
 */
export interface LazyRegistry<C extends { type: string }, Ctx, A> {
  load(types: Iterable<string>): Promise<void>;
  create(config: C, ctx: Ctx): A;
}

export interface LazyRegistryNames {
  /** `store` or `source`: the word in the errors. */
  kind: string;
  /** The config path a ConfigError names, e.g. `store.type`. */
  path: string;
  /** The public functions' names, for the programming-error message. */
  createName: string;
  loadName: string;
}

export function lazyRegistry<C extends { type: string }, Ctx, A>(
  loaders: { [T in C['type']]: () => Promise<(config: C, ctx: Ctx) => A> },
  names: LazyRegistryNames,
): LazyRegistry<C, Ctx, A> {
  const loaded = new Map<string, (config: C, ctx: Ctx) => A>();
  return {
    async load(types) {
      // NOTE: one after the other: jest's ESM loader fails on concurrent imports sharing a dependency.
      for (const type of new Set(types)) {
        if (loaded.has(type) || !Object.hasOwn(loaders, type)) continue;
        loaded.set(type, await loaders[type as C['type']]());
      }
    },
    create(config, ctx) {
      const factory = loaded.get(config.type);
      if (factory) return factory(config, ctx);
      // Reachable only for configs that bypass the schema.
      if (!Object.hasOwn(loaders, config.type)) throw new ConfigError(`${names.kind} type "${config.type}" is not available in this build`, names.path);
      throw new Error(`${names.createName}: the ${config.type} ${names.kind} adapter is not loaded (await ${names.loadName} first)`);
    },
  };
}
