import type { Db } from './db.js';

/**
 * The ledger's tables (SPEC §11): applied movements and counts, each recorded once; what the
 * running fetch read, staged under its id until that fetch commits; the digests of inputs read
 * cleanly. Every function here is synchronous and bounded in memory: rows go in and come out in
 * chunks, and balances are computed by SQLite.
 */

/** The key of the count files among a ledger's inputs (movement input names cannot hold "#"). */
export const COUNTS_INPUT = '#counts';

export interface StagedMovement {
  input: string;
  id: string;
  digest: string;
  sku: string;
  delta: number;
  at: number;
  file: string;
  row: number;
}

export interface StagedCount {
  sku: string;
  at: number;
  qty: number;
  file: string;
  row: number;
}

/** A row whose key was already taken by other content: the first stands, this one is not applied. */
export interface LedgerConflict {
  kind: 'movement' | 'count';
  file: string;
  row: number;
  /** Movements: the input and id. Counts: the SKU and count time. */
  input?: string;
  id?: string;
  sku: string;
  at: number;
  value: number;
  first: { sku: string; value: number; file: string | null; row: number | null; applied: boolean };
}

export interface StageTotals {
  /** Rows staged to be applied when the fetch commits. */
  fresh: number;
  /** Rows already applied, or already read earlier in this fetch (an overlapping file): changing nothing. */
  repeated: number;
  conflicts: number;
}

/**
 * Drop what fetches other than `fetchId` staged and never committed (a failed fetch, or one
 * killed mid-way): they must never be applied.
 */
export function discardStaleStaging(db: Db, fetchId: string): void {
  db.transaction(() => {
    for (const table of ['ledger_staged', 'ledger_staged_counts', 'ledger_staged_inputs', 'ledger_out']) {
      db.prepare(`DELETE FROM ${table} WHERE fetch_id <> ?`).run(fetchId);
    }
  })();
}

type FirstRow = [string, string, number, string | null, number | null];

/**
 * Stages one ledger source's rows for one fetch, classifying each against what is applied and
 * what this fetch already staged. Rows are buffered and written `chunk` at a time, each chunk in
 * its own transaction (or savepoint, inside an open one); `flush()` returns the conflicts found
 * in the chunk it wrote (so at most `chunk` of them are held).
 */
export class LedgerStager {
  readonly totals: StageTotals = { fresh: 0, repeated: 0, conflicts: 0 };
  private movements: StagedMovement[] = [];
  private counts: StagedCount[] = [];
  private readonly writeChunk: (m: StagedMovement[], c: StagedCount[]) => LedgerConflict[];

