/**
 * Evenly spaced request slots: `perSecond: 10` means one request every 100 ms at most,
 * so the achieved rate can reach the limit without bursts that trip a server's window.
 */
export type RateLimitSpec = { perSecond: number } | { perMinute: number };

export interface RateLimiter {
  /** Resolves when the caller may send one request. */
  acquire(signal?: AbortSignal): Promise<void>;
}

export function intervalMs(spec: RateLimitSpec): number {
  return 'perSecond' in spec ? 1000 / spec.perSecond : 60_000 / spec.perMinute;
}

/** Pure slot arithmetic: given the last granted slot, when may the next request go? */
export function nextSlot(lastSlot: number | undefined, now: number, interval: number): number {
  if (lastSlot === undefined) return now;
  return Math.max(now, lastSlot + interval);
}

export function createRateLimiter(
  spec: RateLimitSpec | undefined,
  clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> } = realClock,
): RateLimiter {
  if (!spec) return { acquire: async () => {} };
  const interval = intervalMs(spec);
  let last: number | undefined;
  return {
    async acquire(signal) {
      const slot = nextSlot(last, clock.now(), interval);
      last = slot;
      const wait = slot - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
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
