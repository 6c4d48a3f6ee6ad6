import type { Change, ChangeStatus, ItemVisibility, PriceChange, RunCounts, SafetyReport, StatusAction, SummaryError } from '../domain/types.js';
import type { SharedErrors } from '../domain/error-log.js';
import { decodeId, encodeId, type Db } from './db.js';
import { recordStatusApplied } from './status.js';
import { DEFAULT_STORE, storeTableOf } from './store-index.js';

export type PlanStatus = 'building' | 'pending' | 'applied' | 'partial' | 'blocked' | 'superseded' | 'empty' | 'preview';
/** `submitted`: in a batch the store accepted and is still processing (an Amazon feed): never re-sent, settled first by the next push. */
export type ItemStatus = 'planned' | 'sent' | 'submitted' | 'applied' | 'failed';

/** What match found, kept with the plan so push and show can report it. */
export interface MatchOutcome {
  counts: RunCounts;
  safety: SafetyReport;
  errors: SummaryError[];
  /** Of `errors`, the sources' rejected rows, counted once in a run over several stores (see ErrorLog). */
  shared?: SharedErrors;
  sources: Record<string, { items: number; rejected: number; matched: number }>;
  /** SPEC §12: the open orders subtracted (window start, order lines, units), when `rules.openOrders` is "subtract". */
  openOrders?: { since: string; lines: number; units: number };
}

export interface PlanRecord {
  id: number;
  /** The store the plan is for (SPEC §9; "store" for the singular `store`). */
  store: string;
  runId: string;
  createdAt: string;
  status: PlanStatus;
  snapshotChecksum: string;
  indexGeneration: number;
  configChecksum: string;
  window: { offset?: number; limit?: number };
  match: MatchOutcome;
}

export interface PlanItem extends Change {
  name: string | null;
  status: ItemStatus;
  error: string | null;
  reason: string | null;
  /** The run that applied it, once applied. */
  appliedRunId: string | null;
}

/**
 * How a new plan may arm itself (SPEC §8 "dry runs never arm anything"):
 * - `arm`: a real `match`/`full`/`rollback`; the new plan is the one `push` applies, and every
 *   older pending or partly applied plan is superseded (only the newest plan may be pushed);
 * - `dryRunRecord`: a dry run documented to record its plan (`full --dry-run`); it arms like
 *   `arm` unless another plan could still be pushed (pending or partial, built from the same
 *   store index generation and config); then it is a `preview` and that plan is kept. A plan
 *   from an older index or config is superseded: `push` refuses it as stale anyway;
 * - `preview`: a dry run that must leave nothing to push (`rollback --dry-run`).
 * A preview is kept for `show`, but `push` never picks it and it never supersedes anything.
 */
export type PlanArming = 'arm' | 'dryRunRecord' | 'preview';

/**
 * Pure: the status a just-built plan is stored with, and whether it supersedes the older
 * pending/partial plans. `built` is what match decided (pending, empty, blocked);
 * `otherPushable` says whether another plan could still be pushed (see PlanArming).
 */
export function armingOutcome(built: PlanStatus, arming: PlanArming, otherPushable: boolean): { status: PlanStatus; supersede: boolean } {
  if (arming === 'arm' || (arming === 'dryRunRecord' && !otherPushable)) return { status: built, supersede: true };
  return { status: built === 'pending' ? 'preview' : built, supersede: false };
}

/**
 * Record a plan whose changes are produced while it is written: `build` receives `add` and
 * returns the final status and match outcome. One transaction: a failure leaves no half plan,
 * and older pending plans are superseded only when the new one is complete (and only when
 * `arming` allows it, see PlanArming). Returns the plan id.
 */
