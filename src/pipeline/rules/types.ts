/**
 * The shape every quantity rule shares (SPEC §14, STYLE "Rules are a list of small pure steps"):
 * a rule turns one SKU's quantity into another and says what it did, so the diff's reason and
 * `invsync explain` show the very steps match applied.
 */

/** Rule names, as `explain` and the diff's reason print them. */
export type RuleName = 'qtyMap' | 'packSize' | 'aggregate' | 'kit' | 'openOrders' | 'minQty' | 'share' | 'buffer' | 'maxQty';

/** One rule applied to one SKU. */
export interface RuleStep {
  rule: RuleName;
  /**
   * The quantity before the rule: a number, the text a qtyMap read, or null for a kit whose SKU
   * no source lists (its quantity comes from its components alone).
   */
  from: number | string | null;
  to: number;
  /** The source a per-source rule (qtyMap, packSize) applied to. */
  source?: string;
  /** The rule's setting as it applied: `×6`, `−2`, `< 3`, `min(A 10÷2, B 7÷1)`, `sum of 2`. */
  detail?: string;
}

/** What a rule makes of one quantity: the new one, or why the SKU's supply is unknown. */
export type Verdict = { qty: number; detail?: string } | { unknown: string };

/** A rule applied after `aggregate`, to the SKU's combined quantity. Pure; never throws. */
export interface QtyRule {
  readonly rule: RuleName;
  /**
   * `qty` is the quantity so far, or null when no source lists the SKU (only a kit rule gives
   * such a SKU a quantity). Returns null when the rule does not apply to this SKU (no step).
   */
  apply(qty: number | null, key: string): Verdict | null;
}
