import { describe, expect, it } from '@jest/globals';
import { afterCollection, HEAP_TUNING_ENV, heapTuning, LARGE_HEAP } from '../../src/cli/heap.js';

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
  const both = { capYoung: true, tunedOld: true };

  it('stops the young generation\'s growth once it reaches 16 MiB, and only then', () => {
    expect(afterCollection(both, 8 * MiB, 30 * MiB)).toEqual({ flags: [], watch: both });
    expect(afterCollection(both, 16 * MiB, 30 * MiB)).toEqual({ flags: ['--semi-space-growth-factor=1'], watch: { capYoung: false, tunedOld: true } });
  });

  it('gives the old generation\'s growth back to V8 once the heap holds more than 96 MiB (match), for good', () => {
    expect(afterCollection({ capYoung: false, tunedOld: true }, 16 * MiB, LARGE_HEAP)).toEqual({ flags: [], watch: { capYoung: false, tunedOld: true } });
    expect(afterCollection({ capYoung: false, tunedOld: true }, 16 * MiB, LARGE_HEAP + 1)).toEqual({ flags: ['--heap-growing-percent=0'], watch: { capYoung: false, tunedOld: false } });
    expect(afterCollection({ capYoung: false, tunedOld: false }, 16 * MiB, 10 * MiB)).toEqual({ flags: [], watch: { capYoung: false, tunedOld: false } });
  });

  it('does both in one step when both are due; sets nothing the user chose (nothing left to watch)', () => {
    expect(afterCollection(both, 32 * MiB, 200 * MiB).flags).toEqual(['--semi-space-growth-factor=1', '--heap-growing-percent=0']);
    expect(afterCollection({ capYoung: false, tunedOld: false }, 32 * MiB, 200 * MiB).flags).toEqual([]);
  });
});
