import { z } from 'zod';

/**
 * SuiteQL text and NetSuite's paging limits (API_FACTS §10). Pure.
 */

/** SuiteQL's largest page. */
export const SUITEQL_MAX_LIMIT = 1000;
/** Rows one query may return through REST paging (without SuiteAnalytics Connect). */
export const SUITEQL_MAX_ROWS = 100_000;
/** Pages one query may return. */
export const SUITEQL_MAX_PAGES = 1000;

export interface QueryFields {
  /** Column on `item` holding the SKU (default `itemid`). */
  sku: string;
  /** Column on `inventoryitemlocations` holding the location id (default `location`). */
  location: string;
  /** Column on `inventoryitemlocations` holding the quantity (default `quantityavailable`). */
  qty: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `name` can be put into SQL as a column name (no quoting, no injection). */
export function isSqlIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * One row per inventory item and location, ordered by item id, active inventory items only.
 * With `afterId`, only items whose internal id is greater: the keyset continuation used past
 * the 100,000-row cap. Column names must pass `isSqlIdentifier` (the caller checks).
 */
export function defaultQuery(fields: QueryFields, afterId?: number): string {
  const after = afterId === undefined ? '' : ` AND i.id > ${Math.trunc(afterId)}`;
  return `SELECT i.id, i.${fields.sku}, iil.${fields.location}, iil.${fields.qty} FROM item i `
    + `JOIN inventoryitemlocations iil ON iil.item = i.id `
    + `WHERE i.itemtype = 'InvtPart' AND i.isinactive = 'F'${after} ORDER BY i.id`;
}

/** The largest number of rows reachable by offset paging with this page size. */
export function offsetPagingCap(limit: number, rowCap: number = SUITEQL_MAX_ROWS): number {
  return Math.min(rowCap, SUITEQL_MAX_PAGES * limit);
}

/** SuiteQL's page envelope; `items` are checked one by one later (a bad row is rejected, not fatal). */
export const SuiteQlPage = z.object({
  items: z.array(z.unknown()),
  hasMore: z.boolean(),
  count: z.number().optional(),
  offset: z.number().optional(),
  totalResults: z.number().optional(),
  links: z.array(z.unknown()).optional(),
});
export type SuiteQlPage = z.infer<typeof SuiteQlPage>;

/** NetSuite's RFC 7807-style error body. */
export const NetSuiteErrorBody = z.object({
  title: z.string().optional(),
  status: z.number().optional(),
  'o:errorDetails': z.array(z.object({
    detail: z.string().optional(),
    'o:errorCode': z.string().optional(),
  }).loose()).optional(),
}).loose();

/** "detail [CODE]" from a NetSuite error body, or undefined when it has none. */
export function errorDetail(body: unknown): string | undefined {
  const parsed = NetSuiteErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const first = parsed.data['o:errorDetails']?.[0];
  if (!first || (first.detail === undefined && first['o:errorCode'] === undefined)) return undefined;
  const detail = (first.detail ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  return first['o:errorCode'] ? `${detail} [${first['o:errorCode']}]`.trim() : detail;
}
