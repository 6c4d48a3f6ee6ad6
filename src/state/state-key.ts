import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { secureStateDir } from '../lib/owner-only.js';

/** `<stateDir>/.key`: 32 random bytes (hex), mode 0600, created once and kept. */
export const STATE_KEY_FILE = '.key';

const KEY_TEXT = /^[0-9a-f]{64}$/;

/**
 * The state dir's secret key, created on first use. Keys the config checksum stored in plans
 * and plan files, so that a copy of the database or a plan file is no offline oracle for the
 * secrets in the configuration (REVIEW #14). Concurrent first uses agree on one key: the key
 * is written to a private temporary file and linked into place, and the loser of the link
 * reads the winner's.
 */
export function stateKey(stateDir: string): Buffer {
  const file = path.join(stateDir, STATE_KEY_FILE);
  const existing = readKey(file);
  if (existing) return existing;
  secureStateDir(stateDir);
  const tmp = path.join(stateDir, `.key.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  fs.writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // NOTE: an unreadable key (truncated by a full disk) is replaced: that only makes pending
      // plans stale (refused with exit 4, rebuilt by the next match), never applies a wrong one.
      if (!readKey(file)) fs.renameSync(tmp, file);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const key = readKey(file);
  if (!key) throw new Error(`${file} could not be created`);
  return key;
}

function readKey(file: string): Buffer | undefined {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8').trim(); } catch { return undefined; }
  return KEY_TEXT.test(text) ? Buffer.from(text, 'hex') : undefined;
}
