import pLimit from 'p-limit';
import { BreakerOpenError, HttpError, InvsyncError, isAuthError } from '../domain/errors.js';
import { CircuitBreaker, type BreakerPolicy } from '../lib/breaker.js';
import { crashPoint } from '../lib/faults.js';
import { logger } from '../lib/log.js';
import type { Db } from '../state/db.js';
import { journalBatchError, journalResult, journalSent, planItems, settlePlanStatus, type PlanRecord } from '../state/plans.js';
import type { StoreAdapter } from '../stores/types.js';
import { makeBatches, type Batch } from './batches.js';

/**
 * The one gate every store write passes through. A dry run gets a gate that writes nothing
 * (neither to the store nor to the journal); nothing else in the code checks for dry runs.
 */
export interface WriteGate {
  readonly dryRun: boolean;
  /** Apply one batch; returns the failed items (seq → message). Throws when the request failed as a whole. */
  send(batch: Batch): Promise<Map<number, string>>;
}

export function createWriteGate(options: { dryRun: boolean; db: Db; store: StoreAdapter; planId: number; runId: string }): WriteGate {
  if (options.dryRun) {
    return { dryRun: true, send: async () => new Map() };
  }
  const { db, store, planId, runId } = options;
  return {
    dryRun: false,
    async send(batch) {
      const seqs = batch.items.map((c) => c.seq);
      journalSent(db, planId, runId, batch.label, seqs);
      crashPoint('push:batch-sent');
      let failed: Map<number, string>;
      try {
        const result = await store.apply(batch.items);
        crashPoint('push:after-apply');
        failed = new Map(result.failed.map((f) => [f.seq, f.message]));
      } catch (err) {
        // Auth failures stop the run; the batch stays journaled as sent and is re-sent next time.
        if (isAuthError(err)) throw err;
        const message = err instanceof Error ? err.message : String(err);
        journalBatchError(db, planId, runId, batch.label, batch.items, message);
        throw err;
      }
      journalResult(db, planId, runId, batch.label, batch.items, failed);
      return failed;
    },
  };
}

export interface PushOutcome {
  attempted: number;
  applied: number;
  failed: number;
  /** Items not attempted (breaker open, auth stop) and still to send. */
  pending: number;
  breakerReason: string | null;
  /** Whole-request errors, by batch label. */
  batchErrors: Array<{ label: string; message: string }>;
  /** Items failed with a whole request the store could not serve (see isStoreOutage). */
  outageFailed: number;
  requests: number;
}

/**
 * Pure: whether a whole-request failure means the store is down or failing, rather than
 * refusing this request: no answer at all (connection refused, reset, timeout), a 5xx, 429 or
 * 408 still there after retries, or an answer that is not the API's (an HTML maintenance page,
 * a body that does not parse). Another 4xx is the store answering "no" to this request.
 */
export function isStoreOutage(err: unknown): boolean {
  if (err instanceof HttpError) {
    const status = err.details.status;
    return status === undefined || status < 400 || status >= 500 || status === 408 || status === 429;
  }
  return err instanceof InvsyncError;
}

/**
 * Pure: SPEC §8 "exit 5 when the store is down": this push applied nothing, and every item it
 * tried failed because the store could not serve the request at all.
 */
export function storeWasDown(outcome: Pick<PushOutcome, 'applied' | 'failed' | 'outageFailed'>): boolean {
  return outcome.applied === 0 && outcome.failed > 0 && outcome.outageFailed === outcome.failed;
}

export interface PushOptions {
  db: Db;
  plan: PlanRecord;
  store: StoreAdapter;
  runId: string;
  gate: WriteGate;
  breaker: BreakerPolicy;
  /** Batches in flight at once. */
  concurrency: number;
  /** Send at most this many of the unfinished items (a canary), in plan order. */
  maxItems?: number;
  onBatch?: (done: number, total: number) => void;
  /** Aborted when the run lost the state dir's lock: no further batch is sent, and the reason is thrown. */
  signal?: AbortSignal;
}

/**
 * Apply the plan's unfinished items (planned, sent-but-unconfirmed, failed) in the fewest
 * batches, behind the circuit breaker. Resumable: the journal says which items are done.
 * Throws HttpError (auth) at once on 401/403; returns the outcome otherwise, with
 * `breakerReason` set when the breaker stopped the run.
 */
export async function pushPlan(options: PushOptions): Promise<PushOutcome> {
  const { db, plan, store, gate } = options;
  const log = logger('push');
  const unfinished = planItems(db, plan.id, ['planned', 'sent', 'failed']);
  const todo = options.maxItems === undefined ? unfinished : unfinished.slice(0, options.maxItems);
  const batches = makeBatches(todo, (c) => store.batchKey(c), store.limits.maxBatch);
  const breaker = new CircuitBreaker(options.breaker);
  const limit = pLimit(Math.max(1, options.concurrency));
  const outcome: PushOutcome = { attempted: 0, applied: 0, failed: 0, pending: 0, breakerReason: null, batchErrors: [], outageFailed: 0, requests: 0 };
  let authError: unknown = null;
  let done = 0;

  log.info({ plan: plan.id, items: todo.length, batches: batches.length, maxBatch: store.limits.maxBatch, dryRun: gate.dryRun }, gate.dryRun
    ? `dry run: ${todo.length} change(s) in ${batches.length} batch(es) would be sent`
    : `pushing ${todo.length} change(s) in ${batches.length} batch(es)`);

  await Promise.all(batches.map((batch) => limit(async () => {
    if (breaker.isOpen || authError || options.signal?.aborted) {
      outcome.pending += batch.items.length;
      return;
    }
    outcome.requests++;
    outcome.attempted += batch.items.length;
    try {
      const failed = await options.gate.send(batch);
      outcome.failed += failed.size;
      outcome.applied += batch.items.length - failed.size;
      breaker.record({ attempted: batch.items.length, failed: failed.size, requestFailed: false });
      if (failed.size > 0) log.warn({ batch: batch.label, failed: failed.size }, `${failed.size} item(s) rejected by the store`);
    } catch (err) {
      if (isAuthError(err)) {
        authError ??= err;
        outcome.attempted -= batch.items.length;
        outcome.pending += batch.items.length;
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      outcome.failed += batch.items.length;
      if (isStoreOutage(err)) outcome.outageFailed += batch.items.length;
      outcome.batchErrors.push({ label: batch.label, message });
      breaker.record({ attempted: batch.items.length, failed: batch.items.length, requestFailed: true });
      log.error({ batch: batch.label }, `batch failed: ${message}`);
      if (!(err instanceof HttpError) && !(err instanceof InvsyncError)) throw err;
    } finally {
      options.onBatch?.(++done, batches.length);
    }
  })));

  // A run that lost its lock writes nothing more, not even the plan's status.
  options.signal?.throwIfAborted();
  if (!gate.dryRun) settlePlanStatus(db, plan.id);
  if (authError) throw authError;
  outcome.breakerReason = breaker.openReason;
  if (breaker.isOpen && outcome.pending > 0) {
    log.error(`circuit breaker open: ${breaker.openReason}; ${outcome.pending} change(s) left pending (run \`invsync push\` to resume)`);
  }
  return outcome;
}

/** Raised by callers that want an exception for an open breaker with work left. */
export function breakerError(outcome: PushOutcome): BreakerOpenError {
  return new BreakerOpenError(`circuit breaker open: ${outcome.breakerReason}; ${outcome.pending} change(s) left pending — fix the cause, then run \`invsync push\` to resume`);
}

