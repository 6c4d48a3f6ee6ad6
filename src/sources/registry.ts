import type { SourceConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { createCsvSource } from './csv/index.js';
import { createDropshipzoneSource } from './dropshipzone/index.js';
import { createJsonSource } from './json/index.js';
import { createLedgerSource } from './ledger/index.js';
import { createInvenTreeSource } from './inventree/index.js';
import { createNetSuiteSource } from './netsuite/index.js';
import { createStoreSource } from './store/index.js';
import type { SourceAdapter, SourceContext } from './types.js';

/** One line per source type: the engine never knows which supplier it reads. */
export function createSource(config: SourceConfig, ctx: SourceContext): SourceAdapter {
  switch (config.type) {
    case 'csv': return createCsvSource(config);
    case 'dropshipzone': return createDropshipzoneSource(config, ctx);
    case 'json': return createJsonSource(config, ctx);
    case 'inventree': return createInvenTreeSource(config, ctx);
    case 'netsuite': return createNetSuiteSource(config, ctx);
    case 'ledger': return createLedgerSource(config, ctx);
    case 'store': return createStoreSource(config, ctx);
    // (one `case` per source type; keep this list sorted by when the type was added)
    // NOTE: unreachable while every type has its case (config is `never` here); kept for configs built without the schema.
    default: throw new ConfigError(`source type "${(config as { type: string }).type}" is not available in this build`, 'sources.type');
  }
}

/** The enabled sources, in config order (the order `aggregate: "priority"` follows). */
export function createSources(configs: SourceConfig[], ctx: SourceContext): SourceAdapter[] {
  return configs.filter((c) => c.enabled).map((c) => createSource(c, ctx));
}
