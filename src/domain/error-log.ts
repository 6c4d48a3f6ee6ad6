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

  /** Take over another report (e.g. the match's, stored with the plan) as if its errors had been pushed here. */
  absorb(report: Partial<ErrorReport> & { errors: SummaryError[] }): void {
    for (const e of report.errors) if (this.kept.length < this.limit) this.kept.push(e);
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

  get total(): number {
    return this.count;
  }

  /** The kept errors (a copy) and the totals. */
  report(): ErrorReport {
    return { errors: this.kept.slice(), errorsTotal: this.count, errorCounts: this.counts() };
  }

  counts(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.bySource].map(([source, reasons]) => [source, Object.fromEntries(reasons)]));
  }

  private bump(source: string, reason: string, n: number): void {
    let reasons = this.bySource.get(source);
    if (!reasons) this.bySource.set(source, reasons = new Map());
    const key = reasons.has(reason) || reasons.size < MAX_REASONS_PER_SOURCE ? reason : 'other';
    reasons.set(key, (reasons.get(key) ?? 0) + n);
  }
}
