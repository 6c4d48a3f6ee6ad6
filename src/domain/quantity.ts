/**
 * Supplier quantities (SPEC §8 "Quantities"): the one parser every source uses. Pure.
 */

/**
 * The largest quantity accepted: 2^31-1. Shopify's `Int` (and the integer stock columns of the
 * other stores) cannot hold more, and no supplier stocks more of one SKU: a larger value is a
 * broken feed, not stock.
 */
export const MAX_QTY = 2_147_483_647;

/** The smallest value accepted (then counted as 0): the int32 range, so a 40-digit negative is as broken as a positive one. */
const MIN_VALUE = -2_147_483_648;

/** Optional sign, digits, optional decimal point and fraction. No thousands separators, exponents, NaN or Infinity. */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Longest value shown in a reason; longer ones are cut and their length given. */
const SHOWN_CHARS = 40;

export type QuantityResult =
  /**
   * A whole number within 0 … MAX_QTY (fractions floored, negatives and -0 made 0); `text` is the
   * value as listed when a qtyMap turned it into the quantity (SPEC §14).
   */
  | { ok: true; qty: number; text?: string }
  /** No value at all: undefined, null, or a blank string. Each source decides what that means. */
  | { ok: false; missing: true; reason: string }
  /** A value that is not a plausible quantity; `reason` names it (cut to 40 characters). */
  | { ok: false; missing: false; reason: string };

/**
 * A source's `qtyMap` (SPEC §14): text stock values to quantities, keyed by qtyMapKey (trimmed,
 * lower-cased), so `"In Stock"` finds the entry `"in stock"`.
 */
export type QtyMap = ReadonlyMap<string, number>;

/** The key a stock text is looked up under in a QtyMap: trimmed and lower-cased (case-insensitive). */
export function qtyMapKey(text: string): string {
  return text.trim().toLowerCase();
}

/**
 * A source's configured `qtyMap` (an object, as in the config file) as a QtyMap; undefined when
 * there is none. The schema has already refused keys that collide once folded and numeric keys.
 */
export function toQtyMap(config: Readonly<Record<string, number>> | undefined): QtyMap | undefined {
  if (config === undefined) return undefined;
  const map = new Map<string, number>();
  for (const [text, qty] of Object.entries(config)) map.set(qtyMapKey(text), qty);
  return map.size === 0 ? undefined : map;
}

/** True for text parseQuantity reads as a number itself (a qtyMap key like that could never apply). */
export function isPlainNumber(text: string): boolean {
  return PLAIN_NUMBER.test(text.trim());
}

/**
 * Read one supplier quantity. Accepts a number, or a string holding a plain decimal number
 * (surrounding whitespace ignored; no exponent, separators, NaN or Infinity). The value is
 * floored; a negative one counts as 0. With a `qtyMap`, a text (or boolean) value the map lists,
 * case-insensitively, is that quantity (`text` keeps the value as listed); other text is still
 * refused. Numbers are always read as numbers, never looked up.
 *
 * Never throws: anything else (text, NaN, a value above MAX_QTY or below -2^31 after flooring,
 * Infinity included: what JSON.parse makes of a 400-digit number) comes back as
 * `ok: false` with a reason such as `non-numeric quantity "In stock"` or
 * `quantity 4294967297 is out of range (0 … 2147483647)`. `label` names the field in reasons.
 */
export function parseQuantity(value: unknown, label = 'quantity', qtyMap?: QtyMap): QuantityResult {
  if (qtyMap !== undefined && (typeof value === 'string' || typeof value === 'boolean')) {
    const text = String(value);
    const mapped = qtyMap.get(qtyMapKey(text));
    if (mapped !== undefined && !isPlainNumber(text)) return { ok: true, qty: mapped, text: text.trim() };
  }
  let n: number;
  let shown: unknown = value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return invalid(`${label} NaN is not a number`);
    // ±Infinity (what JSON.parse makes of a 400-digit number) fails the range check below.
    n = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return { ok: false, missing: true, reason: `no ${label}` };
    if (!PLAIN_NUMBER.test(text)) return invalid(`non-numeric ${label} ${show(text)}`);
    n = Number(text);
    shown = text;
  } else if (value === undefined || value === null) {
    return { ok: false, missing: true, reason: `no ${label}` };
  } else {
    return invalid(`non-numeric ${label} ${show(value)}`);
  }
  const qty = Math.floor(n);
  // NOTE: also catches a digit string too long for a double (Number gives Infinity).
  if (!(qty <= MAX_QTY && qty >= MIN_VALUE)) return invalid(`${label} ${show(shown)} is out of range (0 … ${MAX_QTY})`);
  // `<= 0` also turns -0 into 0, so the snapshot never holds "-0".
  return { ok: true, qty: qty <= 0 ? 0 : qty };
}

function invalid(reason: string): QuantityResult {
  return { ok: false, missing: false, reason };
}

/** A value as it appears in a reason: JSON for strings, cut to 40 characters with its length. */
export function show(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}… (${s.length} characters)` : s;
}
