/**
 * The pure core of `match` (SPEC §4, §5): supplier records + store items + rules → plan.
 * No I/O: callers feed records and items; the result is data. Same inputs, same plan.
 */
import type { Rules, Safety } from '../config/schema.js';
import type { Change, IndexedStoreItem, PerSourceCounts, RunCounts, SafetyReport, SnapshotRecord, SummaryError } from '../domain/types.js';
import { emptyCounts } from '../domain/types.js';

/** The comparable form of a SKU: trimmed, and lower-cased unless SKUs are case-sensitive. */
export function skuKey(sku: string, caseSensitive: boolean): string {
  const t = sku.trim();
  return caseSensitive ? t : t.toLowerCase();
}

/** Supplier quantities are whole numbers: fractions are floored, negatives count as 0. */
export function normaliseQty(qty: number): number {
  return qty > 0 ? Math.floor(qty) : 0;
}

/** The store target for a combined supplier quantity: minus the buffer, never below 0, capped at maxQty. */
export function targetQty(combined: number, rules: Pick<Rules, 'buffer' | 'maxQty'>): number {
  const t = Math.max(0, combined - rules.buffer);
  return rules.maxQty === null ? t : Math.min(t, rules.maxQty);
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

/** At most this many sources: each one is a bit in a packed map value. */
export const MAX_SOURCES = 20;
/** One more bit marks a SKU already counted as matched. */
const MATCHED_BIT = 2 ** MAX_SOURCES;
const MASK_BITS = 2 ** (MAX_SOURCES + 1);

/**
 * Accumulates supplier records into one quantity per SKU according to `rules.aggregate`.
 * Records may arrive in any order; `sources` fixes the priority order (config order).
 *
 * NOTE: one number per SKU (quantity × 2^20 + a bitmask of the sources that listed it) keeps a
 * million-SKU supply in tens of megabytes; duplicates, which are rare, live in a side map.
 */
export class SupplyAggregator {
  private readonly packed = new Map<string, number>();
  private readonly duplicates = new Map<string, number[]>();
  /** SKUs some source sent a rejected row for: their real supply is unknown, so they stay unchanged. */
  private readonly rejectedKeys = new Map<string, string>();
  private readonly sourceIndex = new Map<string, number>();
  readonly perSource: Record<string, PerSourceCounts> = {};
  readonly rejected: SummaryError[] = [];
  items = 0;

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
      this.rejected.push({ sku: record.sku ?? null, source: record.source, row: record.row, message: `row ${record.row}: ${record.reason}` });
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
    const current = this.packed.get(key);
    if (current === undefined) {
      this.packed.set(key, qty * MASK_BITS + bit);
      return;
    }
    const mask = current % MASK_BITS;
    let combined = Math.floor(current / MASK_BITS);
    if (mask & bit) {
      const dup = this.duplicates.get(key) ?? [];
      if (!dup.includes(idx)) dup.push(idx);
      this.duplicates.set(key, dup);
      return;
    }
    switch (this.rules.aggregate) {
      case 'sum': combined += qty; break;
      case 'min': combined = Math.min(combined, qty); break;
      case 'max': combined = Math.max(combined, qty); break;
      case 'priority':
        if (bit < (mask & -mask)) combined = qty;
        break;
    }
    this.packed.set(key, combined * MASK_BITS + mask + bit);
  }

  get(key: string): SupplyEntry | undefined {
    const packed = this.packed.get(key);
    if (packed === undefined) return undefined;
    const mask = (packed % MASK_BITS) & (MATCHED_BIT - 1);
    const sources: number[] = [];
    for (let i = 0; 1 << i <= mask; i++) if (mask & (1 << i)) sources.push(i);
    const duplicateIn = this.duplicates.get(key);
    return { qty: Math.floor(packed / MASK_BITS), sources, ...(duplicateIn ? { duplicateIn } : {}) };
  }

  /** Mark a SKU as matched to the store; true the first time (so per-source counts count it once). */
  markMatched(key: string): boolean {
    const packed = this.packed.get(key);
    if (packed === undefined || (packed % MASK_BITS) & MATCHED_BIT) return false;
    this.packed.set(key, packed + MATCHED_BIT);
    return true;
  }

  get size(): number {
    return this.packed.size;
  }

  /** The source that sent a rejected row for this SKU, if any. */
  rejectedBy(key: string): string | undefined {
    return this.rejectedKeys.get(key);
  }

  sourceName(idx: number): string {
    return this.sources[idx]!;
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

export type ChangeReason = 'supplier' | 'missing' | 'unmanaged';

export interface PlannedChange extends Change {
  reason: ChangeReason;
  name?: string;
}

export interface DiffResult {
  /** The changes, in store order; empty when they were handed to `emit` instead. */
  changes: PlannedChange[];
  /** Changes that newly set an item to 0 (for the zero-ratio gate). */
  newZeros: number;
  counts: RunCounts;
  errors: SummaryError[];
  /** Total stock of the in-scope items now, and after the plan (unmanaged items count as 0 now). */
  stock: { before: number; after: number };
}

/**
 * Compare the supply with the store items in scope (already windowed, in store order).
 * Items without a SKU cannot be matched and are left out of scope; `totalStoreItems` is the
 * size of the whole index, reported as storeItems.
 */
export function diffStore(
  supply: SupplyAggregator,
  storeItems: Iterable<IndexedStoreItem>,
  rules: Rules,
  totalStoreItems: number,
  /** Receive each change as it is found instead of collecting them (flat memory for huge plans). */
  emit?: (change: PlannedChange) => void,
): DiffResult {
  const counts = emptyCounts();
  counts.storeItems = totalStoreItems;
  counts.sourceItems = supply.items;
  counts.rejected = supply.rejected.length;
  const changes: PlannedChange[] = [];
  const errors: SummaryError[] = [...supply.rejected];
  const reportedDuplicates = new Set<string>(); // SKUs already reported (duplicates, rejected rows)

  const stock = { before: 0, after: 0 };
  let seq = 0;
  let newZeros = 0;
  for (const item of storeItems) {
    if (item.sku.trim() === '') continue;
    if (item.notWritten !== undefined) {
      // Indexed but never written (Amazon's own stock): out of scope, so never missing, never planned.
      const notWritten = (counts.notWritten ??= {});
      notWritten[item.notWritten] = (notWritten[item.notWritten] ?? 0) + 1;
      continue;
    }
    counts.inScope++;
    const current = item.managed && item.qty !== null ? Math.max(0, item.qty) : 0;
    stock.before += current;
    stock.after += current;
    const key = skuKey(item.sku, rules.skuCaseSensitive);
    const rejectedBy = supply.rejectedBy(key);
    if (rejectedBy !== undefined) {
      // Never turn a row we could not read into a level (0 included): leave the item as it is.
      counts.matched++;
      counts.unchanged++;
      if (!reportedDuplicates.has(key)) {
        reportedDuplicates.add(key);
        errors.push({ sku: item.sku, source: rejectedBy, message: 'a row for this SKU was rejected: left unchanged until the feed is fixed' });
      }
      continue;
    }
    const entry = supply.get(key);
    let target: number;
    let reason: ChangeReason;
    if (!entry) {
      counts.missing++;
      if (rules.missing !== 'zero') continue;
      target = 0;
      reason = 'missing';
    } else {
      counts.matched++;
      if (supply.markMatched(key)) {
        for (const idx of entry.sources) supply.perSource[supply.sourceName(idx)]!.matched++;
      }
      if (entry.duplicateIn) {
        counts.unchanged++;
        if (!reportedDuplicates.has(key)) {
          reportedDuplicates.add(key);
          for (const idx of entry.duplicateIn) {
            errors.push({ sku: item.sku, source: supply.sourceName(idx), message: 'SKU listed more than once by this source: left unchanged' });
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
      reason: item.managed ? reason : 'unmanaged',
    };
    if (isNewZero(change)) newZeros++;
    if (emit) emit(change);
    else changes.push(change);
  }
  counts.changed = seq;
  counts.pending = seq;
  return { changes, newZeros, counts, errors, stock };
}

/** A change that newly sets an item to 0 (from a positive or unknown level). */
export function isNewZero(change: Pick<Change, 'from' | 'to'>): boolean {
  return change.to === 0 && change.from !== 0;
}

/**
 * SPEC §5 gates plus the store-wide stock drop, evaluated before anything is written. Ratios are
 * shares of in-scope store SKUs (stock drop: of in-scope stock). `force` lets the run go on, but
 * the report still names the gate that tripped.
 */
export function evaluateSafety(
  counts: Pick<RunCounts, 'inScope' | 'missing'>,
  /** How many changes newly set an item to 0 (see isNewZero). */
  newZeros: number,
  safety: Pick<Safety, 'maxMissingRatio' | 'maxZeroRatio'> & { maxStockDropRatio?: number },
  force = false,
  stock?: { before: number; after: number },
): SafetyReport {
  const inScope = counts.inScope;
  const missingRatio = inScope === 0 ? 0 : round4(counts.missing / inScope);
  const zeroRatio = inScope === 0 ? 0 : round4(newZeros / inScope);
  const stockDropRatio = !stock || stock.before === 0 ? 0 : round4(Math.max(0, stock.before - stock.after) / stock.before);
  const report: SafetyReport = { missingRatio, zeroRatio, stockDropRatio, tripped: null };
  const maxDrop = safety.maxStockDropRatio ?? 1;
  if (missingRatio > safety.maxMissingRatio) {
    report.tripped = 'maxMissingRatio';
    report.message = `safety gate maxMissingRatio tripped: ${pct(missingRatio)} of in-scope store SKUs (${counts.missing} of ${inScope}) are in no supplier feed, limit ${pct(safety.maxMissingRatio)}; nothing was written. If the feed is right, re-run with --force.`;
  } else if (zeroRatio > safety.maxZeroRatio) {
    report.tripped = 'maxZeroRatio';
    report.message = `safety gate maxZeroRatio tripped: the plan would set ${pct(zeroRatio)} of in-scope store SKUs (${newZeros} of ${inScope}) to 0, limit ${pct(safety.maxZeroRatio)}; nothing was written. If that is intended, re-run with --force.`;
  } else if (stockDropRatio > maxDrop) {
    report.tripped = 'maxStockDropRatio';
    report.message = `safety gate maxStockDropRatio tripped: the plan would cut the total stock in scope by ${pct(stockDropRatio)} (${stock!.before} → ${stock!.after} units), limit ${pct(maxDrop)}; nothing was written. If that is intended, re-run with --force.`;
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
