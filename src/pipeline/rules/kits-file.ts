import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../../domain/errors.js';
import { skuKey } from '../../domain/sku.js';
import type { KitComponent, Kits } from './kits.js';

/**
 * Read `rules.kits`: CSV `kit_sku,component_sku,units` (a header row with those names is optional;
 * blank lines are skipped). Small by nature (one line per kit component), so it is read whole.
 * Throws ConfigError (exit 2) at `rules.kits`, naming the file and line, for an unreadable file, a
 * row without both SKUs, units that are not a whole number ≥ 1, a component listed twice in one
 * kit, or a kit used as another kit's component (kits of kits are not supported).
 */
export function loadKits(file: string, caseSensitive: boolean): Kits {
  const at = 'rules.kits';
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read kits file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, at);
  }
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as unknown as typeof rows;
  } catch (err) {
    throw new ConfigError(`kits file ${file} is not valid CSV: ${(err as Error).message}`, at);
  }
  const kits = new Map<string, { sku: string; components: KitComponent[] }>();
  const usedAsComponent = new Map<string, number>();
  rows.forEach(({ record, info }, i) => {
    const line = info.lines;
    const [kitSku = '', componentSku = '', unitsText = ''] = record;
    if (i === 0 && /^kit[_ ]?sku$/i.test(kitSku) && /^component[_ ]?sku$/i.test(componentSku)) return;
    const bad = (why: string) => new ConfigError(`kits file ${file} line ${line}: ${why}`, at);
    if (record.length > 3) throw bad(`expected 3 columns "kit_sku,component_sku,units", found ${record.length}`);
    if (!kitSku || !componentSku) throw bad('expected "kit_sku,component_sku,units" with both SKUs');
    if (!/^\d+$/.test(unitsText) || Number(unitsText) < 1 || Number(unitsText) > 1_000_000) {
      throw bad(`units ${JSON.stringify(unitsText)} is not a whole number from 1 to 1000000`);
    }
    const kitKey = skuKey(kitSku, caseSensitive);
    const componentKey = skuKey(componentSku, caseSensitive);
    if (kitKey === componentKey) throw bad(`kit ${kitSku} lists itself as a component`);
    const kit = kits.get(kitKey) ?? { sku: kitSku, components: [] };
    if (kit.components.some((c) => c.key === componentKey)) throw bad(`component ${componentSku} is listed twice for kit ${kitSku}`);
    kit.components.push({ key: componentKey, sku: componentSku, units: Number(unitsText) });
    kits.set(kitKey, kit);
    if (!usedAsComponent.has(componentKey)) usedAsComponent.set(componentKey, line);
  });
  for (const [key, kit] of kits) {
    const line = usedAsComponent.get(key);
    if (line !== undefined) {
      throw new ConfigError(`kits file ${file} line ${line}: ${kit.sku} is a kit and a component of another kit; kits of kits are not supported (list the inner kit's components instead)`, at);
    }
  }
  return kits;
}
