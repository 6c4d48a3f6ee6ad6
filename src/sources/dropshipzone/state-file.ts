import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Small JSON files a source keeps in the state dir (token cache, request budget).
 * Written atomically (temporary file in the same directory, then rename) with mode 0600, so a
 * reader never sees half a file and nobody else on the machine can read a token.
 */

/**
 * Replace `file` with `value` as JSON. Creates the directory if needed. Throws on I/O errors
 * (the temporary file is removed first).
 * NOTE: no fsync: these files are rewritten before every request; losing the last write to a power
 * cut costs at most one cached token or a few budget entries, never a half-written file.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.promises.writeFile(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600, flag: 'wx' });
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
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
