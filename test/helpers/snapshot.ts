import type { SnapshotRecord } from '../../src/domain/types.js';
import { openSnapshot } from '../../src/pipeline/snapshot.js';

/** Every record of the snapshot at `filePath`, with all of `openSnapshot`'s and `records()`'s checks. */
export async function* readSnapshot(filePath: string): AsyncGenerator<SnapshotRecord> {
  const reader = await openSnapshot(filePath);
  yield* reader.records();
}
