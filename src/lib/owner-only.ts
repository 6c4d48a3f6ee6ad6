import fs from 'node:fs';
import path from 'node:path';

/**
 * Owner-only state (REVIEW #14): the state dir holds the catalog, stock levels, run history,
 * cached tokens and the checksum key, so it is created 0700 and its files 0600 — and state
 * left world-readable by an older invsync is tightened when it is opened.
 */

/** The umask the CLI runs with: every file it creates (state, plan files, logs) is owner-only. */
export const OWNER_ONLY_UMASK = 0o077;

/**
 * Make files the process creates from now on owner-only. Called once by the CLI before any
 * state write; library code never changes the umask behind its caller's back.
 */
export function restrictNewFiles(): void {
  if (process.platform !== 'win32') process.umask(OWNER_ONLY_UMASK);
}

/**
 * Create `stateDir` (0700) if needed; drop group/other permissions from it and from the entries
 * directly inside it (files, the lock dir). Symlinks are left alone; an entry owned by another
 * user (chmod refused) is left as it is: opening it fails later with a clear error if it matters.
 */
export function secureStateDir(stateDir: string): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  ownerOnly(stateDir);
  for (const entry of fs.readdirSync(stateDir, { withFileTypes: true })) {
    if (entry.isFile() || entry.isDirectory()) ownerOnly(path.join(stateDir, entry.name));
  }
}

/** Drop group/other permission bits from `file` when it has any (does not follow symlinks). */
export function ownerOnly(file: string): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    const st = fs.lstatSync(file);
    if (st.isSymbolicLink()) return;
    mode = st.mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  try { fs.chmodSync(file, mode & 0o700); } catch { /* not ours to change */ }
}
