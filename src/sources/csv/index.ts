import fs from 'node:fs';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { CsvError, Parser, type Options as CsvParseOptions } from 'csv-parse';
import type { CsvSourceConfig } from '../../config/schema.js';
import { HttpError, InvsyncError, SourceError } from '../../domain/errors.js';
import { parseQuantity, toQtyMap, type QtyMap } from '../../domain/quantity.js';
import type { SourceRecord, SupplierItem } from '../../domain/types.js';
import { AMOUNT_FIELDS, type AmountField } from '../../domain/price.js';
import { readAmounts } from '../amounts.js';
import { connectionOptions, createHttpClient } from '../../lib/http.js';
import { redact, safeUrl } from '../../lib/redact.js';
import type { SourceAdapter } from '../types.js';
import { fileError } from '../file-error.js';

/**
 * CSV supplier feed, from a local file (`path`, already absolute) or over http(s) (`url`).
 *
 * Streams: bytes → csv-parse → one record at a time; neither the file nor the response body is
 * ever held in memory. The first record is the header; `columns.sku` / `columns.qty` name the
 * columns (exact match after trimming, else case-insensitive).
 *
 * Every data row becomes `{ kind: 'item' }` or `{ kind: 'rejected' }` (no SKU, a quantity that
 * parseQuantity refuses, row too short); `row` is the physical 1-based line where the record
 * starts (header = line 1), so a user can open the file at that line. Lines that are empty or
 * hold only delimiters/whitespace (",,," exported by spreadsheets) are skipped silently.
 *
 * Throws (rejects the iteration) with:
 * - SourceError: file missing or unreadable, empty file, a configured column absent from the
 *   header, CSV that cannot be parsed past a point (unclosed quote at EOF, runaway record);
 * - HttpError: the URL failed after retries (left for the caller to wrap), or the download broke
 *   off mid-body;
 * - the signal's reason when `signal` aborts.
 */
export function createCsvSource(config: CsvSourceConfig): SourceAdapter {
  const where = config.path ?? safeUrl(config.url ?? '');
  const http = config.url === undefined ? undefined : createHttpClient({
    name: `source ${config.name}`,
    ...connectionOptions(config),
    // NOTE: the client defaults to `accept: application/json`; some servers pick the format from it.
    headers: { accept: 'text/csv, text/plain;q=0.9, */*;q=0.8', ...config.headers },
  });

  async function openInput(signal?: AbortSignal): Promise<Readable> {
    if (http && config.url !== undefined) return http.stream({ url: config.url, signal });
    const file = config.path as string;
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (err) {
      throw fileError(config.name, file, err, 'a CSV file');
    }
    return handle.createReadStream({ highWaterMark: 64 * 1024 });
  }

  /**
   * Open the input and its parser. `records` yields every record (header included, blank lines
   * not), `fail` maps whatever broke the stream to the error contract above, `close` releases both.
   */
  async function open(signal?: AbortSignal) {
    signal?.throwIfAborted();
    const input = await openInput(signal);
    const parser = new LineParser({ ...PARSE_OPTIONS, delimiter: config.delimiter ?? ',' });
    // NOTE: pipeline destroys both streams on any error or early exit; the parser's iterator
    // then rejects with the cause. The callback only keeps the error from going unhandled.
    pipeline(input, parser, () => {});
    if (signal) addAbortSignal(signal, parser);
    return {
      records: parser as AsyncIterable<LineRecord>,
      fail(err: unknown): unknown {
        if (signal?.aborted) return signal.reason ?? err;
        return translateError(config.name, where, http !== undefined, err, parser);
      },
      close(): void {
        if (!input.destroyed) input.destroy();
        if (!parser.destroyed) parser.destroy();
      },
    };
  }

  const noHeader = () => new SourceError(config.name, `${where} is empty: expected a header row naming the columns`);

  return {
    name: config.name,
    type: 'csv',

    async *stream(signal?: AbortSignal): AsyncIterable<SourceRecord> {
      const csv = await open(signal);
      try {
        let columns: ColumnIndexes | undefined;
        // NOTE: one flat loop (no generator per layer): it runs once per row of feeds with millions.
        for await (const record of csv.records) {
          if (isBlank(record.fields)) continue;
          if (columns === undefined) columns = findColumns(config, record.fields);
          else yield toSourceRecord(record, columns);
        }
        if (columns === undefined) throw noHeader();
      } catch (err) {
        throw csv.fail(err);
      } finally {
        csv.close();
      }
    },

    async check(): Promise<string> {
      const csv = await open();
      try {
        for await (const record of csv.records) {
          if (isBlank(record.fields)) continue;
          const columns = findColumns(config, record.fields);
          return `header ok: ${columns.skuHeader}, ${columns.qtyHeader}`;
        }
        throw noHeader();
      } catch (err) {
        throw csv.fail(err);
      } finally {
        csv.close();
      }
    },
  } satisfies SourceAdapter;
}

export interface LineRecord {
  fields: string[];
  /** Physical 1-based line where the record starts. */
  line: number;
}

interface ColumnIndexes {
  sku: number;
  qty: number;
  skuHeader: string;
  qtyHeader: string;
  /** The source's qtyMap (SPEC §14): text stock values it accepts. */
  qtyMap?: QtyMap;
  /** SPEC §14 `prices`: the configured amount columns, by field. */
  amounts?: Array<[AmountField, number]>;
}

/** Longest record accepted; beyond it the file is treated as broken (typically an unclosed quote). */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

