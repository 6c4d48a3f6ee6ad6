/**
 * `invsync explain <sku>` (SPEC §13): why the store will show what it will show for one SKU.
 * Local state only (the snapshot and the store index), read-only. The answer comes from the same
 * code as match: the supply is aggregated by SupplyAggregator from the snapshot rows that matter
 * to this SKU (its own, its kit components', and near forms), and each store item is decided by
 * the same Matcher with the same rule list — nothing is re-derived here.
 */
import type { Config } from '../config/schema.js';
import { SnapshotError, StoreError, UnpairedFetchError, UsageError } from '../domain/errors.js';
import { DUPLICATE_HOLDERS_SHOWN, looseKey, skuKey } from '../domain/sku.js';
import type { StoreId, StoreItem, StoreSkuDuplicate } from '../domain/types.js';
import { formatCents, type Amounts } from '../domain/price.js';
import type { Db } from '../state/db.js';
import { getIndexMeta, iterateStoreItems } from '../state/store-index.js';
import { configuredStores } from '../config/stores.js';
import { fetchPairProblem, snapshotPath } from './fetch.js';
import { describeFields, type StatusDecision } from './rules/status.js';
import { storeMatchExtras } from './plan.js';
import { Matcher, normaliseQty, packFor, rewriteSku, SupplyAggregator, type ItemDecision } from './match.js';
import { aggregateStep, contributionSteps, runRules, sourceQty, type Contribution, type RuleStep } from './rules/index.js';
import { kitComponentKeys } from './rules/kits.js';
import { loadRewrites } from './sku-map.js';
import { openSnapshot } from './snapshot.js';

/** One snapshot row for the SKU: an item (qty as listed) or a rejected row (qty null, `rejected` says why). */
export interface ExplainedSourceRow {
  source: string;
  /** The SKU as the source listed it. */
  sku: string;
  qty: number | null;
  row: number;
  /** The stock text the source's qtyMap read. */
  text?: string;
  rejected?: string;
}

export interface Explanation {
  sku: string;
  /** The level match sets (or keeps); null when it cannot be known or nothing sets one. */
  target: number | null;
  sources: ExplainedSourceRow[];
  /** Every rule applied, in SPEC §14's order. */
  rules: RuleStep[];
  storeItems: Array<{ store: string; productId: StoreId; variationId: StoreId | null; qty: number | null }>;
  /** Why the store item(s) will not be written, or null when match writes the target (or the store already holds it). */
  notWritten: string | null;
  /** SPEC §14 `rules.status`: what happens to the listing's visibility, when the rule is on. */
  status?: string;
  /** SPEC §14, with `prices.enabled`: the price of the (first) store item and how the formula reached it. */
  price?: ExplainedPrice;
}

export interface ExplainedPrice {
  /** The source whose amounts count (the first in config order giving any), and its amounts as two-decimal strings. */
  source: string | null;
  amounts: Partial<Record<'price' | 'cost' | 'map' | 'msrp', string>>;
  /** The formula's steps, in order (`cost 10.00 +30% → 13.00`, `round up to .99 → 13.99`, …). */
  steps: string[];
  /** The computed price, or null when none is written (`why` says why). */
  target: string | null;
  /** The store item's price now (null: none; absent when the store did not report it). */
  current?: string | null;
  why?: string;
}

/**
 * Explain one SKU from the last fetch. Throws ConfigError for a bad rules file (exit 2),
 * StoreError when there is no store index and SnapshotError when there is no usable snapshot (exit 5).
 */
