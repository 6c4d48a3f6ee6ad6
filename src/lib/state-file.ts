import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Small JSON files an adapter keeps in the state dir (token caches, request budget, learned caps).
 * Written atomically by write-file-atomic (temporary file in the same directory, fsync, rename)
 * with mode 0600, so a reader never sees half a file, a power cut never loses a request already
 * counted against the budget, and nobody else on the machine can read a token.
 */

/**
 * Replace `file` with `value` as JSON. Creates the directory (0700) if needed. Throws on I/O
 * errors (the temporary file is removed first).
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`, { mode: 0o600, fsync: true });
}

/**
 * Read `file` as JSON. Returns undefined when it does not exist; `{ corrupt: true }` when it
 * cannot be parsed (the caller decides what a broken cache means). Throws other I/O errors.
 */
export async function readJson(file: string): Promise<{ value: unknown } | { corrupt: true } | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { corrupt: true };
  }
}

/** A file name fragment safe on every platform (source names are already restricted by the config). */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