export function recordPlan(
  db: Db,
  plan: Omit<PlanRecord, 'id' | 'createdAt' | 'status' | 'match' | 'store'> & { store?: string },
  build: (add: (change: Change & { reason?: string; name?: string }) => void) => { status: PlanStatus; match: MatchOutcome },
  options: { arming?: PlanArming } = {},
): number {
  return db.transaction(() => {
    const store = plan.store ?? DEFAULT_STORE;
    const info = db.prepare(`INSERT INTO plans (run_id, created_at, status, snapshot_checksum, index_generation, config_checksum, window_offset, window_limit, match_summary, store)
      VALUES (?, ?, 'building', ?, ?, ?, ?, ?, '{}', ?)`).run(
      plan.runId, new Date().toISOString(), plan.snapshotChecksum, plan.indexGeneration, plan.configChecksum,
      plan.window.offset ?? null, plan.window.limit ?? null, store,
    );
    const planId = Number(info.lastInsertRowid);
    // Rows go in 100 at a time: one statement per row costs more than SQLite's own work.
    const ROWS = 100;
    const COLUMNS = 13;
    const sql = (n: number) => `INSERT INTO plan_items (plan_id, seq, sku, product_id, variation_id, from_qty, to_qty, ref, reason, name, price_from, price_to, status_action, status) VALUES ${
      Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned')").join(', ')}`;
    const insertMany = db.prepare(sql(ROWS));
    const insertOne = db.prepare(sql(1));
    let pending: unknown[] = [];
    const built = build((c) => {
      pending.push(planId, c.seq, c.sku, encodeId(c.productId), encodeId(c.variationId), c.from, c.to, c.ref ? JSON.stringify(c.ref) : null, c.reason ?? null, c.name ?? null,
        c.price?.from ?? null, c.price?.to ?? null, c.statusAction ? JSON.stringify(c.statusAction) : null);
      if (pending.length === ROWS * COLUMNS) { insertMany.run(pending); pending = []; }
    });
    for (let i = 0; i < pending.length; i += COLUMNS) insertOne.run(pending.slice(i, i + COLUMNS));
    // Per store: a plan for one store never supersedes (or is kept back by) another store's.
    const otherPushable = db.prepare(`SELECT 1 FROM plans WHERE status IN ('pending', 'partial') AND id != ? AND store = ?
      AND index_generation = ? AND config_checksum = ? LIMIT 1`).get(planId, store, plan.indexGeneration, plan.configChecksum) !== undefined;
    const { status, supersede } = armingOutcome(built.status, options.arming ?? 'arm', otherPushable);
    if (supersede) db.prepare("UPDATE plans SET status = 'superseded' WHERE status IN ('pending', 'partial') AND id != ? AND store = ?").run(planId, store);
    db.prepare('UPDATE plans SET status = ?, match_summary = ? WHERE id = ?').run(status, JSON.stringify(built.match), planId);
    return planId;
  })();
}

/** Store a plan whose changes are already known (rollback): `recordPlan` with a fixed list. */
export function createPlan(
  db: Db, plan: Omit<PlanRecord, 'id' | 'createdAt' | 'store'> & { store?: string }, changes: Array<Change & { reason?: string }>, options: { arming?: PlanArming } = {},
): number {
  const { status, match, ...record } = plan;
  return recordPlan(db, record, (add) => {
    for (const c of changes) add(c);
    return { status, match };
  }, options);
}

/**
 * Pure: why a plan built at `createdAt` is too old to push at `nowMs` (its levels come from a
 * fetch that long ago), or null when it is within `maxAgeMs`. The text names both ages.
 */
export function planAgeProblem(createdAt: string, nowMs: number, maxAgeMs: number): string | null {
  const age = nowMs - Date.parse(createdAt);
  if (!(age > maxAgeMs)) return null;
  return `built ${formatAge(age)} ago (${createdAt}), older than safety.maxPlanAgeMs ${maxAgeMs} (${formatAge(maxAgeMs)})`;
}

/** `6h`, `7h 2m`, `45m`, `12s`: coarse, for messages. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : `${s}s`;
}

export function getPlan(db: Db, id: number): PlanRecord | undefined {
  const row = db.prepare('SELECT * FROM plans WHERE id = ?').get(id) as PlanRow | undefined;
  return row && toPlan(row);
}

/** The store's newest plan that still has work: pending, or partly applied. */
export function latestPushablePlan(db: Db, store: string = DEFAULT_STORE): PlanRecord | undefined {
  const row = db.prepare("SELECT * FROM plans WHERE status IN ('pending', 'partial') AND store = ? ORDER BY id DESC LIMIT 1").get(store) as PlanRow | undefined;
  return row && toPlan(row);
}

export function latestPlan(db: Db, store: string = DEFAULT_STORE): PlanRecord | undefined {
  const row = db.prepare('SELECT * FROM plans WHERE store = ? ORDER BY id DESC LIMIT 1').get(store) as PlanRow | undefined;
  return row && toPlan(row);
}

