/**
 * Bounded error reporting (SPEC §8 "Bounded reports"): however many problems a run meets, it keeps
 * the first MAX_REPORTED_ERRORS of them and counts every one per source and reason. Capped where
 * the errors are produced, so memory never grows with the input.
 */
import type { ErrorTotals, SummaryError } from './types.js';

/** SPEC §8: the summary keeps the first 1,000 errors. */
export const MAX_REPORTED_ERRORS = 1000;
/** Distinct reasons counted per source; further ones are counted as "other" (reasons may carry values). */
export const MAX_REASONS_PER_SOURCE = 20;
/** The errorCounts bucket for errors no source caused (the store's items, push failures). */
export const STORE_BUCKET = '(store)';

export interface ErrorReport extends ErrorTotals {
  /** The first errors, at most the log's limit. */
  errors: SummaryError[];
}

/**
 * The part of a report that is the sources' own (their rejected rows): the same for every store
 * that reads those sources, so a run over several stores counts and lists it once, not per store.
 * `counts` is included in `errorCounts`; `listed` is how many of the leading `errors` it covers.
 */
export interface SharedErrors {
  counts: Record<string, Record<string, number>>;
  listed: number;
}

/**
 * The reason class of a rejected row: its reason text without the values it quotes or counts
 * (`non-numeric quantity "x"` → `non-numeric quantity`, `quantity "1e39" is out of range (0 … 2147483647)`
 * → `quantity is out of range`), so one bad column is one reason and the class still says what is wrong.
 */
export function reasonClass(reason: string): string {
  const colon = reason.indexOf(':');
  const head = (colon < 0 ? reason : reason.slice(0, colon))
    // A long value is shown cut, its closing quote dropped: `"999…… (402 characters)`.
    .replace(/"[^"]*?… \(\d+ characters\)/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'[^']*'|\([^)]*\)|[-+]?\d[\d.,e+-]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
  return head === '' ? 'rejected' : head;
}

export class ErrorLog {
  private readonly kept: SummaryError[] = [];
  private readonly bySource = new Map<string, Map<string, number>>();
  private count = 0;
  /** Of bySource: the sources' own errors (see SharedErrors). */
  private readonly shared = new Map<string, Map<string, number>>();
  /** How many of the leading kept errors are shared ones. */
  private sharedListed = 0;
  /** Shared errors already listed by another store (absorbStore): listed once. Bounded by `limit`. */
  private readonly sharedKeys = new Set<string>();

  constructor(readonly limit = MAX_REPORTED_ERRORS) {}

  /**
   * Record one error under `reason` (a short class such as "duplicate store SKU", never a value).
   * Takes exactly one error: spreading an input-sized array into it does not type-check.
   */
  push(error: SummaryError, reason: string): void {
    this.count++;
    if (this.kept.length < this.limit) this.kept.push(error);
    this.bump(error.source ?? STORE_BUCKET, reason, 1);
  }

  /**
   * Take over another report (e.g. the match's, stored with the plan) as if its errors had been
   * pushed here. `asShared`: the report is the sources' own errors (a supply's rejected rows).
   */
  absorb(report: Partial<ErrorReport> & { errors: SummaryError[]; shared?: SharedErrors }, asShared = false): void {
    const shared: SharedErrors | undefined = asShared
      ? { counts: report.errorCounts ?? {}, listed: report.errors.length }
      : report.shared;
    // Shared errors stay a prefix of the kept list only while nothing else was kept before them.
    const prefix = this.sharedListed === this.kept.length;
    let listed = 0;
    for (const e of report.errors) {
      if (this.kept.length >= this.limit) break;
      this.kept.push(e);
      listed++;
    }
    if (shared && prefix) this.sharedListed += Math.min(listed, shared.listed);
    if (shared) {
      for (const [source, reasons] of Object.entries(shared.counts)) {
        for (const [reason, n] of Object.entries(reasons)) bumpIn(this.shared, source, reason, n);
      }
    }
    if (report.errorCounts) {
      for (const [source, reasons] of Object.entries(report.errorCounts)) {
        for (const [reason, n] of Object.entries(reasons)) this.bump(source, reason, n);
      }
      this.count += report.errorsTotal ?? report.errors.length;
    } else {
      // A report stored before errors were counted: its list is all there is.
      for (const e of report.errors) this.bump(e.source ?? STORE_BUCKET, 'error', 1);
      this.count += report.errors.length;
    }
  }

  /**
   * Take over one store's report in a run over several stores (SPEC §9). Its own errors are
   * tagged with the store and counted; the sources' rejected rows, which every store reading
   * that source reports alike, are counted once per source and reason (the most any store saw)
   * and listed once, untagged.
   */
  absorbStore(report: ErrorReport & { shared?: SharedErrors }, store: string): void {
    const shared = report.shared ?? { counts: {}, listed: 0 };
    report.errors.forEach((e, i) => {
      if (i < shared.listed) {
        const key = JSON.stringify([e.source, e.row, e.sku, e.message]);
        if (this.sharedKeys.has(key)) return;
        if (this.kept.length < this.limit) {
          this.sharedKeys.add(key);
          this.kept.push(e);
        }
        return;
      }
      if (this.kept.length < this.limit) this.kept.push({ store, ...e });
    });
    for (const [source, reasons] of Object.entries(report.errorCounts)) {
      for (const [reason, n] of Object.entries(reasons)) {
        const mine = shared.counts[source]?.[reason] ?? 0;
        const seen = this.shared.get(source)?.get(reason) ?? 0;
        const more = Math.max(0, mine - seen);
        if (more > 0) bumpIn(this.shared, source, reason, more);
        const add = Math.max(0, n - mine + more);
        this.bump(source, reason, add);
        this.count += add;
      }
    }
  }

  get total(): number {
    return this.count;
  }

  /** The kept errors (a copy) and the totals; `shared` when any of them are the sources' own. */
  report(): ErrorReport & { shared?: SharedErrors } {
    const report = { errors: this.kept.slice(), errorsTotal: this.count, errorCounts: this.counts() };
    if (this.shared.size === 0) return report;
    return { ...report, shared: { counts: toObject(this.shared), listed: this.sharedListed } };
  }

  counts(): Record<string, Record<string, number>> {
    return toObject(this.bySource);
  }

  private bump(source: string, reason: string, n: number): void {
    bumpIn(this.bySource, source, reason, n);
  }
}

function bumpIn(into: Map<string, Map<string, number>>, source: string, reason: string, n: number): void {
  let reasons = into.get(source);
  if (!reasons) into.set(source, reasons = new Map());
  const key = reasons.has(reason) || reasons.size < MAX_REASONS_PER_SOURCE ? reason : 'other';
  reasons.set(key, (reasons.get(key) ?? 0) + n);
}

function toObject(m: Map<string, Map<string, number>>): Record<string, Record<string, number>> {
  return Object.fromEntries([...m].map(([source, reasons]) => [source, Object.fromEntries(reasons)]));
}
