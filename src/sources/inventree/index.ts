import type { InvenTreeSourceConfig } from '../../config/schema.js';
import { SourceError } from '../../domain/errors.js';
import { toQtyMap } from '../../domain/quantity.js';
import type { SourceRecord } from '../../domain/types.js';
import { connectionOptions, createHttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import type { SourceAdapter, SourceContext } from '../types.js';
import { PartPage, absentFields, apiRoot, partRecord } from './parts.js';

/** Parts per request unless `pageSize` says otherwise (InvenTree sets no maximum; this bounds memory). */
export const INVENTREE_DEFAULT_PAGE = 100;

/**
 * InvenTree supplier (API_FACTS §9): the part list, `GET <site>/api/part/?limit=L&offset=O`
 * (`active=true` unless `activeOnly: false`), authenticated with `Authorization: Token <token>`.
 * One page in memory at a time; paging ends when `next` is null, a page is empty, or the offset
 * reaches `count`.
 *
 * SKU from `skuField` (default `IPN`), quantity from `qtyField` (default `unallocated_stock`:
 * stock minus what sales and build orders already hold; `total_in_stock` counts those too).
 * A part listed twice (the list shifting under offset paging) is read once.
 *
 * Throws (rejects the iteration) with HttpError (token refused: `details.auth`; unreachable after
 * retries; an unexpected response) or SourceError (`skuField`/`qtyField` absent from the response).
 */
export function createInvenTreeSource(config: InvenTreeSourceConfig, _ctx: SourceContext): SourceAdapter {
  const log = logger('inventree').child({ source: config.name });
  const limit = config.pageSize ?? INVENTREE_DEFAULT_PAGE;
  const fields = { skuField: config.skuField, qtyField: config.qtyField, qtyMap: toQtyMap(config.qtyMap) };
  // NOTE: InvenTree's PartList does not list `pk` among its ordering fields, so DRF ignores
  // `ordering=pk` and sorts by name (newer versions add pk as the tie-breaker). It is sent for
  // servers that honour it; correctness does not depend on it (pks are de-duplicated below).
  const filters: Record<string, string> = { ordering: 'pk', ...(config.activeOnly ? { active: 'true' } : {}) };
  const http = createHttpClient({
    name: `source ${config.name}`,
    baseUrl: apiRoot(config.url),
    ...connectionOptions(config, { concurrency: 1 }),
    headers: { authorization: `Token ${config.token}` },
  });

  async function fetchPage(offset: number, pageLimit: number, signal?: AbortSignal): Promise<PartPage> {
    // NOTE: the trailing slash matters: Django answers `/api/part` with a redirect.
    const res = await http.json({ url: 'part/', searchParams: { limit: pageLimit, offset, ...filters }, signal }, PartPage);
    return res.body;
  }

  return {
    name: config.name,
    type: 'inventree',

    async *stream(signal?: AbortSignal): AsyncIterable<SourceRecord> {
      const seen = new Set<unknown>();
      let offset = 0;
      let firstCount: number | undefined;
      let checked = false;
      for (;;) {
        signal?.throwIfAborted();
        const page = await fetchPage(offset, limit, signal);
        if (!checked && page.results.length > 0) {
          const absent = absentFields(page.results, [fields.skuField, fields.qtyField]);
          if (absent.length > 0) {
            throw new SourceError(config.name, `field ${absent.map((f) => `"${f}"`).join(' and ')} not in InvenTree's part list `
              + `(check skuField/qtyField; e.g. IPN, name, unallocated_stock, total_in_stock, in_stock)`);
          }
          checked = true;
        }
        if (firstCount === undefined) firstCount = page.count;
        else if (page.count !== firstCount) {
          log.warn({ before: firstCount, now: page.count }, 'the part list changed while paging: a part may be missed this run');
          firstCount = page.count;
        }
        for (let i = 0; i < page.results.length; i++) {
          const raw = page.results[i];
          const pk = raw !== null && typeof raw === 'object' ? (raw as { pk?: unknown }).pk : undefined;
          if (pk !== undefined) {
            if (seen.has(pk)) continue;
            seen.add(pk);
          }
          yield partRecord(raw, offset + i + 1, fields);
        }
        offset += page.results.length;
        if (page.next === null || page.results.length === 0 || offset >= page.count) break;
      }
    },

    async check(): Promise<string> {
      const page = await fetchPage(0, 1);
      return `${page.count} ${config.activeOnly ? 'active ' : ''}part(s)`;
    },
  } satisfies SourceAdapter;
}
