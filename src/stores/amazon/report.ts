/**
 * The GET_MERCHANT_LISTINGS_ALL_DATA report (API_FACTS §11.4) as store items: a tab-separated
 * file, usually gzip-compressed and Windows-1252 encoded, whose columns are found by name in its
 * header (Amazon adds columns). Read chunk by chunk: memory holds one line, never the file.
 */
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { StoreError } from '../../domain/errors.js';
import { parseQuantity } from '../../domain/quantity.js';
import type { StoreItem } from '../../domain/types.js';

/**
 * Windows-1252 bytes 0x80–0x9F. NOTE: Node's TextDecoder('windows-1252') and latin1 both map them to
 * C1 control characters; these are what Windows (and Amazon) mean. The five bytes Windows-1252
 * leaves undefined keep their C1 code point, as Windows does.
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Pure: Windows-1252 bytes as text. One byte is one character, so chunks can be decoded independently. */
export function decodeCp1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]!));
}

/** The charset a document's Content-Type names; Amazon's listing reports say `Cp1252`. */
export function charsetOf(contentType: string | undefined): 'cp1252' | 'utf8' {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  return charset === 'utf-8' || charset === 'utf8' ? 'utf8' : 'cp1252';
}

/** The columns invsync reads; `fulfillment-channel` tells Amazon-fulfilled rows apart. */
const REQUIRED = ['seller-sku', 'quantity', 'fulfillment-channel'] as const;

export interface ReportColumns {
  sku: number;
  quantity: number;
  channel: number;
  asin: number | undefined;
  name: number | undefined;
  status: number | undefined;
}

/** Pure: find the columns by name in the header line. Throws StoreError naming a missing column. */
export function reportColumns(header: string[]): ReportColumns {
  const at = new Map(header.map((h, i) => [h.trim().toLowerCase(), i]));
  const missing = REQUIRED.filter((c) => !at.has(c));
  if (missing.length > 0) {
    throw new StoreError(`amazon: the GET_MERCHANT_LISTINGS_ALL_DATA report has no ${missing.map((m) => `"${m}"`).join(', ')} column (header: ${header.slice(0, 40).join(', ').slice(0, 400)})`);
  }
  return {
    sku: at.get('seller-sku')!, quantity: at.get('quantity')!, channel: at.get('fulfillment-channel')!,
    asin: at.get('asin1'), name: at.get('item-name'), status: at.get('status'),
  };
}

/** How an item is written: only merchant-fulfilled (`DEFAULT`) quantities are. */
export interface AmazonRef {
  channel: string;
  asin?: string;
}

/** The reason the engine never writes an Amazon-fulfilled listing (SPEC §10). */
export const FULFILLED_BY_AMAZON = 'fulfilled by Amazon';

/** `AMAZON_NA`, `AMAZON_EU`, … are FBA; `DEFAULT` is merchant-fulfilled (API_FACTS §11.6). */
export function isAmazonFulfilled(channel: string): boolean {
  return /^AMAZON_/i.test(channel);
}

/**
 * Pure: one data row as a store item; null for a row without a SKU. The SKU is the write key
 * (productId); there are no variations. A merchant-fulfilled row with an empty quantity is not
 * managed yet (invsync sets it); an Amazon-fulfilled row (empty quantity) is indexed with
 * `notWritten`. Throws StoreError naming the line for a quantity that is not a number.
 */
export function reportItem(fields: string[], columns: ReportColumns, line: number): StoreItem | null {
  const sku = (fields[columns.sku] ?? '').trim();
  if (sku === '') return null;
  const channel = (fields[columns.channel] ?? '').trim() || 'DEFAULT';
  const asin = columns.asin === undefined ? '' : (fields[columns.asin] ?? '').trim();
  const name = columns.name === undefined ? '' : (fields[columns.name] ?? '').trim();
  const ref: AmazonRef = { channel, ...(asin ? { asin } : {}) };
  const base = { sku, productId: sku, variationId: null, ...(name ? { name } : {}), ref: { ...ref } };
  if (isAmazonFulfilled(channel)) return { ...base, qty: null, managed: true, notWritten: FULFILLED_BY_AMAZON };
  const raw = (fields[columns.quantity] ?? '').trim();
  if (raw === '') return { ...base, qty: null, managed: false };
  const parsed = parseQuantity(raw);
  if (!parsed.ok) throw new StoreError(`amazon: listings report line ${line}, SKU "${sku}": ${parsed.reason} in column "quantity"`);
  return { ...base, qty: parsed.qty, managed: true };
}

/**
 * Stream a downloaded report as store items: gunzip when `gzip` (or when the bytes start with the
 * gzip magic 1F 8B), decode `charset`, split lines (CRLF or LF), map rows by the header.
 * Throws StoreError for a report without its columns or with a bad quantity.
 */
export async function* readListingsReport(body: Readable, options: { gzip: boolean; charset: 'cp1252' | 'utf8' }): AsyncIterable<StoreItem> {
  const bytes = await maybeGunzip(body, options.gzip);
  const utf8 = new StringDecoder('utf8');
  let columns: ReportColumns | undefined;
  let rest = '';
  let line = 0;
  function* row(raw: string): Generator<StoreItem> {
    line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text === '') return;
    const fields = text.split('\t');
    if (!columns) { columns = reportColumns(fields.map((f) => f.replace(/^\uFEFF/, ''))); return; }
    const item = reportItem(fields, columns, line);
    if (item) yield item;
  }
  function* lines(text: string, final: boolean): Generator<StoreItem> {
    rest += text;
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
      yield* row(rest.slice(start, nl));
      start = nl + 1;
    }
    rest = rest.slice(start);
    if (final && rest !== '') { const last = rest; rest = ''; yield* row(last); }
  }
  for await (const chunk of bytes) {
    const buf = chunk as Buffer;
    yield* lines(options.charset === 'utf8' ? utf8.write(buf) : decodeCp1252(buf), false);
  }
  yield* lines(options.charset === 'utf8' ? utf8.end() : '', true);
  if (!columns) throw new StoreError('amazon: the listings report is empty (not even a header line)');
}

async function maybeGunzip(body: Readable, gzip: boolean): Promise<AsyncIterable<unknown>> {
  const iterator = body[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : (first.value as Buffer);
  async function* replay(): AsyncIterable<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  const magic = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip && !magic) return replay();
  const gunzip = createGunzip();
  (async () => {
    try {
      for await (const chunk of replay()) if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
    }
  })();
  return gunzip;
}
