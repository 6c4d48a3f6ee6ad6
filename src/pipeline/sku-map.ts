import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { SourceConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { skuKey } from '../domain/sku.js';
import type { SkuRewrite } from './match.js';
import { isPackError, parsePackSize, type Pack } from './rules/pack.js';

/**
 * Read a source's skuMap file: CSV `supplier_sku,store_sku` (a header row with those names is
 * optional). Small by nature (only the SKUs that differ), so it is read whole.
 * Throws ConfigError naming `sources.<i>.skuMap` and the line for a bad or conflicting row.
 */
export function loadSkuMap(file: string, configPath: string, caseSensitive: boolean): Map<string, string> {
  return loadSkuMapFile(file, configPath, caseSensitive).map;
}

/**
 * The whole skuMap file: CSV `supplier_sku,store_sku[,pack]`, where `pack` (SPEC §14) is a pack
 * size as `packSize` takes it (N or 1/N) for that supplier SKU, overriding the source's own; a row
 * with a pack may leave `store_sku` empty (the SKU is the same in the store). `map` and `packs` are
 * keyed by the supplier SKU's key. Throws ConfigError naming the file and line for a bad row.
 */
export function loadSkuMapFile(file: string, configPath: string, caseSensitive: boolean): { map: Map<string, string>; packs: Map<string, Pack> } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read sku map ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, configPath);
  }
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, record_delimiter: ['\r\n', '\n', '\r'], info: true }) as unknown as typeof rows;
  } catch (err) {
    throw new ConfigError(`sku map ${file} is not valid CSV: ${(err as Error).message}`, configPath);
  }
  const map = new Map<string, string>();
  const packs = new Map<string, Pack>();
  rows.forEach(({ record, info }, i) => {
    const [from = '', to = '', packText = ''] = record;
    const line = info.lines;
    if (i === 0 && /^supplier[_ ]?sku$/i.test(from) && /^store[_ ]?sku$/i.test(to)) return;
    if (!from || (!to && !packText)) throw new ConfigError(`sku map ${file} line ${line}: expected "supplier_sku,store_sku" or "supplier_sku,store_sku,pack"`, configPath);
    const key = skuKey(from, caseSensitive);
    if (packText) {
      const pack = parsePackSize(packText);
      if (isPackError(pack)) throw new ConfigError(`sku map ${file} line ${line}: ${pack.error}`, configPath);
      packs.set(key, pack);
    }
    if (!to) return;
    const existing = map.get(key);
    if (existing !== undefined && existing !== to) {
      throw new ConfigError(`sku map ${file} line ${line}: "${from}" is mapped twice ("${existing}" and "${to}")`, configPath);
    }
    map.set(key, to);
  });
  return { map, packs };
}

/** The SKU rewrites and pack sizes of every enabled source that has any. */
export function loadRewrites(sources: SourceConfig[], caseSensitive: boolean): Map<string, SkuRewrite> {
  const rewrites = new Map<string, SkuRewrite>();
  sources.forEach((s, i) => {
    if (!s.enabled || (!s.skuMap && !s.skuPrefix && !s.stripPrefix && s.packSize === undefined)) return;
    const file = s.skuMap ? loadSkuMapFile(s.skuMap, `sources.${i}.skuMap`, caseSensitive) : undefined;
    const pack = s.packSize === undefined ? undefined : parsePackSize(s.packSize);
    if (pack && isPackError(pack)) throw new ConfigError(pack.error, `sources.${i}.packSize`);
    rewrites.set(s.name, {
      stripPrefix: s.stripPrefix,
      skuPrefix: s.skuPrefix,
      map: file?.map,
      ...(pack ? { pack } : {}),
      ...(file && file.packs.size > 0 ? { packs: file.packs } : {}),
    });
  });
  return rewrites;
}
