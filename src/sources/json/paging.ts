import type { JsonPaging } from '../../config/schema.js';
import { getAt, parseDotPath } from './paths.js';

/**
 * Pure paging logic for HTTP JSON APIs: which URL comes next, and when paging ends.
 * No I/O; the source sends the requests.
 *
 * Every style ends on an empty page, and on a short page (fewer items than `pageSize`) — except
 * when `totalPath` says more items remain (the API then caps the page size below `pageSize`:
 * paging goes on, with a warning). Beyond that:
 * - `page`: `pageParam` = firstPage, firstPage + 1, …; ends when `totalPath` (total number of
 *   items) is reached.
 * - `offset`: `offsetParam` = 0, then + the items actually received; same ends.
 * - `cursor`: the value at `cursorPath` goes into `cursorParam`; null, missing or "" ends.
 * - `link`: the `Link: <…>; rel="next"` URL, as given (relative ones resolved against the page's
 *   URL); none ends. A next link to another origin is refused: the configured headers
 *   (credentials) must not be sent elsewhere.
 * The configured URL's own query parameters are kept on every page (link: as the server gives them).
 */

export interface PageRequest {
  /** Absolute URL with every query parameter of this page. */
  url: string;
  /** 1-based number of this request in the paging sequence (for messages). */
  number: number;
  page?: number;
  offset?: number;
  cursor?: string;
}

export interface PageOutcome {
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** Items on this page. */
  items: number;
  /** Items on all pages so far, this one included. */
  seen: number;
}

export interface NextPage {
  next: PageRequest | null;
  /** Something the user should know (logged once by the caller). */
  warning?: string;
}

/** A paging response that cannot be followed (bad total, a cursor that does not move…). */
export class PagingError extends Error {}

export interface Pager {
  first(): PageRequest;
  next(current: PageRequest, outcome: PageOutcome): NextPage;
}

export function createPager(baseUrl: string, paging: JsonPaging, pageSize: number): Pager {
  const withParams = (params: Record<string, string | number>): string => {
    const url = new URL(baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    return url.toString();
  };

  switch (paging.type) {
    case 'page': {
      const totalPath = parseDotPath(paging.totalPath);
      const at = (page: number, number: number): PageRequest => ({
        url: withParams({ [paging.pageParam]: page, [paging.sizeParam]: pageSize }), number, page,
      });
      return {
        first: () => at(paging.firstPage, 1),
        next(current, outcome) {
          const end = countedEnd(outcome, pageSize, paging.totalPath, totalPath);
          if (end.done) return { next: null };
          return { next: at((current.page as number) + 1, current.number + 1), warning: end.warning };
        },
      };
    }
    case 'offset': {
      const totalPath = parseDotPath(paging.totalPath);
      const at = (offset: number, number: number): PageRequest => ({
        url: withParams({ [paging.offsetParam]: offset, [paging.sizeParam]: pageSize }), number, offset,
      });
      return {
        first: () => at(0, 1),
        next(current, outcome) {
          const end = countedEnd(outcome, pageSize, paging.totalPath, totalPath);
          if (end.done) return { next: null };
          // NOTE: advance by what was received, not by pageSize: an API that caps the page size
          // then still delivers every item exactly once.
          return { next: at((current.offset as number) + outcome.items, current.number + 1), warning: end.warning };
        },
      };
    }
    case 'cursor': {
      const cursorPath = parseDotPath(paging.cursorPath);
      const at = (cursor: string | undefined, number: number): PageRequest => ({
        url: withParams(cursor === undefined ? { [paging.sizeParam]: pageSize } : { [paging.sizeParam]: pageSize, [paging.cursorParam]: cursor }),
        number,
        cursor,
      });
      return {
        first: () => at(undefined, 1),
        next(current, outcome) {
          if (outcome.items === 0 || outcome.items < pageSize) return { next: null };
          const raw = getAt(outcome.body, cursorPath);
          if (raw === undefined || raw === null || raw === '') return { next: null };
          if (typeof raw !== 'string' && typeof raw !== 'number') {
            throw new PagingError(`the value at cursorPath "${paging.cursorPath}" is not a string or number`);
          }
          const cursor = String(raw);
          if (cursor === current.cursor) throw new PagingError(`the cursor at cursorPath "${paging.cursorPath}" did not change from one page to the next: paging would never end`);
          return { next: at(cursor, current.number + 1) };
        },
      };
    }
    case 'link': {
      return {
        first: () => ({ url: withParams({ [paging.sizeParam]: pageSize }), number: 1 }),
        next(current, outcome) {
          if (outcome.items === 0 || outcome.items < pageSize) return { next: null };
          const link = nextLink(outcome.headers.link);
          if (link === undefined) return { next: null };
          let url: URL;
          try {
            url = new URL(link, current.url);
          } catch {
            throw new PagingError('the Link header\'s rel="next" URL is not a valid URL');
          }
          const from = new URL(current.url);
          if (url.origin !== from.origin) {
            throw new PagingError(`the Link header's rel="next" URL points to another origin (${url.origin}, not ${from.origin}): refusing to send the configured headers there`);
          }
          if (url.toString() === current.url) throw new PagingError('the Link header\'s rel="next" URL is the page itself: paging would never end');
          return { next: { url: url.toString(), number: current.number + 1 } };
        },
      };
    }
  }
}

/** End rule of the counted styles (page, offset): empty page, total reached, or a short page. */
function countedEnd(outcome: PageOutcome, pageSize: number, totalLabel: string | undefined, totalPath: readonly string[]): { done: boolean; warning?: string } {
  if (outcome.items === 0) return { done: true };
  if (totalLabel === undefined) return { done: outcome.items < pageSize };
  const raw = getAt(outcome.body, totalPath);
  const total = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(total) || total < 0) {
    throw new PagingError(`no item count at totalPath "${totalLabel}" (found ${raw === undefined ? 'nothing' : JSON.stringify(raw)?.slice(0, 40)})`);
  }
  if (outcome.seen >= total) return { done: true };
  if (outcome.items < pageSize) {
    return {
      done: false,
      warning: `the API returned ${outcome.items} item(s) for a page of ${pageSize} while its total (${total}) says more remain: it caps the page size; going on (set pageSize to the API's maximum to save requests)`,
    };
  }
  return { done: false };
}

/**
 * The rel="next" target of a Link header (RFC 8288), e.g.
 * `<https://api.example.com/items?page=3>; rel="next", <…>; rel="last"`. Undefined when absent.
 */
export function nextLink(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(', ') : header;
  // Each link is `<target>` followed by its `; name=value` parameters, up to the next `<`.
  const re = /<([^>]*)>([^<]*)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const params = m[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return m[1];
  }
  return undefined;
}
