import { parseQuantity, type QtyMap } from '../../domain/quantity.js';
import type { SourceRecord } from '../../domain/types.js';

/**
 * Turns SuiteQL rows (one per item and location) into one record per item, streaming: the rows
 * of one item arrive together (the query orders by item), so the sum is emitted as soon as the
 * next item starts. Memory: the pending item only, plus what `finished` keeps (see below). Pure.
 *
 * - The grouping key is the `id` column when the row has one, else the SKU.
 * - A location outside `locations` (when given) does not count; an item present only there
 *   still yields 0: it exists, with nothing available where we sell from.
 * - A missing or null quantity counts as 0: SuiteQL leaves empty columns out of a row, and an
 *   empty available quantity means none available at that location.
 * - Each location's quantity is read by parseQuantity (floored, a negative one counts as 0) and
 *   the item's quantity is their sum. A quantity parseQuantity refuses at a counted location, or
 *   a sum beyond its range, rejects the whole item (never a partial sum).
 * - An item whose rows come back after other items (a query not grouped by item) cannot be
 *   summed in one piece: the later rows are rejected with a reason that says so.
 */

export interface AggregatorOptions {
  /** Row keys are lower case (SuiteQL lower-cases column names); pass them lower-cased. */
  skuField: string;
  qtyField: string;
  locationField: string;
  /** Location ids whose quantities count; undefined: all. */
  locations?: ReadonlySet<string>;
  /** The source's qtyMap (SPEC §14): text stock values each location row may hold. */
  qtyMap?: QtyMap;
  /**
   * 'ascending-id': rows ordered by a numeric `id` (the default query): finished items are
   * remembered as the highest id, in constant memory, and (item, location) is unique, so a
   * repeated location is a row seen twice (data shifting under offset paging) and is not summed
   * again. 'grouped': a custom query; finished keys are kept in a Set (bounded by the
   * 100,000-row cap such queries are held to) and every row counts.
   */
  order: 'ascending-id' | 'grouped';
}

interface Group {
  key: string;
  numericId: number | undefined;
  sku: string | undefined;
  firstRow: number;
  sum: number;
  problem: string | undefined;
  locations: Set<string> | undefined;
}

export class ItemAggregator {
  private pending: Group | undefined;
  /** Rows consumed so far (the last row's 1-based position in the result stream). */
  private rowCount = 0;
  private readonly finishedSet = new Set<string>();
  private maxFinishedId: number | undefined;

  constructor(private readonly options: AggregatorOptions) {}

  /** The highest item id fully emitted, for a keyset continuation ('ascending-id' only). */
  get lastFinishedId(): number | undefined { return this.maxFinishedId; }

  /** Consume one row; completed records are appended to `out`. */
  push(raw: unknown, out: SourceRecord[]): void {
    const row = ++this.rowCount;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      out.push({ kind: 'rejected', row, reason: 'row is not an object' });
      return;
    }
    const r = raw as Record<string, unknown>;
    const sku = text(r[this.options.skuField]);
    const id = text(r.id);
    const key = id ?? sku;
    if (key === undefined) {
      out.push({ kind: 'rejected', row, reason: `no ${this.options.skuField} and no id` });
      return;
    }
    if (this.pending?.key !== key) {
      const numericId = id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined;
      if (this.isFinished(key, numericId)) {
        out.push(withSku({
          kind: 'rejected', row,
          reason: `${describe(id, sku)} came back after other items: the query must return an item's rows together `
            + `(ORDER BY i.id); this row was not added to the quantity already reported`,
        }, sku));
        return;
      }
      if (this.options.order === 'ascending-id' && numericId === undefined) {
        out.push(withSku({ kind: 'rejected', row, reason: `id ${JSON.stringify(id ?? null)} is not a number` }, sku));
        return;
      }
      this.close(out);
      this.pending = {
        key, numericId, sku, firstRow: row, sum: 0, problem: undefined,
        locations: this.options.order === 'ascending-id' ? new Set() : undefined,
      };
    }
    this.add(this.pending as Group, r, sku, row, out);
  }

  /** End of the stream: emit the pending item. */
  finish(out: SourceRecord[]): void {
    this.close(out);
  }

  /**
   * Drop the pending (possibly incomplete) item so that a keyset query `id > lastFinishedId`
   * reads it again from its first row; row numbering resumes where that item started.
   * Returns undefined when no item has been finished yet (nothing to continue after).
   */
  restartAfterLastFinished(): number | undefined {
    if (this.maxFinishedId === undefined) return undefined;
    if (this.pending) this.rowCount = this.pending.firstRow - 1;
    this.pending = undefined;
    return this.maxFinishedId;
  }

  private add(group: Group, r: Record<string, unknown>, sku: string | undefined, row: number, out: SourceRecord[]): void {
    group.sku ??= sku;
    const location = text(r[this.options.locationField]);
    if (group.locations && location !== undefined) {
      if (group.locations.has(location)) {
        out.push(withSku({
          kind: 'rejected', row,
          reason: `${describe(group.key, group.sku)} location ${location} listed twice (the data changed while paging?): counted once`,
        }, group.sku));
        return;
      }
      group.locations.add(location);
    }
    if (this.options.locations && (location === undefined || !this.options.locations.has(location))) return;
    if (group.problem !== undefined) return;
    const q = parseQuantity(r[this.options.qtyField], this.options.qtyField, this.options.qtyMap);
    if (q.ok) group.sum += q.qty;
    else if (!q.missing) group.problem = `${q.reason}${location === undefined ? '' : ` at location ${location}`} (row ${row})`;
  }

  private close(out: SourceRecord[]): void {
    const g = this.pending;
    if (!g) return;
    this.pending = undefined;
    if (this.options.order === 'ascending-id') {
      if (g.numericId !== undefined && (this.maxFinishedId === undefined || g.numericId > this.maxFinishedId)) this.maxFinishedId = g.numericId;
    } else {
      this.finishedSet.add(g.key);
    }
    if (g.sku === undefined) {
      out.push({ kind: 'rejected', row: g.firstRow, reason: `no ${this.options.skuField} (item id ${g.key})` });
    } else if (g.problem !== undefined) {
      out.push({ kind: 'rejected', row: g.firstRow, reason: g.problem, sku: g.sku });
    } else {
      const total = parseQuantity(g.sum, `${this.options.qtyField} summed over its locations`);
      out.push(total.ok
        ? { kind: 'item', sku: g.sku, qty: total.qty, row: g.firstRow }
        : { kind: 'rejected', row: g.firstRow, reason: total.reason, sku: g.sku });
    }
  }

  private isFinished(key: string, numericId: number | undefined): boolean {
    if (this.options.order === 'grouped') return this.finishedSet.has(key);
    return numericId !== undefined && this.maxFinishedId !== undefined && numericId <= this.maxFinishedId;
  }
}

/** A trimmed non-empty string from a string or number cell; undefined otherwise. */
function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}

function describe(id: string | undefined, sku: string | undefined): string {
  if (id !== undefined && sku !== undefined && id !== sku) return `item ${id} (${sku})`;
  return `item ${id ?? sku}`;
}

function withSku<T extends SourceRecord>(record: T, sku: string | undefined): T {
  if (sku !== undefined) (record as { sku?: string }).sku = sku;
  return record;
}
