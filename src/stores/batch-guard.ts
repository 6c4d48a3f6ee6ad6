import { StoreError } from '../domain/errors.js';
import type { Change } from '../domain/types.js';

/**
 * The engine's promise to every adapter's `apply`: one batch key, at most `maxBatch` changes.
 * Checked here once so a misuse (a caller bypassing makeBatches) fails loudly instead of
 * sending a request the API would reject or split. Returns the batch's key.
 */
export function assertBatch(store: string, batch: Change[], batchKey: (c: Change) => string, maxBatch: number): string {
  const key = batchKey(batch[0] as Change);
  if (batch.some((c) => batchKey(c) !== key)) {
    throw new StoreError(`${store}: one write request takes changes of one batch key, got several (first "${key}")`);
  }
  if (batch.length > maxBatch) throw new StoreError(`${store}: ${batch.length} changes exceed the batch size ${maxBatch}`);
  return key;
}
