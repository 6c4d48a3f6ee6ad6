import type { QtyRule } from './types.js';

/** `rules.buffer` (SPEC §4): safety stock subtracted from the quantity; the result never goes below 0. */
export function bufferRule(buffer: number): QtyRule {
  return {
    rule: 'buffer',
    apply: (qty) => (qty === null ? null : { qty: Math.max(0, qty - buffer), detail: `−${buffer}` }),
  };
}
