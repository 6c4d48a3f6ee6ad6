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

interface SupplyEntry {
  qty: number;
  /** Index (config order) of the first source that listed the SKU. */
  first: number;
  /** Source indexes that listed it; more than one occurrence of an index = duplicate. */
  seen: number[];
  /** Sources that listed it more than once: the SKU is left unchanged. */
  duplicateIn?: number[];
}

/**
 * Accumulates supplier records into one quantity per SKU according to `rules.aggregate`.
 * Records may arrive in any order; `sources` fixes the priority order (config order).
 */
export class SupplyAggregator {
  private readonly entries = new Map<string, SupplyEntry>();
  private readonly sourceIndex = new Map<string, number>();
  readonly perSource: Record<string, PerSourceCounts> = {};
  readonly rejected: SummaryError[] = [];
  items = 0;

  constructor(
    readonly sources: string[],
    private readonly rules: Pick<Rules, 'aggregate' | 'skuCaseSensitive'>,
    private readonly rewrites: ReadonlyMap<string, SkuRewrite> = new Map(),
  ) {
    sources.forEach((s, i) => { this.sourceIndex.set(s, i); this.perSource[s] = { items: 0, rejected: 0, matched: 0 }; });
  }

  add(record: SnapshotRecord): void {
    const idx = this.indexOf(record.source);
    const counts = this.perSource[record.source]!;
    if (record.kind === 'rejected') {
      counts.rejected++;
      this.rejected.push({ sku: record.sku ?? null, source: record.source, row: record.row, message: `row ${record.row}: ${record.reason}` });
      return;
    }
    counts.items++;
    this.items++;
    const storeSku = rewriteSku(record.sku, this.rewrites.get(record.source), this.rules.skuCaseSensitive);
    const key = skuKey(storeSku, this.rules.skuCaseSensitive);
    const qty = normaliseQty(record.qty);
    const entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, { qty, first: idx, seen: [idx] });
      return;
    }
    if (entry.seen.includes(idx)) {
      (entry.duplicateIn ??= []).includes(idx) || entry.duplicateIn.push(idx);
      return;
    }
    entry.seen.push(idx);
    switch (this.rules.aggregate) {
      case 'sum': entry.qty += qty; break;
      case 'min': entry.qty = Math.min(entry.qty, qty); break;
      case 'max': entry.qty = Math.max(entry.qty, qty); break;
      case 'priority':
        if (idx < entry.first) { entry.qty = qty; entry.first = idx; }
        break;
    }
  }

  get(key: string): SupplyEntry | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  sourceName(idx: number): string {
    return this.sources[idx]!;
  }

  private indexOf(source: string): number {
    let idx = this.sourceIndex.get(source);
    if (idx === undefined) {
      // A record from a source no longer configured still counts, after the configured ones.
      idx = this.sources.length;
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
  changes: PlannedChange[];
  counts: RunCounts;
  errors: SummaryError[];
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
): DiffResult {
  const counts = emptyCounts();
  counts.storeItems = totalStoreItems;
  counts.sourceItems = supply.items;
  counts.rejected = supply.rejected.length;
  const changes: PlannedChange[] = [];
  const errors: SummaryError[] = [...supply.rejected];
  const reportedDuplicates = new Set<string>();
  const matchedKeys = new Set<string>();

  for (const item of storeItems) {
    if (item.sku.trim() === '') continue;
    counts.inScope++;
    const key = skuKey(item.sku, rules.skuCaseSensitive);
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
      if (!matchedKeys.has(key)) {
        matchedKeys.add(key);
        for (const idx of entry.seen) supply.perSource[supply.sourceName(idx)]!.matched++;
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
    changes.push({
      seq: changes.length,
      sku: item.sku,
      productId: item.productId,
      variationId: item.variationId,
      from: item.managed ? item.qty : null,
      to: target,
      ref: item.ref,
      name: item.name,
      reason: item.managed ? reason : 'unmanaged',
    });
  }
  counts.changed = changes.length;
  counts.pending = changes.length;
  return { changes, counts, errors };
}

/** A change that newly sets an item to 0 (from a positive or unknown level). */
export function isNewZero(change: Pick<Change, 'from' | 'to'>): boolean {
  return change.to === 0 && change.from !== 0;
}

/**
 * SPEC §5 gates, evaluated before anything is written. Ratios are shares of in-scope store
 * SKUs. `force` lets the run go on, but the report still names the gate that tripped.
 */
export function evaluateSafety(
  counts: Pick<RunCounts, 'inScope' | 'missing'>,
  changes: ReadonlyArray<Pick<Change, 'from' | 'to'>>,
  safety: Pick<Safety, 'maxMissingRatio' | 'maxZeroRatio'>,
  force = false,
): SafetyReport {
  const inScope = counts.inScope;
  const newZeros = changes.reduce((n, c) => n + (isNewZero(c) ? 1 : 0), 0);
  const missingRatio = inScope === 0 ? 0 : round4(counts.missing / inScope);
  const zeroRatio = inScope === 0 ? 0 : round4(newZeros / inScope);
  const report: SafetyReport = { missingRatio, zeroRatio, tripped: null };
  if (missingRatio > safety.maxMissingRatio) {
    report.tripped = 'maxMissingRatio';
    report.message = `safety gate maxMissingRatio tripped: ${pct(missingRatio)} of in-scope store SKUs (${counts.missing} of ${inScope}) are in no supplier feed, limit ${pct(safety.maxMissingRatio)}; nothing was written. If the feed is right, re-run with --force.`;
  } else if (zeroRatio > safety.maxZeroRatio) {
    report.tripped = 'maxZeroRatio';
    report.message = `safety gate maxZeroRatio tripped: the plan would set ${pct(zeroRatio)} of in-scope store SKUs (${newZeros} of ${inScope}) to 0, limit ${pct(safety.maxZeroRatio)}; nothing was written. If that is intended, re-run with --force.`;
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
