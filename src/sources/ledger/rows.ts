import crypto from 'node:crypto';
import { isPlainNumber, MAX_QTY, show } from '../../domain/quantity.js';
import type { MovementKind } from './schema.js';

/**
 * Pure parsing of ledger rows: signed quantities, dates, a movement's delta and digest, and the
 * file-name wildcards of input globs. No I/O.
 */

/** The largest magnitude a count or movement may have (the store quantity bound of SPEC §8). */
export const MAX_LEDGER_QTY = MAX_QTY;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A whole, signed quantity ("-3", "+4", "5.00"). A fraction, a number beyond ±2,147,483,647 or
 * anything not plainly numeric is refused with its reason: a ledger never rounds a movement.
 */
export function parseSignedQty(raw: unknown): Parsed<number> {
  let n: number;
  if (typeof raw === 'number') {
    n = raw;
  } else if (typeof raw === 'string') {
    const t = raw.trim();
    if (t === '') return { ok: false, reason: 'no quantity' };
    // The number grammar of every other source (SPEC §8); signed and never floored: a movement is exact.
    if (!isPlainNumber(t)) return { ok: false, reason: `non-numeric quantity ${show(t)}` };
    n = Number(t);
  } else if (raw === undefined || raw === null) {
    return { ok: false, reason: 'no quantity' };
  } else {
    return { ok: false, reason: `non-numeric quantity ${show(raw)}` };
  }
  if (!Number.isFinite(n) || Math.abs(n) > MAX_LEDGER_QTY) return { ok: false, reason: `quantity ${show(raw)} is out of range (at most ${MAX_LEDGER_QTY} either way)` };
  if (!Number.isInteger(n)) return { ok: false, reason: `quantity ${show(raw)} is not a whole number` };
  return { ok: true, value: n === 0 ? 0 : n };
}

/** How a movement of `qty` changes the balance (SPEC §11). A sale of -2 (a credit note) adds 2. */
export function movementDelta(kind: MovementKind, qty: number): number {
  const d = kind === 'sale' ? -qty : qty;
  return d === 0 ? 0 : d;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time ("2026-03-01", "2026-03-01 14:05", "2026-03-01T14:05:09.5+01:00")
 * → milliseconds since the epoch. Without an offset it is the local time of the machine running
 * invsync (the time the exporting software on the same machine wrote). Refuses impossible dates
 * (2026-02-30) and anything else with its reason.
 */
export function parseAt(raw: unknown): Parsed<number> {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { ok: false, reason: 'no date' };
  if (typeof raw !== 'string') return { ok: false, reason: `unreadable date ${show(raw)} (expected YYYY-MM-DD or an ISO 8601 date-time)` };
  const m = DATE_TIME.exec(raw.trim());
  if (!m) return { ok: false, reason: `unreadable date ${show(raw)} (expected YYYY-MM-DD or an ISO 8601 date-time)` };
  const [y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = m.slice(1) as string[];
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.slice(0, 3).padEnd(3, '0'))] as const;
  const probe = new Date(Date.UTC(...parts));
  if (probe.getUTCMonth() !== parts[1] || probe.getUTCDate() !== parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) {
    return { ok: false, reason: `impossible date ${show(raw)}` };
  }
  if (zone === undefined) return { ok: true, value: new Date(...parts).getTime() };
  if (zone.toUpperCase() === 'Z') return { ok: true, value: probe.getTime() };
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
  return { ok: true, value: probe.getTime() - sign * offset };
}

/**
 * What makes two readings of one movement "the same": its SKU, its effect and, when the row
 * carries it, its date. Other columns (a customer name, a re-export's extra column) do not count,
 * and neither does a date taken from a file's modification time, which changes on every copy.
 */
export function movementDigest(sku: string, delta: number, atFromRow: number | undefined): string {
  return crypto.hash('sha256', `${sku}\u001f${delta}\u001f${atFromRow ?? ''}`, 'base64').slice(0, 22);
}

/**
 * The matcher for a glob's file-name part: `*` any run of characters, `?` one character,
 * everything else literal (case-sensitive, as on the file system of a cron host).
 */
export function fileNameMatcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`, 's');
  // A leading dot is never matched by a wildcard (editor swap files, `.~lock` files of spreadsheets).
  return (name) => (name.startsWith('.') && !pattern.startsWith('.') ? false : re.test(name));
}
