import { z } from 'zod';

/**
 * The `ledger` source's own keys (SPEC §11). config/schema.ts joins them with the keys every
 * source has; this file imports nothing from it, so the two never import each other.
 */

const inputName = z.string().trim().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"');
const httpUrl = z.url({ protocol: /^https?$/, error: 'Invalid url (expected http:// or https://)' });
const dotPath = z.string().min(1);

/** A path whose wildcards (`*`, `?`) are in the file name only: `sales/*.csv`, not `*\/sales.csv`. */
export const LedgerGlob = z.string().min(1).refine((p) => !/[*?]/.test(p.replace(/[^/\\]*$/, '')), {
  message: 'wildcards ("*", "?") are allowed in the file name only, e.g. "sales/*.csv"',
});

/** What a movement does to the balance: `purchase` adds qty, `sale` subtracts it, `adjustment` adds the signed qty. */
export const MovementKind = z.enum(['purchase', 'sale', 'adjustment']);
export type MovementKind = z.infer<typeof MovementKind>;

export const LedgerMovementInput = z.object({
  /** With the row's id, what identifies a movement for ever: renaming an input re-applies its movements. */
  name: inputName,
  kind: MovementKind,
  path: LedgerGlob.optional(),
  url: httpUrl.optional(),
  /** Default: "json" when the path or URL ends in .json, else "csv". */
  format: z.enum(['csv', 'json']).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  // The `json` source's keys, for JSON inputs (dot paths into each item).
  itemsPath: dotPath.optional(),
  skuPath: dotPath.default('sku'),
  qtyPath: dotPath.default('qty'),
  idPath: dotPath.default('id'),
  /** Omitted: every movement of the input is dated by the file's modification time (a URL's: the fetch time). */
  atPath: dotPath.optional(),
}).strict().refine((m) => (m.path === undefined) !== (m.url === undefined), {
  message: 'give exactly one of "path" or "url"', path: ['path'],
});
export type LedgerMovementInput = z.infer<typeof LedgerMovementInput>;

export const LedgerColumns = z.object({
  id: z.string().min(1).default('id'),
  sku: z.string().min(1).default('sku'),
  qty: z.string().min(1).default('qty'),
  /** When a file has no such column, its rows are dated by the file's modification time. */
  at: z.string().min(1).default('at'),
}).strict();
export type LedgerColumns = z.infer<typeof LedgerColumns>;

export const ledgerFields = {
  type: z.literal('ledger'),
  /** Stock count files (CSV `sku,qty`, plus the `at` column when present): one glob or several. */
  counts: z.union([LedgerGlob, z.array(LedgerGlob).min(1)]).optional(),
  movements: z.array(LedgerMovementInput).default([]),
  columns: LedgerColumns.prefault({}),
  delimiter: z.string().min(1).max(1).default(','),
};

/** Refinements of a whole ledger config (duplicate input names, nothing to read). */
export function checkLedger(c: { counts?: string | string[]; movements: Array<{ name: string }> }, ctx: z.RefinementCtx): void {
  if (c.counts === undefined && c.movements.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'a ledger needs "counts" or at least one entry in "movements"', path: ['movements'] });
  }
  const seen = new Set<string>();
  c.movements.forEach((m, i) => {
    if (seen.has(m.name)) ctx.addIssue({ code: 'custom', message: `duplicate movement input name "${m.name}"`, path: ['movements', i, 'name'] });
    seen.add(m.name);
  });
}
