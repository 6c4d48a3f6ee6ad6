import type { SourceConfig } from '../config/schema.js';
import { createCsvSource } from './csv/index.js';
import type { SourceAdapter } from './types.js';

/** One line per source type: the engine never knows which supplier it reads. */
export function createSource(config: SourceConfig): SourceAdapter {
  switch (config.type) {
    case 'csv': return createCsvSource(config);
  }
}

/** The enabled sources, in config order (the order `aggregate: "priority"` follows). */
export function createSources(configs: SourceConfig[]): SourceAdapter[] {
  return configs.filter((c) => c.enabled).map(createSource);
}
