/**
 * Magento's `searchCriteria` URL parameters (API_FACTS §2, "Search / pagination"), built from a
 * plain description. Pure: no I/O.
 */

export interface SearchFilter {
  field: string;
  value: string;
  /** eq (default), in, neq, like, gt, … */
  condition?: string;
}

export interface SearchCriteria {
  /** Filter groups are ANDed; the filters inside one group are ORed. */
  filterGroups?: SearchFilter[][];
  sortOrders?: Array<{ field: string; direction: 'ASC' | 'DESC' }>;
  pageSize?: number;
  /** 1-based. */
  currentPage?: number;
}

/** `searchCriteria[…]` query parameters for `criteria`, in a stable order. */
export function searchCriteriaParams(criteria: SearchCriteria): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  (criteria.filterGroups ?? []).forEach((group, g) => {
    group.forEach((filter, f) => {
      const prefix = `searchCriteria[filter_groups][${g}][filters][${f}]`;
      out[`${prefix}[field]`] = filter.field;
      out[`${prefix}[value]`] = filter.value;
      out[`${prefix}[condition_type]`] = filter.condition ?? 'eq';
    });
  });
  (criteria.sortOrders ?? []).forEach((order, i) => {
    out[`searchCriteria[sortOrders][${i}][field]`] = order.field;
    out[`searchCriteria[sortOrders][${i}][direction]`] = order.direction;
  });
  if (criteria.pageSize !== undefined) out['searchCriteria[pageSize]'] = criteria.pageSize;
  if (criteria.currentPage !== undefined) out['searchCriteria[currentPage]'] = criteria.currentPage;
  return out;
}

/**
 * True when page `currentPage` was the last one. NOTE: Magento answers a page past the end
 * with the last page again, so paging must stop on `total_count`, never on an empty page.
 */
export function isLastPage(currentPage: number, pageSize: number, totalCount: number): boolean {
  return currentPage * pageSize >= totalCount;
}

/**
 * Filters (one filter group, so ORed) selecting exactly these SKUs: one `in` list for the SKUs
 * without a comma, and an `eq` filter for each SKU holding one (Magento splits an `in` value
 * on commas, so such a SKU cannot sit in the list). Pure.
 */
export function skuFilters(skus: readonly string[]): SearchFilter[] {
  const plain = skus.filter((s) => !s.includes(','));
  const filters: SearchFilter[] = plain.length ? [{ field: 'sku', value: plain.join(','), condition: 'in' }] : [];
  for (const sku of skus) if (sku.includes(',')) filters.push({ field: 'sku', value: sku, condition: 'eq' });
  return filters;
}

/**
 * Cut `values` into chunks of at most `maxCount` whose comma-joined, URL-encoded length stays
 * within `maxChars` (a single value longer than that still gets a chunk of its own). Pure.
 */
export function chunkForQuery(values: readonly string[], maxCount: number, maxChars: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const value of values) {
    // +3: the comma, encoded as %2C.
    const cost = encodeURIComponent(value).length + 3;
    if (current.length > 0 && (current.length >= maxCount || chars + cost > maxChars)) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(value);
    chars += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