export async function explainSku(options: { db: Db; config: Config; sku: string; store?: string }): Promise<Explanation> {
  const { db, config } = options;
  const stores = configuredStores(config);
  const setup = options.store === undefined ? stores[0]! : stores.find((s) => s.name === options.store);
  if (!setup) throw new UsageError(`no store named "${options.store}" in the config (stores: ${stores.map((s) => s.name).join(', ')})`);
  const rules = setup.rules;
  const cs = rules.skuCaseSensitive;
  const rewrites = loadRewrites(config.sources, cs);
  const index = getIndexMeta(db, setup.name);
  if (!index) throw new UnpairedFetchError(`the store index${stores.length > 1 ? ` of store "${setup.name}"` : ''} is empty: run \`invsync fetch\` first`);
  // The extras match decides this store with; explain remembers nothing (no status persisted).
  const { extras } = storeMatchExtras(db, config, setup, index, false);
  const snapshot = await openSnapshot(snapshotPath(config.stateDir)).catch((err: unknown) => {
    throw err instanceof SnapshotError ? err : new SnapshotError(`no snapshot to explain from: run \`invsync fetch\` first (${(err as Error).message})`);
  });

  const key = skuKey(options.sku, cs);
  const loose = looseKey(key);
  const needed = new Set([key, ...kitComponentKeys(extras.kits, key)]);
  const enabled = setup.sources;
  const supply = new SupplyAggregator(enabled.slice(), rules, rewrites);
  const rows: ExplainedSourceRow[] = [];
  const contributions: Contribution[] = [];
  for await (const record of snapshot.records()) {
    if (!enabled.includes(record.source) || !record.sku || record.sku.trim() === '') continue;
    const rewrite = rewrites.get(record.source);
    const recordKey = skuKey(rewriteSku(record.sku, rewrite, cs), cs);
    // Near forms feed the aggregator too, so its near-match report is the one match makes.
    if (!needed.has(recordKey) && looseKey(recordKey) !== loose) continue;
    supply.add(record);
    if (recordKey !== key) continue;
    if (record.kind === 'rejected') {
      rows.push({ source: record.source, sku: record.sku, qty: null, row: record.row, rejected: record.reason });
      continue;
    }
    rows.push({ source: record.source, sku: record.sku, qty: record.qty, row: record.row, ...(record.text === undefined ? {} : { text: record.text }) });
    contributions.push(sourceQty(normaliseQty(record.qty), record.text, packFor(record.sku, rewrite, cs), record.source));
  }

  const items = [...storeItemsWithKey(db, key, cs, setup.name)];
  const duplicates = new Map<string, StoreSkuDuplicate>();
  if (items.length > 1) {
    duplicates.set(key, { count: items.length, holders: items.slice(0, DUPLICATE_HOLDERS_SHOWN).map((i) => ({ productId: i.productId, variationId: i.variationId })) });
  }
  const matcher = new Matcher(supply, rules, extras, duplicates);
  const entry = supply.get(key);

  const steps: RuleStep[] = [];
  for (const c of contributions) for (const step of contributionSteps(c)) steps.push(step);
  if (entry) steps.push(aggregateStep(rules.aggregate, contributions, entry.qty));
  const outcome = runRules(matcher.ruleList, key, entry ? entry.qty : null);
  for (const step of outcome.steps) steps.push(step);

  const storeName = setup.name;
  const decisions = items.map((item) => matcher.decide(item));
  const first = decisions[0];
  const statusDecision = first === undefined ? undefined : matcher.decideStatus(items[0]!, first);
  let target: number | null;
  let notWritten: string | null;
  // What match refuses for this store (plan.ts) is no target, whatever the rules give.
  const unpaired = fetchPairProblem(snapshot.header, index)
    ?? (enabled.some((s) => !snapshot.header.sources.includes(s)) ? `the snapshot has no data for source(s) ${enabled.filter((s) => !snapshot.header.sources.includes(s)).join(', ')}: run \`invsync fetch\`` : null);
  if (unpaired) {
    target = null;
    notWritten = `match refuses this store until the next fetch: ${unpaired}`;
  } else if (first === undefined) {
    target = outcome.kind === 'target' ? outcome.qty : null;
    notWritten = outcome.kind === 'unknown' ? `kit unknown (${outcome.why}); no store item has this SKU` : 'no store item has this SKU';
  } else {
    target = first.kind === 'write' || first.kind === 'same' ? first.target : null;
    notWritten = whyNotWritten(first);
  }
  return {
    sku: options.sku,
    target,
    sources: rows,
    rules: steps,
    storeItems: items.map((i) => ({ store: storeName, productId: i.productId, variationId: i.variationId, qty: i.managed ? i.qty : null })),
    notWritten,
    ...(statusDecision ? { status: describeStatus(statusDecision) } : {}),
    ...(config.prices.enabled ? { price: explainPrice(supply, key, first, items[0]) } : {}),
  };
}

/** SPEC §14: the price part of an explanation, from the same decision match makes. */
function explainPrice(supply: SupplyAggregator, key: string, decision: ItemDecision | undefined, item: StoreItem | undefined): ExplainedPrice {
  const found = supply.amountsOf(key);
  const amounts: ExplainedPrice['amounts'] = {};
  for (const [field, cents] of Object.entries(found?.amounts ?? {})) amounts[field as keyof Amounts] = formatCents(cents);
  const price = decision && (decision.kind === 'write' || decision.kind === 'same') ? decision.price : undefined;
  const out: ExplainedPrice = {
    source: found?.source ?? null, amounts, steps: price ? price.steps.map((s) => s.note) : [],
    target: price?.cents === undefined ? null : formatCents(price.cents),
    ...(item?.price !== undefined ? { current: item.price } : {}),
  };
  if (price?.why) out.why = price.why;
  else if (!price) out.why = item === undefined ? 'no store item has this SKU' : item.price === undefined ? 'the store index has no prices (run `invsync fetch`)' : 'the item gets no write (see notWritten)';
  return out;
}

/** One line: the status decision as `explain` shows it. */
export function describeStatus(d: StatusDecision): string {
  switch (d.kind) {
    case 'apply': return d.action ? `${d.why}: write ${describeFields(d.action.set)}` : d.why;
    case 'restore': return `${d.why}: write ${describeFields(d.action.set)}`;
    default: return d.why;
  }
}

/** The one-line reason a decision leaves the item unwritten; null when match writes (or already holds) the target. */
export function whyNotWritten(decision: ItemDecision): string | null {
  switch (decision.kind) {
    case 'write': case 'same': return null;
    case 'noSku': return 'the store item has no SKU';
    case 'notWritten': return decision.why;
    case 'excluded': return `excluded by rules.exclude pattern "${decision.pattern}"`;
    case 'missing': return decision.why;
    case 'listedTwice': return decision.reports.map((r) => `${r.source}: ${r.message}`).join('; ');
    case 'rejectedRow': return `rejected row (${decision.report.source}): ${decision.report.message}`;
    case 'nearMatch': return `near match: ${decision.report.message}`;
    case 'duplicateStore': case 'unknown': return decision.report.message;
  }
}

/** The store items whose SKU key is `key`, in store order (the whole index, streamed). */
function* storeItemsWithKey(db: Db, key: string, caseSensitive: boolean, store: string) {
  for (const item of iterateStoreItems(db, { store })) if (skuKey(item.sku, caseSensitive) === key) yield item;
}
