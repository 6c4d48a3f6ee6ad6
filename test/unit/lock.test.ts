import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { LockedError } from '../../src/domain/errors.js';
import { acquireLock, readLockHolder, type HeldLock } from '../../src/lib/lock.js';
import { tempDir, waitFor } from '../helpers/cli.js';

/** Leave a lock behind as a killed run does: its directory, and its holder record naming a pid that is gone. */
let deadPid: number | undefined;
function leaveDeadLock(dir: string): void {
  const dead = (deadPid ??= Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()));
  fs.mkdirSync(path.join(dir, 'invsync.lock'));
  const lockIno = fs.statSync(path.join(dir, 'invsync.lock')).ino;
  fs.writeFileSync(path.join(dir, 'lock-holder.json'), JSON.stringify({ pid: Number(dead), hostname: os.hostname(), command: 'full', startedAt: new Date().toISOString(), lockIno }));
}

describe('state dir lock', () => {
  it('a second holder is refused at once with the holder named', async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, 'full', 30_000);
    await expect(acquireLock(dir, 'push', 30_000)).rejects.toMatchObject({ code: 'INVSYNC_LOCKED', message: expect.stringMatching(/invsync full.*pid/) });
    expect(readLockHolder(dir)).toMatchObject({ command: 'full', pid: process.pid });
    await lock.release();
    const again = await acquireLock(dir, 'push', 30_000);
    await again.release();
  });

  it('a holder whose process is gone is reported dead (status, the served schedule and run states do not wait for it); a live one is not', async () => {
    const dir = tempDir();
    leaveDeadLock(dir);
    expect(readLockHolder(dir)).toMatchObject({ command: 'full', dead: true });
    fs.rmSync(path.join(dir, 'invsync.lock'), { recursive: true });
    const lock = await acquireLock(dir, 'push', 30_000);
    expect(readLockHolder(dir)).toMatchObject({ command: 'push', pid: process.pid, dead: false });
    await lock.release();
  });

  it('takes over at once a lock whose holder process is gone', async () => {
    const dir = tempDir();
    leaveDeadLock(dir);
    const lock = await acquireLock(dir, 'full', 30_000);
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
    await lock.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a dead run\'s holder record does not vouch for a lock directory created after it', async () => {
    const dir = tempDir();
    leaveDeadLock(dir);
    // Another run has just created the lock and not yet written its own record.
    fs.renameSync(path.join(dir, 'invsync.lock'), path.join(dir, 'elsewhere'));
    fs.mkdirSync(path.join(dir, 'invsync.lock'));
    await expect(acquireLock(dir, 'full', 30_000)).rejects.toMatchObject({ code: 'INVSYNC_LOCKED' });
    expect(fs.existsSync(path.join(dir, 'invsync.lock'))).toBe(true);
  });

  it('of two runs taking over one dead holder\'s lock, exactly one wins (20 interleavings)', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = tempDir();
      leaveDeadLock(dir);
      // The second attempt starts 0–4 event-loop turns after the first, so their steps interleave differently each round.
      const second = (async () => { for (let i = 0; i < round % 5; i++) await new Promise((r) => setImmediate(r)); return acquireLock(dir, 'b', 30_000); })();
      const results = await Promise.allSettled([acquireLock(dir, 'a', 30_000), second]);
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect([round, winners.length]).toEqual([round, 1]);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(loser.reason).toMatchObject({ code: 'INVSYNC_LOCKED' });
      await (winners[0] as PromiseFulfilledResult<HeldLock>).value.release();
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });

  it('a lock taken over while held aborts its signal with a LockedError, and releasing it leaves the new holder alone', async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, 'full', 2_000);
    expect(lock.signal.aborted).toBe(false);
    // What another run taking over does: the old directory goes, a new one with a new holder comes.
    fs.renameSync(path.join(dir, 'invsync.lock'), path.join(dir, 'gone'));
    fs.mkdirSync(path.join(dir, 'invsync.lock'));
    const other = { pid: 1, hostname: os.hostname(), command: 'push', startedAt: new Date().toISOString() };
    fs.writeFileSync(path.join(dir, 'lock-holder.json'), JSON.stringify(other));
    await waitFor(() => lock.signal.aborted, 5_000);
    expect(lock.signal.reason).toBeInstanceOf(LockedError);
    expect((lock.signal.reason as Error).message).toMatch(/lock on .* was lost while this run held it/);
    await lock.release();
    expect(fs.existsSync(path.join(dir, 'invsync.lock'))).toBe(true);
    expect(readLockHolder(dir)).toMatchObject({ pid: 1, command: 'push' });
  });

  it('the state dir is made owner-only and the holder file is 0600', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    const lock = await acquireLock(dir, 'full', 30_000);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'lock-holder.json')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'invsync.lock')).mode & 0o077).toBe(0);
    await lock.release();
  });

  it('takes over a lock not refreshed for staleMs', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'invsync.lock'));
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(path.join(dir, 'invsync.lock'), old, old);
    const lock = await acquireLock(dir, 'full', 5_000);
    await lock.release();
  });
});
