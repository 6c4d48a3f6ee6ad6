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
