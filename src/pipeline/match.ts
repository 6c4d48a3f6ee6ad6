/**
 * The pure core of `match` (SPEC §4, §5): supplier records + store items + rules → plan.
 * No I/O: callers feed records and items; the result is data. Same inputs, same plan.
 */
import type { Rules, Safety } from '../config/schema.js';
import { ErrorLog, reasonClass, type SharedErrors } from '../domain/error-log.js';
import { duplicateStoreSkuMessage, looseKey, nearMatchMessage, skuKey } from '../domain/sku.js';
import type {
  Change, ErrorTotals, IndexedStoreItem, PerSourceCounts, RunCounts, SafetyReport, SnapshotRecord, StoreItem, StoreSkuDuplicate, SummaryError,
} from '../domain/types.js';
import { emptyCounts, type PriceChange } from '../domain/types.js';
import {
  computePrice, formatCents, isLargePriceChange, priceTags, storePriceCents, type Amounts, type PriceSettings, type PriceStep,
} from '../domain/price.js';
import type { ExcludeMatcher } from './rules/exclude.js';
import {
  buildRuleList, describeRules, runRules, storeUnits, type ComponentSupply, type Contribution, type Kits, type OpenOrders, type QtyRule, type RuleStep,
} from './rules/index.js';
import { isIdentityPack, type Pack } from './rules/pack.js';
import { decideStatus, statusReason, type HiddenRecord, type StatusDecision, type StatusSettings, type StockSituation } from './rules/status.js';
import type { StatusFacts } from '../stores/status.js';
import type { StatusAction, StoreId } from '../domain/types.js';

export { skuKey } from '../domain/sku.js';

/** SPEC §8: the largest quantity invsync writes (2^31 − 1, what Shopify's Int and most stores hold). */
export const MAX_TARGET_QTY = 2_147_483_647;

export { shareOf } from './rules/share.js';

/** Supplier quantities are whole numbers: fractions are floored, negatives count as 0. */
export function normaliseQty(qty: number): number {
  return qty > 0 ? Math.floor(qty) : 0;
}

/**
 * The store target for a combined supplier quantity: the store's `share` of it (SPEC §9, floored),
 * minus the buffer, never below 0, capped at maxQty and at MAX_TARGET_QTY (a sum over several
 * sources may exceed what a store can hold). The share, buffer and maxQty rules of the rule list
 * (see rules/), without the others.
 */
export function targetQty(combined: number, rules: Pick<Rules, 'buffer' | 'maxQty'> & { share?: number }): number {
  const share = rules.share === undefined || rules.share === 1 ? {} : { share: rules.share };
  const outcome = runRules(buildRuleList({ minQty: 0, buffer: rules.buffer, maxQty: rules.maxQty, ...share }, () => ({ unknown: 'no kits' })), '', combined);
  return outcome.kind === 'target' ? outcome.qty : 0;
}


/** Per-source SKU rewriting (issue: SKUs that differ between supplier and store). */
export interface SkuRewrite {
  stripPrefix?: string;
  skuPrefix?: string;
  /** supplier SKU key (see skuKey) → store SKU. */
  map?: Map<string, string>;
  /** The source's `packSize` (SPEC §14). */
  pack?: Pack;
  /** supplier SKU key → its pack, from the skuMap's `pack` column (wins over `pack`). */
  packs?: Map<string, Pack>;
}

/** The pack a source's row is counted in: the skuMap's `pack` for its SKU, else the source's packSize. */
export function packFor(sku: string, rewrite: SkuRewrite | undefined, caseSensitive: boolean): Pack | undefined {
  if (!rewrite) return undefined;
  if (rewrite.packs) {
    const own = rewrite.packs.get(skuKey(sku.trim(), caseSensitive));
    if (own) return own;
  }
  return rewrite.pack;
}

/**
 * The store SKU for a supplier SKU: an explicit skuMap entry wins as given; otherwise
 * stripPrefix is removed (when present) and skuPrefix is added.
 */
export function rewriteSku(sku: string, rewrite: SkuRewrite | undefined, caseSensitive: boolean): string {
  const trimmed = sku.trim();
  if (!rewrite) return trimmed;
  const mapped = rewrite.map?.get(skuKey(trimmed, caseSensitive));
  if (mapped !== undefined) return mapped;
  let out = trimmed;
  if (rewrite.stripPrefix) {
    const starts = caseSensitive ? out.startsWith(rewrite.stripPrefix) : out.toLowerCase().startsWith(rewrite.stripPrefix.toLowerCase());
    if (starts) out = out.slice(rewrite.stripPrefix.length);
  }
  return rewrite.skuPrefix ? `${rewrite.skuPrefix}${out}` : out;
}

/** What the supply says about one SKU. */
export interface SupplyEntry {
  /** The combined quantity (per `aggregate`). */
  qty: number;
  /** Indexes (config order) of the sources that listed the SKU. */
  sources: number[];
  /** Sources that listed it more than once: the SKU is left unchanged. */
  duplicateIn?: number[];
}

/** At most this many sources: each one is a bit of a SKU's source mask. */
export const MAX_SOURCES = 20;
/** One more bit marks a SKU already counted as matched. */
const MATCHED_BIT = 1 << MAX_SOURCES;
const SOURCE_BITS = MATCHED_BIT - 1;
/** One more: the SKU's one source so far sent a row a per-source rule shaped (see SupplyAggregator.listed). */
const RULED_BIT = MATCHED_BIT << 1;

/**
 * Accumulates supplier records into one quantity per SKU according to `rules.aggregate`.
 * Records may arrive in any order; `sources` fixes the priority order (config order).
 *
 * NOTE: a SKU is a slot number in one Map; its quantity (a double: exact far beyond 20 × (2^31 − 1))
 * and its source mask live in typed arrays, so a million-SKU supply stays in tens of megabytes.
 * Duplicates, rejected SKUs and near-match candidates, which are rare, live in side maps.
 */
