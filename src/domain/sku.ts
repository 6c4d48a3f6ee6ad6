/**
 * SKU keys (SPEC §8 "SKU keys"): how two SKUs are decided to be the same, and which pairs are
 * only nearly the same. Pure functions, no I/O.
 */

/** Printable ASCII only: NFKC and format-character removal cannot change such a string. */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;
/** Unicode format characters: zero-width space/joiners, BOM, bidi marks, soft hyphen, … */
const FORMAT_CHARS = /\p{Cf}/gu;
/** Every dash (Pd: ‐ ‑ ‒ – — ― ﹘ ﹣ － …) plus the minus sign and the hyphen bullet, which are not Pd. */
const DASHES = /[\p{Pd}\u2212\u2043]/gu;

/**
 * The comparable form of a SKU: format characters removed, Unicode NFKC (so NFC/NFD spellings and
 * full-width letters agree), trimmed, and lower-cased unless SKUs are case-sensitive.
 * A SKU whose key is '' has no usable SKU.
 */
export function skuKey(sku: string, caseSensitive: boolean): string {
  let key = sku.trim();
  // NOTE: the fast path matters: this runs once per feed row and once per store item (1M+).
  if (!PLAIN_ASCII.test(key)) key = key.replace(FORMAT_CHARS, '').normalize('NFKC').trim();
  return caseSensitive ? key : key.toLowerCase();
}

/**
 * A looser form of a key, used only to REPORT near matches, never to match: every dash becomes
 * '-', and leading zeros of the SKU are dropped (spreadsheets turn "00123" into 123).
 * Returns `key` itself (same string) when there is nothing to fold.
 */
export function looseKey(key: string): string {
  if (PLAIN_ASCII.test(key) && key.charCodeAt(0) !== 48 /* '0' */) return key;
  return key.replace(DASHES, '-').replace(/^0+(?=\d)/, '');
}

/** The report line for a near match (SPEC §8): `feed 123 ~ store 00123`. */
export function nearMatchMessage(feedSku: string, storeSku: string): string {
  return `feed ${feedSku} ~ store ${storeSku} (near match: not matched; correct one of the SKUs or map it with skuMap)`;
}

/** How many holders a duplicate-store-SKU report names before "and N more". */
export const DUPLICATE_HOLDERS_SHOWN = 10;

/**
 * The report line for a store SKU key held by several items (SPEC §8):
 * `duplicate store SKU: held by [12], [13/31]` (product id, or product id/variation id).
 * `holders` are the first ones in store order; `count` is how many items hold the key in all.
 */
export function duplicateStoreSkuMessage(dup: { count: number; holders: ReadonlyArray<{ productId: number | string; variationId: number | string | null }> }): string {
  const shown = dup.holders.slice(0, DUPLICATE_HOLDERS_SHOWN)
    .map((h) => (h.variationId === null ? `[${h.productId}]` : `[${h.productId}/${h.variationId}]`));
  const more = dup.count - shown.length;
  return `duplicate store SKU: held by ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
