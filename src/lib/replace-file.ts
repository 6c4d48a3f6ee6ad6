import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Replace `file` with `data` atomically, for files written where others can create names (a
 * plan written with `match --out` into a shared directory such as /tmp):
 *
 * - the temporary file has an unguessable name (`.<name>.<random>.tmp`) and is created with
 *   O_CREAT|O_EXCL|O_NOFOLLOW, so a file or symlink planted under that name makes the write fail
 *   instead of writing through it;
 * - the rename replaces a symlink at `file` itself, never the file it points to;
 * - created with `mode` (default 0600), flushed to disk (fsync) before the rename, the directory
 *   flushed after it (best effort: some platforms cannot fsync a directory).
 *
 * Throws the I/O error (EEXIST, EACCES, ENOSPC…) after removing the temporary file; `file` is then
 * untouched.
 *
 * NOTE: write-file-atomic (used for the state-dir files) cannot do this: it resolves `file` with
 * realpath (so it writes through a planted symlink), and names its temporary file
 * `<file>.<hash of its own path, the pid and a counter>`, opened without O_EXCL.
 */
export function replaceFileSync(file: string, data: string, options: { mode?: number } = {}): void {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${crypto.randomBytes(12).toString('hex')}.tmp`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0), options.mode ?? 0o600);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open or flush a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