export class SupplyAggregator {
  private readonly slots = new Map<string, number>();
  private qtys = new Float64Array(1024);
  private masks = new Uint32Array(1024);
  private readonly duplicates = new Map<string, number[]>();
  /** SKUs some source sent a rejected row for: their real supply is unknown, so they stay unchanged. */
  private readonly rejectedKeys = new Map<string, string>();
  /** Only feed SKUs whose loose form differs from their key: loose form → the feed SKU as listed. */
  private readonly looseForms = new Map<string, string>();
  private readonly sourceIndex = new Map<string, number>();
  /**
   * What each source contributed, for SKUs a per-source rule (qtyMap, packSize) shaped, so the
   * diff's reason can show it. NOTE: a SKU one source lists (the common case) keeps it in typed
   * arrays beside qtys (the quantity as listed, and small indexes into tables of the distinct
   * texts and packs), allocated only once a rule shapes a row: ~12 bytes a SKU, where an object
   * per SKU cost ~150. Only SKUs several sources list, one of them shaped, get objects (`traced`).
   */
  private listed?: Float64Array;
  private textIdx?: Uint16Array;
  private packIdx?: Uint16Array;
  private readonly texts: string[] = [''];
  private readonly textSlots = new Map<string, number>();
  private readonly packs: Pack[] = [{ op: 'multiply', n: 1 }];
  private readonly packNames: string[] = ['*1'];
  private readonly packSlots = new Map<string, number>();
  private readonly traced = new Map<string, Contribution[]>();
  /**
   * SPEC §14 `prices`: per SKU, the amounts of the first source in config order that gives any
   * (all four from that one source: a cost from one supplier and an MSRP from another would make
   * a price neither supports). Only SKUs whose rows carry amounts have an entry.
   */
  private amounts?: Map<string, { idx: number; amounts: Amounts }>;
  readonly perSource: Record<string, PerSourceCounts> = {};
  /** Rejected rows, capped as they arrive (the first ones kept, all counted). */
  readonly errors = new ErrorLog();
  items = 0;
  rejected = 0;

  constructor(
    readonly sources: string[],
    private readonly rules: Pick<Rules, 'aggregate' | 'skuCaseSensitive'>,
    private readonly rewrites: ReadonlyMap<string, SkuRewrite> = new Map(),
  ) {
    if (sources.length > MAX_SOURCES) throw new RangeError(`at most ${MAX_SOURCES} sources are supported, got ${sources.length}`);
    sources.forEach((s, i) => { this.sourceIndex.set(s, i); this.perSource[s] = { items: 0, rejected: 0, matched: 0 }; });
  }

  add(record: SnapshotRecord): void {
    const idx = this.indexOf(record.source);
    const counts = this.perSource[record.source]!;
    if (record.kind === 'rejected') {
      counts.rejected++;
      this.rejected++;
      // Row 0: a problem that is no line of the input (a ledger balance below 0): no "row 0:" label.
      this.errors.push(record.row > 0
        ? { sku: record.sku ?? null, source: record.source, row: record.row, message: `row ${record.row}: ${record.reason}` }
        : { sku: record.sku ?? null, source: record.source, message: record.reason },
        record.code ?? reasonClass(record.reason));
      if (record.sku && record.sku.trim() !== '') {
        const storeSku = rewriteSku(record.sku, this.rewrites.get(record.source), this.rules.skuCaseSensitive);
        const key = skuKey(storeSku, this.rules.skuCaseSensitive);
        if (!this.rejectedKeys.has(key)) this.rejectedKeys.set(key, record.source);
      }
      return;
    }
    counts.items++;
    this.items++;
    const rewrite = this.rewrites.get(record.source);
    const storeSku = rewriteSku(record.sku, rewrite, this.rules.skuCaseSensitive);
    const key = skuKey(storeSku, this.rules.skuCaseSensitive);
    if (record.amounts) this.noteAmounts(key, idx, record.amounts);
    const listed = normaliseQty(record.qty);
    const found = packFor(record.sku, rewrite, this.rules.skuCaseSensitive);
    const pack = isIdentityPack(found) ? undefined : found;
    const qty = storeUnits(listed, pack);
    const ruled = pack !== undefined || record.text !== undefined;
    const bit = 1 << idx;
    const slot = this.slots.get(key);
    if (slot === undefined) {
      const next = this.slots.size;
      if (next === this.qtys.length) this.grow();
      this.slots.set(key, next);
      this.qtys[next] = qty;
      this.masks[next] = bit;
      this.noteLooseForm(key, storeSku);
      if (ruled) this.noteSingle(key, next, listed, record.text, pack);
      return;
    }
    const mask = this.masks[slot]!;
    if (mask & bit) {
      const dup = this.duplicates.get(key) ?? [];
      if (!dup.includes(idx)) dup.push(idx);
      this.duplicates.set(key, dup);
      return;
    }
    const combined = this.qtys[slot]!;
    const trace = this.traced.get(key);
    const contribution = (): Contribution => this.contribution(record.source, listed, qty, record.text, pack);
    if (trace) trace.push(contribution());
    else if (mask & RULED_BIT) {
      this.traced.set(key, [this.single(slot, this.namesOf(mask & SOURCE_BITS)), contribution()]);
    } else if (ruled) {
      // The earlier sources' quantities are already combined; aggregate is associative, so their
      // combined quantity stands for them.
      this.traced.set(key, [{ source: this.namesOf(mask & SOURCE_BITS), listed: combined, qty: combined }, contribution()]);
    }
    switch (this.rules.aggregate) {
      case 'sum': this.qtys[slot] = combined + qty; break;
      case 'min': this.qtys[slot] = Math.min(combined, qty); break;
      case 'max': this.qtys[slot] = Math.max(combined, qty); break;
      case 'priority':
        // The lowest bit set is the highest-priority source seen so far.
        if (bit < (mask & SOURCE_BITS & -mask)) this.qtys[slot] = qty;
        break;
    }
    this.masks[slot] = mask | bit;
  }

