/**
 * SPEC §14 `rules.status` wiring: the context match and explain decide visibility with, over the
 * state database (what invsync hid, since when items are back). The decision itself is pure
 * (rules/status.ts).
 */
import type { Rules } from '../config/schema.js';
import type { Db } from '../state/db.js';
import { forgetHidden, hiddenRecords, setBackSince } from '../state/status.js';
import { STATUS_BY_STORE } from '../stores/status.js';
import type { StatusContext } from './match.js';

/**
 * The status context for one store, or undefined when `rules.status` can change nothing there
 * (both modes "none" and nothing hidden by invsync to restore). `persist`: a real run remembers the
 * first time it saw a hidden item back in stock; a dry run or `explain` changes no state.
 */
export function statusContext(db: Db, rules: Pick<Rules, 'status'>, store: { name: string; type: string }, persist: boolean, nowMs = Date.now()): StatusContext | undefined {
  const settings = rules.status;
  const anyHidden = db.prepare('SELECT 1 FROM status_hidden WHERE store = ? LIMIT 1').get(store.name) !== undefined;
  if (settings.whenZero === 'none' && settings.whenMissing === 'none' && !anyHidden) return undefined;
  return {
    settings,
    facts: STATUS_BY_STORE[store.type],
    record: hiddenRecords(db, store.name),
    nowMs,
    ...(persist ? {
      onBackSince: (item, backSince) => setBackSince(db, store.name, item.productId, item.variationId, backSince),
      onForget: (item) => forgetHidden(db, store.name, item.productId, item.variationId),
    } : {}),
  } satisfies StatusContext;
}
