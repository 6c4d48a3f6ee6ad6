import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker } from '../../src/lib/breaker.js';
import { makeBatches } from '../../src/pipeline/batches.js';
import { createRateLimiter, nextRelease, PACING_MARGIN, windowOf } from '../../src/lib/rate-limit.js';
import { isRetryableStatus, parseRetryAfter, retryDelay } from '../../src/lib/retry.js';
import { parseWindow } from '../../src/cli/options.js';
import { HttpError, StoreError } from '../../src/domain/errors.js';
import { isStoreOutage, storeWasDown } from '../../src/pipeline/push.js';
import { armingOutcome, planAgeProblem } from '../../src/state/plans.js';
import type { Change } from '../../src/domain/types.js';

const change = (seq: number, productId = seq, variationId: number | null = null): Change =>
  ({ seq, sku: `S${seq}`, productId, variationId, from: 0, to: 1 });

describe('batches', () => {
  it('uses the fewest requests: ceil(n / max) per group, one parent per variation batch', () => {
    const changes = [
      ...Array.from({ length: 250 }, (_, i) => change(i)),
      ...Array.from({ length: 3 }, (_, i) => change(250 + i, 9000, 100 + i)),
      ...Array.from({ length: 2 }, (_, i) => change(253 + i, 9001, 200 + i)),
    ];
    const key = (c: Change) => (c.variationId === null ? 'products' : `variations:${c.productId}`);
    const batches = makeBatches(changes, key, 100);
    expect(batches.map((b) => [b.key, b.items.length])).toEqual([
      ['products', 100], ['products', 100], ['products', 50], ['variations:9000', 3], ['variations:9001', 2],
    ]);
  });
});

describe('circuit breaker', () => {
  it('opens after N failed batches in a row, not after interleaved ones', () => {
    const b = new CircuitBreaker({ consecutiveFailures: 3, maxErrorRatio: 1 });
    for (const failed of [true, true, false, true, true]) b.record({ attempted: 10, failed: failed ? 10 : 0, requestFailed: false });
    expect(b.isOpen).toBe(false);
    b.record({ attempted: 10, failed: 0, requestFailed: true });
    expect(b.isOpen).toBe(true);
    expect(b.openReason).toMatch(/3 batches failed in a row/);
  });

  it('opens when failed items exceed maxErrorRatio of those attempted', () => {
    const b = new CircuitBreaker({ consecutiveFailures: 99, maxErrorRatio: 0.2 });
    b.record({ attempted: 100, failed: 20, requestFailed: false });
    expect(b.isOpen).toBe(false);
    b.record({ attempted: 100, failed: 30, requestFailed: false });
    expect(b.isOpen).toBe(true);
  });

  it('does not judge the ratio on a tiny sample', () => {
    const b = new CircuitBreaker({ consecutiveFailures: 99, maxErrorRatio: 0.2 });
    b.record({ attempted: 3, failed: 1, requestFailed: false });
    expect(b.isOpen).toBe(false);
  });
});

describe('retry policy', () => {
  it('retries throttling and transient server errors only', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 413, 501].some(isRetryableStatus)).toBe(false);
  });

  it('reads Retry-After as seconds (float) or HTTP-date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with jitter, within bounds', () => {
    const opts = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelay(1, undefined, opts, () => 0)).toBe(50);
    expect(retryDelay(1, undefined, opts, () => 1)).toBe(100);
    expect(retryDelay(3, undefined, opts, () => 1)).toBe(400);
    expect(retryDelay(10, undefined, opts, () => 1)).toBe(1000);
  });

  it('waits at least what Retry-After asks, capped', () => {
    const opts = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelay(1, 3000, opts, () => 0)).toBeGreaterThanOrEqual(3000);
    expect(retryDelay(1, 999_999, opts, () => 0)).toBe(5000);
  });
});

