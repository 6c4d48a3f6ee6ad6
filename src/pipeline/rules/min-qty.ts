import type { QtyRule } from './types.js';

/** `rules.minQty` (SPEC §14): a combined quantity strictly below `min` is offered as 0 (don't sell the last few). */
export function minQtyRule(min: number): QtyRule {
  return {
    rule: 'minQty',
    apply: (qty) => (qty === null ? null : { qty: qty < min ? 0 : qty, detail: `< ${min}` }),
  };
}
