import type { QtyRule } from './types.js';

/** A store's `share` (SPEC §9): the part of the combined quantity offered on that store, floored, applied before the buffer. */
export function shareRule(share: number): QtyRule {
  return {
    rule: 'share',
    apply: (qty) => (qty === null ? null : { qty: shareOf(qty, share), detail: `×${share}` }),
  };
}

/**
 * ⌊quantity × share⌋, exactly: the share is taken as the decimal fraction it is written as
 * (0.29 is 29/100), so 100 × 0.29 is 29, not the 28 that binary floating point gives.
 */
export function shareOf(quantity: number, share: number): number {
  if (share <= 0 || quantity <= 0) return 0;
  if (share >= 1) return Math.floor(quantity);
  const { digits, decimals } = decimalFraction(share);
  const q = Math.floor(quantity);
  const num = Number(digits);
  const den = 10 ** decimals;
  const product = q * num;
  if (decimals <= 15 && Number.isSafeInteger(num) && Number.isSafeInteger(product)) return (product - (product % den)) / den;
  return Number((BigInt(q) * BigInt(digits)) / 10n ** BigInt(decimals));
}

const fractions = new Map<number, { digits: string; decimals: number }>();

/** A share in (0, 1) as digits / 10^decimals, from its shortest decimal form (`0.29` → 29 / 10^2). */
function decimalFraction(share: number): { digits: string; decimals: number } {
  let f = fractions.get(share);
  if (f) return f;
  const [mantissa, exponent] = share.toString().split('e');
  const [whole, frac = ''] = mantissa!.split('.');
  const decimals = frac.length - Number(exponent ?? 0);
  f = { digits: `${whole}${frac}`.replace(/^0+(?=\d)/, ''), decimals };
  fractions.set(share, f);
  return f;
}
