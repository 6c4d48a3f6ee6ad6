import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { SourceConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { skuKey } from '../domain/sku.js';
import type { SkuRewrite } from './match.js';

/**
 * Read a source's skuMap file: CSV `supplier_sku,store_sku` (a header row with those names is
 * optional). Small by nature (only the SKUs that differ), so it is read whole.
 * Throws ConfigError naming `sources.<i>.skuMap` and the line for a bad or conflicting row.
 */
export function loadSkuMap(file: string, configPath: string, caseSensitive: boolean): Map<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read sku map ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, configPath);
  }
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
  } catch (err) {
    throw new ConfigError(`sku map ${file} is not valid CSV: ${(err as Error).message}`, configPath);
  }
  const map = new Map<string, string>();
  rows.forEach((row, i) => {
    const [from = '', to = ''] = row;
    if (i === 0 && /^supplier[_ ]?sku$/i.test(from) && /^store[_ ]?sku$/i.test(to)) return;
    if (!from || !to) throw new ConfigError(`sku map ${file} line ${i + 1}: expected "supplier_sku,store_sku"`, configPath);
    const key = skuKey(from, caseSensitive);
    const existing = map.get(key);
    if (existing !== undefined && existing !== to) {
      throw new ConfigError(`sku map ${file} line ${i + 1}: "${from}" is mapped twice ("${existing}" and "${to}")`, configPath);
    }
    map.set(key, to);
  });
  return map;
}

/** The SKU rewrites of every enabled source that has any. */
export function loadRewrites(sources: SourceConfig[], caseSensitive: boolean): Map<string, SkuRewrite> {
  const rewrites = new Map<string, SkuRewrite>();
  sources.forEach((s, i) => {
    if (!s.enabled || (!s.skuMap && !s.skuPrefix && !s.stripPrefix)) return;
    rewrites.set(s.name, {
      stripPrefix: s.stripPrefix,
      skuPrefix: s.skuPrefix,
      map: s.skuMap ? loadSkuMap(s.skuMap, `sources.${i}.skuMap`, caseSensitive) : undefined,
    });
  });
  return rewrites;
}
