import { PACING_MARGIN } from '../../src/lib/rate-limit.js';
import { describe, expect, it } from '@jest/globals';
import {
  budgetWait, dropshipzoneLimits, normalizeTimestamps, pruneTimestamps, type BudgetLimits,
} from '../../src/sources/dropshipzone/budget.js';
import { mergeCounts } from '../../src/sources/dropshipzone/budget-file.js';

const MIN = 60_000;
const HOUR = 3_600_000;

/** Dropshipzone's defaults without the jitter margin, so the arithmetic is easy to read. */
const exact: BudgetLimits = { intervalMs: 1000, windows: [{ limit: 60, ms: MIN }, { limit: 600, ms: HOUR }], marginMs: 0 };

/** `n` requests one second apart, the last at `end`. */
function paced(n: number, end: number, gap = 1000): number[] {
  return Array.from({ length: n }, (_, i) => end - (n - 1 - i) * gap);
}

/**
 * Replays a greedy client that always waits what `budgetWait` says, then checks every rolling
 * window from the outside. Returns the send times.
 */
function simulate(limits: BudgetLimits, requests: number, start: number, history: number[] = []): number[] {
  const past = [...history];
  let now = start;
  const sent: number[] = [];
  for (let i = 0; i < requests; i++) {
    const { waitMs } = budgetWait(past, now, limits);
    now += waitMs;
    past.push(now);
    sent.push(now);
    now += 7; // the request itself takes a little time
  }
  return sent;
}

function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  let from = 0;
  for (let i = 0; i < times.length; i++) {
    while ((times[from] as number) <= (times[i] as number) - ms) from++;
    best = Math.max(best, i - from + 1);
  }
  return best;
}

describe('dropshipzone request budget (pure arithmetic)', () => {
  it('lets the first request of a fresh budget go at once', () => {
    expect(budgetWait([], 1_000_000, exact)).toEqual({ waitMs: 0, reason: null });
  });

  it('paces requests evenly: one per second at 60/minute', () => {
    expect(budgetWait([10_000], 10_400, exact)).toMatchObject({ waitMs: 600, reason: 'interval' });
    expect(budgetWait([10_000], 11_000, exact).waitMs).toBe(0);
  });

  it('waits for the oldest request of a full minute to leave the window', () => {
    // 60 requests in the last minute, 0.5 s apart (e.g. an earlier run with another pace).
    const past = paced(60, 100_000, 500);
    const d = budgetWait(past, 100_500, exact);
    // The oldest of the 60 was sent at 100_000 - 59 × 500 = 70_500; it leaves at 130_500.
    expect(d).toMatchObject({ waitMs: 30_000, reason: 'window', window: { limit: 60, ms: MIN }, used: 60 });
  });

  it('waits for the hour window when 600 requests were sent in the last hour', () => {
    const past = paced(600, 10 * HOUR, 5000); // 600 requests over 50 minutes
    const d = budgetWait(past, 10 * HOUR + 5000, exact);
    expect(d.reason).toBe('window');
    expect(d.window).toEqual({ limit: 600, ms: HOUR });
    // The oldest was sent 2995 s before the last; it leaves the hour at oldest + 3600 s.
    expect(d.waitMs).toBe(10 * HOUR - 2_995_000 + HOUR - (10 * HOUR + 5000));
  });

  it('adds the margin to every window so that a request delayed on the way still lands outside', () => {
    const withMargin = { ...exact, marginMs: 1000 };
    const past = paced(60, 100_000, 500);
    expect(budgetWait(past, 100_500, withMargin).waitMs).toBe(31_000);
  });

  it('never exceeds 60 per rolling minute or 600 per rolling hour, whatever the history', () => {
    const limits = dropshipzoneLimits(undefined, 600);
    // A burst from an earlier run, then 1500 more requests.
    const history = paced(45, 1_000_000, 100);
    const sent = simulate(limits, 1500, 1_000_050, history);
    const all = [...history, ...sent];
    expect(maxInWindow(all, MIN)).toBeLessThanOrEqual(60);
    expect(maxInWindow(all, HOUR)).toBeLessThanOrEqual(600);
    // …and uses the hourly budget (no needless waiting): 600 requests in the first hour + margin.
    expect(maxInWindow(all, HOUR + 1000)).toBe(600);
  });

  it('honours a configured budget: perSecond pacing and a custom hourly maximum', () => {
    const limits = dropshipzoneLimits({ perSecond: 5 }, 50);
    expect(limits.intervalMs).toBe(200 * PACING_MARGIN);
    const sent = simulate(limits, 120, 0);
    expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(5);
    expect(maxInWindow(sent, HOUR)).toBeLessThanOrEqual(50);
  });

  it('keeps only the timestamps that can still matter, always the last one', () => {
    const limits = dropshipzoneLimits(undefined, 600);
    const past = [...paced(700, 5 * HOUR, 1000)];
    const kept = pruneTimestamps(past, 5 * HOUR, limits);
    expect(kept).toHaveLength(600);
    expect(kept[kept.length - 1]).toBe(5 * HOUR);
    expect(pruneTimestamps([1000], 10 * HOUR, limits)).toEqual([1000]);
    expect(pruneTimestamps([], 10 * HOUR, limits)).toEqual([]);
  });

  it('reads stored timestamps defensively: junk dropped, sorted, a clock set back does not stretch waits', () => {
    expect(normalizeTimestamps([30, 'x', null, 10, Number.NaN, 20, 99_999], 50)).toEqual([10, 20, 30, 50]);
  });

  it('merges the file with this process\'s own requests without counting them twice', () => {
    expect(mergeCounts([1, 2, 2, 5], [2, 2, 3])).toEqual([1, 2, 2, 3, 5]);
    expect(mergeCounts([], [4, 4])).toEqual([4, 4]);
  });
});