describe('rate limiter releases', () => {
  const window = { windowMs: 1000, max: 3 };

  it('spaces releases by the interval, counted from the real release of the previous one', () => {
    expect(nextRelease([], 500, 100, window)).toBe(500);
    expect(nextRelease([1000], 1010, 100, window)).toBe(1100);
    // The previous request left late (at 1130, not 1100): the next waits from there.
    expect(nextRelease([1000, 1130], 1140, 100, window)).toBe(1230);
    // Idle for longer than the interval: no wait.
    expect(nextRelease([1000], 1500, 100, window)).toBe(1500);
  });

  it('never lets more than max releases fall inside one rolling window', () => {
    expect(nextRelease([1000, 1100, 1200], 1300, 100, window)).toBe(2000);
  });

  it('paces a little under the configured limit', () => {
    expect(windowOf({ perSecond: 10 })).toEqual({ windowMs: 1000 * PACING_MARGIN, max: 10 });
    expect(PACING_MARGIN).toBeGreaterThan(1);
  });

  it('a paced client never exceeds the limit in any rolling second, even when releases run late', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => { now += ms + (now % 7 === 0 ? 37 : 0); } };
    const limiter = createRateLimiter({ perSecond: 10 }, clock);
    const times: number[] = [];
    for (let i = 0; i < 60; i++) { await limiter.acquire(); times.push(now); now += i % 5 === 0 ? 3 : 0; }
    for (let i = 10; i < times.length; i++) expect(times[i]! - times[i - 10]!).toBeGreaterThanOrEqual(1000);
  });
});

describe('window options', () => {
  it('parses --limit/--offset and rejects bad values by name', () => {
    expect(parseWindow({ limit: '100', offset: '250' })).toEqual({ limit: 100, offset: 250 });
    expect(() => parseWindow({ limit: 'ten' })).toThrow(/--limit/);
    expect(() => parseWindow({ offset: '-1' })).toThrow(/--offset/);
  });
});

describe('store down (SPEC §8: exit 5, not 1)', () => {
  const http = (status: number | undefined) => new HttpError('x', { status, url: 'http://shop/', retryable: false });

  it('counts no answer, 5xx, 429, 408 and a non-API answer as the store failing outright', () => {
    expect([undefined, 500, 502, 503, 429, 408, 200].map((s) => isStoreOutage(http(s)))).toEqual([true, true, true, true, true, true, true]);
    expect(isStoreOutage(new StoreError('invalid response'))).toBe(true);
  });

  it('counts another 4xx as the store refusing this request, not being down', () => {
    expect([400, 404, 413, 422].map((s) => isStoreOutage(http(s)))).toEqual([false, false, false, false]);
    expect(isStoreOutage(new Error('a bug'))).toBe(false);
  });

  it('is down only when nothing was applied and every failure was an outage', () => {
    expect(storeWasDown({ applied: 0, failed: 3, outageFailed: 3 })).toBe(true);
    expect(storeWasDown({ applied: 1, failed: 3, outageFailed: 3 })).toBe(false);
    expect(storeWasDown({ applied: 0, failed: 3, outageFailed: 2 })).toBe(false);
    expect(storeWasDown({ applied: 0, failed: 0, outageFailed: 0 })).toBe(false);
  });
});

describe('plan arming (SPEC §8: dry runs never arm anything)', () => {
  it('a real match arms its plan and supersedes older pending plans', () => {
    expect(armingOutcome('pending', 'arm', true)).toEqual({ status: 'pending', supersede: true });
  });

  it('full --dry-run records its plan only when no other plan is pending or partial', () => {
    expect(armingOutcome('pending', 'dryRunRecord', false)).toEqual({ status: 'pending', supersede: true });
    expect(armingOutcome('pending', 'dryRunRecord', true)).toEqual({ status: 'preview', supersede: false });
    expect(armingOutcome('blocked', 'dryRunRecord', true)).toEqual({ status: 'blocked', supersede: false });
  });

  it('rollback --dry-run never leaves a pushable plan', () => {
    expect(armingOutcome('pending', 'preview', false)).toEqual({ status: 'preview', supersede: false });
    expect(armingOutcome('empty', 'preview', true)).toEqual({ status: 'empty', supersede: false });
  });
});

describe('plan age (safety.maxPlanAgeMs)', () => {
  const built = '2026-12-01T00:00:00.000Z';
  const at = (ms: number) => Date.parse(built) + ms;
  const SIX_HOURS = 21_600_000;

  it('accepts a plan up to the limit', () => {
    expect(planAgeProblem(built, at(SIX_HOURS), SIX_HOURS)).toBeNull();
  });

  it('names the age and the limit once it is older', () => {
    expect(planAgeProblem(built, at(7 * 3_600_000 + 2 * 60_000), SIX_HOURS))
      .toBe('built 7h 2m ago (2026-12-01T00:00:00.000Z), older than safety.maxPlanAgeMs 21600000 (6h)');
  });
});