  constructor(private readonly db: Db, readonly source: string, readonly fetchId: string, private readonly chunk = 20_000) {
    const appliedMove = db.prepare('SELECT digest, sku, delta, file, row FROM ledger_movements WHERE source = ? AND input = ? AND id = ?').raw(true);
    const stagedMove = db.prepare('SELECT digest, sku, delta, file, row FROM ledger_staged WHERE fetch_id = ? AND source = ? AND input = ? AND id = ?').raw(true);
    const insertMove = db.prepare(`INSERT INTO ledger_staged (fetch_id, source, input, id, digest, sku, delta, at, file, row)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    const appliedCount = db.prepare('SELECT qty, sku, qty, file, row FROM ledger_counts WHERE source = ? AND sku = ? AND at = ?').raw(true);
    const stagedCount = db.prepare('SELECT qty, sku, qty, file, row FROM ledger_staged_counts WHERE fetch_id = ? AND source = ? AND sku = ? AND at = ?').raw(true);
    const insertCount = db.prepare(`INSERT INTO ledger_staged_counts (fetch_id, source, sku, at, qty, file, row)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);

    this.writeChunk = db.transaction((moves: StagedMovement[], counts: StagedCount[]) => {
      const conflicts: LedgerConflict[] = [];
      const t = this.totals;
      for (const m of moves) {
        let first = appliedMove.get(source, m.input, m.id) as FirstRow | undefined;
        let applied = true;
        if (first === undefined) {
          if (insertMove.run(fetchId, source, m.input, m.id, m.digest, m.sku, m.delta, m.at, m.file, m.row).changes === 1) { t.fresh++; continue; }
          first = stagedMove.get(fetchId, source, m.input, m.id) as FirstRow;
          applied = false;
        }
        if (first[0] === m.digest) { t.repeated++; continue; }
        t.conflicts++;
        conflicts.push({
          kind: 'movement', file: m.file, row: m.row, input: m.input, id: m.id, sku: m.sku, at: m.at, value: m.delta,
          first: { sku: first[1], value: first[2], file: first[3], row: first[4], applied },
        });
      }
      for (const c of counts) {
        let first = appliedCount.get(source, c.sku, c.at) as FirstRow | undefined;
        let applied = true;
        if (first === undefined) {
          if (insertCount.run(fetchId, source, c.sku, c.at, c.qty, c.file, c.row).changes === 1) { t.fresh++; continue; }
          first = stagedCount.get(fetchId, source, c.sku, c.at) as FirstRow;
          applied = false;
        }
        if (Number(first[0]) === c.qty) { t.repeated++; continue; }
        t.conflicts++;
        conflicts.push({
          kind: 'count', file: c.file, row: c.row, sku: c.sku, at: c.at, value: c.qty,
          first: { sku: first[1], value: first[2], file: first[3], row: first[4], applied },
        });
      }
      return conflicts;
    });
  }

  /** Buffer a movement; returns true when the buffer is full and `flush()` is due. */
  addMovement(m: StagedMovement): boolean {
    this.movements.push(m);
    return this.movements.length + this.counts.length >= this.chunk;
  }

  addCount(c: StagedCount): boolean {
    this.counts.push(c);
    return this.movements.length + this.counts.length >= this.chunk;
  }

  /** Write the buffered rows; returns the conflicts among them. */
  flush(): LedgerConflict[] {
    if (this.movements.length === 0 && this.counts.length === 0) return [];
    const moves = this.movements;
    const counts = this.counts;
    this.movements = [];
    this.counts = [];
    return this.writeChunk(moves, counts);
  }
}

/** The digest an input (a file of an input) had when a fetch that read it cleanly committed. */
export function inputDigest(db: Db, source: string, input: string, file: string): string | undefined {
  const row = db.prepare('SELECT digest FROM ledger_inputs WHERE source = ? AND input = ? AND file = ?').get(source, input, file) as { digest: string } | undefined;
  return row?.digest;
}

/** Remember an input read cleanly (no rejected row, no conflict), for when this fetch commits. */
export function stageInputDigest(db: Db, fetchId: string, source: string, input: string, file: string, digest: string): void {
  db.prepare(`INSERT INTO ledger_staged_inputs (fetch_id, source, input, file, digest) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET digest = excluded.digest`).run(fetchId, source, input, file, digest);
}

/**
 * Compute every balance of `source` as it will stand once `fetchId` commits (applied + staged
 * rows) into ledger_out, one row per SKU in SKU order; returns how many. One SQL statement:
 * SQLite sorts and groups on disk, so the JS heap stays flat however many movements there are.
 */
