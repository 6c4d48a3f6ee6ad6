import type { StoreItem } from '../../src/domain/types.js';
import type { Db } from '../../src/state/db.js';
import { stageStoreIndex, type IndexMeta } from '../../src/state/store-index.js';

/** Replace the store index with `items` as a fetch would: staged, then committed under a fetch id. */
export async function indexStore(db: Db, store: string, items: Iterable<StoreItem> | AsyncIterable<StoreItem>, fetchId = 'test-fetch'): Promise<IndexMeta> {
  const list = (async function* () { yield* items; })();
  return (await stageStoreIndex(db, { store, fetchId }, list)).commit();
}
