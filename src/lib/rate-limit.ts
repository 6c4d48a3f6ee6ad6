/**
 * Request pacing under a server's limit. `perSecond: 10` releases at most one request every
 * ~100 ms and never more than 10 within any rolling second, measured at the moment each request
 * is really released: a request that leaves late (timer lateness, a busy event loop) pushes the
 * next one back instead of bunching up with it, which is what trips a server's rolling window.
 */
export type RateLimitSpec = { perSecond: number } | { perMinute: number };

export interface RateLimiter {
  /** Resolves when the caller may send one request. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/** Pace this much under the configured limit: servers count arrivals, not our intentions. */
export const PACING_MARGIN = 1.02;

export function intervalMs(spec: RateLimitSpec): number {
  return ('perSecond' in spec ? 1000 / spec.perSecond : 60_000 / spec.perMinute) * PACING_MARGIN;
}

export function windowOf(spec: RateLimitSpec): { windowMs: number; max: number } {
  return 'perSecond' in spec
    ? { windowMs: 1000 * PACING_MARGIN, max: Math.max(1, Math.floor(spec.perSecond)) }
    : { windowMs: 60_000 * PACING_MARGIN, max: Math.max(1, Math.floor(spec.perMinute)) };
}

/**
 * Pure: the earliest time the next request may leave, given the release times of the previous
 * ones (ascending), now, the even-spacing interval and the rolling window.
 */
export function nextRelease(released: readonly number[], now: number, interval: number, window: { windowMs: number; max: number }): number {
  let at = now;
  const last = released[released.length - 1];
  if (last !== undefined) at = Math.max(at, last + interval);
  if (released.length >= window.max) at = Math.max(at, released[released.length - window.max]! + window.windowMs);
  return at;
}

export function createRateLimiter(
  spec: RateLimitSpec | undefined,
  clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> } = realClock,
): RateLimiter {
  if (!spec) return { acquire: async () => {} };
  const interval = intervalMs(spec);
  const window = windowOf(spec);
  const released: number[] = [];
  // Callers are served one at a time, in order: each release depends on the previous one's real time.
  let queue: Promise<void> = Promise.resolve();
  return {
    acquire(signal) {
      const turn = queue.then(async () => {
        for (;;) {
          const wait = nextRelease(released, clock.now(), interval, window) - clock.now();
          if (wait <= 0) break;
          await clock.sleep(wait, signal);
        }
        released.push(clock.now());
        if (released.length > window.max) released.splice(0, released.length - window.max);
      });
      queue = turn.catch(() => {});
      return turn;
    },
  };
}

export const realClock = {
  now: () => Date.now(),
  sleep: (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal?.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  }),
};
