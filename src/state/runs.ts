import crypto from 'node:crypto';
import type { RunSummary } from '../domain/types.js';
import type { Db } from './db.js';

/** `2026-11-22T02:00:00.123Z-7f3a`: sortable, unique enough for two runs in the same millisecond. */
export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString()}-${crypto.randomBytes(2).toString('hex')}`;
}

export function startRun(db: Db, run: { id: string; command: string; dryRun: boolean; startedAt: string }): void {
  db.prepare("INSERT INTO runs (id, command, dry_run, started_at, status, pid) VALUES (?, ?, ?, ?, 'running', ?)")
    .run(run.id, run.command, run.dryRun ? 1 : 0, run.startedAt, process.pid);
}

export function finishRun(db: Db, summary: RunSummary): void {
  db.prepare(`INSERT INTO runs (id, command, dry_run, started_at, finished_at, status, exit_code, summary)
      VALUES (@id, @command, @dryRun, @startedAt, @finishedAt, @status, @exitCode, @summary)
      ON CONFLICT(id) DO UPDATE SET finished_at = @finishedAt, status = @status, exit_code = @exitCode, summary = @summary`)
    .run({
      id: summary.runId, command: summary.command, dryRun: summary.dryRun ? 1 : 0, startedAt: summary.startedAt,
      finishedAt: summary.finishedAt, status: summary.status, exitCode: summary.exitCode, summary: JSON.stringify(summary),
    });
}

/**
 * Which stores a run works on (SPEC §9), so `runs --store <name>` can list that store's runs.
 * Recorded when the run starts (a run killed half-way is listed too); `keepRunStores` trims it
 * once the run knows which of them it worked on.
 */
export function recordRunStores(db: Db, runId: string, stores: readonly string[]): void {
  const insert = db.prepare('INSERT OR IGNORE INTO run_stores (run_id, store) VALUES (?, ?)');
  db.transaction(() => { for (const s of stores) insert.run(runId, s); })();
}

/** The run worked on `stores` only (a saved plan's push, a rollback of a run that changed some of the selected stores). */
export function keepRunStores(db: Db, runId: string, stores: readonly string[]): void {
  db.prepare('DELETE FROM run_stores WHERE run_id = ? AND store NOT IN (SELECT value FROM json_each(?))').run(runId, JSON.stringify(stores));
}

export interface RunRow {
  id: string; command: string; dryRun: boolean; startedAt: string; finishedAt: string | null;
  status: string; exitCode: number | null;
}

/** The `runs` columns a RunRow is read from, and the row as SQLite returns it. */
const RUN_COLUMNS = 'id, command, dry_run, started_at, finished_at, status, exit_code';
interface RunDbRow { id: string; command: string; dry_run: number; started_at: string; finished_at: string | null; status: string; exit_code: number | null }

function toRunRow(r: RunDbRow): RunRow {
  return { id: r.id, command: r.command, dryRun: r.dry_run === 1, startedAt: r.started_at, finishedAt: r.finished_at, status: r.status, exitCode: r.exit_code };
}

/** A run worked on one of the stores in the JSON array `@stores`. */
const WORKED_ON = 'id IN (SELECT run_id FROM run_stores WHERE store IN (SELECT value FROM json_each(@stores)))';

/**
 * The newest runs; with `stores`, only those that worked on one of these stores, each with the
 * status and exit code those stores had in it (SPEC §9: `runs --store web` shows web's outcome,
 * not the run's highest, which another store may have set).
 */
export function listRuns(db: Db, limit = 20, stores?: readonly string[]): RunRow[] {
  const rows = (stores
    ? db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE ${WORKED_ON}
        ORDER BY started_at DESC, id DESC LIMIT @limit`).all({ stores: JSON.stringify(stores), limit })
    : db.prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`).all(limit)
  ) as RunDbRow[];
  // Only the listed runs' summaries are read (after LIMIT), and only their `stores`.
  const storesOf = db.prepare("SELECT json_extract(summary, '$.stores') FROM runs WHERE id = ?").pluck();
  return rows.map((r) => {
    const entries = stores ? storesOf.get(r.id) as string | null : null;
    const own = entries ? storesOutcome(JSON.parse(entries) as StoreOutcome[], stores!) : undefined;
    return { ...toRunRow(r), status: own?.status ?? r.status, exitCode: own?.exitCode ?? r.exit_code };
  });
}

export interface StoreOutcome { name: string; status: string; exitCode: number }

/** The outcome of `names` in a multi-store run: the highest exit code among them; undefined when it has none of them. */
export function storesOutcome(entries: readonly StoreOutcome[], names: readonly string[]): StoreOutcome | undefined {
  let worst: StoreOutcome | undefined;
  for (const e of entries) if (names.includes(e.name) && (!worst || e.exitCode > worst.exitCode)) worst = e;
  return worst;
}

/** One run's row (exact id), finished or not; undefined when there is none. */
export function getRunRow(db: Db, id: string): RunRow | undefined {
  const r = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunDbRow | undefined;
  return r && toRunRow(r);
}

/** A run's stored summary; `id` may be a unique prefix (or "last": with `stores`, the last run that worked on one of them). */
export function getRunSummary(db: Db, id: string, stores?: readonly string[]): RunSummary | undefined {
  const runId = resolveRunId(db, id, stores);
  if (!runId) return undefined;
  const text = (db.prepare('SELECT summary FROM runs WHERE id = ?').get(runId) as { summary: string | null } | undefined)?.summary;
  return text ? (JSON.parse(text) as RunSummary) : undefined;
}

/**
 * The newest run that applied at least one change (what `rollback last` means): dry runs and
 * `match` runs apply nothing, so they never qualify. A `rollback` run that applied changes does,
 * and so does a push killed half-way (its row still says "running"; the caller holds the lock).
 */
export function lastAppliedRunId(db: Db, stores?: readonly string[]): string | undefined {
  // One pass over plan_items builds the set of applying runs; the runs table sorts them.
  if (stores) {
    return (db.prepare(`SELECT id FROM runs WHERE dry_run = 0
        AND id IN (SELECT pi.applied_run_id FROM plan_items pi JOIN plans p ON p.id = pi.plan_id
          WHERE pi.status = 'applied' AND pi.applied_run_id IS NOT NULL AND p.store IN (SELECT value FROM json_each(?)))
      ORDER BY started_at DESC, id DESC LIMIT 1`).get(JSON.stringify(stores)) as { id: string } | undefined)?.id;
  }
  return (db.prepare(`SELECT id FROM runs WHERE dry_run = 0
      AND id IN (SELECT applied_run_id FROM plan_items WHERE status = 'applied' AND applied_run_id IS NOT NULL)
    ORDER BY started_at DESC, id DESC LIMIT 1`).get() as { id: string } | undefined)?.id;
}

/** The stores whose plans run `runId` applied changes to, by name. */
export function storesAppliedBy(db: Db, runId: string): string[] {
  return db.prepare(`SELECT DISTINCT p.store FROM plan_items pi JOIN plans p ON p.id = pi.plan_id
    WHERE pi.applied_run_id = ? AND pi.status = 'applied' ORDER BY p.store`).pluck().all(runId) as string[];
}

/** The full id of a run given as an id, a unique prefix, or "last" (the newest finished run). Undefined when none or ambiguous. */
export function resolveRunId(db: Db, spec: string, stores?: readonly string[]): string | undefined {
  if (spec === 'last' && stores) {
    // "last" of some stores: the newest finished run that worked on one of them.
    return (db.prepare(`SELECT id FROM runs WHERE status != 'running' AND ${WORKED_ON}
      ORDER BY started_at DESC, id DESC LIMIT 1`).get({ stores: JSON.stringify(stores) }) as { id: string } | undefined)?.id;
  }
  if (spec === 'last') {
    return (db.prepare("SELECT id FROM runs WHERE status != 'running' ORDER BY started_at DESC, id DESC LIMIT 1").get() as { id: string } | undefined)?.id;
  }
  const rows = db.prepare("SELECT id FROM runs WHERE id = ? OR id LIKE ? || '%' LIMIT 2").all(spec, spec) as Array<{ id: string }>;
  const exact = rows.find((r) => r.id === spec);
  if (exact) return exact.id;
  return rows.length === 1 ? rows[0]!.id : undefined;
}
