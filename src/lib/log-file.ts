import fs from 'node:fs';
import path from 'node:path';
import { ownerOnly } from './owner-only.js';

/**
 * The `log.file` destination: JSON lines appended to a file that is rotated by size, so a
 * cron job running every few minutes for years never fills the disk.
 *
 * Rotation renames `file` → `file.1` → `file.2` … and deletes what would become
 * `file.<maxFiles+1>`: at most `maxFiles` old files are kept besides the current one
 * (`maxFiles: 0` keeps none: the file is truncated). It happens at start-up when the file is
 * already at `maxSize`, and during a run as soon as a write takes it there.
 * NOTE: two processes logging to one file (a run and a second run refused by the lock) stay
 * correct but may rotate early; writes are appends (O_APPEND), so no line is torn.
 */

export interface RotationOptions {
  /** Bytes; rotate when the file reaches this size. */
  maxSize: number;
  /** Old files kept (file.1 … file.N). */
  maxFiles: number;
}

export const DEFAULT_ROTATION: RotationOptions = { maxSize: 10 * 1024 * 1024, maxFiles: 5 };

export interface RotatingFile {
  write(line: string): void;
  /** Close the file descriptor (the process may also just exit). */
  close(): void;
}

/**
 * Open `file` for appending (creating its directory), rotating first when it is already full.
 * The file and its rotated copies are owner-only (0600): log lines carry SKUs, stock levels and
 * store URLs; files left readable to others by an older invsync are tightened here.
 */
export function openRotatingFile(file: string, options: RotationOptions = DEFAULT_ROTATION): RotatingFile {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let n = 0; n <= options.maxFiles; n++) ownerOnly(n === 0 ? file : `${file}.${n}`);
  let size = fileSize(file);
  if (size >= options.maxSize) {
    rotate(file, options.maxFiles);
    size = 0;
  }
  let fd: number | null = fs.openSync(file, 'a', 0o600);
  return {
    write(line) {
      if (fd === null) return;
      const bytes = Buffer.byteLength(line);
      fs.writeSync(fd, line);
      size += bytes;
      if (size >= options.maxSize) {
        fs.closeSync(fd);
        rotate(file, options.maxFiles);
        fd = fs.openSync(file, 'a', 0o600);
        size = 0;
      }
    },
    close() {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}

/** Shift `file.N-1` → `file.N` … `file` → `file.1`, dropping the oldest beyond `maxFiles`. */
export function rotate(file: string, maxFiles: number): void {
  if (maxFiles <= 0) {
    try { fs.truncateSync(file, 0); } catch { /* absent: nothing to rotate */ }
    return;
  }
  fs.rmSync(`${file}.${maxFiles}`, { force: true });
  for (let n = maxFiles - 1; n >= 1; n--) {
    try { fs.renameSync(`${file}.${n}`, `${file}.${n + 1}`); } catch { /* a gap in the series */ }
  }
  try { fs.renameSync(file, `${file}.1`); } catch { /* absent: nothing to rotate */ }
}

function fileSize(file: string): number {
  try { return fs.statSync(file).size; } catch { return 0; }
}

const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/** `10MB`, `500 kB`, `1.5G`, `4096` → bytes (binary units, as `ls -lh` shows them); undefined when not a size. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? Math.floor(text) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}
