/**
 * The pure core of `match` (SPEC §4, §5): supplier records + store items + rules → plan.
 * No I/O: callers feed records and items; the result is data. Same inputs, same plan.
 */
import type { Rules, Safety } from '../config/schema.js';
import { ErrorLog, reasonClass } from '../domain/error-log.js';
import { duplicateStoreSkuMessage, looseKey, nearMatchMessage, skuKey } from '../domain/sku.js';
import type {
  Change, ErrorTotals, IndexedStoreItem, PerSourceCounts, RunCounts, SafetyReport, SnapshotRecord, StoreSkuDuplicate, SummaryError,
} from '../domain/types.js';
import { emptyCounts } from '../domain/types.js';

export { skuKey } from '../domain/sku.js';

/** SPEC §8: the largest quantity invsync writes (2^31 − 1, what Shopify's Int and most stores hold). */
export const MAX_TARGET_QTY = 2_147_483_647;

/** Supplier quantities are whole numbers: fractions are floored, negatives count as 0. */
export function normaliseQty(qty: number): number {
  return qty > 0 ? Math.floor(qty) : 0;
}

/**
 * The store target for a combined supplier quantity: the store's `share` of it (SPEC §9, floored),
 * minus the buffer, never below 0, capped at maxQty and at MAX_TARGET_QTY (a sum over several
 * sources may exceed what a store can hold).
 */
export function targetQty(combined: number, rules: Pick<Rules, 'buffer' | 'maxQty'> & { share?: number }): number {
  const offered = rules.share === undefined || rules.share === 1 ? combined : shareOf(combined, rules.share);
  const t = Math.min(Math.max(0, offered - rules.buffer), MAX_TARGET_QTY);
  return rules.maxQty === null ? t : Math.min(t, rules.maxQty);
}

/**
 * ⌊quantity × share⌋, exactly: the share is taken as the decimal fraction it is written as
 * (0.29 is 29/100), so 100 × 0.29 is 29, not the 28 that binary floating point gives.
 */
export function shareOf(quantity: number, share: number): number {
  if (share <= 0 || quantity <= 0) return 0;
  if (share >= 1) return Math.floor(quantity);
  const { digits, decimals } = decimalFraction(share);
  const q = Math.floor(quantity);
  const num = Number(digits);
  const den = 10 ** decimals;
  const product = q * num;
  if (decimals <= 15 && Number.isSafeInteger(num) && Number.isSafeInteger(product)) return (product - (product % den)) / den;
  return Number((BigInt(q) * BigInt(digits)) / 10n ** BigInt(decimals));
}

const fractions = new Map<number, { digits: string; decimals: number }>();

/** A share in (0, 1) as digits / 10^decimals, from its shortest decimal form (`0.29` → 29 / 10^2). */
function decimalFraction(share: number): { digits: string; decimals: number } {
  let f = fractions.get(share);
  if (f) return f;
  const [mantissa, exponent] = share.toString().split('e');
  const [whole, frac = ''] = mantissa!.split('.');
  const decimals = frac.length - Number(exponent ?? 0);
  f = { digits: `${whole}${frac}`.replace(/^0+(?=\d)/, ''), decimals };
  fractions.set(share, f);
  return f;
}

