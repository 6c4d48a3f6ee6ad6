/**
 * Price sync (SPEC §14 `prices`): the one formula, in exact integer cents. Pure; no I/O.
 *
 * Money never passes through a float: supplier amounts are parsed from their decimal text into
 * integer cents, percentages into exact fractions, and every division is done on BigInt and
 * rounded UP to the cent, so a floor is never undercut by a rounding.
 *
 * The order, for a basis B (the supplier's cost or price, per `from`):
 *   1. base    = ⌈B × (1 + percent/100)⌉ + fixed
 *   2. floor   = max(⌈cost ÷ (1 − minMarginPercent/100)⌉, MAP)   (margin on the selling price)
 *   3. wanted  = max(base, floor)
 *   4. round   = the smallest amount ≥ wanted whose cents are `round` (x.99); none: wanted itself
 *   5. ceiling = above the MSRP the price is the MSRP itself
 * No basis (absent or 0) → no price. A floor above the MSRP, or a result of 0 or less → no price,
 * with the reason (never below the floor, never above the ceiling, never 0).
 */

/** The largest amount accepted from a feed or a store: 99,999,999.99 (anything larger is a broken feed). */
export const MAX_CENTS = 9_999_999_999;

/** The amounts a supplier row may carry, in integer cents (absent: the source does not give it). */
export interface Amounts {
  price?: number;
  cost?: number;
  map?: number;
  msrp?: number;
}

export const AMOUNT_FIELDS = ['price', 'cost', 'map', 'msrp'] as const;
export type AmountField = (typeof AMOUNT_FIELDS)[number];

/** An exact decimal as a fraction num/den (den a power of ten). */
export interface Decimal {
  num: bigint;
  den: bigint;
}

/** The `prices` settings in the form the formula uses (see `priceSettings`). */
export interface PriceSettings {
  from: 'cost' | 'price';
  percent: Decimal;
  fixedCents: number;
  /** The cents every price ends in (99 for "0.99"); null: no rounding beyond the cent. */
  roundCents: number | null;
  minMarginPercent: Decimal;
  useMap: boolean;
  useMsrp: boolean;
}

/** What the `prices` config block holds (after zod defaults). */
export interface PricesConfigLike {
  from: 'cost' | 'price';
  markup: { percent: number; fixed: number };
  round: string | null;
  floor: { minMarginPercent: number; map: boolean };
  ceiling: { msrp: boolean };
}

export type PriceOutcome =
  /** The price to offer, in cents, with the steps that made it (for the diff and `explain`). */
  | { kind: 'price'; cents: number; steps: PriceStep[] }
  /** No price is written; `report` is true when the reason is worth an error line (a conflict), false when there is simply no basis. */
  | { kind: 'none'; why: string; report: boolean; steps: PriceStep[] };

