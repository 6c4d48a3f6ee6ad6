import { Cron } from 'croner';
import { ConfigError } from '../domain/errors.js';
import type { Logger } from '../lib/log.js';
import { removeServedSchedule, writeServedSchedule } from './schedule-file.js';
import os from 'node:os';

/** `GET /api/status`'s `schedule` (SPEC §13). */
export interface ScheduleState {
  enabled: boolean;
  expression: string | null;
  /** ISO time; null when paused or unscheduled. */
  nextRunAt: string | null;
}

/** Check a cron expression (5 fields, or 6 with seconds) without starting anything; throws ConfigError at serve.schedule. */
export function checkCronExpression(expression: string): void {
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (err) {
    throw new ConfigError(`not a cron expression: ${(err as Error).message}`, 'serve.schedule');
  }
}

/**
 * `serve.schedule`: runs `tick` on the cron expression until stopped; pausable. A tick never
 * overlaps the previous one (croner's `protect`). Every change and tick is written to the state
 * dir so `invsync status` in another process shows the next run.
 */
export class Schedule {
  private readonly job: Cron;

  constructor(private readonly expression: string, private readonly stateDir: string, private readonly log: Logger, tick: () => Promise<void>) {
    checkCronExpression(expression);
    this.job = new Cron(expression, { protect: (job) => log.info(`schedule: tick at ${job.currentRun()?.toISOString()} skipped: the previous tick is still starting`) }, async () => {
      try {
        await tick();
      } catch (err) {
        log.error({ err }, `schedule: tick failed: ${(err as Error).message}`);
      }
      this.publish();
    });
    this.publish();
  }

  state(): ScheduleState {
    const enabled = !this.job.isStopped() && this.job.isRunning();
    return { enabled, expression: this.expression, nextRunAt: enabled ? this.job.nextRun()?.toISOString() ?? null : null };
  }

  setEnabled(enabled: boolean): ScheduleState {
    if (enabled) this.job.resume();
    else this.job.pause();
    this.log.info(`schedule ${this.expression}: ${enabled ? 'resumed' : 'paused'}`);
    this.publish();
    return this.state();
  }

  stop(): void {
    this.job.stop();
    removeServedSchedule(this.stateDir);
  }

  private publish(): void {
    if (this.job.isStopped()) return;
    try {
      writeServedSchedule(this.stateDir, { pid: process.pid, hostname: os.hostname(), ...this.state(), expression: this.expression });
    } catch (err) {
      this.log.warn(`could not record the schedule for \`invsync status\`: ${(err as Error).message}`);
    }
  }
}
