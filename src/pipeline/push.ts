import pLimit from 'p-limit';
import { BreakerOpenError, HttpError, InvsyncError, isAuthError } from '../domain/errors.js';
import { CircuitBreaker, type BreakerPolicy } from '../lib/breaker.js';
import { crashPoint } from '../lib/faults.js';
import { logger } from '../lib/log.js';
import type { Db } from '../state/db.js';
import {
  journalBatchError, journalResult, journalSent, journalSettled, journalSubmitted, planItems, rebasePlanItems, settlePlanStatus, submissionItems,
  unsettledSubmissions, type PlanItem, type PlanRecord, type Submission,
} from '../state/plans.js';
import type { StoreAdapter } from '../stores/types.js';
import { makeBatches, type Batch } from './batches.js';
import { recheckChange } from './open-orders.js';
import type { Change } from '../domain/types.js';

/**
 * The one gate every store write passes through. A dry run gets a gate that writes nothing
 * (neither to the store nor to the journal); nothing else in the code checks for dry runs.
 */
export interface WriteGate {
  readonly dryRun: boolean;
  /**
   * Apply one batch; returns the failed items (seq → message), and `inFlight` when the store
   * accepted the batch but is still processing it (its items stay `submitted`). Throws when the
   * request failed as a whole.
   */
  send(batch: Batch): Promise<{ failed: Map<number, string>; inFlight: boolean }>;
  /**
   * Items the gate left unwritten because their level moved since the fetch (see `recheck`):
   * reported among the failed ones, but not a failure of the store, so not fed to the breaker.
   */
  readonly skipped: ReadonlySet<number>;
}

/**
 * `recheck` (SPEC §12, on with `rules.openOrders: "subtract"`): before each batch, the levels of
 * its items are read again (`store.read`: one GET per batch on WooCommerce), and an item sold
 * since the fetch is written lowered by the sale, one that moved otherwise is skipped and
 * reported (see `recheckChange`). Costs one read request per write request.
 */
