import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LockedError } from '../domain/errors.js';
import { logger } from './log.js';
import { ownerOnly, secureStateDir } from './owner-only.js';

export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
}

export interface HeldLock {
  /**
   * Aborted, with a LockedError as its reason, when the lock is lost while held (its directory
   * was taken over or removed, e.g. after this process was suspended past `staleMs`). A run
   * checks it before every write and stops: another run may be writing now.
   */
  readonly signal: AbortSignal;
  /** Give the lock up (a no-op after it was lost: what is there now belongs to another run). */
  release(): Promise<void>;
}

export const LOCK_DIR = 'invsync.lock';
const HOLDER_FILE = 'lock-holder.json';
/** Where a takeover moves a dead run's lock directory (removed once the new lock is held). */
const STALE_PREFIX = `${LOCK_DIR}.stale-`;

/**
 * NOTE: proper-lockfile's own stale takeover is turned off (a `stale` no lock reaches): it
 * does stat → rmdir → mkdir, so two runs that both judge a lock stale can each remove the
 * other's fresh lock and both win. Takeovers go through `takeOver` instead. proper-lockfile
 * still refreshes the lock's mtime and reports a lock whose mtime is no longer its own.
 */
const NEVER_STALE = 2 ** 31 - 1;

/** The holder record plus what identifies the lock directory it describes. */
interface HolderRecord extends LockHolder {
  /** Inode of the lock directory this run created: a dead holder's record only vouches for that directory. */
  lockIno?: number;
}

/** What a run saw of the lock it could not take. */
interface Observed {
  ino: number;
  mtimeMs: number;
  holder: HolderRecord | undefined;
}

/**
 * Take the state dir's lock for a mutating command, or throw LockedError at once (exit 3).
 * The lock is refreshed while held, so only a dead holder's lock goes stale: it is taken over
 * after `staleMs` without refresh, or at once when the holder ran on this host and its process
 * is gone (kill -9, power cut). Of several runs taking over one dead lock, exactly one wins.
 */
export async function acquireLock(stateDir: string, command: string, staleMs: number): Promise<HeldLock> {
  secureStateDir(stateDir);
  const log = logger('lock');
  const lockfilePath = path.join(stateDir, LOCK_DIR);
  const lost = new AbortController();
  const options = {
    lockfilePath,
    realpath: false,
    stale: NEVER_STALE,
    update: Math.max(1000, Math.floor(staleMs / 3)),
    retries: 0,
    onCompromised: (err: Error) => {
      const error = new LockedError(`the lock on ${stateDir} was lost while this run held it (${err.message}): another run may have taken over; this run stopped before its next write`);
      log.error(error.message);
      lost.abort(error);
    },
  };
  const self: LockHolder = { pid: process.pid, hostname: os.hostname(), command, startedAt: new Date().toISOString() };
  let release: () => Promise<void>;
  let movedAway: string | undefined;
  try {
    release = await lockfile.lock(stateDir, options);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOCKED') throw err;
    // Judge and move the old lock in one synchronous step: nothing else of this process runs in between.
    const seen = observe(stateDir);
    const reason = seen && takeoverReason(seen, staleMs);
    if (!seen || !reason) throw lockedError(stateDir, seen?.holder);
    movedAway = takeOver(stateDir, seen);
    if (movedAway === undefined) throw lockedError(stateDir, readHolderRecord(stateDir));
    log.warn({ holder: seen.holder }, `taking over the lock of ${reason}`);
    try {
      release = await lockfile.lock(stateDir, options);
    } catch {
      // Another run created the lock first after the old one was moved: it won.
      fs.rmSync(movedAway, { recursive: true, force: true });
      throw lockedError(stateDir, readHolderRecord(stateDir));
    }
  }
  ownerOnly(lockfilePath);
  const record: HolderRecord = { ...self, lockIno: inodeOf(lockfilePath) };
  fs.writeFileSync(path.join(stateDir, HOLDER_FILE), JSON.stringify(record), { mode: 0o600 });
  if (movedAway) fs.rmSync(movedAway, { recursive: true, force: true });
  return {
    signal: lost.signal,
    async release() {
      if (lost.signal.aborted) return;
      const current = readHolderRecord(stateDir);
      if (current?.pid === self.pid && current.startedAt === self.startedAt) {
        try { fs.rmSync(path.join(stateDir, HOLDER_FILE), { force: true }); } catch { /* best effort */ }
      }
      try { await release(); } catch { /* already released or compromised */ }
    },
  };
}

/**
 * Who holds the lock now (for `invsync status`), or undefined. `dead`: the holder ran on this
 * host and its process is gone (kill -9, power cut): the next run takes the lock over at once,
 * so nothing should wait for it.
 */
export function readLockHolder(stateDir: string): (LockHolder & { ageMs?: number; dead: boolean }) | undefined {
  if (!fs.existsSync(path.join(stateDir, LOCK_DIR))) return undefined;
  const holder = readHolderRecord(stateDir);
  if (!holder) return undefined;
  const { pid, hostname, command, startedAt } = holder;
  return { pid, hostname, command, startedAt, ageMs: Date.now() - Date.parse(startedAt), dead: holderIsDead(holder) };
}

function readHolderRecord(stateDir: string): HolderRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, HOLDER_FILE), 'utf8')) as HolderRecord;
  } catch {
    return undefined;
  }
}

function observe(stateDir: string): Observed | undefined {
  try {
    const st = fs.statSync(path.join(stateDir, LOCK_DIR));
    return { ino: st.ino, mtimeMs: st.mtimeMs, holder: readHolderRecord(stateDir) };
  } catch {
    return undefined;
  }
}

/** Why the observed lock may be taken over, or undefined when its holder may still be running. Pure but for the pid probe. */
function takeoverReason(seen: Observed, staleMs: number): string | undefined {
  if (Date.now() - seen.mtimeMs > staleMs) return `a run that stopped refreshing it ${Math.round((Date.now() - seen.mtimeMs) / 1000)} s ago`;
  const h = seen.holder;
  // A holder record vouches only for the lock directory its run created (not for one created since).
  if (h && h.lockIno === seen.ino && holderIsDead(h)) return `a dead run (pid ${h.pid} is gone)`;
  return undefined;
}

/**
 * Move the observed lock directory aside under a unique name (rename is atomic: of several
 * runs, one moves it). Returns where it went, or undefined when what was moved is not the
 * lock that was judged (it was replaced in between: it is put back) or nothing was there.
 */
function takeOver(stateDir: string, seen: Observed): string | undefined {
  const lockPath = path.join(stateDir, LOCK_DIR);
  const aside = path.join(stateDir, `${STALE_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    // Already moved by another run: whoever now creates the lock first wins.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return aside;
    throw err;
  }
  const st = fs.statSync(aside);
  if (st.ino === seen.ino && st.mtimeMs === seen.mtimeMs) return aside;
  try { fs.renameSync(aside, lockPath); } catch { /* its owner finds its lock gone and stops */ }
  return undefined;
}

function inodeOf(file: string): number | undefined {
  try { return fs.statSync(file).ino; } catch { return undefined; }
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
  const known = holder ? { pid: holder.pid, hostname: holder.hostname, command: holder.command, startedAt: holder.startedAt } : undefined;
  return new LockedError(`another invsync run holds the lock on ${stateDir}${who}: nothing was done`, known);
}
