import v8 from 'node:v8';

/**
 * V8 heap tuning for the CLI's own process (issue 19: flat memory without NODE_OPTIONS).
 *
 * A fetch streams millions of short-lived rows. With V8's defaults for a machine with a few GB of
 * RAM, the young generation grows to 2 × 16 MB as soon as module loading makes objects survive,
 * and after each full collection the old generation may grow to ~4× its live size before the next
 * one: at 1,000,000 rows that is ≈ 60 MB of heap holding ≈ 20 MB of live data. These two flags
 * keep the young generation at its initial size (2 × 1 MB) and let the old generation grow 10 %
 * (V8 adds at least a few MB) past what the last full collection kept, so garbage is collected
 * in small, cheap steps instead of accumulating: ≈ 30 MB less peak RSS for a few % more GC time
 * (figures in BENCHMARKS.md).
 *
 * NOTE: both flags are read by V8's GC heuristics each time they decide, so setting them after
 * start-up takes effect; the heap *limits* (--max-old-space-size, --max-semi-space-size) are fixed
 * when V8 starts and cannot be changed here. No hard limit is set: a larger catalog still fits.
 */
export const HEAP_FLAGS = [
  { flag: '--semi-space-growth-factor=1', yieldsTo: ['--semi-space-growth-factor', '--max-semi-space-size', '--min-semi-space-size'] },
  { flag: '--heap-growing-percent=10', yieldsTo: ['--heap-growing-percent'] },
] as const;

/** Set this to "0" to run with V8's own heap sizing (e.g. to compare, or if a Node release misbehaves). */
export const HEAP_TUNING_ENV = 'INVSYNC_HEAP_TUNING';

/**
 * The flags to set, given how node was started: none the user chose themselves (in `execArgv` or
 * NODE_OPTIONS: theirs win), and none when `INVSYNC_HEAP_TUNING=0`. Pure.
 */
export function heapFlags(execArgv: readonly string[], env: Record<string, string | undefined>): string[] {
  if (env[HEAP_TUNING_ENV] === '0') return [];
  const given = new Set<string>();
  for (const arg of execArgv.concat((env.NODE_OPTIONS ?? '').split(/\s+/))) {
    if (!arg.startsWith('--')) continue;
    // V8 accepts `_` for `-` in flag names.
    given.add(arg.split('=')[0]!.replace(/_/g, '-'));
  }
  return HEAP_FLAGS.filter((f) => !f.yieldsTo.some((name) => given.has(name))).map((f) => f.flag);
}

/** Apply `heapFlags` to this process; returns the flags set. Call before loading the rest of the CLI. */
export function tuneHeap(execArgv: readonly string[] = process.execArgv, env: Record<string, string | undefined> = process.env): string[] {
  const flags = heapFlags(execArgv, env);
  for (const flag of flags) v8.setFlagsFromString(flag);
  return flags;
}