  get(key: string): SupplyEntry | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const mask = this.masks[slot]! & SOURCE_BITS;
    const sources: number[] = [];
    for (let i = 0; 1 << i <= mask; i++) if (mask & (1 << i)) sources.push(i);
    const duplicateIn = this.duplicates.get(key);
    return { qty: this.qtys[slot]!, sources, ...(duplicateIn ? { duplicateIn } : {}) };
  }

  /**
   * Forget which SKUs were matched (and the per-source matched counts), so the same supply can be
   * diffed against another store's index (SPEC §9: one aggregation per set of sources).
   */
  resetMatched(): void {
    for (let i = 0; i < this.slots.size; i++) this.masks[i] = this.masks[i]! & ~MATCHED_BIT;
    for (const counts of Object.values(this.perSource)) counts.matched = 0;
  }

  /** Mark a SKU as matched to the store; true the first time (so per-source counts count it once). */
  markMatched(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined || this.masks[slot]! & MATCHED_BIT) return false;
    this.masks[slot] = this.masks[slot]! | MATCHED_BIT;
    return true;
  }

  get size(): number {
    return this.slots.size;
  }

  /** What each source contributed to a SKU, when a per-source rule shaped one of them; else undefined. */
  contributions(key: string): readonly Contribution[] | undefined {
    const trace = this.traced.get(key);
    if (trace) return trace;
    const slot = this.slots.get(key);
    if (slot === undefined || !(this.masks[slot]! & RULED_BIT)) return undefined;
    return [this.single(slot, this.namesOf(this.masks[slot]! & SOURCE_BITS))];
  }

  /** SPEC §14: the supplier amounts for a SKU and the source they come from; undefined when no source gives any. */
  amountsOf(key: string): { source: string; amounts: Amounts } | undefined {
    const found = this.amounts?.get(key);
    return found && { source: this.sourceName(found.idx), amounts: found.amounts };
  }

  private noteAmounts(key: string, idx: number, amounts: Amounts): void {
    const map = (this.amounts ??= new Map());
    const held = map.get(key);
    if (held === undefined || idx < held.idx) map.set(key, { idx, amounts });
  }

  /** The source that sent a rejected row for this SKU, if any. */
  rejectedBy(key: string): string | undefined {
    return this.rejectedKeys.get(key);
  }

  /**
   * A feed SKU that equals this (unmatched) store key only after folding dashes or dropping
   * leading zeros (see looseKey), with the first source listing it; undefined when none.
   */
  nearMatch(storeKey: string): { sku: string; source: string | null } | undefined {
    const loose = looseKey(storeKey);
    let sku: string | undefined;
    let key: string | undefined;
    if (loose !== storeKey && this.slots.has(loose)) {
      sku = loose;
      key = loose;
    } else {
      sku = this.looseForms.get(loose);
      if (sku !== undefined) key = skuKey(sku, this.rules.skuCaseSensitive);
    }
    if (sku === undefined || key === undefined) return undefined;
    const first = this.get(key)?.sources[0];
    return { sku, source: first === undefined ? null : this.sourceName(first) };
  }

  sourceName(idx: number): string {
    return this.sources[idx]!;
  }

  private namesOf(mask: number): string {
    const names: string[] = [];
    for (let i = 0; 1 << i <= mask; i++) if (mask & (1 << i)) names.push(this.sourceName(i));
    return names.join('+');
  }

  private noteLooseForm(key: string, sku: string): void {
    const loose = looseKey(key);
    if (loose === key) return;
    // The smallest SKU wins a collision, so the report does not depend on record order.
    const held = this.looseForms.get(loose);
    if (held === undefined || sku < held) this.looseForms.set(loose, sku);
  }

  private grow(): void {
    const qtys = new Float64Array(this.qtys.length * 2);
    qtys.set(this.qtys);
    const masks = new Uint32Array(this.masks.length * 2);
    masks.set(this.masks);
    this.qtys = qtys;
    this.masks = masks;
    if (this.listed) {
      const listed = new Float64Array(qtys.length);
      listed.set(this.listed);
      this.listed = listed;
      const textIdx = new Uint16Array(qtys.length);
      textIdx.set(this.textIdx!);
      this.textIdx = textIdx;
      const packIdx = new Uint16Array(qtys.length);
      packIdx.set(this.packIdx!);
      this.packIdx = packIdx;
    }
  }

  /** Record a shaped row of the one source listing the SKU at `slot` so far (see `listed`). */
  private noteSingle(key: string, slot: number, listed: number, text: string | undefined, pack: Pack | undefined): void {
    if (!this.listed) {
      this.listed = new Float64Array(this.qtys.length);
      this.textIdx = new Uint16Array(this.qtys.length);
      this.packIdx = new Uint16Array(this.qtys.length);
    }
    const textAt = text === undefined ? 0 : this.intern(this.texts, this.textSlots, text);
    const packAt = pack === undefined ? 0 : this.packIndex(pack);
    if (textAt < 0 || packAt < 0) {
      // More distinct texts or packs than an index holds (a broken feed, not a qtyMap): keep an object.
      this.traced.set(key, [this.contribution(this.sourceName(this.lowestSource(slot)), listed, this.qtys[slot]!, text, pack)]);
      return;
    }
    this.listed[slot] = listed;
    this.textIdx![slot] = textAt;
    this.packIdx![slot] = packAt;
    this.masks[slot] = this.masks[slot]! | RULED_BIT;
  }

  private single(slot: number, source: string): Contribution {
    const text = this.textIdx![slot]!;
    const pack = this.packIdx![slot]!;
    return this.contribution(source, this.listed![slot]!, this.qtys[slot]!, text === 0 ? undefined : this.texts[text], pack === 0 ? undefined : this.packs[pack]);
  }

  private contribution(source: string, listed: number, qty: number, text: string | undefined, pack: Pack | undefined): Contribution {
    const c: Contribution = { source, listed, qty };
    if (text !== undefined) c.text = text;
    if (pack !== undefined) c.pack = pack;
    return c;
  }

  /** `value`'s index in `table`, added when new; -1 once the table is full (Uint16 indexes). */
  private intern(table: string[], slots: Map<string, number>, value: string, onAdd?: () => void): number {
    const at = slots.get(value);
    if (at !== undefined) return at;
    if (table.length > 0xffff) return -1;
    slots.set(value, table.length);
    table.push(value);
    onAdd?.();
    return table.length - 1;
  }

  private packIndex(pack: Pack): number {
    return this.intern(this.packNames, this.packSlots, `${pack.op === 'multiply' ? '*' : '/'}${pack.n}`, () => this.packs.push(pack));
  }

  private lowestSource(slot: number): number {
    const mask = this.masks[slot]! & SOURCE_BITS;
    let i = 0;
    while (!(mask & (1 << i))) i++;
    return i;
  }

  private indexOf(source: string): number {
    let idx = this.sourceIndex.get(source);
    if (idx === undefined) {
      // A record from a source no longer configured still counts, after the configured ones.
      idx = this.sources.length;
      if (idx >= MAX_SOURCES) throw new RangeError(`at most ${MAX_SOURCES} sources are supported`);
      this.sources.push(source);
      this.sourceIndex.set(source, idx);
      this.perSource[source] = { items: 0, rejected: 0, matched: 0 };
    }
    return idx;
  }
}