/** One step of the formula: its name, the amount after it, and a short human note. */
export interface PriceStep {
  step: 'basis' | 'markup' | 'floor' | 'round' | 'ceiling';
  cents: number;
  note: string;
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * An exact decimal from a number (its shortest round-trip text) or a decimal string. Returns
 * undefined for anything else (exponents, NaN, signs other than a leading "-", separators).
 */
export function parseDecimal(value: number | string): Decimal | undefined {
  let text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  let negative = false;
  if (text.startsWith('-')) {
    negative = true;
    text = text.slice(1);
  }
  const m = PLAIN_DECIMAL.exec(text);
  if (!m) return undefined;
  const whole = m[1] ?? '0';
  const frac = m[2] ?? m[3] ?? '';
  const den = 10n ** BigInt(frac.length);
  const num = BigInt(whole) * den + BigInt(frac === '' ? '0' : frac);
  return { num: negative ? -num : num, den };
}

export type AmountResult = { ok: true; cents: number } | { ok: false; missing: boolean; reason: string };

/**
 * One supplier amount (price, cost, MAP, MSRP) in integer cents. Accepts a non-negative number or
 * plain decimal text (`12.5`, `12.50`, `.99`); blank, null and undefined are "missing". More than
 * two decimals are rounded to the cent in the direction that keeps the guards: `up` for a cost,
 * a price or a MAP (a floor is never undercut), `down` for an MSRP (a ceiling is never exceeded).
 * Never throws: anything else is a reason naming the value.
 */
export function parseAmount(value: unknown, direction: 'up' | 'down' = 'up'): AmountResult {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return { ok: false, missing: true, reason: 'no amount' };
  }
  if (typeof value !== 'number' && typeof value !== 'string') return { ok: false, missing: false, reason: `not an amount (${typeof value})` };
  const shown = String(value).trim().slice(0, 40);
  const d = parseDecimal(value);
  if (!d) return { ok: false, missing: false, reason: `not an amount ("${shown}"): expected digits with an optional decimal point, no currency sign or thousands separator` };
  if (d.num < 0n) return { ok: false, missing: false, reason: `negative amount ("${shown}")` };
  const cents = direction === 'up' ? ceilDiv(d.num * 100n, d.den) : (d.num * 100n) / d.den;
  if (cents > BigInt(MAX_CENTS)) return { ok: false, missing: false, reason: `amount too large ("${shown}"): at most ${formatCents(MAX_CENTS)}` };
  return { ok: true, cents: Number(cents) };
}

/** Cents as the two-decimal string stores take (`1299` → `"12.99"`). */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * A store's price as cents: a number or decimal string as the API gives it; null for no price
 * (empty string, null), undefined when it is not an amount at all. Rounded to the nearest cent.
 */
export function storePriceCents(value: unknown): number | null | undefined {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return null;
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const d = parseDecimal(value);
  if (!d || d.num < 0n) return undefined;
  return Number((d.num * 200n + d.den) / (2n * d.den));
}

/** A store's price normalised to the two-decimal string invsync compares and records (null: none). */
export function normaliseStorePrice(value: unknown): string | null {
  const cents = storePriceCents(value);
  return cents === null || cents === undefined ? null : formatCents(cents);
}

/** ⌈a ÷ b⌉ for a ≥ 0, b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** The `prices` config as settings; throws RangeError for values the schema should have refused. */
export function priceSettings(config: PricesConfigLike): PriceSettings {
  const percent = parseDecimal(config.markup.percent);
  const fixed = parseDecimal(config.markup.fixed);
  const margin = parseDecimal(config.floor.minMarginPercent);
  const roundCents = config.round === null ? null : roundEnding(config.round);
  if (!percent || !fixed || !margin || roundCents === undefined) throw new RangeError('prices: markup.percent, markup.fixed, floor.minMarginPercent and round must be plain numbers');
  return {
    from: config.from,
    percent,
    fixedCents: Number(fixed.num * 100n / fixed.den),
    roundCents,
    minMarginPercent: margin,
    useMap: config.floor.map,
    useMsrp: config.ceiling.msrp,
  };
}

/** The cents a `round` setting ends prices in: "0.99" → 99, ".95" → 95, "0.00" → 0; undefined when it is not "0.NN". */
export function roundEnding(round: string): number | undefined {
  const m = /^0?\.(\d\d)$/.exec(round.trim());
  return m ? Number(m[1]) : undefined;
}

