import type { QtyRule } from './types.js';

/**
 * Open orders (SPEC §12), the hook the open-order reader fills: the units of a SKU key sold in the
 * store but not yet seen by the supplier; undefined or 0 when there are none. Without it (the
 * default, `rules.openOrders: "ignore"`) the rule is not in the list at all.
 */
export type OpenOrders = (key: string) => number | undefined;

/** Subtracts a SKU's open orders from its quantity, never below 0. */
export function openOrdersRule(openOrders: OpenOrders): QtyRule {
  return {
    rule: 'openOrders',
    apply: (qty, key) => {
      if (qty === null) return null;
      const open = openOrders(key) ?? 0;
      return { qty: Math.max(0, qty - open), detail: `−${open}` };
    },
  };
}
