import { describe, expect, it } from '@jest/globals';
import { HEAP_TUNING_ENV, heapFlags } from '../../src/cli/heap.js';

const DEFAULTS = ['--semi-space-growth-factor=1', '--heap-growing-percent=10'];

describe('the CLI tunes its own heap (issue 19: flat memory without NODE_OPTIONS)', () => {
  it('keeps the young generation small and the old generation close to its live size by default', () => {
    expect(heapFlags([], {})).toEqual(DEFAULTS);
    // Flags that are not about the heap change nothing.
    expect(heapFlags(['--enable-source-maps'], { NODE_OPTIONS: '--import=./x.mjs --trace-warnings' })).toEqual(DEFAULTS);
  });

  it('leaves the young generation alone when the user sized it, on the command line or in NODE_OPTIONS', () => {
    expect(heapFlags(['--max-semi-space-size=8'], {})).toEqual(['--heap-growing-percent=10']);
    expect(heapFlags([], { NODE_OPTIONS: '--max_semi_space_size=8' })).toEqual(['--heap-growing-percent=10']);
    expect(heapFlags(['--min-semi-space-size', '4'], {})).toEqual(['--heap-growing-percent=10']);
    expect(heapFlags(['--semi-space-growth-factor=2'], {})).toEqual(['--heap-growing-percent=10']);
  });

  it('leaves the old generation growth alone when the user chose it', () => {
    expect(heapFlags([], { NODE_OPTIONS: '  --heap-growing-percent=50  ' })).toEqual(['--semi-space-growth-factor=1']);
    expect(heapFlags(['--heap_growing_percent=50', '--max-semi-space-size=2'], {})).toEqual([]);
  });

  it(`is switched off with ${HEAP_TUNING_ENV}=0, and only with "0"`, () => {
    expect(heapFlags([], { [HEAP_TUNING_ENV]: '0' })).toEqual([]);
    expect(heapFlags([], { [HEAP_TUNING_ENV]: '1' })).toEqual(DEFAULTS);
  });
});