function showPercent(d: Decimal): string {
  const negative = d.num < 0n;
  const abs = negative ? -d.num : d.num;
  const whole = abs / d.den;
  const frac = (abs % d.den).toString().padStart(d.den.toString().length - 1, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}%`;
}

/**
 * SPEC §14: the price for one item from its supplier amounts, in cents, with every step. Pure.
 * See the module comment for the order; each division rounds up to the cent.
 */
export function computePrice(amounts: Amounts, s: PriceSettings): PriceOutcome {
  const steps: PriceStep[] = [];
  const basis = s.from === 'cost' ? amounts.cost : amounts.price;
  if (basis === undefined || basis === 0) {
    return { kind: 'none', why: `no ${s.from} in the feed: price not written`, report: false, steps };
  }
  steps.push({ step: 'basis', cents: basis, note: `${s.from} ${formatCents(basis)}` });
  // base = ⌈B × (100·den + num) ÷ (100·den)⌉ + fixed
  const factor = 100n * s.percent.den + s.percent.num;
  let base = factor <= 0n ? 0n : ceilDiv(BigInt(basis) * factor, 100n * s.percent.den);
  base += BigInt(s.fixedCents);
  const markupNote = `${s.from} ${formatCents(basis)} ${s.percent.num < 0n ? '' : '+'}${showPercent(s.percent)}${s.fixedCents !== 0 ? ` ${s.fixedCents > 0 ? '+' : '−'} ${formatCents(Math.abs(s.fixedCents))}` : ''} → ${formatCents(Number(base))}`;
  steps.push({ step: 'markup', cents: Number(base), note: markupNote });

  let floor = 0n;
  const floorParts: string[] = [];
  if (amounts.cost !== undefined && amounts.cost > 0 && s.minMarginPercent.num > 0n) {
    // cost ÷ (1 − m/100) = cost × 100·den ÷ (100·den − num)
    const byMargin = ceilDiv(BigInt(amounts.cost) * 100n * s.minMarginPercent.den, 100n * s.minMarginPercent.den - s.minMarginPercent.num);
    floor = byMargin;
    floorParts.push(`${showPercent(s.minMarginPercent)} margin on cost ${formatCents(amounts.cost)} → ${formatCents(Number(byMargin))}`);
  }
  if (s.useMap && amounts.map !== undefined && amounts.map > 0) {
    if (BigInt(amounts.map) > floor) floor = BigInt(amounts.map);
    floorParts.push(`MAP ${formatCents(amounts.map)}`);
  }
  let wanted = base;
  if (floor > base) {
    wanted = floor;
    steps.push({ step: 'floor', cents: Number(floor), note: `floor ${formatCents(Number(floor))} (${floorParts.join(', ')})` });
  }

  let price = wanted;
  if (s.roundCents !== null) {
    const r = BigInt(s.roundCents);
    let candidate = (wanted / 100n) * 100n + r;
    if (candidate < wanted) candidate += 100n;
    if (candidate !== wanted) steps.push({ step: 'round', cents: Number(candidate), note: `round up to .${String(s.roundCents).padStart(2, '0')} → ${formatCents(Number(candidate))}` });
    price = candidate;
  }

  if (s.useMsrp && amounts.msrp !== undefined && amounts.msrp > 0 && price > BigInt(amounts.msrp)) {
    if (floor > BigInt(amounts.msrp)) {
      return {
        kind: 'none', report: true, steps,
        why: `price not written: the floor ${formatCents(Number(floor))} (${floorParts.join(', ')}) is above the MSRP ${formatCents(amounts.msrp)}`,
      };
    }
    price = BigInt(amounts.msrp);
    steps.push({ step: 'ceiling', cents: amounts.msrp, note: `MSRP ${formatCents(amounts.msrp)} caps it` });
  }
  if (price <= 0n) return { kind: 'none', report: true, why: `price not written: the computed price is ${formatCents(Number(price))} (a price is never 0)`, steps };
  if (price > BigInt(MAX_CENTS)) return { kind: 'none', report: true, why: `price not written: ${formatCents(Number(price))} is beyond ${formatCents(MAX_CENTS)}`, steps };
  return { kind: 'price', cents: Number(price), steps };
}

/** The short tags of the steps that set the price: `markup`, `floor`, `round`, `ceiling`. */
export function priceTags(steps: readonly PriceStep[]): string {
  return steps.filter((s) => s.step !== 'basis').map((s) => s.step).join(', ');
}

/**
 * The price-change gate's test for one item (SPEC §14 `maxChangeRatio`): a change from no price,
 * or by more than `ratio` of the current price, is a large one.
 */
export function isLargePriceChange(fromCents: number | null, toCents: number, ratio: number): boolean {
  if (fromCents === null || fromCents === 0) return true;
  return Math.abs(toCents - fromCents) > ratio * fromCents;
}