/** Why a change was planned, with the notes of the rule steps that moved it (`supplier; open orders −2`). */
export type ChangeReason = 'supplier' | 'missing' | `supplier; ${string}`;


export interface PlannedChange extends Change {
  /** "supplier", "missing", or the rules that shaped a feed's level (`feed 12 → pack ×6 → 72`). */
  reason: ChangeReason | string;
  /** The store does not manage this item's stock yet: the write switches tracking on (`from` is null). */
  startsTracking: boolean;
  name?: string;
}

export interface DiffResult extends ErrorTotals {
  /** The changes, in store order; empty when they were handed to `emit` instead. */
  changes: PlannedChange[];
  /** Changes that newly set an item to 0 (for the zero-ratio gate). */
  newZeros: number;
  counts: RunCounts;
  /** The first errors (rejected rows, then what the diff found); errorsTotal/errorCounts count them all. */
  errors: SummaryError[];
  /** Of those, the sources' rejected rows (the same for every store reading them). */
  shared?: SharedErrors;
  /** Total stock of the in-scope items now, and after the plan (unmanaged items count as 0 now). */
  stock: { before: number; after: number };
  /** SPEC §14 (prices enabled): items with a computed price, and those whose price changes by more than `maxChangeRatio` (or from none). */
  prices?: { priced: number; large: number };
}

/** Store SKU keys held by more than one item of the whole index (see findDuplicateStoreSkus). */
export type StoreDuplicates = ReadonlyMap<string, StoreSkuDuplicate>;
const NO_DUPLICATES: StoreDuplicates = new Map();

/** The rules beyond §4's (SPEC §14, §9, §12), loaded by the caller; each is off when absent. */
export interface MatchExtras {
  kits?: Kits;
  exclude?: ExcludeMatcher;
  openOrders?: OpenOrders;
  /** The store's share of the combined quantity (SPEC §9). */
  share?: number;
  /** SPEC §14 `prices` (when enabled): the formula's settings and the gate's per-item ratio. */
  prices?: { settings: PriceSettings; maxChangeRatio: number };
  /** SPEC §14 `rules.status`, when whenZero or whenMissing is not "none" or invsync hid something. */
  status?: StatusContext;
}

/** What the status rule needs besides the item: settings, the store's ways, invsync's memory, the time. */
export interface StatusContext {
  settings: StatusSettings;
  facts: StatusFacts | undefined;
  record(productId: StoreId, variationId: StoreId | null): HiddenRecord | undefined;
  nowMs: number;
  /** Remember since when the item is back in stock (null: it is not any more). */
  onBackSince?(item: StoreItem, backSince: string | null): void;
  /** Forget invsync's record of the item (its values were put back by hand). */
  onForget?(item: StoreItem): void;
}

/**
 * SPEC §14: what match decided about an item's price. `change` is set when the store's price
 * differs from the computed one; `note` (`price 12.99 → 13.49 (markup, round)`) goes into the
 * reason; `report` is a price conflict worth an error line (floor above MSRP).
 */
export interface PriceDecision {
  cents?: number;
  change?: PriceChange;
  note?: string;
  report?: SummaryError;
  steps: PriceStep[];
  why?: string;
}

/**
 * What match decides for one store item. Everything but `write` and `same` leaves the item
 * unchanged; `report` is the one-line reason `explain` shows and the diff reports (once per SKU).
 */
