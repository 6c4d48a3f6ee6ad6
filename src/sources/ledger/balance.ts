/**
 * The balance rules of SPEC §11, as pure functions. The ledger computes balances in SQL
 * (state/ledger.ts) over millions of rows; `balances()` states the same rules over small arrays,
 * so tests can hold the SQL to them.
 */

export interface CountRow { sku: string; at: number; qty: number }
export interface MovementRow { sku: string; at: number; delta: number }

export interface Balance {
  sku: string;
  /** Signed: what the ledger holds. */
  balance: number;
  /** The latest count, or null for a SKU never counted (its movements start from 0). */
  count: { qty: number; at: number } | null;
}

/**
 * Balance = the SKU's latest count + its movements dated strictly after that count (all of
 * them when it was never counted). A count resets only the SKUs it lists. Sorted by SKU.
 */
export function balances(counts: CountRow[], movements: MovementRow[]): Balance[] {
  const latest = new Map<string, { qty: number; at: number }>();
  for (const c of counts) {
    const seen = latest.get(c.sku);
    if (!seen || c.at > seen.at) latest.set(c.sku, { qty: c.qty, at: c.at });
  }
  const out = new Map<string, Balance>();
  for (const [sku, count] of latest) out.set(sku, { sku, balance: count.qty, count });
  for (const m of movements) {
    const b = out.get(m.sku) ?? { sku: m.sku, balance: 0, count: null };
    out.set(m.sku, b);
    if (b.count === null || m.at > b.count.at) b.balance += m.delta;
  }
  return [...out.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/**
 * What the ledger offers the store for a signed balance: itself, or 0 below zero (reported; the
 * ledger keeps the signed balance, so a later purchase of 4 after −3 gives 1).
 */
export function offered(balance: number): { qty: number; negative: boolean } {
  return balance < 0 ? { qty: 0, negative: true } : { qty: balance, negative: false };
}