export function computeBalances(db: Db, source: string, fetchId: string): number {
  return db.transaction(() => {
    db.prepare('DELETE FROM ledger_out WHERE fetch_id = ? AND source = ?').run(fetchId, source);
    return db.prepare(`INSERT INTO ledger_out (fetch_id, source, seq, sku, balance)
      WITH
        counts AS MATERIALIZED (
          -- NOTE: SQLite takes the bare column qty from the row holding MAX(at): the latest count.
          SELECT sku, MAX(at) AS at, qty FROM (
            SELECT sku, at, qty FROM ledger_counts WHERE source = @source
            UNION ALL
            SELECT sku, at, qty FROM ledger_staged_counts WHERE fetch_id = @fetch AND source = @source
          ) GROUP BY sku
        ),
        moved AS MATERIALIZED (
          SELECT m.sku AS sku, SUM(m.delta) AS delta FROM (
            SELECT sku, at, delta FROM ledger_movements WHERE source = @source
            UNION ALL
            SELECT sku, at, delta FROM ledger_staged WHERE fetch_id = @fetch AND source = @source
          ) AS m LEFT JOIN counts AS c ON c.sku = m.sku
          WHERE c.at IS NULL OR m.at > c.at
          GROUP BY m.sku
        ),
        skus AS (SELECT sku FROM counts UNION SELECT sku FROM moved)
      SELECT @fetch, @source, ROW_NUMBER() OVER (ORDER BY s.sku), s.sku, COALESCE(c.qty, 0) + COALESCE(mv.delta, 0)
      FROM skus AS s LEFT JOIN counts AS c ON c.sku = s.sku LEFT JOIN moved AS mv ON mv.sku = s.sku`)
      .run({ source, fetch: fetchId }).changes;
  })();
}

/**
 * The balances computeBalances stored, in SKU order, read `chunk` rows at a time without holding
 * a statement open between chunks (the store listing writes to the same connection meanwhile).
 */
export function* readBalances(db: Db, source: string, fetchId: string, chunk = 5000): Generator<{ sku: string; balance: number }> {
  const stmt = db.prepare('SELECT seq, sku, balance FROM ledger_out WHERE fetch_id = ? AND source = ? AND seq > ? ORDER BY seq LIMIT ?').raw(true);
  let after = 0;
  for (;;) {
    const rows = stmt.all(fetchId, source, after, chunk) as Array<[number, string, number]>;
    if (rows.length === 0) return;
    for (const r of rows) yield { sku: r[1], balance: r[2] };
    after = rows[rows.length - 1]![0];
  }
}

/**
 * THE LEDGER COMMIT: apply everything fetch `fetchId` staged (movements, counts, input digests)
 * and clear its staging. Run it inside the transaction that commits the fetch, so the ledger
 * moves if and only if the fetch commits. Idempotent: a row already applied is left as it is
 * (the first-applied content stands). Returns how many movements and counts it applied.
 */
export function applyStagedLedger(db: Db, fetchId: string, appliedAt = new Date().toISOString()): { movements: number; counts: number } {
  if (!db.inTransaction) throw new Error('applyStagedLedger must run inside the fetch\'s commit transaction');
  const movements = db.prepare(`INSERT INTO ledger_movements (source, input, id, digest, sku, delta, at, file, row, fetch_id, applied_at)
    SELECT source, input, id, digest, sku, delta, at, file, row, fetch_id, ? FROM ledger_staged WHERE fetch_id = ?
    ON CONFLICT DO NOTHING`).run(appliedAt, fetchId).changes;
  const counts = db.prepare(`INSERT INTO ledger_counts (source, sku, at, qty, file, row, fetch_id, applied_at)
    SELECT source, sku, at, qty, file, row, fetch_id, ? FROM ledger_staged_counts WHERE fetch_id = ?
    ON CONFLICT DO NOTHING`).run(appliedAt, fetchId).changes;
  db.prepare(`INSERT INTO ledger_inputs (source, input, file, digest, read_at)
    SELECT source, input, file, digest, ? FROM ledger_staged_inputs WHERE fetch_id = ?
    ON CONFLICT DO UPDATE SET digest = excluded.digest, read_at = excluded.read_at`).run(appliedAt, fetchId);
  for (const table of ['ledger_staged', 'ledger_staged_counts', 'ledger_staged_inputs', 'ledger_out']) {
    db.prepare(`DELETE FROM ${table} WHERE fetch_id = ?`).run(fetchId);
  }
  return { movements, counts };
}

// ---- read side: `invsync ledger` -------------------------------------------------------------

/** Ledger sources that have anything applied, by name. */
export function ledgerSourceNames(db: Db): string[] {
  return (db.prepare('SELECT source FROM ledger_movements UNION SELECT source FROM ledger_counts ORDER BY 1').all() as Array<{ source: string }>).map((r) => r.source);
}