export type ItemDecision =
  | { kind: 'noSku' }
  /** Indexed but never written by invsync (Amazon's own FBA stock): out of scope, never missing, never planned. */
  | { kind: 'notWritten'; why: string }
  | { kind: 'excluded'; pattern: string }
  | { kind: 'duplicateStore'; supplied: boolean; report: SummaryError; reason: string }
  | { kind: 'rejectedRow'; report: SummaryError; reason: string }
  | { kind: 'nearMatch'; report: SummaryError; reason: string }
  /** In no feed: left alone (`missing: "keep"`, or not managed). */
  | { kind: 'missing'; why: string }
  | { kind: 'listedTwice'; reports: SummaryError[]; reason: string }
  | { kind: 'unknown'; report: SummaryError; reason: string; steps: RuleStep[] }
  /** A target: `same` when the store already holds it (no write). */
  | { kind: 'write' | 'same'; target: number; reason: ChangeReason | string; fromSupply: boolean; steps: RuleStep[]; price?: PriceDecision };

/**
 * The per-item decisions of match, over one supply and one rule list. `diffStore` walks the store
 * with it; `invsync explain` asks it about one SKU's items — the same code, the same rules.
 */
export class Matcher {
  /** The rules after aggregate, in SPEC §14's order. */
  readonly ruleList: readonly QtyRule[];
  /** SPEC §14, whole-product hides: why an item's hide is dropped (a sibling does not qualify). */
  private readonly hideVeto = new Map<StoreItem, string>();

  constructor(
    readonly supply: SupplyAggregator,
    readonly rules: Rules,
    readonly extras: MatchExtras = {},
    readonly duplicates: StoreDuplicates = NO_DUPLICATES,
  ) {
    const components: ComponentSupply = (key) => {
      if (supply.rejectedBy(key) !== undefined) return { unknown: 'a row for it was rejected' };
      const entry = supply.get(key);
      if (!entry) return { unknown: 'no source lists it' };
      if (entry.duplicateIn) return { unknown: 'a source lists it more than once' };
      return entry.qty;
    };
    this.ruleList = buildRuleList({
      minQty: rules.minQty ?? 0, buffer: rules.buffer, maxQty: rules.maxQty,
      ...(extras.share === undefined ? {} : { share: extras.share }),
      ...(extras.kits ? { kits: extras.kits } : {}),
      ...(extras.openOrders ? { openOrders: extras.openOrders } : {}),
    }, components);
  }

  decide(item: StoreItem): ItemDecision {
    const { supply, rules } = this;
    const key = skuKey(item.sku, rules.skuCaseSensitive);
    if (key === '') return { kind: 'noSku' };
    if (item.notWritten !== undefined) return { kind: 'notWritten', why: item.notWritten };
    const pattern = this.extras.exclude?.match(key);
    if (pattern !== undefined) return { kind: 'excluded', pattern };
    const rejectedBy = supply.rejectedBy(key);
    const entry = supply.get(key);
    const isKit = this.extras.kits?.has(key) ?? false;
    const duplicate = this.duplicates.get(key);
    if (duplicate) {
      // One supply, one listing: writing it to every holder would sell it several times.
      return {
        kind: 'duplicateStore', supplied: entry !== undefined || rejectedBy !== undefined || isKit,
        report: { sku: item.sku, source: null, message: duplicateStoreSkuMessage(duplicate) }, reason: 'duplicate store SKU',
      };
    }
    if (rejectedBy !== undefined) {
      // Never turn a row we could not read into a level (0 included): leave the item as it is.
      return { kind: 'rejectedRow', reason: 'SKU with a rejected row',
        report: { sku: item.sku, source: rejectedBy, message: 'a row for this SKU was rejected: left unchanged until the feed is fixed' } };
    }
    if (!entry && !isKit) {
      const near = supply.nearMatch(key);
      if (near) return { kind: 'nearMatch', reason: 'near match', report: { sku: item.sku, source: near.source, message: nearMatchMessage(near.sku, item.sku.trim()) } };
      // missing: "zero" sets levels, it never starts tracking stock the shop chose not to track.
      if (rules.missing !== 'zero') return { kind: 'missing', why: 'in no feed (missing: "keep")' };
      if (!item.managed) return { kind: 'missing', why: 'in no feed, and the store does not manage its stock (missing: "zero" never starts tracking)' };
      return this.target(item, 0, 'missing', false, []);
    }
    if (entry?.duplicateIn) {
      return {
        kind: 'listedTwice', reason: 'SKU listed twice',
        reports: entry.duplicateIn.map((idx) => ({ sku: item.sku, source: supply.sourceName(idx), message: 'SKU listed more than once by this source: left unchanged' })),
      };
    }
    const outcome = runRules(this.ruleList, key, entry ? entry.qty : null);
    if (outcome.kind === 'unknown') {
      return { kind: 'unknown', steps: outcome.steps, reason: 'kit unknown',
        report: { sku: item.sku, source: null, message: `kit unknown (${outcome.why}): left unchanged` } };
    }
    if (outcome.kind === 'none') return { kind: 'missing', why: 'in no feed' };
    const described = describeRules(supply.contributions(key), rules.aggregate, entry ? entry.qty : null, outcome.steps);
    return this.target(item, outcome.qty, described ?? 'supplier', true, outcome.steps, this.price(item, key));
  }

  /**
   * SPEC §14: the item's price from its supply's amounts, when prices are enabled and the store
   * reported the item's current price (an index listed without prices plans none).
   */
  price(item: StoreItem, key: string): PriceDecision | undefined {
    const prices = this.extras.prices;
    if (!prices || item.price === undefined) return undefined;
    const found = this.supply.amountsOf(key);
    const outcome = computePrice(found?.amounts ?? {}, prices.settings);
    if (outcome.kind === 'none') {
      return {
        steps: outcome.steps, why: outcome.why,
        ...(outcome.report ? { report: { sku: item.sku, source: found?.source ?? null, message: outcome.why } } : {}),
      };
    }
    const to = formatCents(outcome.cents);
    if (to === item.price) return { cents: outcome.cents, steps: outcome.steps };
    const tags = priceTags(outcome.steps);
    return { cents: outcome.cents, steps: outcome.steps, change: { from: item.price, to }, note: `price ${item.price ?? 'none'} → ${to}${tags ? ` (${tags})` : ''}` };
  }

