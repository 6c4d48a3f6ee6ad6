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
    for (const table of STAGING_TABLES) db.prepare(`DELETE FROM ${table} WHERE fetch_id <> ?`).run(fetchId);
  })();
}

const STAGING_TABLES = ['ledger_staged', 'ledger_staged_counts', 'ledger_staged_inputs', 'ledger_out'] as const;

/** Staged row statuses (see the migration). */
const NEW = 0;
const CONFLICT = 2;

type ConflictRaw = [number, string, string, string, number, number, string | null, number | null, string, number, string | null, number | null, number];

/**
 * Stages one ledger source's rows for one fetch. Rows are appended as read, `chunk` at a time,
 * each chunk in its own transaction (or savepoint, inside an open one) — appending keeps staging
 * fast whatever the volume. `classify()` then sorts them out in bulk, in SQL: new, already known
 * (applied, or read earlier in this fetch: an overlapping file), or a conflict (the key was taken
 * by other content; the first stands). Only new rows count in the balance and get applied.
 */
export class LedgerStager {
  private movements: StagedMovement[] = [];
  private counts: StagedCount[] = [];
  private readonly append: (m: StagedMovement[], c: StagedCount[]) => void;

  constructor(private readonly db: Db, readonly source: string, readonly fetchId: string, private readonly chunk = 20_000) {
    const insertMove = db.prepare(`INSERT INTO ledger_staged (fetch_id, source, input, id, digest, sku, delta, at, file, row)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertCount = db.prepare('INSERT INTO ledger_staged_counts (fetch_id, source, sku, at, qty, file, row) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.append = db.transaction((moves: StagedMovement[], counts: StagedCount[]) => {
      for (const m of moves) insertMove.run(fetchId, source, m.input, m.id, m.digest, m.sku, m.delta, m.at, m.file, m.row);
      for (const c of counts) insertCount.run(fetchId, source, c.sku, c.at, c.qty, c.file, c.row);
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

  /** Append the buffered rows to the staging tables. */
  flush(): void {
    if (this.movements.length === 0 && this.counts.length === 0) return;
    const moves = this.movements;
    const counts = this.counts;
    this.movements = [];
    this.counts = [];
    this.append(moves, counts);
  }

  /**
   * Flush, then classify every staged row of this source and fetch (one transaction), and forget
   * the digests of files holding a conflict, so they are read (and reported) again next time.
   */
  classify(): StageTotals {
    this.flush();
    const p = { f: this.fetchId, s: this.source };
    return this.db.transaction(() => {
      // Against what earlier fetches applied: the same content changes nothing; other content conflicts.
      this.db.prepare(`UPDATE ledger_staged SET status = CASE WHEN m.digest = ledger_staged.digest THEN 1 ELSE 2 END
        FROM ledger_movements AS m
        WHERE ledger_staged.fetch_id = @f AND ledger_staged.source = @s AND m.source = @s AND m.input = ledger_staged.input AND m.id = ledger_staged.id`).run(p);
      this.db.prepare(`UPDATE ledger_staged_counts SET status = CASE WHEN c.qty = ledger_staged_counts.qty THEN 1 ELSE 2 END
        FROM ledger_counts AS c
        WHERE ledger_staged_counts.fetch_id = @f AND ledger_staged_counts.source = @s AND c.source = @s AND c.sku = ledger_staged_counts.sku AND c.at = ledger_staged_counts.at`).run(p);
      // Within this fetch: the row read first stands.
      this.db.prepare(`WITH dup AS MATERIALIZED (
          SELECT input, id, MIN(seq) AS first FROM ledger_staged WHERE fetch_id = @f AND source = @s AND status = 0
          GROUP BY input, id HAVING COUNT(*) > 1)
        UPDATE ledger_staged SET status = CASE WHEN f.digest = ledger_staged.digest THEN 1 ELSE 2 END, first_seq = d.first
        FROM dup AS d JOIN ledger_staged AS f ON f.seq = d.first
        WHERE ledger_staged.fetch_id = @f AND ledger_staged.source = @s AND ledger_staged.status = 0
          AND ledger_staged.input = d.input AND ledger_staged.id = d.id AND ledger_staged.seq <> d.first`).run(p);
      this.db.prepare(`WITH dup AS MATERIALIZED (
          SELECT sku, at, MIN(seq) AS first FROM ledger_staged_counts WHERE fetch_id = @f AND source = @s AND status = 0
          GROUP BY sku, at HAVING COUNT(*) > 1)
        UPDATE ledger_staged_counts SET status = CASE WHEN f.qty = ledger_staged_counts.qty THEN 1 ELSE 2 END, first_seq = d.first
        FROM dup AS d JOIN ledger_staged_counts AS f ON f.seq = d.first
        WHERE ledger_staged_counts.fetch_id = @f AND ledger_staged_counts.source = @s AND ledger_staged_counts.status = 0
          AND ledger_staged_counts.sku = d.sku AND ledger_staged_counts.at = d.at AND ledger_staged_counts.seq <> d.first`).run(p);
      this.db.prepare(`DELETE FROM ledger_staged_inputs WHERE fetch_id = @f AND source = @s AND file IN (
          SELECT file FROM ledger_staged WHERE fetch_id = @f AND source = @s AND status = 2
          UNION SELECT file FROM ledger_staged_counts WHERE fetch_id = @f AND source = @s AND status = 2)`).run(p);
      const totals: StageTotals = { fresh: 0, repeated: 0, conflicts: 0 };
      for (const table of ['ledger_staged', 'ledger_staged_counts']) {
        const rows = this.db.prepare(`SELECT status, COUNT(*) AS n FROM ${table} WHERE fetch_id = @f AND source = @s GROUP BY status`).all(p) as Array<{ status: number; n: number }>;
        for (const r of rows) {
          if (r.status === NEW) totals.fresh += r.n;
          else if (r.status === CONFLICT) totals.conflicts += r.n;
          else totals.repeated += r.n;
        }
      }
      return totals;
    })();
  }

  /** The conflicts `classify()` found, in the order they were read, `chunk` at a time. */
  *conflicts(chunk = 1000): Generator<LedgerConflict> {
    const moves = this.db.prepare(`SELECT s.seq, s.input, s.id, s.sku, s.delta, s.at, s.file, s.row,
        COALESCE(m.sku, f.sku), COALESCE(m.delta, f.delta), COALESCE(m.file, f.file), COALESCE(m.row, f.row), m.id IS NOT NULL
      FROM ledger_staged AS s
      LEFT JOIN ledger_movements AS m ON m.source = s.source AND m.input = s.input AND m.id = s.id
      LEFT JOIN ledger_staged AS f ON f.seq = s.first_seq
      WHERE s.fetch_id = ? AND s.source = ? AND s.status = 2 AND s.seq > ? ORDER BY s.seq LIMIT ?`).raw(true);
    for (const r of this.bySeq(moves, chunk)) {
      yield { kind: 'movement', input: r[1], id: r[2], sku: r[3], value: r[4], at: r[5], file: r[6] ?? '', row: r[7] ?? 0,
        first: { sku: r[8], value: r[9], file: r[10], row: r[11], applied: r[12] === 1 } };
    }
    const counts = this.db.prepare(`SELECT s.seq, '', '', s.sku, s.qty, s.at, s.file, s.row,
        COALESCE(c.sku, f.sku), COALESCE(c.qty, f.qty), COALESCE(c.file, f.file), COALESCE(c.row, f.row), c.sku IS NOT NULL
      FROM ledger_staged_counts AS s
      LEFT JOIN ledger_counts AS c ON c.source = s.source AND c.sku = s.sku AND c.at = s.at
      LEFT JOIN ledger_staged_counts AS f ON f.seq = s.first_seq
      WHERE s.fetch_id = ? AND s.source = ? AND s.status = 2 AND s.seq > ? ORDER BY s.seq LIMIT ?`).raw(true);
    for (const r of this.bySeq(counts, chunk)) {
      yield { kind: 'count', sku: r[3], value: r[4], at: r[5], file: r[6] ?? '', row: r[7] ?? 0,
        first: { sku: r[8], value: r[9], file: r[10], row: r[11], applied: r[12] === 1 } };
    }
  }

  /** A conflicts query's rows, `chunk` at a time by staged seq (its first column): never all at once. */
  private *bySeq(stmt: { all(...params: unknown[]): unknown[] }, chunk: number): Generator<ConflictRaw> {
    for (let after = 0; ;) {
      const rows = stmt.all(this.fetchId, this.source, after, chunk) as ConflictRaw[];
      if (rows.length === 0) return;
      yield* rows;
      after = rows[rows.length - 1]![0];
    }
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
            SELECT sku, at, qty FROM ledger_staged_counts WHERE fetch_id = @fetch AND source = @source AND status = 0
          ) GROUP BY sku
        ),
        moved AS MATERIALIZED (
          SELECT m.sku AS sku, SUM(m.delta) AS delta FROM (
            SELECT sku, at, delta FROM ledger_movements WHERE source = @source
            UNION ALL
            SELECT sku, at, delta FROM ledger_staged WHERE fetch_id = @fetch AND source = @source AND status = 0
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
    SELECT source, input, id, digest, sku, delta, at, file, row, fetch_id, ? FROM ledger_staged WHERE fetch_id = ? AND status = 0
    ORDER BY source, input, id
    ON CONFLICT DO NOTHING`).run(appliedAt, fetchId).changes;
  const counts = db.prepare(`INSERT INTO ledger_counts (source, sku, at, qty, file, row, fetch_id, applied_at)
    SELECT source, sku, at, qty, file, row, fetch_id, ? FROM ledger_staged_counts WHERE fetch_id = ? AND status = 0
    ORDER BY source, sku, at
    ON CONFLICT DO NOTHING`).run(appliedAt, fetchId).changes;
  db.prepare(`INSERT INTO ledger_inputs (source, input, file, digest, read_at)
    SELECT source, input, file, digest, ? FROM ledger_staged_inputs WHERE fetch_id = ?
    ON CONFLICT DO UPDATE SET digest = excluded.digest, read_at = excluded.read_at`).run(appliedAt, fetchId);
  for (const table of STAGING_TABLES) {
    // Nothing else is staged (stale rows went at the start of the fetch): SQLite truncates a table
    // emptied without WHERE at once, instead of deleting millions of rows one by one.
    const others = db.prepare(`SELECT 1 FROM ${table} WHERE fetch_id <> ? LIMIT 1`).get(fetchId);
    db.prepare(others ? `DELETE FROM ${table} WHERE fetch_id = ?` : `DELETE FROM ${table}`).run(...(others ? [fetchId] : []));
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
