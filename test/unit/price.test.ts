/** SPEC §14 `prices`: the formula in exact cents, every clause with a worked example (the README's). */
import { describe, expect, it } from '@jest/globals';
import {
  computePrice, formatCents, isLargePriceChange, normaliseStorePrice, parseAmount, priceSettings, priceTags, roundEnding, type Amounts, type PricesConfigLike,
} from '../../src/domain/price.js';

/** SPEC §14's defaults: cost + 30 %, round up to .99, floor 10 % margin and MAP, ceiling MSRP. */
const defaults: PricesConfigLike = {
  from: 'cost', markup: { percent: 30, fixed: 0 }, round: '0.99', floor: { minMarginPercent: 10, map: true }, ceiling: { msrp: true },
};

function price(amounts: Amounts, overrides: Partial<PricesConfigLike> = {}): string {
  const outcome = computePrice(amounts, priceSettings({ ...defaults, ...overrides }));
  return outcome.kind === 'price' ? formatCents(outcome.cents) : `none: ${outcome.why}`;
}

describe('the price formula (worked examples)', () => {
  it('1. markup, then round up to .99: cost 10.00 → 13.00 → 13.99', () => {
    expect(price({ cost: 1000 })).toBe('13.99');
  });

  it('2. a markup result with fractions of a cent rounds up to the cent first: cost 12.99 × 1.3 = 16.887 → 16.89 → 16.99', () => {
    expect(price({ cost: 1299 }, { round: null })).toBe('16.89');
    expect(price({ cost: 1299 })).toBe('16.99');
  });

  it('3. a price already ending in .99 stays: price 12.99, from price, +0 % → 12.99', () => {
    expect(price({ price: 1299 }, { from: 'price', markup: { percent: 0, fixed: 0 } })).toBe('12.99');
  });

  it('4. the fixed amount is added after the percentage: cost 10.00 + 30 % + 1.50 → 14.50 → 14.99', () => {
    expect(price({ cost: 1000 }, { markup: { percent: 30, fixed: 1.5 } })).toBe('14.99');
  });

  it('5. the margin floor is on the selling price and rounds up: cost 10.00, +0 %, 10 % margin → 11.12 (11.111…) → 11.99', () => {
    expect(price({ cost: 1000 }, { markup: { percent: 0, fixed: 0 } })).toBe('11.99');
    expect(price({ cost: 1000 }, { markup: { percent: 0, fixed: 0 }, round: null })).toBe('11.12');
  });

  it('6. a fractional margin is exact: cost 7.00 at 12.5 % → exactly 8.00', () => {
    expect(price({ cost: 700 }, { markup: { percent: 0, fixed: 0 }, floor: { minMarginPercent: 12.5, map: true }, round: null })).toBe('8.00');
  });

  it('7. MAP raises the floor: cost 9.50 (+30 % → 12.35), MAP 15.00 → 15.00 → 15.99', () => {
    expect(price({ cost: 950, map: 1500 })).toBe('15.99');
  });

  it('8. MAP is ignored with floor.map false', () => {
    expect(price({ cost: 950, map: 1500 }, { floor: { minMarginPercent: 10, map: false } })).toBe('12.99');
  });

  it('9. above the MSRP the price is the MSRP itself: cost 10.00 → 13.99 > 13.50 → 13.50', () => {
    expect(price({ cost: 1000, msrp: 1350 })).toBe('13.50');
    expect(price({ cost: 1000, msrp: 1350 }, { ceiling: { msrp: false } })).toBe('13.99');
  });

  it('10. an MSRP above the result changes nothing', () => {
    expect(price({ cost: 1000, msrp: 2000 })).toBe('13.99');
  });

  it('11. a floor above the MSRP writes no price (never below the floor, never above the ceiling)', () => {
    const out = computePrice({ cost: 1000, map: 1500, msrp: 1400 }, priceSettings(defaults));
    expect(out).toMatchObject({ kind: 'none', report: true });
    expect(out.kind === 'none' && out.why).toBe('price not written: the floor 15.00 (10% margin on cost 10.00 → 11.12, MAP 15.00) is above the MSRP 14.00');
  });

  it('12. no basis, or a basis of 0, writes no price and is not an error', () => {
    expect(computePrice({ map: 1500 }, priceSettings(defaults))).toMatchObject({ kind: 'none', report: false, why: 'no cost in the feed: price not written' });
    expect(computePrice({ cost: 0 }, priceSettings(defaults))).toMatchObject({ kind: 'none', report: false });
    expect(computePrice({ cost: 1000 }, priceSettings({ ...defaults, from: 'price' }))).toMatchObject({ kind: 'none', why: 'no price in the feed: price not written' });
  });

  it('13. from "price": a discount on the supplier\'s price, floored by the cost margin', () => {
    expect(price({ price: 2000 }, { from: 'price', markup: { percent: -10, fixed: 0 } })).toBe('18.99');
    // 20.00 − 50 % = 10.00, but cost 9.50 at 10 % margin needs 10.56.
    expect(price({ price: 2000, cost: 950 }, { from: 'price', markup: { percent: -50, fixed: 0 }, round: null })).toBe('10.56');
  });

  it('14. never 0: a computed 0 writes nothing', () => {
    const out = computePrice({ price: 1000 }, priceSettings({ ...defaults, from: 'price', markup: { percent: -100, fixed: 0 }, round: null }));
    expect(out).toMatchObject({ kind: 'none', report: true, why: 'price not written: the computed price is 0.00 (a price is never 0)' });
  });

  it('15. round "0.00" makes whole amounts, "0.95" ends in .95: always up, never down', () => {
    expect(price({ cost: 1001 }, { markup: { percent: 0, fixed: 0 }, floor: { minMarginPercent: 0, map: true }, round: '0.00' })).toBe('11.00');
    expect(price({ cost: 1000 }, { markup: { percent: 0, fixed: 0 }, floor: { minMarginPercent: 0, map: true }, round: '0.00' })).toBe('10.00');
    expect(price({ cost: 1096 }, { markup: { percent: 0, fixed: 0 }, floor: { minMarginPercent: 0, map: true }, round: '0.95' })).toBe('11.95');
    expect(price({ cost: 1095 }, { markup: { percent: 0, fixed: 0 }, floor: { minMarginPercent: 0, map: true }, round: '0.95' })).toBe('10.95');
  });

  it('16. a fractional percentage is exact: 0.01 + 12.5 % = 0.01125 → 0.02', () => {
    expect(price({ cost: 1 }, { markup: { percent: 12.5, fixed: 0 }, floor: { minMarginPercent: 0, map: true }, round: null })).toBe('0.02');
  });

  it('17. no float drift: 0.10 + 0.20 stays 0.30, 19.99 × 3 (+200 %) is 59.97', () => {
    expect(price({ cost: 10 }, { markup: { percent: 0, fixed: 0.2 }, floor: { minMarginPercent: 0, map: true }, round: null })).toBe('0.30');
    expect(price({ cost: 1999 }, { markup: { percent: 200, fixed: 0 }, round: null })).toBe('59.97');
  });

  it('the steps name what set the price (the diff\'s reason)', () => {
    const out = computePrice({ cost: 950, map: 1500, msrp: 1550 }, priceSettings(defaults));
    expect(out.kind).toBe('price');
    expect(priceTags(out.steps)).toBe('markup, floor, round, ceiling');
    expect(out.steps.map((s) => s.note)).toEqual([
      'cost 9.50', 'cost 9.50 +30% → 12.35', 'floor 15.00 (10% margin on cost 9.50 → 10.56, MAP 15.00)', 'round up to .99 → 15.99', 'MSRP 15.50 caps it',
    ]);
  });
});

