import fs from 'node:fs';
import type { Rules } from '../../config/schema.js';
import { ConfigError } from '../../domain/errors.js';
import type { MatchExtras } from '../match.js';
import { compileExclude, parseExcludeFile } from './exclude.js';
import { loadKits } from './kits-file.js';

/**
 * The files the rules name (`rules.kits`, `rules.exclude.file`), read and checked: the I/O half
 * of the rules, so match and explain start from the same loaded rules. Paths are already
 * absolute (resolved against the config file). Throws ConfigError (exit 2) naming the file.
 */
export function loadMatchExtras(rules: Pick<Rules, 'kits' | 'exclude' | 'skuCaseSensitive'>): MatchExtras {
  const extras: MatchExtras = {};
  if (rules.kits) extras.kits = loadKits(rules.kits, rules.skuCaseSensitive);
  if (rules.exclude) {
    let patterns: string[];
    if (Array.isArray(rules.exclude)) {
      patterns = rules.exclude;
    } else {
      const file = rules.exclude.file;
      try {
        patterns = parseExcludeFile(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new ConfigError(`cannot read exclude file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'rules.exclude.file');
      }
    }
    if (patterns.length > 0) extras.exclude = compileExclude(patterns, rules.skuCaseSensitive);
  }
  return extras;
}
