/**
 * The rule pipeline (SPEC §14), in its order: per-source `qtyMap` (read where sources parse
 * quantities) and `packSize`, then `aggregate` (SupplyAggregator), then the list built here —
 * kits, open orders, `minQty`, the store's `share`, `buffer`, `maxQty`. Each rule is a small pure
 * module reporting what it did; `match` and `invsync explain` run this same list.
 */
import { MAX_QTY } from '../../domain/quantity.js';
import { bufferRule } from './buffer.js';
import { kitRule, type ComponentSupply, type Kits } from './kits.js';
import { maxQtyRule } from './max-qty.js';
import { minQtyRule } from './min-qty.js';
import { openOrdersRule, type OpenOrders } from './open-orders.js';
import { applyPack, describePack, isIdentityPack, type Pack } from './pack.js';
import { shareRule } from './share.js';
import type { QtyRule, RuleStep } from './types.js';

export type { QtyRule, RuleName, RuleStep, Verdict } from './types.js';
export type { ComponentSupply, Kits } from './kits.js';
export type { OpenOrders } from './open-orders.js';

/** The settings the rules after `aggregate` read, for one store. */
export interface RuleSettings {
  /** 0: off. */
  minQty: number;
  buffer: number;
  maxQty: number | null;
  /** The store's share of the combined quantity (SPEC §9); undefined: all of it (no step). */
  share?: number;
  /** `rules.kits`, loaded; undefined: no kits (no step). */
  kits?: Kits;
  /** Open orders per SKU key (SPEC §12); undefined: `openOrders: "ignore"` (no step). */
  openOrders?: OpenOrders;
}

/**
 * The rules after `aggregate`, in SPEC §14's order. A rule whose setting is neutral and optional
 * (no kits, no open orders, minQty 0, no share) is not in the list; buffer and the maxQty cap
 * always are. `components` answers a kit's component quantities from the same supply.
 */
export function buildRuleList(settings: RuleSettings, components: ComponentSupply): QtyRule[] {
  const list: QtyRule[] = [];
  if (settings.kits && settings.kits.size > 0) list.push(kitRule(settings.kits, components));
  if (settings.openOrders) list.push(openOrdersRule(settings.openOrders));
  if (settings.minQty > 0) list.push(minQtyRule(settings.minQty));
  if (settings.share !== undefined) list.push(shareRule(settings.share));
  list.push(bufferRule(settings.buffer));
  list.push(maxQtyRule(settings.maxQty));
  return list;
}

export type RuleOutcome =
  /** The store target, and every rule that applied, in order. */
  | { kind: 'target'; qty: number; steps: RuleStep[] }
  /** The SKU's supply cannot be known (a kit with an unlisted component): leave the item unchanged. */
  | { kind: 'unknown'; why: string; steps: RuleStep[] }
  /** No source lists the SKU and no rule gives it a quantity. */
  | { kind: 'none'; steps: RuleStep[] };

/** Run `list` over one SKU's combined quantity (null: no source lists it). Pure. */
export function runRules(list: readonly QtyRule[], key: string, combined: number | null): RuleOutcome {
  const steps: RuleStep[] = [];
  let qty = combined;
  for (const rule of list) {
    const verdict = rule.apply(qty, key);
    if (verdict === null) continue;
    if ('unknown' in verdict) return { kind: 'unknown', why: verdict.unknown, steps };
    steps.push({ rule: rule.rule, from: qty, to: verdict.qty, ...(verdict.detail === undefined ? {} : { detail: verdict.detail }) });
    qty = verdict.qty;
  }
  return qty === null ? { kind: 'none', steps } : { kind: 'target', qty, steps };
}

/** What one source contributed to a SKU, after its per-source rules. */
export interface Contribution {
  /** The source's name (or several joined with "+" whose quantities were already combined). */
  source: string;
  /** The quantity as listed (after qtyMap, before packSize). */
  listed: number;
  /** The stock text the source's qtyMap read, if it did. */
  text?: string;
  /** The pack applied, when not ×1. */
  pack?: Pack;
  /** The quantity in store units: what `aggregate` combines. */
  qty: number;
}

/**
 * A supplier quantity in store units: the pack applied (multiply, or divide rounding down), held
 * to MAX_QTY so a sum over sources stays exact. `listed` is already floored and ≥ 0.
 */
export function sourceQty(listed: number, text: string | undefined, pack: Pack | undefined, source: string): Contribution {
  const usePack = isIdentityPack(pack) ? undefined : pack;
  const c: Contribution = { source, listed, qty: storeUnits(listed, usePack) };
  if (text !== undefined) c.text = text;
  if (usePack) c.pack = usePack;
  return c;
}

/** sourceQty's quantity alone, without building the contribution (match's hot path). */
export function storeUnits(listed: number, pack: Pack | undefined): number {
  return pack === undefined || pack.n === 1 ? listed : Math.min(applyPack(listed, pack), MAX_QTY);
}

/** True when a per-source rule (qtyMap, packSize) shaped this contribution. */
export function isRuled(c: Contribution): boolean {
  return c.text !== undefined || c.pack !== undefined;
}

/** The per-source steps of one contribution, as `explain` lists them. */
export function contributionSteps(c: Contribution): RuleStep[] {
  const steps: RuleStep[] = [];
  if (c.text !== undefined) steps.push({ rule: 'qtyMap', source: c.source, from: c.text, to: c.listed });
  if (c.pack) steps.push({ rule: 'packSize', source: c.source, from: c.listed, to: c.qty, detail: describePack(c.pack) });
  return steps;
}

/** The `aggregate` step over a SKU's contributions (several sources, or one). */
export function aggregateStep(mode: string, contributions: readonly Contribution[], combined: number): RuleStep {
  if (contributions.length === 1) return { rule: 'aggregate', from: contributions[0]!.qty, to: combined, detail: `${mode} of ${contributions[0]!.source}` };
  return { rule: 'aggregate', from: null, to: combined, detail: `${mode} of ${contributions.map((c) => `${c.source} ${c.qty}`).join(', ')}` };
}

/**
 * The diff's reason for a change a feed asked for: each contribution shaped by a per-source rule,
 * the aggregate when several sources combine, and every later rule that changed the quantity
 * (`feed 12 → pack ×6 → 72 → buffer −2 → 70`). Undefined when no rule changed anything (the
 * plain "feed" reason).
 */
/** How a rule reads in a diff's reason where its config name would not (SPEC §12: "open orders −2"). */
const RULE_LABEL: Partial<Record<string, string>> = { openOrders: 'open orders' };

export function describeRules(
  contributions: readonly Contribution[] | undefined, mode: string, combined: number | null, steps: readonly RuleStep[],
): string | undefined {
  const chain: string[] = [];
  if (contributions?.some(isRuled)) {
    chain.push(contributions.map((c) => {
      const listed = c.text === undefined ? String(c.listed) : `${JSON.stringify(c.text)} → qtyMap → ${c.listed}`;
      return `${c.source} ${listed}${c.pack ? ` → pack ${describePack(c.pack)} → ${c.qty}` : ''}`;
    }).join(', '));
    if (contributions.length > 1 && combined !== null) chain.push(`${mode} ${combined}`);
  }
  for (const step of steps) {
    if (step.rule !== 'kit' && step.from === step.to) continue;
    if (chain.length === 0 && step.from !== null) chain.push(`feed ${step.from}`);
    chain.push(`${RULE_LABEL[step.rule] ?? step.rule}${step.detail === undefined ? '' : ` ${step.detail}`}`, String(step.to));
  }
  return chain.length === 0 ? undefined : chain.join(' → ');
}
