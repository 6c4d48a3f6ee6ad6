import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { JsonSourceConfig } from '../../config/schema.js';
import { HttpError, InvsyncError, SourceError } from '../../domain/errors.js';
import type { SourceRecord } from '../../domain/types.js';
import { createHttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { redact, safeUrl } from '../../lib/redact.js';
import type { SourceAdapter, SourceContext } from '../types.js';
import { toQtyMap } from '../../domain/quantity.js';
import { itemRecord, type ItemPaths } from './items.js';
import { AMOUNT_FIELDS } from '../../domain/price.js';
import { createPager, PagingError, type PageRequest } from './paging.js';
import { getAt, parseDotPath } from './paths.js';
import { JsonArrayScanner, JsonScanError } from './scanner.js';
import { fileError } from '../file-error.js';

/** Items per page when `pageSize` is not set. */
export const DEFAULT_JSON_PAGE_SIZE = 100;

/**
 * JSON supplier feed, in one of three forms:
 *
 * - a local file (`path`, already absolute), or one JSON document over http(s) (`url` without
 *   `paging`): streamed through a scanner that yields the elements of the array at `itemsPath`
 *   (or of the document itself) one by one, so a file of any size is read with flat memory;
 * - an HTTP API paged by `paging` (page, offset, cursor or Link header; see paging.ts), read one
 *   page at a time (`pageSize` items, default 100), with the configured `headers` on every request.
 *
 * Each item gives a SKU at `skuPath` and a quantity at `qtyPath` (dot paths; numeric segments
 * index arrays). `row` is the item's 1-based position in the whole feed; a rejected item's reason
 * also names the page and the item's place in it.
 *
 * Throws (rejects the iteration) with:
 * - SourceError: file missing or unreadable, malformed or truncated JSON (with the character
 *   offset), no array at `itemsPath` (naming the path and the page URL, credentials masked), a
 *   paging response that cannot be followed, or a page repeating the previous one;
 * - HttpError: a request failed after retries (a page whose body is not JSON counts: the client
 *   retries it, then fails), or a download broke off mid-body;
 * - the signal's reason when `signal` aborts.
 */
export function createJsonSource(config: JsonSourceConfig, _ctx?: SourceContext): SourceAdapter {
  const log = logger('json').child({ source: config.name });
  const itemsPath = parseDotPath(config.itemsPath);
  const paths: ItemPaths = {
    sku: parseDotPath(config.skuPath), qty: parseDotPath(config.qtyPath), skuLabel: config.skuPath, qtyLabel: config.qtyPath, qtyMap: toQtyMap(config.qtyMap),
  };
  const amountPaths = AMOUNT_FIELDS.flatMap((field) => {
    const label = config[`${field}Path`];
    return label === undefined ? [] : [{ field, path: parseDotPath(label), label: `${field}Path "${label}"` }];
  });
  if (amountPaths.length) paths.amounts = amountPaths;
  const pageSize = config.pageSize ?? DEFAULT_JSON_PAGE_SIZE;
  const http = config.url === undefined ? undefined : createHttpClient({
    name: `source ${config.name}`,
    rateLimit: config.rateLimit,
    concurrency: 1,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    insecureTls: config.insecureTls,
    headers: config.headers,
  });
  const where = config.path ?? safeUrl(config.url ?? '');
  const itemsLabel = config.itemsPath === undefined ? 'the top level (no itemsPath)' : `itemsPath "${config.itemsPath}"`;

  /** Open the document as text: the file, or the response body of `url`. */
  async function openDocument(signal?: AbortSignal): Promise<Readable> {
    if (http && config.url !== undefined) {
      const body = await http.stream({ url: config.url, signal });
      body.setEncoding('utf8');
      return body;
    }
    const file = config.path as string;
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (err) {
      throw fileError(config.name, file, err, 'a JSON file');
    }
    return handle.createReadStream({ highWaterMark: 64 * 1024, encoding: 'utf8' });
  }

  /** Every record of a single document, streamed. `limit` stops early (for check). */
  async function* streamDocument(signal?: AbortSignal, limit = Infinity): AsyncGenerator<SourceRecord> {
    signal?.throwIfAborted();
    const input = await openDocument(signal);
    const scanner = new JsonArrayScanner(itemsPath);
    let row = 0;
    try {
      for await (const chunk of input) {
        signal?.throwIfAborted();
        for (const item of scanner.write(chunk as string)) {
          yield itemRecord(item, ++row, paths);
          if (row >= limit) return;
        }
      }
      scanner.end();
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw documentError(err);
    } finally {
      input.destroy();
    }
  }

  function documentError(err: unknown): unknown {
    if (err instanceof JsonScanError) {
      const what = err.message === 'no array at this path' || err.message === 'the document is not an array'
        ? `no array at ${itemsLabel} in ${where}`
        : `${where}: ${err.message}${err.message.includes('not an array') ? ` (${itemsLabel})` : ''}`;
      return new SourceError(config.name, what, { cause: err });
    }
    if (err instanceof InvsyncError) return err;
    if (http === undefined) return fileError(config.name, where, err, 'a JSON file');
    // A download that broke off after the response started (reset, timeout).
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    const message = err instanceof Error ? err.message : String(err);
    return new HttpError(`GET ${where}: download interrupted (${code}: ${redact(message)})`, { url: where, retryable: true }, { cause: err });
  }

  /** Every record of a paged API, one page in memory at a time. `maxPages` stops early (for check). */
  async function* streamPages(signal?: AbortSignal, maxPages = Infinity): AsyncGenerator<SourceRecord> {
    if (!http || config.url === undefined || config.paging === undefined) return;
    const pager = createPager(config.url, config.paging, pageSize);
    let request: PageRequest | null = pager.first();
    let seen = 0;
    let previous: string | undefined;
    let warned = false;
    while (request !== null) {
      const res = await http.json({ url: request.url, signal });
      const items = itemsPath.length === 0 ? res.body : getAt(res.body, itemsPath);
      const page = `page ${request.number} (${safeUrl(request.url)})`;
      if (!Array.isArray(items)) {
        throw new SourceError(config.name, `no array at ${itemsLabel} in the response to ${page}`);
      }
      // NOTE: an API that ignores the page parameter (misspelt pageParam) would be read forever.
      const fingerprint = items.length > 0 ? `${JSON.stringify(items[0])}\n${JSON.stringify(items[items.length - 1])}` : undefined;
      if (fingerprint !== undefined && fingerprint === previous) {
        throw new SourceError(config.name, `${page} repeats the previous page: check the paging parameters (${describePaging(config)})`);
      }
      previous = fingerprint;
      for (let i = 0; i < items.length; i++) {
        yield itemRecord(items[i], seen + i + 1, paths, `page ${request.number}, item ${i + 1}`);
      }
      seen += items.length;
      if (request.number >= maxPages) return;
      try {
        const { next, warning } = pager.next(request, { body: res.body, headers: res.headers, items: items.length, seen });
        if (warning && !warned) { warned = true; log.warn(warning); }
        request = next;
      } catch (err) {
        if (err instanceof PagingError) throw new SourceError(config.name, `${page}: ${err.message}`, { cause: err });
        throw err;
      }
    }
  }

  return {
    name: config.name,
    type: 'json',

    stream(signal?: AbortSignal): AsyncIterable<SourceRecord> {
      return config.paging === undefined ? streamDocument(signal) : streamPages(signal);
    },

    async check(): Promise<string> {
      let items = 0;
      let rejected = 0;
      const records = config.paging === undefined ? streamDocument(undefined, 1) : streamPages(undefined, 1);
      for await (const r of records) { if (r.kind === 'item') items++; else rejected++; }
      if (config.paging !== undefined) return `first page: ${items} item(s), ${rejected} rejected`;
      return items + rejected > 0 ? `found the items at ${itemsLabel}` : `no items at ${itemsLabel}`;
    },
  } satisfies SourceAdapter;
}

function describePaging(config: JsonSourceConfig): string {
  const p = config.paging;
  if (!p) return '';
  switch (p.type) {
    case 'page': return `pageParam "${p.pageParam}", sizeParam "${p.sizeParam}"`;
    case 'offset': return `offsetParam "${p.offsetParam}", sizeParam "${p.sizeParam}"`;
    case 'cursor': return `cursorParam "${p.cursorParam}", cursorPath "${p.cursorPath}"`;
    case 'link': return `sizeParam "${p.sizeParam}"`;
  }
}

