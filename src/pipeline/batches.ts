import type { Change } from '../domain/types.js';

export interface Batch<T extends Change = Change> {
  key: string;
  items: T[];
  /** For the journal and logs: `products#0-99`. */
  label: string;
}

/**
 * Group changes by the store's batch key (in first-seen order, keeping plan order inside a
 * group) and cut each group into chunks of at most `maxBatch`: the fewest write requests the
 * API allows, ceil(n / maxBatch) per group.
 */
export function makeBatches<T extends Change>(changes: readonly T[], keyOf: (c: T) => string, maxBatch: number): Array<Batch<T>> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  const groups = new Map<string, T[]>();
  for (const c of changes) {
    const key = keyOf(c);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(c);
  }
  const batches: Array<Batch<T>> = [];
  for (const [key, items] of groups) {
    for (let i = 0; i < items.length; i += maxBatch) {
      const chunk = items.slice(i, i + maxBatch);
      batches.push({ key, items: chunk, label: `${key}#${chunk[0]!.seq}-${chunk[chunk.length - 1]!.seq}` });
    }
  }
  return batches;
}
