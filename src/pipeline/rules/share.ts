import type { QtyRule } from './types.js';

/**
 * A store's `share` (SPEC §9): the part of the combined quantity offered on that store, floored,
 * applied before the buffer.
 * NOTE: 100 × 0.29 is 28.999999999999996 in binary floating point; rounding to 6 decimals first
 * keeps a share the user wrote as a decimal exact (29), while still flooring a real fraction.
 */
export function shareRule(share: number): QtyRule {
  return {
    rule: 'share',
    apply: (qty) => (qty === null ? null : { qty: Math.floor(Math.round(qty * share * 1e6) / 1e6), detail: `×${share}` }),
  };
}
