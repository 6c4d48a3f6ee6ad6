import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../lib/process-alive.js';
import { replaceFileSync } from '../lib/replace-file.js';

/**
 * `<stateDir>/serve-schedule.json`: the schedule of the `invsync serve` running on this state
 * dir, so that `invsync status` (another process) can show the next scheduled run. Written by
 * the server whenever the schedule changes or fires, removed when it stops; a file left by a
 * server that died (kill -9) is ignored because its pid is gone.
 */
export const SCHEDULE_FILE = 'serve-schedule.json';

export interface ServedSchedule {
  pid: number;
  hostname: string;
  expression: string;
  enabled: boolean;
  /** ISO time; null when paused. */
  nextRunAt: string | null;
}

export function writeServedSchedule(stateDir: string, schedule: ServedSchedule): void {
  replaceFileSync(path.join(stateDir, SCHEDULE_FILE), `${JSON.stringify(schedule)}\n`, { mode: 0o600 });
}

export function removeServedSchedule(stateDir: string): void {
  fs.rmSync(path.join(stateDir, SCHEDULE_FILE), { force: true });
}

/** The live server's schedule, or null (no file, unreadable, or its server is gone). */
export function readServedSchedule(stateDir: string): ServedSchedule | null {
  let doc: ServedSchedule;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(stateDir, SCHEDULE_FILE), 'utf8')) as ServedSchedule;
  } catch {
    return null;
  }
  if (typeof doc?.pid !== 'number' || typeof doc.expression !== 'string') return null;
  if (doc.hostname === os.hostname() && !processAlive(doc.pid)) return null;
  return doc;
}