/** Per-source SKU rewriting (issue: SKUs that differ between supplier and store). */
export interface SkuRewrite {
  stripPrefix?: string;
  skuPrefix?: string;
  /** supplier SKU key (see skuKey) → store SKU. */
  map?: Map<string, string>;
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
      this.errors.push({ sku: record.sku ?? null, source: record.source, row: record.row, message: `row ${record.row}: ${record.reason}` },
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
    const storeSku = rewriteSku(record.sku, this.rewrites.get(record.source), this.rules.skuCaseSensitive);
    const key = skuKey(storeSku, this.rules.skuCaseSensitive);
    const qty = normaliseQty(record.qty);
    const bit = 1 << idx;
    const slot = this.slots.get(key);
    if (slot === undefined) {
      const next = this.slots.size;
      if (next === this.qtys.length) this.grow();
      this.slots.set(key, next);
      this.qtys[next] = qty;
      this.masks[next] = bit;
      this.noteLooseForm(key, storeSku);
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

export type ChangeReason = 'supplier' | 'missing';

export interface PlannedChange extends Change {
  reason: ChangeReason;
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
  /** Total stock of the in-scope items now, and after the plan (unmanaged items count as 0 now). */
  stock: { before: number; after: number };
}

/** Store SKU keys held by more than one item of the whole index (see findDuplicateStoreSkus). */
export type StoreDuplicates = ReadonlyMap<string, StoreSkuDuplicate>;
const NO_DUPLICATES: StoreDuplicates = new Map();

/**
 * Compare the supply with the store items in scope (already windowed, in store order).
 * Items without a SKU cannot be matched and are left out of scope; `totalStoreItems` is the
 * size of the whole index, reported as storeItems.
 *
 * Never written, each reported once per SKU: an item whose SKU key another store item holds too
 * (`duplicates`, computed over the whole index, so a twin outside the window counts), a SKU a
 * source listed twice or sent a rejected row for, and a missing item whose SKU a feed lists in a
 * near form (dashes, leading zeros). `missing: "zero"` never zeroes an item whose stock the store
 * does not manage (that would switch tracking on).
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
): DiffResult {
  const counts = emptyCounts();
  counts.storeItems = totalStoreItems;
  counts.sourceItems = supply.items;
  counts.rejected = supply.rejected;
  const changes: PlannedChange[] = [];
  const errors = new ErrorLog();
  errors.absorb(supply.errors.report());
  const reported = new Set<string>(); // SKU keys already reported (duplicates, rejected rows, near matches)
  const reportOnce = (key: string, error: SummaryError, reason: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    errors.push(error, reason);
  };

  const stock = { before: 0, after: 0 };
  let seq = 0;
  let newZeros = 0;
  for (const item of storeItems) {
    const key = skuKey(item.sku, rules.skuCaseSensitive);
    if (key === '') continue;
    counts.inScope++;
    const current = item.managed && item.qty !== null ? Math.max(0, item.qty) : 0;
    stock.before += current;
    stock.after += current;
    const rejectedBy = supply.rejectedBy(key);
    const entry = supply.get(key);
    const duplicate = duplicates.get(key);
    if (duplicate) {
      // One supply, one listing: writing it to every holder would sell it several times.
      if (entry || rejectedBy !== undefined) {
        counts.matched++;
        counts.unchanged++;
        countMatched(supply, key, entry);
      } else {
        counts.missing++;
      }
      reportOnce(key, { sku: item.sku, source: null, message: duplicateStoreSkuMessage(duplicate) }, 'duplicate store SKU');
      continue;
    }
    if (rejectedBy !== undefined) {
      // Never turn a row we could not read into a level (0 included): leave the item as it is.
      counts.matched++;
      counts.unchanged++;
      reportOnce(key, { sku: item.sku, source: rejectedBy, message: 'a row for this SKU was rejected: left unchanged until the feed is fixed' }, 'SKU with a rejected row');
      continue;
    }
    let target: number;
    let reason: ChangeReason;
    if (!entry) {
      counts.missing++;
      const near = supply.nearMatch(key);
      if (near) {
        reportOnce(key, { sku: item.sku, source: near.source, message: nearMatchMessage(near.sku, item.sku.trim()) }, 'near match');
        continue;
      }
      // missing: "zero" sets levels, it never starts tracking stock the shop chose not to track.
      if (rules.missing !== 'zero' || !item.managed) continue;
      target = 0;
      reason = 'missing';
    } else {
      counts.matched++;
      countMatched(supply, key, entry);
      if (entry.duplicateIn) {
        counts.unchanged++;
        if (!reported.has(key)) {
          reported.add(key);
          for (const idx of entry.duplicateIn) {
            errors.push({ sku: item.sku, source: supply.sourceName(idx), message: 'SKU listed more than once by this source: left unchanged' }, 'SKU listed twice');
          }
        }
        continue;
      }
      target = targetQty(entry.qty, rules);
      reason = 'supplier';
    }
    if (item.managed && item.qty === target) {
      if (reason === 'supplier') counts.unchanged++;
      continue;
    }
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
      reason,
      startsTracking: !item.managed,
    };
    if (isNewZero(change)) newZeros++;
    if (emit) emit(change);
    else changes.push(change);
  }
  counts.changed = seq;
  counts.pending = seq;
  return { changes, newZeros, counts, ...errors.report(), stock };
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

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

function times(x: number): string {
  return `×${x >= 100 ? Math.round(x) : x.toFixed(1).replace(/\.0$/, '')}`;
}
