import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { secureStateDir } from '../lib/owner-only.js';

export type Db = Database.Database;

export const DB_FILE = 'invsync.db';

/**
 * Open (creating if needed) `<stateDir>/invsync.db` in WAL mode and migrate it forward.
 * A database newer than this build is refused rather than misread.
 * The state dir is made owner-only (0700, files 0600) first; the database file is created
 * 0600 before SQLite opens it, and SQLite gives its -wal and -shm files the database's mode.
 */
export function openDb(stateDir: string): Db {
  secureStateDir(stateDir);
  const file = path.join(stateDir, DB_FILE);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`invsync.db has schema version ${current}, newer than this invsync (${MIGRATIONS.length}): upgrade invsync`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      const migration = MIGRATIONS[v]!;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Ids are stored JSON-encoded so numbers stay numbers and GraphQL ids stay strings. */
export function encodeId(id: number | string | null): string | null {
  return id === null ? null : JSON.stringify(id);
}

export function decodeId(text: string | null): number | string | null {
  if (text === null) return null;
  // Fast path for the common case, a plain integer id.
  const n = Number(text);
  return Number.isSafeInteger(n) && text.charCodeAt(0) !== 34 ? n : (JSON.parse(text) as number | string);
}
