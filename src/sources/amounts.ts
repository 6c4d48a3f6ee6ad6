/**
 * SPEC §14 `prices`: the supplier amounts of one row (price, cost, MAP, MSRP), read the same way
 * by every source. Pure.
 */
import { AMOUNT_FIELDS, parseAmount, type AmountField, type Amounts } from '../domain/price.js';

export type AmountsResult = { ok: true; amounts?: Amounts } | { ok: false; reason: string };

/**
 * The amounts among `values` (raw field values, keyed by field; absent or blank: not given).
 * A value that is not an amount makes the row rejected, with a reason naming the field, like a
 * bad quantity: a wrong cost must never turn into a price. MSRP rounds down past the cent, the
 * others up (see parseAmount).
 */
export function readAmounts(values: Partial<Record<AmountField, unknown>>): AmountsResult {
  let amounts: Amounts | undefined;
  for (const field of AMOUNT_FIELDS) {
    if (!(field in values)) continue;
    const r = parseAmount(values[field], field === 'msrp' ? 'down' : 'up');
    if (r.ok) (amounts ??= {})[field] = r.cents;
    else if (!r.missing) return { ok: false, reason: `${field}: ${r.reason}` };
  }
  return amounts ? { ok: true, amounts } : { ok: true };
}
