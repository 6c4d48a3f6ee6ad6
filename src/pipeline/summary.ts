import type { PushOutcome } from './push.js';
import type { BuiltPlan } from './plan.js';
import { summaryStatus, type ItemStatus, type PlanItem } from '../state/plans.js';
import { ErrorLog } from '../domain/error-log.js';
import { emptyCounts, type ErrorTotals, type PerSourceCounts, type RunCounts, type RunSummary, type SafetyReport, type StoreSummary, type SummaryChange, type SummaryError } from '../domain/types.js';
import { redact } from '../lib/redact.js';

/**
 * A summary lists at most this many changes in memory; the plan in the database holds them all
 * (`--json` prints the first ones and `changesTotal`; `invsync show <run> --format json|csv`
 * streams every one).
 */
export const SUMMARY_MAX_CHANGES = 10_000;

function summaryChange(i: PlanItem, status: SummaryChange['status']): SummaryChange {
  return {
    sku: i.sku, productId: i.productId, variationId: i.variationId, from: i.from, to: i.to, status, error: i.error,
    ...(i.name ? { name: i.name } : {}), ...(i.reason ? { reason: i.reason } : {}), ...(i.price ? { price: i.price } : {}),
    ...(i.statusAction ? { statusAction: i.statusAction } : {}),
  };
}

/** Collects what each step learned into one SPEC §6 run summary. */
export class SummaryBuilder {
  readonly startedAt = new Date();
  counts: RunCounts = emptyCounts();
  safety: SafetyReport = { missingRatio: 0, zeroRatio: 0, tripped: null };
  changes: SummaryChange[] = [];
  /** The run's errors: the first 1,000 kept, every one counted per source and reason. */
  readonly errors = new ErrorLog();
  sources: Record<string, PerSourceCounts> | undefined;
  planId: number | null = null;
  message: string | undefined;
  /** Feed health measured at fetch; kept in the safety block whatever match decides. */
  feed: SafetyReport['feed'];
  /** All changes of the plan; `changes` lists at most SUMMARY_MAX_CHANGES of them. */
  changesTotal = 0;
  /** SPEC §12: the open orders the plan subtracted. */
  openOrders: RunSummary['openOrders'];
  /** SPEC §9: the stores of a multi-store run (filled by the front end, which knows exit codes). */
  stores: StoreSummary[] | undefined;
  /** Issue 19: how the fetch refreshed this store's index (stores with `index.incremental` only). */
  index: { kind: 'incremental' | 'full'; reason: string } | undefined;

  constructor(readonly runId: string, readonly command: string, readonly dryRun: boolean) {}

  fromFetch(perSource: Record<string, { items: number; rejected: number }>, storeItems: number): void {
    this.counts.sourceItems = Object.values(perSource).reduce((n, s) => n + s.items, 0);
    this.counts.rejected = Object.values(perSource).reduce((n, s) => n + s.rejected, 0);
    this.counts.storeItems = storeItems;
    this.sources = Object.fromEntries(Object.entries(perSource).map(([k, v]) => [k, { items: v.items, rejected: v.rejected, matched: 0 }]));
  }

  fromPlan(plan: BuiltPlan, firstItems: PlanItem[]): void {
    this.planId = plan.planId;
    this.counts = { ...plan.counts };
    this.safety = plan.safety;
    this.errors.absorb(plan);
    this.sources = plan.sources;
    this.changesTotal = plan.changeCount;
    this.changes = firstItems.map((i) => summaryChange(i, 'planned'));
    this.openOrders = plan.openOrders;
  }

  /**
   * After a push: statuses from the journal. `firstItems` are the plan's first items (at most
   * SUMMARY_MAX_CHANGES), `failedItems` all failed ones (streamed: each is counted, the first
   * 1,000 kept); counts cover the whole plan.
   */
  fromPush(counts: Record<ItemStatus, number>, firstItems: PlanItem[], failedItems: Iterable<PlanItem>, outcome: PushOutcome | null, dryRun: boolean): void {
    const total = counts.planned + counts.sent + counts.submitted + counts.applied + counts.failed;
    this.changes = firstItems.map((i) => summaryChange(i, summaryStatus(i, dryRun)));
    this.changesTotal = total;
    this.counts.changed = total;
    this.counts.applied = counts.applied;
    this.counts.failed = counts.failed;
    this.counts.pending = total - counts.applied - counts.failed;
    for (const i of failedItems) this.errors.push({ sku: i.sku, source: null, message: i.error ?? 'failed' }, 'write failed');
    if (outcome?.breakerReason && outcome.pending > 0) {
      this.safety = { ...this.safety, tripped: 'breaker', message: `circuit breaker open: ${outcome.breakerReason}` };
    }
  }

