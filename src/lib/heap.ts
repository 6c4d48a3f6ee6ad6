import v8 from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * V8 heap tuning for the CLI's own process (issue 19: flat memory without NODE_OPTIONS).
 *
 * A fetch streams millions of short-lived rows. With V8's defaults on a machine with a few GB of
 * RAM the young generation doubles up to 2 × 16 MiB while it sees objects survive, and after each
 * full collection the old generation may grow to ~4× its live size before the next one: at
 * 1,000,000 rows ≈ 60 MB of heap held ≈ 20 MB of live data. The tuning stops the young
 * generation's growth once it reaches `YOUNG_GENERATION_CAP` and lets the old generation grow 10 %
 * past what the last full collection kept (V8 adds a few MB at least), so garbage is collected in
 * small steps instead of accumulating: ≈ 25–70 MB less peak RSS for ≈ 5–10 % more CPU (figures in
 * BENCHMARKS.md). A command that holds far more live data (match) gets V8's own sizing back
 * (see `afterCollection`). A smaller young generation saves more memory but costs
 * far more CPU (2 × 4 MiB: −10 MB more, +35 % CPU), as every scavenge has a fixed cost.
 *
 * NOTE: V8 reads both flags each time its GC heuristics decide, so setting them after start-up
 * takes effect; the heap *limits* (--max-old-space-size, --max-semi-space-size) are fixed when V8
 * starts and cannot be changed here. No hard limit is set: a larger catalog still fits.
 */

/** V8's young generation (both semi-spaces) stops growing once it is this large. */
export const YOUNG_GENERATION_CAP = 16 * 1024 * 1024;

const YOUNG_FLAGS = ['--semi-space-growth-factor', '--max-semi-space-size', '--min-semi-space-size'];
const OLD_GROWTH = '--heap-growing-percent=10';

/** Set this to "0" to run with V8's own heap sizing (e.g. to compare, or if a Node release misbehaves). */
export const HEAP_TUNING_ENV = 'INVSYNC_HEAP_TUNING';

export interface HeapTuning {
  /** Cap the young generation at YOUNG_GENERATION_CAP. */
  capYoung: boolean;
  /** V8 flags to set now. */
  flags: string[];
}

/**
 * What to tune, given how node was started: nothing the user chose themselves (in `execArgv` or
 * NODE_OPTIONS: theirs win), and nothing when `INVSYNC_HEAP_TUNING=0`. Pure.
 */
export function heapTuning(execArgv: readonly string[], env: Record<string, string | undefined>): HeapTuning {
  if (env[HEAP_TUNING_ENV] === '0') return { capYoung: false, flags: [] };
  const given = new Set<string>();
  for (const arg of execArgv.concat((env.NODE_OPTIONS ?? '').split(/\s+/))) {
    if (!arg.startsWith('--')) continue;
    // V8 accepts `_` for `-` in flag names.
    given.add(arg.split('=')[0]!.replace(/_/g, '-'));
  }
  return {
    capYoung: !YOUNG_FLAGS.some((name) => given.has(name)),
    flags: given.has('--heap-growing-percent') ? [] : [OLD_GROWTH],
  };
}

/** Past this much heap in use a command holds a lot of live data (match: both sides in memory), not garbage. */
export const LARGE_HEAP = 96 * 1024 * 1024;

/**
 * What the watcher has done and still watches: the young generation's cap (watching until it is
 * reached, then capped), the old generation's 10 % growth (tuned); "off" once given back to V8.
 */
export interface HeapWatch {
  young: 'watching' | 'capped' | 'off';
  old: 'tuned' | 'off';
}

/**
 * After a collection: the flags to set and the new state, given the young generation's size and
 * the heap in use. Once the heap holds more than LARGE_HEAP, the command holds a lot of live data
 * (match: both sides in memory) and everything is given back to V8 for good: with the young
 * generation capped and the old one collected at +10 %, `match` 1M × 1M took ≈ 20 % more CPU.
 * Pure (the caller sets the flags).
 */
export function afterCollection(watch: HeapWatch, young: number, used: number): { flags: string[]; watch: HeapWatch } {
  const flags: string[] = [];
  if (used > LARGE_HEAP) {
    if (watch.young === 'capped') flags.push('--semi-space-growth-factor=2');
    if (watch.old === 'tuned') flags.push('--heap-growing-percent=0');
    return { flags, watch: { young: 'off', old: 'off' } };
  }
  if (watch.young === 'watching' && young >= YOUNG_GENERATION_CAP) {
    flags.push('--semi-space-growth-factor=1');
    return { flags, watch: { ...watch, young: 'capped' } };
  }
  return { flags, watch };
}

/**
 * Apply `heapTuning` to this process. Call before loading the rest of the CLI. The young
 * generation only grows during a collection, so collections are watched (a PerformanceObserver
 * on "gc" entries, delivered in batches after the fact, see `afterCollection`) until nothing is
 * left to decide.
 */
export function tuneHeap(execArgv: readonly string[] = process.execArgv, env: Record<string, string | undefined> = process.env): HeapTuning {
  const tuning = heapTuning(execArgv, env);
  for (const flag of tuning.flags) v8.setFlagsFromString(flag);
  watch = { young: tuning.capYoung ? 'watching' : 'off', old: tuning.flags.includes(OLD_GROWTH) ? 'tuned' : 'off' };
  if (watch.young !== 'off' || watch.old !== 'off') {
    observer = new PerformanceObserver(() => step(youngGenerationSize(), v8.getHeapStatistics().used_heap_size));
    observer.observe({ entryTypes: ['gc'] });
  }
  return tuning;
}

/**
 * Give V8 its own sizing back now, for a step that is about to hold a lot of live data (match).
 * NOTE: the watcher alone is too late there: its callbacks wait for the event loop, which a
 * synchronous pass over a million SQLite rows does not turn.
 */
export function releaseHeapTuning(): void {
  step(0, Infinity);
}

let watch: HeapWatch = { young: 'off', old: 'off' };
let observer: PerformanceObserver | undefined;

function step(young: number, used: number): void {
  const next = afterCollection(watch, young, used);
  for (const flag of next.flags) v8.setFlagsFromString(flag);
  watch = next.watch;
  if (watch.young === 'off' && watch.old === 'off') {
    observer?.disconnect();
    observer = undefined;
  }
}

/** Bytes V8 holds for the young generation (both semi-spaces). */
export function youngGenerationSize(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