  /**
   * SPEC §14: the status decision for an item `decide` judged (undefined without `rules.status`),
   * and its bookkeeping (since when it is back in stock) handed to the context's callbacks.
   */
  decideStatus(item: StoreItem, decision: ItemDecision): StatusDecision | undefined {
    const ctx = this.extras.status;
    if (!ctx) return undefined;
    const situation = situationOf(decision);
    if (situation === null) return undefined;
    const record = ctx.record(item.productId, item.variationId);
    const decided = decideStatus({ settings: ctx.settings, facts: ctx.facts, item, situation, record, nowMs: ctx.nowMs });
    const veto = decided.kind === 'apply' && decided.action?.to === 'hide' ? this.hideVeto.get(item) : undefined;
    const out: StatusDecision = veto !== undefined ? { kind: 'none', why: veto } : decided;
    if (record) {
      const backSince = out.kind === 'wait' ? out.backSince : out.kind === 'restore' || out.kind === 'forget' ? record.backSince : null;
      if (backSince !== record.backSince) ctx.onBackSince?.(item, backSince);
      if (out.kind === 'forget') ctx.onForget?.(item);
    }
    return out;
  }

  /** True when the store hides whole products and `rules.status` may hide (see `byProduct`). */
  hidesWholeProducts(): boolean {
    const ctx = this.extras.status;
    return Boolean(ctx?.facts?.wholeProduct) && (ctx!.settings.whenZero === 'hide' || ctx!.settings.whenMissing === 'hide');
  }

  /**
   * SPEC §14 (Shopify): the items in store order, a product's variants (consecutive) held back
   * until the product is complete, so a hide is kept only when every variant of the product gets
   * one; otherwise the hides are dropped with the SKU that still sells. Memory: one product's
   * variants. A product cut by a plan window looks complete here: the store checks the whole
   * product again before it writes.
   */
  *byProduct<T extends StoreItem>(items: Iterable<T>): Iterable<T> {
    let group: T[] = [];
    const flush = (): T[] => {
      const done = group;
      group = [];
      this.vetoPartialHides(done);
      return done;
    };
    for (const item of items) {
      if (group.length > 0 && String(group[0]!.productId) !== String(item.productId)) yield* flush();
      group.push(item);
    }
    yield* flush();
  }

  private vetoPartialHides(group: readonly StoreItem[]): void {
    this.hideVeto.clear();
    const ctx = this.extras.status;
    if (!ctx || group.length < 2) return;
    const hides: StoreItem[] = [];
    let keeps: StoreItem | undefined;
    for (const item of group) {
      const situation = situationOf(this.decide(item));
      // Pure probe (no bookkeeping callbacks): the real decision is made again by the caller.
      const probe = situation === null ? undefined
        : decideStatus({ settings: ctx.settings, facts: ctx.facts, item, situation, record: ctx.record(item.productId, item.variationId), nowMs: ctx.nowMs });
      if (probe?.kind === 'apply' && probe.action?.to === 'hide') hides.push(item);
      else keeps ??= item;
    }
    if (hides.length === 0 || !keeps) return;
    const why = `not hidden: ${keeps.sku ? `SKU ${keeps.sku}` : `variant ${String(keeps.variationId)}`} of the same product still sells or does not qualify, and the store hides whole products`;
    for (const item of hides) this.hideVeto.set(item, why);
  }

  private target(item: StoreItem, target: number, reason: ChangeReason | string, fromSupply: boolean, steps: RuleStep[], price?: PriceDecision): ItemDecision {
    const same = item.managed && item.qty === target;
    const priced = price ? { price } : {};
    if (same && price?.change) return { kind: 'write', target, reason: price.note!, fromSupply, steps, ...priced };
    if (same) return { kind: 'same', target, reason, fromSupply, steps, ...priced };
    return { kind: 'write', target, reason: price?.note ? `${reason}; ${price.note}` : reason, fromSupply, steps, ...priced };
  }
}

/** Where match left an item, for the status rule; null for items out of scope. */
function situationOf(decision: ItemDecision): StockSituation | null {
  switch (decision.kind) {
    case 'noSku': case 'notWritten': case 'excluded': return null;
    case 'missing': return 'missing';
    case 'write': case 'same':
      if (!decision.fromSupply) return 'missing';
      return decision.target === 0 ? 'zero' : 'stocked';
    default: return 'unknown';
  }
}

/** The diff's reason for a change carrying a status action: the stock's reason, then the action (`feed 0 → hide`). */
function withStatusReason(reason: string, target: number | null, action: StatusAction | null, stockZero: boolean): string {
  const base = reason === 'supplier' ? `feed ${target}` : reason === 'missing' ? 'in no feed' : reason;
  if (action) return `${base} → ${statusReason(action)}`;
  return stockZero && reason === 'missing' ? `${base} → outofstock` : base;
}

/**
 * Compare the supply with the store items in scope (already windowed, in store order).
 * Items without a SKU cannot be matched and are left out of scope; `totalStoreItems` is the
 * size of the whole index, reported as storeItems.
 *
 * Never written, each reported once per SKU: an item whose SKU key another store item holds too
 * (`duplicates`, computed over the whole index, so a twin outside the window counts), a SKU a
 * source listed twice or sent a rejected row for, a missing item whose SKU a feed lists in a
 * near form (dashes, leading zeros), and a kit with a component no source lists. `missing:
 * "zero"` never zeroes an item whose stock the store does not manage (that would switch tracking
 * on). Excluded items (rules.exclude) are out of scope: counted in `excluded` only.
 */
