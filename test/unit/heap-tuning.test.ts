import { describe, expect, it } from '@jest/globals';
import { afterCollection, HEAP_TUNING_ENV, heapTuning, LARGE_HEAP } from '../../src/lib/heap.js';

const DEFAULTS = { capYoung: true, flags: ['--heap-growing-percent=10'] };

describe('the CLI tunes its own heap (issue 19: flat memory without NODE_OPTIONS)', () => {
  it('caps the young generation and keeps the old generation close to its live size by default', () => {
    expect(heapTuning([], {})).toEqual(DEFAULTS);
    // Flags that are not about the heap change nothing.
    expect(heapTuning(['--enable-source-maps'], { NODE_OPTIONS: '--import=./x.mjs --trace-warnings' })).toEqual(DEFAULTS);
  });

  it('leaves the young generation alone when the user sized it, on the command line or in NODE_OPTIONS', () => {
    const oldOnly = { capYoung: false, flags: ['--heap-growing-percent=10'] };
    expect(heapTuning(['--max-semi-space-size=8'], {})).toEqual(oldOnly);
    expect(heapTuning([], { NODE_OPTIONS: '--max_semi_space_size=8' })).toEqual(oldOnly);
    expect(heapTuning(['--min-semi-space-size', '4'], {})).toEqual(oldOnly);
    expect(heapTuning(['--semi-space-growth-factor=2'], {})).toEqual(oldOnly);
  });

  it('leaves the old generation growth alone when the user chose it', () => {
    expect(heapTuning([], { NODE_OPTIONS: '  --heap-growing-percent=50  ' })).toEqual({ capYoung: true, flags: [] });
    expect(heapTuning(['--heap_growing_percent=50', '--max-semi-space-size=2'], {})).toEqual({ capYoung: false, flags: [] });
  });

  it(`is switched off with ${HEAP_TUNING_ENV}=0, and only with "0"`, () => {
    expect(heapTuning([], { [HEAP_TUNING_ENV]: '0' })).toEqual({ capYoung: false, flags: [] });
    expect(heapTuning([], { [HEAP_TUNING_ENV]: '1' })).toEqual(DEFAULTS);
  });
});

describe('after each collection', () => {
  const MiB = 1024 * 1024;
  const fresh = { young: 'watching', old: 'tuned' } as const;

  it('stops the young generation\'s growth once it reaches 16 MiB, and only then', () => {
    expect(afterCollection(fresh, 8 * MiB, 30 * MiB)).toEqual({ flags: [], watch: fresh });
    expect(afterCollection(fresh, 16 * MiB, 30 * MiB)).toEqual({ flags: ['--semi-space-growth-factor=1'], watch: { young: 'capped', old: 'tuned' } });
    expect(afterCollection({ young: 'capped', old: 'tuned' }, 16 * MiB, 30 * MiB)).toEqual({ flags: [], watch: { young: 'capped', old: 'tuned' } });
  });

  it('gives V8 its own sizing back for good once the heap holds more than 96 MiB (match)', () => {
    expect(afterCollection({ young: 'capped', old: 'tuned' }, 16 * MiB, LARGE_HEAP)).toEqual({ flags: [], watch: { young: 'capped', old: 'tuned' } });
    expect(afterCollection({ young: 'capped', old: 'tuned' }, 16 * MiB, LARGE_HEAP + 1))
      .toEqual({ flags: ['--semi-space-growth-factor=2', '--heap-growing-percent=0'], watch: { young: 'off', old: 'off' } });
    // The cap was never set: nothing to undo there.
    expect(afterCollection(fresh, 8 * MiB, 200 * MiB)).toEqual({ flags: ['--heap-growing-percent=0'], watch: { young: 'off', old: 'off' } });
    expect(afterCollection({ young: 'off', old: 'off' }, 8 * MiB, 10 * MiB)).toEqual({ flags: [], watch: { young: 'off', old: 'off' } });
  });

  it('never touches what the user chose (nothing watched)', () => {
    expect(afterCollection({ young: 'off', old: 'off' }, 32 * MiB, 200 * MiB).flags).toEqual([]);
    expect(afterCollection({ young: 'off', old: 'tuned' }, 32 * MiB, 200 * MiB).flags).toEqual(['--heap-growing-percent=0']);
  });
});