/** The index table of the store a plan is for (undefined when that store has no index). */
function planTable(db: Db, planId: number): string | undefined {
  const store = db.prepare('SELECT store FROM plans WHERE id = ?').pluck().get(planId) as string | undefined;
  return store === undefined ? undefined : storeTableOf(db, store);
}

export function setPlanStatus(db: Db, planId: number, status: PlanStatus): void {
  db.prepare('UPDATE plans SET status = ? WHERE id = ?').run(status, planId);
}

/** Items of a plan in store order; `statuses` filters (e.g. the ones still to send); `limit` caps. */
export function planItems(db: Db, planId: number, statuses?: ItemStatus[], limit = -1): PlanItem[] {
  const rows = statuses
    ? db.prepare(`SELECT * FROM plan_items WHERE plan_id = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY seq LIMIT ?`).all(planId, ...statuses, limit)
    : db.prepare('SELECT * FROM plan_items WHERE plan_id = ? ORDER BY seq LIMIT ?').all(planId, limit);
  return (rows as ItemRow[]).map(toItem);
}

/** The items of a plan in store order (those in `statuses`, else all), read in chunks: flat memory for huge plans. */
export function* iteratePlanItems(db: Db, planId: number, chunk = 5000, statuses?: ItemStatus[]): Generator<PlanItem> {
  const only = statuses ? ` AND status IN (${statuses.map(() => '?').join(',')})` : '';
  const stmt = db.prepare(`SELECT * FROM plan_items WHERE plan_id = ?${only} AND seq >= ? ORDER BY seq LIMIT ?`);
  for (let next = 0; ;) {
    const rows = stmt.all(planId, ...(statuses ?? []), next, chunk) as ItemRow[];
    if (rows.length === 0) return;
    for (const row of rows) yield toItem(row);
    next = rows[rows.length - 1]!.seq + 1;
  }
}

/** Journal a batch as sent BEFORE the request: an interrupted run re-sends it (absolute writes are idempotent). */
export function journalSent(db: Db, planId: number, runId: string, label: string, seqs: number[]): void {
  db.transaction(() => {
    const mark = db.prepare("UPDATE plan_items SET status = 'sent', attempts = attempts + 1 WHERE plan_id = ? AND seq = ?");
    for (const seq of seqs) mark.run(planId, seq);
    db.prepare("INSERT INTO journal (plan_id, run_id, batch, event, items, at) VALUES (?, ?, ?, 'sent', ?, ?)")
      .run(planId, runId, label, seqs.length, new Date().toISOString());
  })();
}

/** A batch the store accepted for later processing, not settled yet. */
export interface Submission {
  id: number;
  planId: number;
  batch: string;
  externalId: string;
  seqs: number[];
}

/**
 * Journal that the store accepted a batch as `externalId` (an Amazon feed id), in one transaction
 * with its items becoming `submitted`: from here on the batch is settled, never sent again.
 * Returns the submission.
 */
