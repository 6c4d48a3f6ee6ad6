import type { PushOutcome } from '../pipeline/push.js';
import type { BuiltPlan } from '../pipeline/plan.js';
import { summaryStatus, type PlanItem } from '../state/plans.js';
import { emptyCounts, type PerSourceCounts, type RunCounts, type RunSummary, type SafetyReport, type SummaryChange, type SummaryError } from '../domain/types.js';
import { redact } from '../lib/redact.js';

/** Collects what each step learned into one SPEC §6 run summary. */
export class SummaryBuilder {
  readonly startedAt = new Date();
  counts: RunCounts = emptyCounts();
  safety: SafetyReport = { missingRatio: 0, zeroRatio: 0, tripped: null };
  changes: SummaryChange[] = [];
  errors: SummaryError[] = [];
  sources: Record<string, PerSourceCounts> | undefined;
  planId: number | null = null;
  message: string | undefined;

  constructor(readonly runId: string, readonly command: string, readonly dryRun: boolean) {}

  fromFetch(perSource: Record<string, { items: number; rejected: number }>, storeItems: number): void {
    this.counts.sourceItems = Object.values(perSource).reduce((n, s) => n + s.items, 0);
    this.counts.rejected = Object.values(perSource).reduce((n, s) => n + s.rejected, 0);
    this.counts.storeItems = storeItems;
    this.sources = Object.fromEntries(Object.entries(perSource).map(([k, v]) => [k, { items: v.items, rejected: v.rejected, matched: 0 }]));
  }

  fromPlan(plan: BuiltPlan): void {
    this.planId = plan.planId;
    this.counts = { ...plan.counts };
    this.safety = plan.safety;
    this.errors.push(...plan.errors);
    this.sources = plan.sources;
    this.changes = plan.changes.map((c) => ({
      sku: c.sku, productId: c.productId, variationId: c.variationId, from: c.from, to: c.to, status: 'planned', error: null,
    }));
  }

  /** After a push: item statuses from the journal, and applied/failed/pending counts. */
  fromPush(items: PlanItem[], outcome: PushOutcome | null, dryRun: boolean): void {
    this.changes = items.map((i) => ({
      sku: i.sku, productId: i.productId, variationId: i.variationId, from: i.from, to: i.to,
      status: summaryStatus(i, dryRun), error: i.error,
    }));
    this.counts.changed = items.length;
    this.counts.applied = items.filter((i) => i.status === 'applied').length;
    this.counts.failed = items.filter((i) => i.status === 'failed').length;
    this.counts.pending = items.length - this.counts.applied - this.counts.failed;
    for (const i of items) {
      if (i.status === 'failed') this.errors.push({ sku: i.sku, source: null, message: i.error ?? 'failed' });
    }
    if (outcome?.breakerReason && outcome.pending > 0) {
      this.safety = { ...this.safety, tripped: 'breaker', message: `circuit breaker open: ${outcome.breakerReason}` };
    }
  }

  finish(exitCode: number, status: RunSummary['status']): RunSummary {
    const finishedAt = new Date();
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
      safety: this.safety,
      changes: this.changes,
      errors: this.errors.map((e) => ({ ...e, message: redact(e.message) })),
      ...(this.sources ? { sources: this.sources } : {}),
      planId: this.planId,
      ...(this.message ? { message: redact(this.message) } : {}),
    };
  }
}
