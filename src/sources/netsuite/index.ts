import type { NetSuiteSourceConfig } from '../../config/schema.js';
import { ConfigError, HttpError, SourceError } from '../../domain/errors.js';
import { toQtyMap } from '../../domain/quantity.js';
import type { SourceRecord } from '../../domain/types.js';
import { connectionOptions, createHttpClient, type HttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { redact } from '../../lib/redact.js';
import type { SourceAdapter, SourceContext } from '../types.js';
import { ItemAggregator } from './aggregate.js';
import { authorizationHeader } from '../../lib/oauth1.js';
import {
  SUITEQL_MAX_LIMIT, SUITEQL_MAX_ROWS, SuiteQlPage, defaultQuery, errorDetail, isSqlIdentifier, offsetPagingCap,
} from './query.js';

/**
 * NetSuite supplier over SuiteTalk REST / SuiteQL (API_FACTS §10).
 *
 * - `POST <url>/services/rest/query/v1/suiteql?limit=L&offset=N` with `Prefer: transient` and
 *   `{"q": query}`, signed per attempt with OAuth 1.0a TBA (HMAC-SHA256, realm = account id).
 * - The default query returns one row per active inventory item and location, ordered by item
 *   id; `locations` picks the location ids whose quantities are summed (default: all). One record
 *   per item comes out, as soon as its last row has been read.
 * - Offset paging stops on `hasMore: false`. A query may page through 100,000 rows at most; the
 *   default query continues past that with `AND i.id > <last finished id>`. A custom query that
 *   reaches the cap fails the fetch: it must stay under it (split it over several sources).
 *
 * Throws (rejects the iteration) with HttpError (auth refused, unreachable after retries,
 * invalid response; NetSuite's error detail is in the message) or SourceError (a result the
 * adapter cannot use: a configured column absent, a query over the row cap).
 */
export function createNetSuiteSource(config: NetSuiteSourceConfig, _ctx: SourceContext, internal: NetSuiteInternalOptions = {}): SourceAdapter {
  const log = logger('netsuite').child({ source: config.name });
  const limit = config.pageSize ?? SUITEQL_MAX_LIMIT;
  if (limit > SUITEQL_MAX_LIMIT) {
    throw new ConfigError(`at most ${SUITEQL_MAX_LIMIT} for netsuite (SuiteQL's largest page)`, `sources.${config.name}.pageSize`);
  }
  // SuiteQL returns column names in lower case, whatever case the query used.
  const fields = { sku: config.skuField.toLowerCase(), qty: config.qtyField.toLowerCase(), location: config.locationField.toLowerCase() };
  const custom = config.query !== undefined;
  if (!custom) {
    for (const [key, value] of [['skuField', fields.sku], ['qtyField', fields.qty], ['locationField', fields.location]] as const) {
      if (!isSqlIdentifier(value)) throw new ConfigError(`"${value}" is not a column name`, `sources.${config.name}.${key}`);
    }
  }
  const baseQuery = config.query ?? defaultQuery(fields);
  const locations = config.locations === undefined ? undefined : new Set(config.locations.map((l) => String(l).trim()));
  const rowCap = offsetPagingCap(limit, internal.rowCap ?? SUITEQL_MAX_ROWS);
  const endpoint = `${(config.url ?? defaultUrl(config.accountId)).replace(/\/+$/, '')}/services/rest/query/v1/suiteql`;
  const realm = config.accountId.toUpperCase().replace(/-/g, '_');
  const credentials = {
    consumerKey: config.consumerKey, consumerSecret: config.consumerSecret, tokenId: config.tokenId, tokenSecret: config.tokenSecret,
  };
  const http = createHttpClient({
    name: `source ${config.name}`,
    // NOTE: NetSuite counts concurrent requests per account, shared with every other integration;
    // SuiteQL runs the query anew for every page, so a 1000-row page of a large join can take a while.
    ...connectionOptions(config, { concurrency: 1, timeoutMs: 120_000 }),
    headers: { prefer: 'transient', 'content-type': 'application/json' },
    // Every attempt (retries included) gets a fresh nonce and timestamp: NetSuite refuses a reused nonce.
    sign(request) {
      request.headers.authorization = authorizationHeader({ method: request.method, url: request.url, realm, credentials });
    },
  });

  return {
    name: config.name,
    type: 'netsuite',

    async *stream(signal?: AbortSignal): AsyncIterable<SourceRecord> {
      const aggregator = new ItemAggregator({
        skuField: fields.sku, qtyField: fields.qty, locationField: fields.location, locations, qtyMap: toQtyMap(config.qtyMap),
        order: custom ? 'grouped' : 'ascending-id',
      });
      let query = baseQuery;
      let offset = 0;
      let afterId: number | undefined;
      let checkedColumns = false;
      const out: SourceRecord[] = [];
      for (;;) {
        signal?.throwIfAborted();
        if (offset + limit > rowCap) {
          if (custom) {
            throw new SourceError(config.name, `the query returns more than ${rowCap} rows, the most NetSuite pages through for one query: `
              + 'narrow it (e.g. split it by id range over several netsuite sources), or use the default query, which continues past the cap by item id');
          }
          const next = aggregator.restartAfterLastFinished();
          if (next === undefined || next === afterId) {
            throw new SourceError(config.name, `one item spans more than ${rowCap} rows: cannot continue past NetSuite's row cap`);
          }
          afterId = next;
          query = defaultQuery(fields, afterId);
          offset = 0;
          log.debug({ afterId }, 'row cap reached: continuing with a keyset query');
        }
        const page = await fetchPage(http, endpoint, query, limit, offset, signal);
        if (!checkedColumns && page.items.length > 0) {
          checkColumns(config.name, page.items, fields, locations !== undefined);
          checkedColumns = true;
        }
        for (const row of page.items) aggregator.push(row, out);
        for (const record of out) yield record;
        out.length = 0;
        if (!page.hasMore) break;
        if (page.items.length === 0) throw new SourceError(config.name, `NetSuite returned an empty page at offset ${offset} yet announced more rows`);
        offset += limit;
      }
      aggregator.finish(out);
      yield* out;
    },

    async check(): Promise<string> {
      const page = await fetchPage(http, endpoint, baseQuery, 1, 0);
      return `query ok: ${page.totalResults ?? page.items.length} row(s)`;
    },
  } satisfies SourceAdapter;
}

/** Test-only knobs; never read from the configuration. */
export interface NetSuiteInternalOptions {
  /** Rows one query may page through (default 100,000, NetSuite's cap); lowered by tests. */
  rowCap?: number;
}

/** `https://<account id, lower case, "_" as "-">.suitetalk.api.netsuite.com` */
export function defaultUrl(accountId: string): string {
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
}

async function fetchPage(http: HttpClient, url: string, q: string, limit: number, offset: number, signal?: AbortSignal): Promise<SuiteQlPage> {
  try {
    const res = await http.json({ method: 'POST', url, searchParams: { limit, offset }, json: { q }, signal }, SuiteQlPage);
    return res.body;
  } catch (err) {
    throw withNetSuiteDetail(err);
  }
}

/** The client names the status and title; NetSuite's `o:errorDetails` says what was actually wrong. */
function withNetSuiteDetail(err: unknown): unknown {
  if (!(err instanceof HttpError)) return err;
  const detail = errorDetail(err.details.body);
  if (detail === undefined) return err;
  return new HttpError(`${err.message}: ${redact(detail)}`, err.details, { cause: err });
}

/**
 * A configured column missing from every row of the first page is a configuration mistake (a
 * typo, or a custom query that does not select it), not a catalog of rejects: say so at once.
 */
function checkColumns(source: string, rows: unknown[], fields: { sku: string; qty: string; location: string }, needLocation: boolean): void {
  const seen = new Set<string>();
  for (const row of rows) if (row && typeof row === 'object') for (const k of Object.keys(row)) seen.add(k);
  const wanted: Array<[string, string]> = [['skuField', fields.sku], ['qtyField', fields.qty]];
  if (needLocation) wanted.push(['locationField', fields.location]);
  for (const [key, column] of wanted) {
    if (!seen.has(column)) {
      const found = [...seen].filter((k) => k !== 'links').join(', ') || 'none';
      throw new SourceError(source, `column "${column}" (${key}) is in none of the first ${rows.length} row(s) `
        + `(columns found: ${found}); check ${key} and the query (NetSuite leaves empty values out of a row)`);
    }
  }
}