export function createWriteGate(options: { dryRun: boolean; db: Db; store: StoreAdapter; planId: number; runId: string; recheck?: boolean }): WriteGate {
  if (options.dryRun) {
    return { dryRun: true, send: async () => ({ failed: new Map(), inFlight: false }), skipped: new Set() };
  }
  const { db, store, planId, runId } = options;
  const skipped = new Set<number>();

  /** The batch's items to write now (lowered where sold), after recording the skipped ones. */
  async function recheck(batch: Batch): Promise<{ items: Change[]; skippedHere: Map<number, string> }> {
    let seen;
    try {
      seen = await store.read(batch.items);
    } catch (err) {
      if (isAuthError(err)) throw err;
      journalBatchError(db, planId, runId, batch.label, batch.items, `reading the levels again before writing failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    const items: Change[] = [];
    const skippedHere = new Map<number, string>();
    const skippedItems: Change[] = [];
    const lowered: Array<{ seq: number; from: number; to: number; reason: string }> = [];
    for (const c of batch.items) {
      const status = (c as Partial<PlanItem>).status;
      // A status write alone leaves the level as it is: a sale since the fetch does not concern it.
      const r = c.statusAction?.alone ? { action: 'send' as const } : recheckChange(c, seen.get(c.seq), status === 'sent' || status === 'failed');
      if (r.action === 'send') {
        items.push(c);
      } else if (r.action === 'lower') {
        const reason = `${(c as Partial<PlanItem>).reason ?? 'supplier'}; ${r.note}`;
        lowered.push({ seq: c.seq, from: r.from, to: r.to, reason });
        items.push({ ...c, from: r.from, to: r.to });
      } else {
        skippedHere.set(c.seq, r.message);
        skippedItems.push(c);
        skipped.add(c.seq);
      }
    }
    rebasePlanItems(db, planId, lowered);
    if (skippedItems.length) journalResult(db, planId, runId, `${batch.label}:moved`, skippedItems, skippedHere);
    return { items, skippedHere };
  }

  return {
    dryRun: false,
    skipped,
    async send(batch) {
      let items: Change[] = batch.items;
      let skippedHere = new Map<number, string>();
      if (options.recheck) ({ items, skippedHere } = await recheck(batch));
      if (items.length === 0) return { failed: skippedHere, inFlight: false };
      const seqs = items.map((c) => c.seq);
      journalSent(db, planId, runId, batch.label, seqs);
      crashPoint('push:batch-sent');
      let failed: Map<number, string>;
      let submitted: Submission | undefined;
      // Stores that process writes later (Amazon feeds) name the submission: journaled before anything else happens.
      const journal = {
        submitted(externalId: string) {
          submitted = journalSubmitted(db, planId, runId, batch.label, seqs, externalId);
          crashPoint('push:submitted');
        },
      };
      try {
        const result = await store.apply(items, journal);
        crashPoint('push:after-apply');
        if (result.inFlight) return { failed: new Map(), inFlight: true };
        failed = new Map(result.failed.map((f) => [f.seq, f.message]));
      } catch (err) {
        // Auth failures stop the run; the batch stays journaled as sent (or submitted) and is resumed next time.
        if (isAuthError(err)) throw err;
        if (submitted !== undefined) {
          // The store has the batch: never send it again; the next push asks about its outcome.
          logger('push').warn(`${batch.label}: submitted as ${submitted.externalId}, but its outcome could not be read (${err instanceof Error ? err.message : String(err)}); the next push settles it`);
          return { failed: new Map(), inFlight: true };
        }
        const message = err instanceof Error ? err.message : String(err);
        journalBatchError(db, planId, runId, batch.label, items, message);
        throw err;
      }
      if (submitted !== undefined) journalSettled(db, submitted, runId, items, failed);
      else journalResult(db, planId, runId, batch.label, items, failed);
      for (const [seq, message] of skippedHere) failed.set(seq, message);
      return { failed, inFlight: false };
    },
  };
}

export interface PushOutcome {
  /** Items in batches the store accepted but is still processing (left `submitted`), or held back behind one. */
  inFlight: number;
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
  const outcome: PushOutcome = { inFlight: 0, attempted: 0, applied: 0, failed: 0, pending: 0, breakerReason: null, batchErrors: [], outageFailed: 0, requests: 0 };
  // Earlier submissions first (SPEC §10): their outcome, or their items held back while still processing.
  const held = gate.dryRun ? new Set<string>() : await settleSubmissions(db, store, options.runId, options.signal);
  const unfinished = planItems(db, plan.id, ['planned', 'sent', 'failed']);
  const sendable = held.size === 0 ? unfinished : unfinished.filter((c) => !held.has(itemKey(c)));
  if (sendable.length < unfinished.length) {
    outcome.inFlight += unfinished.length - sendable.length;
    outcome.pending += unfinished.length - sendable.length;
    log.warn(`${unfinished.length - sendable.length} change(s) held back: an earlier submission for the same item is still being processed by the store`);
  }
  const todo = options.maxItems === undefined ? sendable : sendable.slice(0, options.maxItems);
  const batches = makeBatches(todo, (c) => store.batchKey(c), store.limits.maxBatch);
  const breaker = new CircuitBreaker(options.breaker);
  const limit = pLimit(Math.max(1, options.concurrency));
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
      const { failed, inFlight } = await options.gate.send(batch);
      if (inFlight) {
        outcome.attempted -= batch.items.length;
        outcome.inFlight += batch.items.length;
        outcome.pending += batch.items.length;
        return;
      }
      outcome.failed += failed.size;
      outcome.applied += batch.items.length - failed.size;
      let moved = 0;
      for (const seq of failed.keys()) if (gate.skipped.has(seq)) moved++;
      breaker.record({ attempted: batch.items.length - moved, failed: failed.size - moved, requestFailed: false });
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
  if (outcome.inFlight > 0) {
    log.warn(`${outcome.inFlight} change(s) are still being processed by the store (or wait behind such changes): they stay pending, and the next push settles them first`);
  }
  if (breaker.isOpen && outcome.pending > 0) {
    log.error(`circuit breaker open: ${breaker.openReason}; ${outcome.pending} change(s) left pending (run \`invsync push\` to resume)`);
  }
  return outcome;
}

/** Identifies a store item across plans. */
function itemKey(c: Pick<Change, 'productId' | 'variationId'>): string {
  return JSON.stringify([c.productId, c.variationId]);
}

/**
 * Ask the store about every unsettled submission (of any plan, superseded ones included) and
 * journal the outcomes. Returns the keys of items whose submission is still being processed: no
 * plan may send them until it is settled. Submits nothing. Throws the store's auth errors.
 */
export async function settleSubmissions(db: Db, store: StoreAdapter, runId: string, signal?: AbortSignal): Promise<Set<string>> {
  const log = logger('push');
  const held = new Set<string>();
  for (const submission of unsettledSubmissions(db)) {
    signal?.throwIfAborted();
    const items = submissionItems(db, submission);
    if (!store.settle) {
      log.warn(`${submission.batch}: submitted as ${submission.externalId} to a store that cannot be asked about it now (the store changed?); its ${items.length} item(s) stay submitted`);
      for (const c of items) held.add(itemKey(c));
      continue;
    }
    let result;
    try {
      result = await store.settle(submission.externalId, items, signal);
    } catch (err) {
      if (isAuthError(err)) throw err;
      log.warn(`${submission.batch}: the outcome of ${submission.externalId} could not be read (${err instanceof Error ? err.message : String(err)}); asking again next time`);
      for (const c of items) held.add(itemKey(c));
      continue;
    }
    if (result.inFlight) {
      for (const c of items) held.add(itemKey(c));
      continue;
    }
    journalSettled(db, submission, runId, items, new Map(result.failed.map((f) => [f.seq, f.message])));
    log.info(`${submission.batch}: submission ${submission.externalId} settled: ${items.length - result.failed.length} applied, ${result.failed.length} failed`);
  }
  return held;
}

/** Raised by callers that want an exception for an open breaker with work left. */
export function breakerError(outcome: PushOutcome): BreakerOpenError {
  return new BreakerOpenError(`circuit breaker open: ${outcome.breakerReason}; ${outcome.pending} change(s) left pending — fix the cause, then run \`invsync push\` to resume`);
}