describe('supplier amounts', () => {
  it('parses plain decimals into exact cents', () => {
    expect(parseAmount('12.5')).toEqual({ ok: true, cents: 1250 });
    expect(parseAmount(' 12.50 ')).toEqual({ ok: true, cents: 1250 });
    expect(parseAmount('.99')).toEqual({ ok: true, cents: 99 });
    expect(parseAmount(19.99)).toEqual({ ok: true, cents: 1999 });
    expect(parseAmount('0')).toEqual({ ok: true, cents: 0 });
  });

  it('rounds a third decimal toward the guard: up for cost/price/MAP, down for MSRP', () => {
    expect(parseAmount('12.341')).toEqual({ ok: true, cents: 1235 });
    expect(parseAmount('12.349', 'down')).toEqual({ ok: true, cents: 1234 });
    expect(parseAmount('12.3400')).toEqual({ ok: true, cents: 1234 });
  });

  it('blank is missing; anything else that is not an amount is a reason naming the value', () => {
    expect(parseAmount('')).toMatchObject({ ok: false, missing: true });
    expect(parseAmount(null)).toMatchObject({ ok: false, missing: true });
    expect(parseAmount('$12')).toEqual({ ok: false, missing: false, reason: 'not an amount ("$12"): expected digits with an optional decimal point, no currency sign or thousands separator' });
    expect(parseAmount('1,299.00')).toMatchObject({ ok: false, missing: false });
    expect(parseAmount('-1')).toEqual({ ok: false, missing: false, reason: 'negative amount ("-1")' });
    expect(parseAmount(1e21)).toMatchObject({ ok: false, missing: false });
    expect(parseAmount(Number.NaN)).toMatchObject({ ok: false, missing: false });
    expect(parseAmount('100000000')).toEqual({ ok: false, missing: false, reason: 'amount too large ("100000000"): at most 99999999.99' });
    expect(parseAmount(true)).toMatchObject({ ok: false, missing: false });
  });

  it('store prices normalise to two decimals; empty is no price', () => {
    expect(normaliseStorePrice('12.5')).toBe('12.50');
    expect(normaliseStorePrice(12.499)).toBe('12.50');
    expect(normaliseStorePrice('')).toBeNull();
    expect(normaliseStorePrice(null)).toBeNull();
    expect(normaliseStorePrice('abc')).toBeNull();
  });

  it('round endings', () => {
    expect(roundEnding('0.99')).toBe(99);
    expect(roundEnding('.95')).toBe(95);
    expect(roundEnding('0.00')).toBe(0);
    expect(roundEnding('1.99')).toBeUndefined();
    expect(roundEnding('0.9')).toBeUndefined();
  });
});

describe('the price-change gate\'s test', () => {
  it('counts a change by more than the ratio, or from no price', () => {
    expect(isLargePriceChange(1000, 1300, 0.3)).toBe(false);
    expect(isLargePriceChange(1000, 1301, 0.3)).toBe(true);
    expect(isLargePriceChange(1000, 699, 0.3)).toBe(true);
    expect(isLargePriceChange(null, 1000, 0.3)).toBe(true);
    expect(isLargePriceChange(0, 1000, 0.3)).toBe(true);
  });
});
