/**
 * Per-source pack sizes (SPEC §14): the supplier counts packs of N while the store sells singles
 * (`packSize: N`, multiply), or the reverse (`packSize: "1/N"`, divide rounding down). Pure.
 */

/** The largest N accepted: a larger pack is a typo, and N × a valid quantity must stay exact. */
export const MAX_PACK = 1_000_000;

export interface Pack {
  op: 'multiply' | 'divide';
  n: number;
}

/**
 * A `packSize` value (config) or a skuMap `pack` cell: a whole number N (1 … MAX_PACK, also as
 * digits in a string) or the string `"1/N"`. Returns the pack, or a reason naming the value.
 */
export function parsePackSize(value: unknown): Pack | { error: string } {
  const bad = { error: `pack size ${JSON.stringify(value)} is not valid: expected a whole number N from 1 to ${MAX_PACK} (the supplier counts packs of N) or "1/N" (the store sells packs of N)` };
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= MAX_PACK ? { op: 'multiply', n: value } : bad;
  if (typeof value !== 'string') return bad;
  const m = /^\s*(?:(\d+)|1\s*\/\s*(\d+))\s*$/.exec(value);
  if (!m) return bad;
  const n = Number(m[1] ?? m[2]);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PACK) return bad;
  return { op: m[1] !== undefined ? 'multiply' : 'divide', n };
}

export function isPackError(p: Pack | { error: string }): p is { error: string } {
  return 'error' in p;
}

/** True for a pack that changes nothing (×1 or ÷1). */
export function isIdentityPack(pack: Pack | undefined): boolean {
  return pack === undefined || pack.n === 1;
}

/** A quantity in supplier units → store units: 12 packs of 6 are 72; 23 singles sold in fours are 5. */
export function applyPack(qty: number, pack: Pack): number {
  return pack.op === 'multiply' ? qty * pack.n : Math.floor(qty / pack.n);
}

/** `×6` or `÷4`, as the diff's reason shows a pack step. */
export function describePack(pack: Pack): string {
  return pack.op === 'multiply' ? `×${pack.n}` : `÷${pack.n}`;
}