  /** A stored match's errors (a plan pushed by a later run), as if this run had found them. */
  addMatchErrors(match: { errors: SummaryError[] } & Partial<ErrorTotals>): void {
    this.errors.absorb(match);
  }

  /** Errors of one kind (e.g. rollback's skipped items), one at a time: never spread. */
  addErrors(errors: Iterable<SummaryError>, reason: string): void {
    for (const e of errors) this.errors.push(e, reason);
  }

  /**
   * A run over several stores (SPEC §9): counts summed over the stores, every change and error
   * tagged with its store (changes capped at SUMMARY_MAX_CHANGES in all), the first tripped gate
   * as the run's, and `stores` with each store's own outcome.
   */
  combine(parts: Array<{ name: string; summary: SummaryBuilder; status: RunSummary['status']; exitCode: number }>): void {
    const counts = emptyCounts();
    const fromFetch = this.sources !== undefined;
    const sources: Record<string, PerSourceCounts> = { ...this.sources };
    this.changes = [];
    this.changesTotal = 0;
    let tripped: { name: string; safety: SafetyReport } | undefined;
    let missingRatio = 0;
    let zeroRatio = 0;
    for (const { name, summary } of parts) {
      for (const k of Object.keys(summary.counts) as Array<keyof RunCounts>) {
        if (k === 'sourceItems' || k === 'rejected') continue;
        if (k === 'notWritten') {
          const into = (counts.notWritten ??= {});
          for (const [why, n] of Object.entries(summary.counts.notWritten ?? {})) into[why] = (into[why] ?? 0) + n;
        } else {
          counts[k] = (counts[k] ?? 0) + (summary.counts[k] ?? 0);
        }
      }
      for (const [source, c] of Object.entries(summary.sources ?? {})) {
        const seen = sources[source];
        if (!seen) sources[source] = { ...c };
        else if (!fromFetch || seen.matched < c.matched) sources[source] = { ...seen, matched: Math.max(seen.matched, c.matched) };
      }
      for (const change of summary.changes) {
        if (this.changes.length < SUMMARY_MAX_CHANGES) this.changes.push({ store: name, ...change });
      }
      this.changesTotal += Math.max(summary.changesTotal, summary.changes.length);
      this.errors.absorbStore(summary.errors.report(), name);
      missingRatio = Math.max(missingRatio, summary.safety.missingRatio);
      zeroRatio = Math.max(zeroRatio, summary.safety.zeroRatio);
      if (!tripped && summary.safety.tripped) tripped = { name, safety: summary.safety };
    }
    counts.sourceItems = Object.values(sources).reduce((n, s) => n + s.items, 0);
    counts.rejected = Object.values(sources).reduce((n, s) => n + s.rejected, 0);
    this.counts = counts;
    this.sources = sources;
    this.safety = tripped
      ? { missingRatio, zeroRatio, tripped: tripped.safety.tripped, message: `store "${tripped.name}": ${tripped.safety.message ?? tripped.safety.tripped}` }
      : { missingRatio, zeroRatio, tripped: null };
    this.planId = null;
    this.stores = parts.map(({ name, summary, status, exitCode }) => ({
      name, status, exitCode, counts: summary.counts, safety: summary.feed ? { ...summary.safety, feed: summary.feed } : summary.safety,
      planId: summary.planId, ...(summary.message ? { message: redact(summary.message) } : {}),
      ...(summary.index ? { index: summary.index.kind, indexReason: summary.index.reason } : {}),
    }));
  }

  finish(exitCode: number, status: RunSummary['status']): RunSummary {
    const finishedAt = new Date();
    const report = this.errors.report();
    return {
      runId: this.runId,
      command: this.command,
      dryRun: this.dryRun,
      status,
      exitCode,
      startedAt: this.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - this.startedAt.getTime(),
      counts: this.counts,
      safety: this.feed ? { ...this.safety, feed: this.feed } : this.safety,
      changes: this.changes,
      ...(this.changesTotal > this.changes.length ? { changesTotal: this.changesTotal } : {}),
      errors: report.errors.map((e) => ({ ...e, message: redact(e.message) })),
      errorsTotal: report.errorsTotal,
      errorCounts: report.errorCounts,
      ...(this.sources ? { sources: this.sources } : {}),
      ...(this.openOrders ? { openOrders: this.openOrders } : {}),
      planId: this.planId,
      ...(this.message ? { message: redact(this.message) } : {}),
      ...(this.stores ? { stores: this.stores } : {}),
      ...(this.index ? { index: this.index.kind, indexReason: this.index.reason } : {}),
    };
  }
}
