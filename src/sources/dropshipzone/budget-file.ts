import { z } from 'zod';
import type { Logger } from '../../lib/log.js';
import { budgetWait, normalizeTimestamps, pruneTimestamps, type BudgetLimits } from './budget.js';
import { readJson, writeJsonAtomic } from '../../lib/state-file.js';

/** Time as the budget sees it; tests pass a virtual clock. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RequestBudget {
  /**
   * Resolves when one more request keeps every limit, after recording it (before it is sent: a
   * request that dies on the way still counts, as it may have reached the gateway).
   * Sleeps as long as needed, logging how long; rejects with the signal's reason on abort, or
   * with the I/O error when the budget file cannot be written.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Sleeps until a request would fit, without taking the slot (see `tryAcquire`). */
  waitForSlot(signal?: AbortSignal): Promise<void>;
  /** Takes a slot if one is free right now (recording it) and returns true; false otherwise. */
  tryAcquire(): Promise<boolean>;
}

const BudgetFile = z.object({ version: z.literal(1), requests: z.array(z.unknown()) });

/**
 * The request budget, persisted in `file` so that it holds across runs that follow each other
 * closely (cron every few minutes, a retry by hand). The file holds the send times (ms since
 * epoch) of the requests that can still matter, pruned to the longest window.
 *
 * The file is re-read before every request, so a second process sharing the state dir (e.g.
 * `invsync check` during a fetch) is counted too. NOTE: read-modify-write is not locked: two
 * processes acquiring in the same millisecond may both go; mutating commands hold the state-dir
 * lock, so that needs a concurrent `check`.
 */
export function createPersistedBudget(options: { file: string; limits: BudgetLimits; clock: Clock; log: Logger }): RequestBudget {
  const { file, limits, clock, log } = options;
  /** What this process sent, in case the file was removed or rolled back meanwhile. */
  let mine: number[] = [];
  let queue: Promise<void> = Promise.resolve();
  let warnedCorrupt = false;

  async function load(now: number): Promise<number[]> {
    const read = await readJson(file);
    let stored: unknown[] = [];
    if (read && 'value' in read) {
      const parsed = BudgetFile.safeParse(read.value);
      if (parsed.success) stored = parsed.data.requests;
      else if (!warnedCorrupt) { warnedCorrupt = true; log.warn(`request budget file ${file} is not in the expected format: starting a new one`); }
    } else if (read && !warnedCorrupt) {
      warnedCorrupt = true;
      log.warn(`request budget file ${file} is unreadable (not JSON): starting a new one`);
    }
    return mergeCounts(normalizeTimestamps(stored, now), normalizeTimestamps(mine, now));
  }

  /** One read-decide-write step at a time: two callers must not both take the same free slot. */
  function serial<T>(step: () => Promise<T>): Promise<T> {
    const next = queue.then(step);
    queue = next.then(() => {}, () => {});
    return next;
  }

  async function waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = clock.now();
      const decision = budgetWait(await load(now), now, limits);
      if (decision.waitMs <= 0) return;
      // Waits under a second are the normal pacing; longer ones are worth a line in the log.
      if (decision.reason === 'window' && decision.window && decision.waitMs >= 1000) {
        const { window } = decision;
        log.info(
          { waitMs: decision.waitMs, used: decision.used, limit: window.limit, windowMs: window.ms },
          `request budget: ${decision.used} request(s) in the last ${describeWindow(window.ms)} (limit ${window.limit}): waiting ${formatWait(decision.waitMs)} before the next request`,
        );
      } else {
        log.debug({ waitMs: decision.waitMs }, `request pacing: waiting ${formatWait(decision.waitMs)}`);
      }
      await clock.sleep(decision.waitMs, signal);
    }
  }

  function tryAcquire(): Promise<boolean> {
    return serial(async () => {
      const now = clock.now();
      const past = await load(now);
      if (budgetWait(past, now, limits).waitMs > 0) return false;
      mine = pruneTimestamps([...mine, now], now, limits);
      await writeJsonAtomic(file, { version: 1, requests: pruneTimestamps([...past, now], now, limits) });
      return true;
    });
  }

  return {
    async acquire(signal) {
      for (;;) {
        await waitForSlot(signal);
        if (await tryAcquire()) return;
      }
    },
    waitForSlot,
    tryAcquire,
  };
}

/**
 * Union of two sorted lists as multisets: a time listed k times in either list is listed
 * max(k) times. Our own requests are normally in the file already and must not count twice,
 * while two requests sent in the same millisecond must still count as two.
 */
export function mergeCounts(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) { out.push(x as number); i++; }
    else if (x === undefined || y < x) { out.push(y); j++; }
    else { out.push(x); i++; j++; }
  }
  return out;
}

function describeWindow(ms: number): string {
  if (ms === 3_600_000) return 'hour';
  if (ms === 60_000) return 'minute';
  if (ms === 1000) return 'second';
  return `${ms / 1000} s`;
}

/** "850 ms", "42.0 s", "12 min 30 s". */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}
