import type { SourceConfig } from '../config/schema.js';
import { lazyRegistry } from '../lib/lazy-registry.js';
import type { SourceAdapter, SourceContext } from './types.js';

type Of<T extends SourceConfig['type']> = Extract<SourceConfig, { type: T }>;
type SourceFactory = (config: SourceConfig, ctx: SourceContext) => SourceAdapter;

/**
 * One line per source type: the engine never knows which supplier it reads. Each adapter's module
 * is loaded only when a config uses its type (issue 19: a CSV feed does not load the NetSuite,
 * Dropshipzone… code).
 */
const LOADERS: { [T in SourceConfig['type']]: () => Promise<SourceFactory> } = {
  csv: async () => { const m = await import('./csv/index.js'); return (c) => m.createCsvSource(c as Of<'csv'>); },
  dropshipzone: async () => { const m = await import('./dropshipzone/index.js'); return (c, ctx) => m.createDropshipzoneSource(c as Of<'dropshipzone'>, ctx); },
  json: async () => { const m = await import('./json/index.js'); return (c, ctx) => m.createJsonSource(c as Of<'json'>, ctx); },
  inventree: async () => { const m = await import('./inventree/index.js'); return (c, ctx) => m.createInvenTreeSource(c as Of<'inventree'>, ctx); },
  netsuite: async () => { const m = await import('./netsuite/index.js'); return (c, ctx) => m.createNetSuiteSource(c as Of<'netsuite'>, ctx); },
  ledger: async () => { const m = await import('./ledger/index.js'); return (c, ctx) => m.createLedgerSource(c as Of<'ledger'>, ctx); },
  store: async () => { const m = await import('./store/index.js'); return (c, ctx) => m.createStoreSource(c as Of<'store'>, ctx); },
  // (one line per source type; keep this list sorted by when the type was added)
};

const registry = lazyRegistry<SourceConfig, SourceContext, SourceAdapter>(LOADERS, {
  kind: 'source', path: 'sources.type', createName: 'createSource', loadName: 'loadSourceAdapters',
});

/**
 * Load the adapters of these source types (each once). `createSource` can only create a loaded
 * type; the CLI loads every type its config names before a command runs. A `store` source reads
 * one of the configured stores, whose adapters the CLI loads too (stores/registry.ts).
 */
export function loadSourceAdapters(types: Iterable<string>): Promise<void> {
  return registry.load(types);
}

/**
 * The adapter for `config`. Throws ConfigError for a type this build does not have, and a plain
 * Error (a programming error) for a type whose adapter was not loaded with `loadSourceAdapters`.
 */
export function createSource(config: SourceConfig, ctx: SourceContext): SourceAdapter {
  return registry.create(config, ctx);
}

/** The enabled sources, in config order (the order `aggregate: "priority"` follows). */
export function createSources(configs: SourceConfig[], ctx: SourceContext): SourceAdapter[] {
  return configs.filter((c) => c.enabled).map((c) => createSource(c, ctx));
}
