import { MAX_QTY } from '../../domain/quantity.js';
import type { QtyRule } from './types.js';

/**
 * `rules.maxQty` (SPEC §4): an upper cap. Always the last rule: without a configured cap it still
 * holds the target to MAX_QTY (2^31 − 1, SPEC §8), which a sum over several sources may exceed.
 */
export function maxQtyRule(maxQty: number | null): QtyRule {
  const cap = maxQty === null ? MAX_QTY : Math.min(maxQty, MAX_QTY);
  return {
    rule: 'maxQty',
    apply: (qty) => (qty === null ? null : { qty: Math.min(qty, cap), detail: maxQty === null ? `≤ ${cap} (store limit)` : `≤ ${cap}` }),
  };
}
