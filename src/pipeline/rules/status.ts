/**
 * SPEC §14 `rules.status`, the pure decision: what happens to a listing's visibility when its
 * item reaches 0 or is in no feed, and when (and only when) invsync puts back what it replaced.
 * No I/O: match feeds the item, what invsync remembers about it, and the time.
 */
import type { ItemVisibility, StatusAction, StoreItem } from '../../domain/types.js';
import { alreadySet, type StatusFacts, type StatusMode } from '../../stores/status.js';

type Fields = Record<string, string | boolean | number>;

export interface StatusSettings {
  whenZero: StatusMode;
  whenMissing: StatusMode;
  restore: boolean;
  graceHours: number;
}

/** What invsync remembers of an item it hid or marked out of stock itself. */
export interface HiddenRecord {
  action: 'hide' | 'outofstock';
  /** The store's values before invsync's first write: what restore puts back. */
  replaced: Fields;
  /** ISO time of the first run that saw the item back in stock; null while it is not. */
  backSince: string | null;
}

/**
 * Where match left the item: its target is 0 (`zero`), it is in no feed (`missing`, whatever
 * `rules.missing` does with its level), it has stock (`stocked`), or its supply is unknown
 * (`unknown`: a rejected row, a duplicate…; nothing about it changes).
 */
export type StockSituation = 'zero' | 'missing' | 'stocked' | 'unknown';

export type StatusDecision =
  /** Nothing to write. `why` for `explain`. */
  | { kind: 'none'; why: string }
  /** Write `action` (with the stock, or alone). `stockZero`: a managed item's quantity 0 is what marks it out of stock. */
  | { kind: 'apply'; action: StatusAction | null; stockZero: boolean; why: string }
  /** Back in stock, waiting out the grace period: `backSince` is to be remembered (it may be new). */
  | { kind: 'wait'; backSince: string; until: string; why: string }
  /** Put back what invsync replaced. */
  | { kind: 'restore'; action: StatusAction; why: string }
  /** invsync's record is void (someone already put the values back by hand): forget it, write nothing. */
  | { kind: 'forget'; why: string };

function pick(values: Fields | undefined, keys: readonly string[]): Fields {
  const out: Fields = {};
  for (const k of keys) if (values && values[k] !== undefined) out[k] = values[k]!;
  return out;
}

/**
 * The status decision for one item. `record` is invsync's own memory of the item (undefined: it
 * never hid it, so an item hidden by hand stays as it is forever); `nowMs` the run's time.
 */
export function decideStatus(input: {
  settings: StatusSettings;
  facts: StatusFacts | undefined;
  item: Pick<StoreItem, 'variationId' | 'managed'> & { visibility?: ItemVisibility };
  situation: StockSituation;
  record: HiddenRecord | undefined;
  nowMs: number;
}): StatusDecision {
  const { settings, facts, item, situation, record } = input;
  if (situation === 'unknown') return { kind: 'none', why: 'supply unknown: visibility left as it is' };
  const mode: StatusMode = situation === 'zero' ? settings.whenZero : situation === 'missing' ? settings.whenMissing : 'none';
  const trigger = situation === 'zero' ? 'whenZero' : 'whenMissing';
  if (mode === 'outofstock') {
    if (item.managed) return { kind: 'apply', action: null, stockZero: true, why: `${trigger} "outofstock": quantity 0` };
    const fields = facts?.outOfStockFields?.(item) ?? null;
    if (!fields) return { kind: 'none', why: `${trigger} "outofstock": the store does not manage its stock and has no out-of-stock field: left as it is` };
    if (alreadySet(item.visibility, fields)) return { kind: 'none', why: `${trigger} "outofstock": already out of stock` };
    if (!item.visibility) return { kind: 'none', why: `${trigger} "outofstock": the store index has no visibility for it (run \`invsync fetch\`)` };
    return { kind: 'apply', stockZero: false, why: `${trigger} "outofstock"`,
      action: { to: 'outofstock', set: fields, from: pick(item.visibility.values, Object.keys(fields)) } };
  }
  if (mode === 'hide') {
    const fields = facts?.hideFields?.(item) ?? null;
    if (!fields) return { kind: 'none', why: `${trigger} "hide": the store cannot hide it: left as it is` };
    if (!item.visibility) return { kind: 'none', why: `${trigger} "hide": the store index has no visibility for it (run \`invsync fetch\`)` };
    // Hidden already, by invsync or by hand: no write (and an item hidden by hand gets no record).
    if (item.visibility.hidden || alreadySet(item.visibility, fields)) return { kind: 'none', why: `${trigger} "hide": already hidden` };
    return { kind: 'apply', stockZero: false, why: `${trigger} "hide"`,
      action: { to: 'hide', set: fields, from: pick(item.visibility.values, Object.keys(fields)) } };
  }
  // Not (or no longer) to be hidden: only what invsync itself hid comes back.
  if (!record) return { kind: 'none', why: situation === 'stocked' ? 'in stock' : `${trigger} "none"` };
  if (situation !== 'stocked') return { kind: 'none', why: `hidden by invsync; ${trigger} "none": left as it is` };
  if (!settings.restore) return { kind: 'none', why: 'hidden by invsync; restore is off' };
  const keys = Object.keys(record.replaced);
  if (item.visibility && alreadySet(item.visibility, record.replaced)) return { kind: 'forget', why: 'hidden by invsync, already put back by hand' };
  const backSince = record.backSince ?? new Date(input.nowMs).toISOString();
  const readyMs = Date.parse(backSince) + settings.graceHours * 3_600_000;
  if (input.nowMs < readyMs) {
    return { kind: 'wait', backSince, until: new Date(readyMs).toISOString(), why: `back in stock since ${backSince}: restored after ${new Date(readyMs).toISOString()} (graceHours ${settings.graceHours})` };
  }
  if (!item.visibility) return { kind: 'none', why: 'hidden by invsync; the store index has no visibility for it (run `invsync fetch`)' };
  return { kind: 'restore', why: `back in stock since ${backSince}: restore`,
    action: { to: 'restore', of: record.action, set: { ...record.replaced }, from: pick(item.visibility.values, keys) } };
}

/** The words a diff's reason gives a status action (`feed 0 → hide`). */
export function statusReason(action: StatusAction): string {
  return action.to === 'restore' ? `restore ${describeFields(action.set)}` : action.to;
}

export function describeFields(fields: Fields): string {
  return Object.entries(fields).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
}