export function diffStore(
  supply: SupplyAggregator,
  storeItems: Iterable<IndexedStoreItem>,
  /** The shared rules, or one store's (SPEC §9: with its overrides and `share`). */
  rules: Rules & { share?: number },
  totalStoreItems: number,
  /** Receive each change as it is found instead of collecting them (flat memory for huge plans). */
  emit?: (change: PlannedChange) => void,
  duplicates: StoreDuplicates = NO_DUPLICATES,
  extras: MatchExtras = {},
): DiffResult {
  const matcher = new Matcher(supply, rules, extras, duplicates);
  const counts = emptyCounts();
  counts.storeItems = totalStoreItems;
  counts.sourceItems = supply.items;
  counts.rejected = supply.rejected;
  const changes: PlannedChange[] = [];
  const errors = new ErrorLog();
  errors.absorb(supply.errors.report(), true);
  const reported = new Set<string>(); // SKU keys already reported (duplicates, rejected rows, near matches)
  const reportOnce = (key: string, error: SummaryError, reason: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    errors.push(error, reason);
  };

  const stock = { before: 0, after: 0 };
  let seq = 0;
  let newZeros = 0;
  const prices = { priced: 0, large: 0 };
  const maxChangeRatio = extras.prices?.maxChangeRatio ?? 0;
  const items = matcher.hidesWholeProducts() ? matcher.byProduct(storeItems) : storeItems;
  for (const item of items) {
    const decision = matcher.decide(item);
    if (decision.kind === 'noSku') continue;
    if (decision.kind === 'notWritten') {
      const notWritten = (counts.notWritten ??= {});
      notWritten[decision.why] = (notWritten[decision.why] ?? 0) + 1;
      continue;
    }
    if (decision.kind === 'excluded') {
      counts.excluded++;
      continue;
    }
    const key = skuKey(item.sku, rules.skuCaseSensitive);
    const status = matcher.decideStatus(item, decision);
    const action = status && (status.kind === 'apply' || status.kind === 'restore') ? status.action : null;
    counts.inScope++;
    const current = item.managed && item.qty !== null ? Math.max(0, item.qty) : 0;
    stock.before += current;
    stock.after += current;
    const entry = supply.get(key);
    switch (decision.kind) {
      case 'duplicateStore':
        if (decision.supplied) {
          counts.matched++;
          counts.unchanged++;
          countMatched(supply, key, entry);
        } else {
          counts.missing++;
        }
        reportOnce(key, decision.report, decision.reason);
        continue;
      case 'rejectedRow':
        counts.matched++;
        counts.unchanged++;
        reportOnce(key, decision.report, decision.reason);
        continue;
      case 'nearMatch':
        counts.missing++;
        reportOnce(key, decision.report, decision.reason);
        continue;
      case 'missing':
        counts.missing++;
        if (status?.kind === 'apply' && (action || (status.stockZero && item.managed && item.qty !== 0))) {
          // In no feed, and whenMissing says what to do: a status write, or (outofstock on managed stock) quantity 0.
          const to = status.stockZero ? 0 : (item.qty ?? 0);
          if (status.stockZero) stock.after -= current;
          const change = statusChange(seq++, item, to, withStatusReason('missing', null, action, status.stockZero), action, !status.stockZero);
          if (status.stockZero && isNewZero(change)) newZeros++;
          if (emit) emit(change);
          else changes.push(change);
        }
        continue;
      case 'listedTwice':
        counts.matched++;
        countMatched(supply, key, entry);
        counts.unchanged++;
        if (!reported.has(key)) {
          reported.add(key);
          for (const r of decision.reports) errors.push(r, decision.reason);
        }
        continue;
      case 'unknown':
        counts.matched++;
        countMatched(supply, key, entry);
        counts.unchanged++;
        reportOnce(key, decision.report, decision.reason);
        continue;
      case 'same':
      case 'write':
        break;
    }
    if (decision.fromSupply) {
      counts.matched++;
      countMatched(supply, key, entry);
    } else {
      counts.missing++;
    }
    const price = decision.price;
    if (price?.report) reportOnce(`${key}\u0000price`, price.report, 'price conflict');
    if (price?.cents !== undefined) {
      prices.priced++;
      if (price.change && isLargePriceChange(price.change.from === null ? null : storePriceCents(price.change.from) ?? null, price.cents, maxChangeRatio)) prices.large++;
    }
    if (decision.kind === 'same' && !action) {
      if (decision.fromSupply) counts.unchanged++;
      continue;
    }
    if (decision.kind === 'same') {
      // The level is right; only the listing's visibility changes.
      const change = statusChange(seq++, item, item.qty ?? 0, withStatusReason(decision.reason, decision.target, action, false), action, true);
      if (emit) emit(change);
      else changes.push(change);
      continue;
    }
    const target = decision.target;
    stock.after += target - current;
    const change: PlannedChange = {
      seq: seq++,
      sku: item.sku,
      productId: item.productId,
      variationId: item.variationId,
      from: item.managed ? item.qty : null,
      to: target,
      ref: item.ref,
      name: item.name,
      reason: action ? withStatusReason(decision.reason, target, action, false) : decision.reason,
      startsTracking: !item.managed,
      ...(price?.change ? { price: price.change } : {}),
      ...(action ? { statusAction: action } : {}),
    };
    if (isNewZero(change)) newZeros++;
    if (emit) emit(change);
    else changes.push(change);
  }
  counts.changed = seq;
  counts.pending = seq;
  return { changes, newZeros, counts, ...errors.report(), stock, ...(extras.prices ? { prices } : {}) };
}

