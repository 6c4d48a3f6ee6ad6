import { skuKey } from '../../domain/sku.js';

/**
 * `rules.exclude` (SPEC §14): whole-SKU glob patterns (`*` any run of characters, `?` one
 * character; everything else literal), compared like SKUs are (skuKey: trimmed, NFKC, case-folded
 * unless skuCaseSensitive). Pure.
 */
export interface ExcludeMatcher {
  /** The pattern (as written) that excludes this SKU key, or undefined. */
  match(key: string): string | undefined;
  readonly size: number;
}

/** Wildcard patterns joined per regular expression: one test per item instead of one per pattern. */
const PATTERNS_PER_REGEX = 500;

export function compileExclude(patterns: readonly string[], caseSensitive: boolean): ExcludeMatcher {
  // NOTE: a file may list thousands of patterns; plain SKUs go in a Map (O(1) per item) and the
  // wildcard ones into a few alternations, so a million-item index is not tested pattern by pattern.
  const exact = new Map<string, string>();
  const wild: Array<{ pattern: string; re: RegExp }> = [];
  for (const pattern of patterns) {
    const key = skuKey(pattern, caseSensitive);
    if (key === '') continue;
    if (!/[*?]/.test(key)) {
      if (!exact.has(key)) exact.set(key, pattern);
    } else {
      wild.push({ pattern, re: new RegExp(`^${globSource(key)}$`, 'su') });
    }
  }
  const groups: Array<{ re: RegExp; members: typeof wild }> = [];
  for (let i = 0; i < wild.length; i += PATTERNS_PER_REGEX) {
    const members = wild.slice(i, i + PATTERNS_PER_REGEX);
    groups.push({ re: new RegExp(`^(?:${members.map((m) => globSource(skuKey(m.pattern, caseSensitive))).join('|')})$`, 'su'), members });
  }
  return {
    size: exact.size + wild.length,
    match(key) {
      const hit = exact.get(key);
      if (hit !== undefined) return hit;
      for (const g of groups) if (g.re.test(key)) return g.members.find((m) => m.re.test(key))?.pattern;
      return undefined;
    },
  };
}

function globSource(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|+()[\]{}/]/g, '\\$&');
  }
  return out;
}

/** The patterns of an exclude file: one per line; blank lines and lines starting with `#` are skipped. */
export function parseExcludeFile(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n|\r/)) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('#')) out.push(t);
  }
  return out;
}
