import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LockedError } from '../domain/errors.js';
import { logger } from './log.js';

export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

export const LOCK_DIR = 'invsync.lock';
const HOLDER_FILE = 'lock-holder.json';

/**
 * Take the state dir's lock for a mutating command, or throw LockedError at once (exit 3).
 * The lock is refreshed while held, so only a dead holder's lock goes stale: it is taken over
 * after `staleMs` without refresh, or at once when the holder ran on this host and its process
 * is gone (kill -9, power cut).
 */
export async function acquireLock(stateDir: string, command: string, staleMs: number): Promise<HeldLock> {
  fs.mkdirSync(stateDir, { recursive: true });
  const lockfilePath = path.join(stateDir, LOCK_DIR);
  const options = {
    lockfilePath,
    realpath: false,
    stale: staleMs,
    update: Math.max(1000, Math.floor(staleMs / 3)),
    retries: 0,
    onCompromised: (err: Error) => {
      logger('lock').error(`the lock on ${stateDir} was lost (${err.message}): another run may have taken over`);
    },
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(stateDir, options);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOCKED') throw err;
    const holder = readLockHolder(stateDir);
    if (holder && holderIsDead(holder)) {
      logger('lock').warn({ holder }, `taking over the lock of a dead run (pid ${holder.pid} is gone)`);
      fs.rmSync(lockfilePath, { recursive: true, force: true });
      try {
        release = await lockfile.lock(stateDir, options);
      } catch {
        throw lockedError(stateDir, readLockHolder(stateDir));
      }
    } else {
      throw lockedError(stateDir, holder);
    }
  }
  const holder: LockHolder = { pid: process.pid, hostname: os.hostname(), command, startedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(stateDir, HOLDER_FILE), JSON.stringify(holder));
  return {
    async release() {
      try { fs.rmSync(path.join(stateDir, HOLDER_FILE), { force: true }); } catch { /* best effort */ }
      try { await release(); } catch { /* already released or compromised */ }
    },
  };
}

/** Who holds the lock now (for `invsync status`), or undefined. */
export function readLockHolder(stateDir: string): (LockHolder & { ageMs?: number }) | undefined {
  const lockPath = path.join(stateDir, LOCK_DIR);
  if (!fs.existsSync(lockPath)) return undefined;
  try {
    const holder = JSON.parse(fs.readFileSync(path.join(stateDir, HOLDER_FILE), 'utf8')) as LockHolder;
    return { ...holder, ageMs: Date.now() - Date.parse(holder.startedAt) };
  } catch {
    return undefined;
  }
}

function holderIsDead(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}

function lockedError(stateDir: string, holder: LockHolder | undefined): LockedError {
  const who = holder ? ` by \`invsync ${holder.command}\` (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt})` : '';
  return new LockedError(`another invsync run holds the lock on ${stateDir}${who}: nothing was done`);
}
