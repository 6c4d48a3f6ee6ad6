/**
 * `<stateDir>/serve-schedule.json` (src/serve/schedule-file.ts): what `invsync status` in another
 * process reads of a running server's schedule, and the file a server killed with -9 leaves.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { readServedSchedule, removeServedSchedule, writeServedSchedule, type ServedSchedule } from '../../src/serve/schedule-file.js';
import { tempDir } from '../helpers/cli.js';

/** The pid of a process that has exited (what kill -9 of `invsync serve` leaves in the file). */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

const schedule = (pid: number, hostname = os.hostname()): ServedSchedule => ({ pid, hostname, expression: '0 3 * * *', enabled: true, nextRunAt: '2026-12-07T03:00:00.000Z' });

describe('the served-schedule file', () => {
  it('is read back while its server lives, and is gone once removed', () => {
    const dir = tempDir();
    writeServedSchedule(dir, schedule(process.pid));
    expect(readServedSchedule(dir)).toEqual(schedule(process.pid));
    removeServedSchedule(dir);
    expect(readServedSchedule(dir)).toBeNull();
  });

  it('left by a server on this machine whose process is gone (kill -9), it is ignored', () => {
    const dir = tempDir();
    const pid = deadPid();
    writeServedSchedule(dir, schedule(pid));
    expect(readServedSchedule(dir)).toBeNull();
  });

  it('written by a server on another machine (a shared state dir), its pid is not checked here', () => {
    const dir = tempDir();
    const pid = deadPid();
    writeServedSchedule(dir, schedule(pid, `not-${os.hostname()}`));
    expect(readServedSchedule(dir)).toEqual(schedule(pid, `not-${os.hostname()}`));
  });
});
