import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { acquireLock, readLockHolder } from '../../src/lib/lock.js';
import { tempDir } from '../helpers/cli.js';

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

  it('takes over at once a lock whose holder process is gone', async () => {
    const dir = tempDir();
    // Leave a lock behind as a killed run would: lock dir fresh, holder pid dead.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.mkdirSync(path.join(dir, 'invsync.lock'));
    fs.writeFileSync(path.join(dir, 'lock-holder.json'), JSON.stringify({ pid: Number(dead), hostname: os.hostname(), command: 'full', startedAt: new Date().toISOString() }));
    const lock = await acquireLock(dir, 'full', 30_000);
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
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