export const PARSE_OPTIONS: CsvParseOptions = {
  bom: true,
  // NOTE: listed explicitly so that files mixing CRLF, LF and CR split on all three; csv-parse's
  // auto-discovery keeps only the first ending it meets.
  record_delimiter: ['\r\n', '\n', '\r'],
  // Empty lines come through as [""] and are dropped by isBlank(): LineParser must see every
  // line to count them.
  skip_empty_lines: false,
  // Ragged rows are judged per row (too short → rejected), never fatal.
  relax_column_count: true,
  // `12" tablet` in an unquoted field stays literal instead of aborting the file.
  relax_quotes: true,
  max_record_size: MAX_RECORD_CHARS,
};

/**
 * csv-parse's stream, with each record tagged with the physical line it starts on.
 *
 * NOTE: csv-parse's own `info.lines` counts every CR and LF inside a quoted field as a line, so a
 * "\r\n" in a field counts twice and every later record drifts; and its `on_record`/`info` hooks
 * build a context object per record that triples the parse time. Instead, every record (empty
 * lines included, see skip_empty_lines) starts on the line after the previous one ended and ends
 * as many lines later as its fields hold line breaks (CRLF, LF or CR each count once).
 * Overriding `push` keeps the count in step with the parser itself, so `nextLine` is right even
 * when a parse error discards records the consumer had not read yet.
 */
export class LineParser extends Parser {
  /** Line where the next record starts (the broken one, after a parse error). */
  nextLine = 1;

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (!Array.isArray(chunk)) return super.push(chunk, encoding);
    const fields = chunk as string[];
    const line = this.nextLine;
    let breaks = 0;
    for (const f of fields) if (f.includes('\n') || f.includes('\r')) breaks += countLineBreaks(f);
    this.nextLine = line + breaks + 1;
    return super.push({ fields, line } satisfies LineRecord);
  }
}

function countLineBreaks(s: string): number {
  return s.match(/\r\n|\r|\n/g)?.length ?? 0;
}

export function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
}

function findColumns(config: CsvSourceConfig, header: string[]): ColumnIndexes {
  const names = header.map((h) => h.trim());
  const find = (key: 'sku' | 'qty' | AmountField): number => {
    const wanted = (config.columns?.[key] ?? key).trim();
    let index = names.indexOf(wanted);
    if (index < 0) {
      const lower = wanted.toLowerCase();
      index = names.findIndex((n) => n.toLowerCase() === lower);
    }
    if (index < 0) {
      const label = wanted === key ? `"${wanted}"` : `"${wanted}" (columns.${key})`;
      const shown = names.length > 30 ? [...names.slice(0, 30), `… ${names.length - 30} more`] : names;
      throw new SourceError(config.name, `column ${label} not found in the header (found: ${shown.join(', ')})`);
    }
    return index;
  };
  const sku = find('sku');
  const qty = find('qty');
  const amounts = AMOUNT_FIELDS.filter((f) => config.columns?.[f] !== undefined).map((f): [AmountField, number] => [f, find(f)]);
  return {
    sku, qty, skuHeader: names[sku] as string, qtyHeader: names[qty] as string, qtyMap: toQtyMap(config.qtyMap),
    ...(amounts.length ? { amounts } : {}),
  };
}

function toSourceRecord({ fields, line }: LineRecord, columns: ColumnIndexes): SourceRecord {
  const skuField = fields[columns.sku];
  const qtyField = fields[columns.qty];
  const sku = skuField?.trim() ?? '';
  if (skuField === undefined || qtyField === undefined) {
    const needed = Math.max(columns.sku, columns.qty) + 1;
    const reason = `row has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected at least ${needed}`;
    return sku === '' ? { kind: 'rejected', row: line, reason } : { kind: 'rejected', row: line, reason, sku };
  }
  if (sku === '') return { kind: 'rejected', row: line, reason: 'no SKU' };
  const q = parseQuantity(qtyField, 'quantity', columns.qtyMap);
  if (!q.ok) return { kind: 'rejected', row: line, reason: q.reason, sku };
  const item: SupplierItem = q.text === undefined ? { kind: 'item', sku, qty: q.qty, row: line } : { kind: 'item', sku, qty: q.qty, row: line, text: q.text };
  if (columns.amounts) {
    const values: Partial<Record<AmountField, string | undefined>> = {};
    for (const [field, index] of columns.amounts) values[field] = fields[index];
    const a = readAmounts(values);
    if (!a.ok) return { kind: 'rejected', row: line, reason: a.reason, sku };
    if (a.amounts) item.amounts = a.amounts;
  }
  return item;
}


/** Map whatever broke the stream to the error contract above. */
function translateError(source: string, where: string, remote: boolean, err: unknown, parser: LineParser): unknown {
  if (err instanceof InvsyncError) return err;
  if (err instanceof CsvError) {
    const line = parser.nextLine;
    const what = err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'unclosed quote: the quoted field never ends before the end of the file'
      : err.code === 'CSV_MAX_RECORD_SIZE'
        ? `the record is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB (unclosed quote?)`
        : err.message;
    return new SourceError(source, `malformed CSV in ${where} at line ${line}: ${what}`, { cause: err });
  }
  if (!remote) return fileError(source, where, err, 'a CSV file');
  // A download that broke off after the response started (reset, timeout, truncated body).
  // NOTE: HttpError keeps it on the same path as a failed request: the caller wraps it.
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  const message = err instanceof Error ? err.message : String(err);
  return new HttpError(`GET ${where}: download interrupted (${code}: ${redact(message)})`, {
    url: where, retryable: true,
  }, { cause: err });
}