export interface AppliedCount { qty: number; at: number; file: string | null; row: number | null; appliedAt: string }

export interface AppliedMovement {
  input: string; id: string; sku: string; delta: number; at: number; file: string | null; row: number | null; appliedAt: string;
}

/** The latest applied count of a SKU, if it was ever counted. */
export function lastCount(db: Db, source: string, sku: string): AppliedCount | undefined {
  const r = db.prepare('SELECT qty, at, file, row, applied_at FROM ledger_counts WHERE source = ? AND sku = ? ORDER BY at DESC LIMIT 1').get(source, sku) as
    { qty: number; at: number; file: string | null; row: number | null; applied_at: string } | undefined;
  return r && { qty: r.qty, at: r.at, file: r.file, row: r.row, appliedAt: r.applied_at };
}

/** Sum and number of a SKU's applied movements dated strictly after `after` (all when undefined). */
export function movementTotals(db: Db, source: string, sku: string, after: number | undefined): { n: number; sum: number } {
  const r = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(delta), 0) AS sum FROM ledger_movements WHERE source = ? AND sku = ? AND at > ?')
    .get(source, sku, after ?? Number.MIN_SAFE_INTEGER) as { n: number; sum: number };
  return r;
}

type MoveRaw = [string, string, string, number, number, string | null, number | null, string];

function toMovement(r: MoveRaw): AppliedMovement {
  return { input: r[0], id: r[1], sku: r[2], delta: r[3], at: r[4], file: r[5], row: r[6], appliedAt: r[7] };
}

/** A SKU's applied movements dated strictly after `after`, oldest first, read in chunks. */
export function* movementsOf(db: Db, source: string, sku: string, after: number | undefined, chunk = 1000): Generator<AppliedMovement> {
  const stmt = db.prepare(`SELECT input, id, sku, delta, at, file, row, applied_at FROM ledger_movements
    WHERE source = ? AND sku = ? AND (at, input, id) > (?, ?, ?) ORDER BY at, input, id LIMIT ?`).raw(true);
  // NOTE: input names are ASCII, so (after, "\uffff", …) comes after every movement dated `after`.
  let key: [number, string, string] = after === undefined ? [Number.MIN_SAFE_INTEGER, '', ''] : [after, '\uffff', '\uffff'];
  for (;;) {
    const rows = stmt.all(source, sku, ...key, chunk) as MoveRaw[];
    if (rows.length === 0) return;
    for (const r of rows) yield toMovement(r);
    const last = rows[rows.length - 1]!;
    key = [last[4], last[0], last[1]];
  }
}

/** Movements applied at or after `since` (ISO), per source and input: how many and their net effect. */
export function appliedSinceTotals(db: Db, since: string, source?: string): Array<{ source: string; input: string; movements: number; net: number }> {
  return db.prepare(`SELECT source, input, COUNT(*) AS movements, SUM(delta) AS net FROM ledger_movements
    WHERE applied_at >= ? AND (? IS NULL OR source = ?) GROUP BY source, input ORDER BY source, input`)
    .all(since, source ?? null, source ?? null) as Array<{ source: string; input: string; movements: number; net: number }>;
}

/** One input's movements applied at or after `since`, in the order they were applied (then by id), in chunks. */
export function* appliedSince(db: Db, since: string, source: string, input: string, chunk = 1000): Generator<AppliedMovement> {
  const stmt = db.prepare(`SELECT input, id, sku, delta, at, file, row, applied_at FROM ledger_movements
    WHERE source = ? AND input = ? AND (applied_at, id) > (?, ?) ORDER BY applied_at, id LIMIT ?`).raw(true);
  // Ids are never empty, so (since, "") comes before every movement applied at `since`.
  let key: [string, string] = [since, ''];
  for (;;) {
    const rows = stmt.all(source, input, ...key, chunk) as MoveRaw[];
    if (rows.length === 0) return;
    for (const r of rows) yield toMovement(r);
    const last = rows[rows.length - 1]!;
    key = [last[7], last[1]];
  }
}