export function journalSubmitted(db: Db, planId: number, runId: string, label: string, seqs: number[], externalId: string): Submission {
  return db.transaction(() => {
    const info = db.prepare('INSERT INTO submissions (plan_id, run_id, batch, external_id, seqs, submitted_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(planId, runId, label, externalId, JSON.stringify(seqs), new Date().toISOString());
    const mark = db.prepare("UPDATE plan_items SET status = 'submitted' WHERE plan_id = ? AND seq = ?");
    for (const seq of seqs) mark.run(planId, seq);
    db.prepare("INSERT INTO journal (plan_id, run_id, batch, event, items, at) VALUES (?, ?, ?, 'submitted', ?, ?)")
      .run(planId, runId, `${label} ${externalId}`, seqs.length, new Date().toISOString());
    return { id: Number(info.lastInsertRowid), planId, batch: label, externalId, seqs };
  })();
}

/** Submissions of every plan whose outcome is not journaled yet, oldest first. */
export function unsettledSubmissions(db: Db): Submission[] {
  return (db.prepare('SELECT id, plan_id, batch, external_id, seqs FROM submissions WHERE settled_at IS NULL ORDER BY id').all() as
    Array<{ id: number; plan_id: number; batch: string; external_id: string; seqs: string }>)
    .map((r) => ({ id: r.id, planId: r.plan_id, batch: r.batch, externalId: r.external_id, seqs: JSON.parse(r.seqs) as number[] }));
}

/** The plan items of a submission, in plan order. */
export function submissionItems(db: Db, submission: Submission): PlanItem[] {
  const stmt = db.prepare('SELECT * FROM plan_items WHERE plan_id = ? AND seq = ?');
  return submission.seqs.map((seq) => stmt.get(submission.planId, seq) as ItemRow | undefined).filter((r): r is ItemRow => r !== undefined).map(toItem);
}

/** Journal a submission's outcome (as journalResult) and close it, in one transaction. */
export function journalSettled(db: Db, submission: Submission, runId: string, items: Change[], failed: Map<number, string>): void {
  db.transaction(() => {
    journalResult(db, submission.planId, runId, `${submission.batch} ${submission.externalId}`, items, failed);
    db.prepare('UPDATE submissions SET settled_at = ? WHERE id = ?').run(new Date().toISOString(), submission.id);
  })();
}

/**
 * Journal a batch's outcome AFTER the store answered: applied items become applied (and the
 * store index learns their new level), failed ones keep their error and stay retryable.
 */
export function journalResult(
  db: Db, planId: number, runId: string, label: string, batch: Change[], failed: Map<number, string>,
): void {
  db.transaction(() => {
    const applied = db.prepare("UPDATE plan_items SET status = 'applied', error = NULL, applied_run_id = ? WHERE plan_id = ? AND seq = ?");
    const fail = db.prepare("UPDATE plan_items SET status = 'failed', error = ? WHERE plan_id = ? AND seq = ?");
    const table = planTable(db, planId);
    const index = table ? db.prepare(`UPDATE ${table} SET qty = ?, managed = 1 WHERE product_id = ? AND variation_id IS ?`) : undefined;
    const store = planStore(db, planId);
    for (const c of batch) {
      const error = failed.get(c.seq);
      if (error === undefined) {
        applied.run(runId, planId, c.seq);
        if (!c.statusAction?.alone) index?.run(c.to, encodeId(c.productId), encodeId(c.variationId));
        if (c.statusAction) {
          recordStatusApplied(db, store, runId, c, c.statusAction);
          if (table) indexVisibility(db, table, c, c.statusAction);
        }
      } else {
        fail.run(error, planId, c.seq);
      }
    }
    db.prepare("INSERT INTO journal (plan_id, run_id, batch, event, items, failed, at) VALUES (?, ?, ?, 'done', ?, ?, ?)")
      .run(planId, runId, label, batch.length, failed.size, new Date().toISOString());
  })();
}

/** The store a plan is for. */
function planStore(db: Db, planId: number): string {
  return (db.prepare('SELECT store FROM plans WHERE id = ?').pluck().get(planId) as string | undefined) ?? DEFAULT_STORE;
}

/** The store index learns the fields a status action wrote (so the next plan writes nothing more). */
function indexVisibility(db: Db, table: string, c: Pick<Change, 'productId' | 'variationId'>, action: StatusAction): void {
  const raw = db.prepare(`SELECT visibility FROM ${table} WHERE product_id = ? AND variation_id IS ?`).pluck().get(encodeId(c.productId), encodeId(c.variationId)) as string | null | undefined;
  if (!raw) return;
  const v = JSON.parse(raw) as ItemVisibility;
  const values = { ...v.values, ...action.set };
  const next: ItemVisibility = {
    values,
    hidden: action.to === 'hide' ? true : action.to === 'restore' && action.of === 'hide' ? false : v.hidden,
    outOfStock: action.to === 'outofstock' ? true : action.to === 'restore' && action.of === 'outofstock' ? false : v.outOfStock,
  };
  db.prepare(`UPDATE ${table} SET visibility = ? WHERE product_id = ? AND variation_id IS ?`).run(JSON.stringify(next), encodeId(c.productId), encodeId(c.variationId));
}

/** A batch whose request failed as a whole: every item failed with the same error. */
export function journalBatchError(db: Db, planId: number, runId: string, label: string, batch: Change[], error: string): void {
  journalResult(db, planId, runId, label, batch, new Map(batch.map((c) => [c.seq, error])));
}

/**
 * SPEC §12: a planned item sold since the fetch is written lowered by the sale. Its `from` becomes
 * the level read before the write and its target and reason what the push will send, BEFORE the
 * write is journaled as sent, so a resumed push compares with that level and a rollback puts
 * back what the write replaced.
 */
export function rebasePlanItems(db: Db, planId: number, items: Array<{ seq: number; from: number; to: number; reason: string }>): void {
  if (items.length === 0) return;
  db.transaction(() => {
    const update = db.prepare('UPDATE plan_items SET from_qty = ?, to_qty = ?, reason = ? WHERE plan_id = ? AND seq = ?');
    for (const i of items) update.run(i.from, i.to, i.reason, planId, i.seq);
  })();
}

/**
 * Record a read-back: items that did not land become failed with the reason; the store index
 * takes the level the store reported (or keeps its value when the item was not found).
 */
export function markReadBack(
  db: Db, planId: number, items: Change[], seen: Map<number, { qty: number | null; managed: boolean; visibility?: ItemVisibility }>, mismatched: Map<number, string>,
): void {
  db.transaction(() => {
    const fail = db.prepare("UPDATE plan_items SET status = 'failed', error = ? WHERE plan_id = ? AND seq = ?");
    const table = planTable(db, planId);
    const index = table ? indexReading(db, table) : undefined;
    for (const item of items) {
      const reason = mismatched.get(item.seq);
      if (reason === undefined) continue;
      fail.run(reason, planId, item.seq);
      const s = seen.get(item.seq);
      if (s) index?.(item, s);
    }
  })();
}

/** A change a run applied, as the journal has it, with the freshest write ref known. */
export interface AppliedItem {
  sku: string;
  productId: number | string;
  variationId: number | string | null;
  /** The level the run replaced (null: stock was not managed). */
  from: number | null;
  /** The level the run wrote. */
  to: number;
  ref: Record<string, unknown> | null;
  /** SPEC §14: the price the run replaced and wrote, when it wrote one. */
  price?: PriceChange;
  /** The status action it applied (SPEC §14), if any. */
  statusAction?: StatusAction;
}

/**
 * Every change run `runId` applied (and still counts as applied: a later read-back may have
 * failed it), in store order. The write ref comes from the store index when the item is
 * still indexed (fresher), else from the plan item.
 */
export function changesAppliedBy(db: Db, runId: string, store: string = DEFAULT_STORE): AppliedItem[] {
  const table = storeTableOf(db, store);
  const rows = (table
    ? db.prepare(`SELECT pi.sku, pi.product_id, pi.variation_id, pi.from_qty, pi.to_qty, COALESCE(si.ref, pi.ref) AS ref, pi.price_from, pi.price_to, pi.status_action
      FROM plan_items pi JOIN plans p ON p.id = pi.plan_id AND p.store = ?
      LEFT JOIN ${table} si ON si.product_id = pi.product_id AND si.variation_id IS pi.variation_id
      WHERE pi.applied_run_id = ? AND pi.status = 'applied' ORDER BY si.ord, pi.plan_id, pi.seq`).all(store, runId)
    : []) as Array<{
      sku: string; product_id: string; variation_id: string | null; from_qty: number | null; to_qty: number; ref: string | null;
      price_from: string | null; price_to: string | null; status_action: string | null;
    }>;
  return rows.map((r) => ({
    sku: r.sku, productId: decodeId(r.product_id)!, variationId: decodeId(r.variation_id), from: r.from_qty, to: r.to_qty,
    ref: r.ref ? JSON.parse(r.ref) as Record<string, unknown> : null,
    ...(r.price_to !== null ? { price: { from: r.price_from, to: r.price_to } } : {}),
    ...(r.status_action ? { statusAction: JSON.parse(r.status_action) as StatusAction } : {}),
  }));
}

/** The store index takes the levels the store just reported for these items (absent ones keep theirs). */
export function refreshIndexedLevels(db: Db, items: Change[], seen: Map<number, { qty: number | null; managed: boolean; visibility?: ItemVisibility }>, store: string = DEFAULT_STORE): void {
  const table = storeTableOf(db, store);
  if (!table) return;
  db.transaction(() => {
    const index = indexReading(db, table);
    for (const item of items) {
      const s = seen.get(item.seq);
      if (s) index(item, s);
    }
  })();
}

/** The store index (`table`) takes what the store reported for an item: its level, and its visibility when reported. */
function indexReading(db: Db, table: string): (item: Pick<Change, 'productId' | 'variationId'>, s: { qty: number | null; managed: boolean; visibility?: ItemVisibility }) => void {
  const level = db.prepare(`UPDATE ${table} SET qty = ?, managed = ? WHERE product_id = ? AND variation_id IS ?`);
  const visibility = db.prepare(`UPDATE ${table} SET visibility = ? WHERE product_id = ? AND variation_id IS ?`);
  return (item, s) => {
    level.run(s.qty, s.managed ? 1 : 0, encodeId(item.productId), encodeId(item.variationId));
    if (s.visibility) visibility.run(JSON.stringify(s.visibility), encodeId(item.productId), encodeId(item.variationId));
  };
}

/** After a push: `applied` when nothing is left to send, `partial` otherwise. */
export function settlePlanStatus(db: Db, planId: number): PlanStatus {
  const counts = statusCounts(db, planId);
  const status: PlanStatus = counts.planned + counts.sent + counts.submitted + counts.failed === 0 ? 'applied' : 'partial';
  setPlanStatus(db, planId, status);
  return status;
}

/** How many of a plan's items are in each journal state. */
export function statusCounts(db: Db, planId: number): Record<ItemStatus, number> {
  const out: Record<ItemStatus, number> = { planned: 0, sent: 0, submitted: 0, applied: 0, failed: 0 };
  for (const r of db.prepare('SELECT status, COUNT(*) AS n FROM plan_items WHERE plan_id = ? GROUP BY status').all(planId) as Array<{ status: ItemStatus; n: number }>) {
    out[r.status] = r.n;
  }
  return out;
}

export function journalEntries(db: Db, planId: number): Array<{ runId: string; batch: string; event: string; items: number; failed: number }> {
  return (db.prepare('SELECT run_id, batch, event, items, failed FROM journal WHERE plan_id = ? ORDER BY id').all(planId) as Array<{ run_id: string; batch: string; event: string; items: number; failed: number }>)
    .map((r) => ({ runId: r.run_id, batch: r.batch, event: r.event, items: r.items, failed: r.failed }));
}

/** SPEC §6 status of a change as a user reads it. */
export function summaryStatus(item: PlanItem, dryRunOrUnpushed: boolean): ChangeStatus {
  if (item.status === 'applied') return 'applied';
  if (item.status === 'failed') return 'failed';
  return dryRunOrUnpushed ? 'planned' : 'pending';
}

interface PlanRow {
  id: number; store: string; run_id: string; created_at: string; status: PlanStatus; snapshot_checksum: string; index_generation: number;
  config_checksum: string; window_offset: number | null; window_limit: number | null; match_summary: string;
}
interface ItemRow {
  seq: number; sku: string; product_id: string; variation_id: string | null; from_qty: number | null; to_qty: number;
  ref: string | null; reason: string | null; status: ItemStatus; error: string | null; applied_run_id: string | null; name: string | null;
  price_from: string | null; price_to: string | null;
  status_action: string | null;
}

function toPlan(r: PlanRow): PlanRecord {
  return {
    id: r.id, store: r.store, runId: r.run_id, createdAt: r.created_at, status: r.status, snapshotChecksum: r.snapshot_checksum,
    indexGeneration: r.index_generation, configChecksum: r.config_checksum,
    window: { offset: r.window_offset ?? undefined, limit: r.window_limit ?? undefined },
    match: JSON.parse(r.match_summary) as MatchOutcome,
  };
}

function toItem(r: ItemRow): PlanItem {
  return {
    seq: r.seq, sku: r.sku, productId: decodeId(r.product_id)!, variationId: decodeId(r.variation_id), from: r.from_qty, to: r.to_qty,
    ref: r.ref ? (JSON.parse(r.ref) as Record<string, unknown>) : undefined, status: r.status, error: r.error, reason: r.reason,
    appliedRunId: r.applied_run_id, name: r.name,
    ...(r.price_to !== null ? { price: { from: r.price_from, to: r.price_to } } : {}),
    ...(r.status_action ? { statusAction: JSON.parse(r.status_action) as StatusAction } : {}),
  };
}
