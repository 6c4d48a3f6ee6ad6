import { UsageError } from '../domain/errors.js';
import type { Config, Rules, Safety, StoreConfig, StoreEntry } from './schema.js';

/** The name of the store configured with the singular `store` key (SPEC §9). */
export const SINGLE_STORE = 'store';

/** The rules one store's match applies: the shared rules with its overrides, plus its share. */
export type StoreRuleSet = Rules & { share: number };

/** One configured store, resolved: its adapter keys, the sources feeding it, its rules and gates. */
export interface StoreSetup {
  name: string;
  config: StoreConfig;
  /** The enabled sources feeding this store, in config order (the order `priority` follows). */
  sources: string[];
  rules: StoreRuleSet;
  safety: Safety;
}

/**
 * Every configured store in config order: `store` as the one store named "store", or each entry
 * of `stores` with its overrides merged over the shared `rules` and `safety`. Pure.
 */
export function configuredStores(config: Config): StoreSetup[] {
  const enabled = config.sources.filter((s) => s.enabled).map((s) => s.name);
  if (config.store) {
    return [{ name: SINGLE_STORE, config: config.store, sources: enabled, rules: { ...config.rules, share: 1 }, safety: config.safety }];
  }
  return (config.stores ?? []).map((entry) => {
    const { name, sources, rules, safety, ...storeKeys } = entry as StoreEntry;
    const wanted = sources ? new Set(sources) : undefined;
    return {
      name,
      config: storeKeys as StoreConfig,
      sources: wanted ? enabled.filter((s) => wanted.has(s)) : enabled,
      rules: { ...config.rules, ...definedOnly(rules ?? {}), share: rules?.share ?? 1 },
      safety: {
        ...config.safety,
        ...definedOnly({ ...safety, breaker: undefined }),
        breaker: { ...config.safety.breaker, ...definedOnly(safety?.breaker ?? {}) },
      } as Safety,
    };
  });
}

/** True when the config uses `stores` (the summary then lists every store and tags every change). */
export function isMultiStore(config: Config): boolean {
  return config.stores !== undefined;
}

/**
 * The stores a command works on: all, or those named by `--store` (in config order). An unknown
 * name is a usage error naming it and the configured names.
 */
export function selectStores(all: StoreSetup[], names: readonly string[] | undefined): StoreSetup[] {
  if (!names || names.length === 0) return all;
  const known = new Set(all.map((s) => s.name));
  const unknown = names.find((n) => !known.has(n));
  if (unknown !== undefined) {
    throw new UsageError(`--store: no store named "${unknown}" (configured: ${all.map((s) => s.name).join(', ')})`);
  }
  const wanted = new Set(names);
  return all.filter((s) => wanted.has(s.name));
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
