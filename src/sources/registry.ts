import type { SourceConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { createCsvSource } from './csv/index.js';
import type { SourceAdapter, SourceContext } from './types.js';

/** One line per source type: the engine never knows which supplier it reads. */
export function createSource(config: SourceConfig, ctx: SourceContext): SourceAdapter {
  switch (config.type) {
    case 'csv': return createCsvSource(config);
    // (one `case` per source type; keep this list sorted by when the type was added)
    default: throw new ConfigError(`source type "${config.type}" is not available in this build`, 'sources.type');
  }
}

/** The enabled sources, in config order (the order `aggregate: "priority"` follows). */
export function createSources(configs: SourceConfig[], ctx: SourceContext): SourceAdapter[] {
  return configs.filter((c) => c.enabled).map((c) => createSource(c, ctx));
}
