import type { Db } from './db.js';

/** Successful fetches per source: the shrink gate and feed-health checks compare against them. */
export function recordSourceFetches(db: Db, runId: string, perSource: Record<string, { items: number; rejected: number }>): void {
  const insert = db.prepare('INSERT INTO source_fetches (run_id, source, fetched_at, items, rejected) VALUES (?, ?, ?, ?, ?)');
  const at = new Date().toISOString();
  db.transaction(() => {
    for (const [source, c] of Object.entries(perSource)) insert.run(runId, source, at, c.items, c.rejected);
  })();
}

/** Item counts of the last `n` successful fetches of `source`, newest first. */
export function recentItemCounts(db: Db, source: string, n = 5): number[] {
  return (db.prepare('SELECT items FROM source_fetches WHERE source = ? ORDER BY id DESC LIMIT ?').all(source, n) as Array<{ items: number }>)
    .map((r) => r.items);
}

export function lastSuccessfulFetch(db: Db, source: string): { fetchedAt: string; items: number } | undefined {
  const row = db.prepare('SELECT fetched_at, items FROM source_fetches WHERE source = ? ORDER BY id DESC LIMIT 1').get(source) as
    { fetched_at: string; items: number } | undefined;
  return row && { fetchedAt: row.fetched_at, items: row.items };
}