/** A change whose point is the status action (`alone`: no stock write), or a managed item's quantity 0. */
function statusChange(seq: number, item: StoreItem, to: number, reason: string, action: StatusAction | null, alone: boolean): PlannedChange {
  return {
    seq, sku: item.sku, productId: item.productId, variationId: item.variationId,
    from: item.managed ? item.qty : null, to, ref: item.ref, name: item.name, reason,
    startsTracking: !alone && !item.managed,
    ...(action ? { statusAction: alone ? { ...action, alone: true } : action } : {}),
  };
}

/** Count a feed SKU as matched, once per SKU, for every source listing it. */
function countMatched(supply: SupplyAggregator, key: string, entry: SupplyEntry | undefined): void {
  if (entry && supply.markMatched(key)) for (const idx of entry.sources) supply.perSource[supply.sourceName(idx)]!.matched++;
}

/** A change that newly sets an item to 0 (from a positive or unknown level). */
export function isNewZero(change: Pick<Change, 'from' | 'to'>): boolean {
  return change.to === 0 && change.from !== 0;
}

/**
 * SPEC §5 gates plus the store-wide stock drop and rise, evaluated before anything is written.
 * Ratios are shares of in-scope store SKUs (stock drop: of in-scope stock; stock rise: after ÷
 * before). `force` lets the run go on, but the report still names the gate that tripped.
 *
 * The rise gate (maxStockRiseRatio, null = off) is skipped while the current total is below one
 * unit per in-scope item: a store being stocked for the first time, or sold out, rises legitimately.
 */
export function evaluateSafety(
  counts: Pick<RunCounts, 'inScope' | 'missing'>,
  /** How many changes newly set an item to 0 (see isNewZero). */
  newZeros: number,
  safety: Pick<Safety, 'maxMissingRatio' | 'maxZeroRatio'> & { maxStockDropRatio?: number; maxStockRiseRatio?: number | null },
  force = false,
  stock?: { before: number; after: number },
): SafetyReport {
  const inScope = counts.inScope;
  const missingRatio = inScope === 0 ? 0 : round4(counts.missing / inScope);
  const zeroRatio = inScope === 0 ? 0 : round4(newZeros / inScope);
  const stockDropRatio = !stock || stock.before === 0 ? 0 : round4(Math.max(0, stock.before - stock.after) / stock.before);
  const riseMeasurable = stock !== undefined && stock.before > 0 && stock.before >= inScope;
  const stockRiseRatio = riseMeasurable ? round4(stock.after / stock.before) : undefined;
  const report: SafetyReport = { missingRatio, zeroRatio, stockDropRatio, ...(stockRiseRatio === undefined ? {} : { stockRiseRatio }), tripped: null };
  const maxDrop = safety.maxStockDropRatio ?? 1;
  const maxRise = safety.maxStockRiseRatio ?? null;
  if (missingRatio > safety.maxMissingRatio) {
    report.tripped = 'maxMissingRatio';
    report.message = `safety gate maxMissingRatio tripped: ${pct(missingRatio)} of in-scope store SKUs (${counts.missing} of ${inScope}) are in no supplier feed, limit ${pct(safety.maxMissingRatio)}; nothing was written. If the feed is right, re-run with --force.`;
  } else if (zeroRatio > safety.maxZeroRatio) {
    report.tripped = 'maxZeroRatio';
    report.message = `safety gate maxZeroRatio tripped: the plan would set ${pct(zeroRatio)} of in-scope store SKUs (${newZeros} of ${inScope}) to 0, limit ${pct(safety.maxZeroRatio)}; nothing was written. If that is intended, re-run with --force.`;
  } else if (stockDropRatio > maxDrop) {
    report.tripped = 'maxStockDropRatio';
    report.message = `safety gate maxStockDropRatio tripped: the plan would cut the total stock in scope by ${pct(stockDropRatio)} (${stock!.before} → ${stock!.after} units), limit ${pct(maxDrop)}; nothing was written. If that is intended, re-run with --force.`;
  } else if (maxRise !== null && stockRiseRatio !== undefined && stock!.after > stock!.before * maxRise) {
    report.tripped = 'maxStockRiseRatio';
    report.message = `safety gate maxStockRiseRatio tripped: the plan would multiply the total stock in scope by ${times(stock!.after / stock!.before)} (${stock!.before} → ${stock!.after} units), limit ×${maxRise}; nothing was written. If that is intended, re-run with --force.`;
  }
  if (report.tripped && force) report.forced = true;
  return report;
}

/**
 * SPEC §14: the price-change gate, after the stock gates (a plan they already stopped keeps their
 * reason). The share of priced in-scope items whose price changes by more than
 * `prices.maxChangeRatio` (or from no price at all); above `maxPriceChangeRatio` the run stops
 * (exit 4) unless `force`. Returns the report with `priceChangeRatio` set.
 */
export function evaluatePriceGate(
  report: SafetyReport,
  prices: { priced: number; large: number },
  limits: { maxPriceChangeRatio: number; maxChangeRatio: number },
  force = false,
): SafetyReport {
  const ratio = prices.priced === 0 ? 0 : round4(prices.large / prices.priced);
  const out: SafetyReport = { ...report, priceChangeRatio: ratio };
  if (out.tripped === null && ratio > limits.maxPriceChangeRatio) {
    out.tripped = 'maxPriceChangeRatio';
    out.message = `safety gate maxPriceChangeRatio tripped: the plan would change the price of ${pct(ratio)} of priced items (${prices.large} of ${prices.priced}) by more than ${pct(limits.maxChangeRatio)} (prices.maxChangeRatio), limit ${pct(limits.maxPriceChangeRatio)}; nothing was written. If the prices are right, re-run with --force.`;
    if (force) out.forced = true;
  }
  return out;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

function times(x: number): string {
  return `×${x >= 100 ? Math.round(x) : x.toFixed(1).replace(/\.0$/, '')}`;
}
