import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CsvError } from 'csv-parse';
import { HttpError, InvsyncError, SourceError } from '../../domain/errors.js';
import type { HttpClient } from '../../lib/http.js';
import { redact, safeUrl } from '../../lib/redact.js';
import { isBlank, LineParser, MAX_RECORD_CHARS, PARSE_OPTIONS, type LineRecord } from '../csv/index.js';
import { fileError } from '../file-error.js';
import { getAt, parseDotPath, type DotPath } from '../json/paths.js';
import { JsonArrayScanner, JsonScanError } from '../json/scanner.js';
import { fileNameMatcher } from './rows.js';

/**
 * Reading a ledger's inputs: expanding a glob into files, and streaming a CSV or JSON file or URL
 * as raw rows while hashing its bytes. Values are not judged here (see rows.ts).
 */

/** One row as read: the raw values at the configured columns / paths. `at` undefined: the input has no date column. */
export interface RawRow {
  row: number;
  id: unknown;
  sku: unknown;
  qty: unknown;
  at: unknown;
  /** CSV: the row has fewer fields than the columns need. */
  short?: string;
}

export interface ReadSpec {
  source: string;
  /** Absolute file path, or an http(s) URL read with `http`. */
  location: { file: string } | { url: string; http: HttpClient };
  format: 'csv' | 'json';
  delimiter: string;
  /** `at` is optional whatever its name (SPEC §11 "the `at` column when present"): a file without it is dated by its mtime. */
  columns: { id?: string; sku: string; qty: string; at: string };
  json?: { itemsPath?: string; idPath: string; skuPath: string; qtyPath: string; atPath?: string };
}

export interface OpenedInput {
  rows: AsyncGenerator<RawRow>;
  /** Whether rows carry their own date (else the caller dates them by the file's mtime or the fetch time). */
  hasAt(): boolean;
  /** sha256 (base64) of every byte read; complete once `rows` is exhausted. */
  sha256(): string;
}

/**
 * The files a glob names, sorted by name. Wildcards (`*`, `?`) are matched in the file name only
 * (see LedgerGlob); a pattern without any is the file itself, which must exist. Throws
 * SourceError when the folder (or the plain file) does not exist: a missing folder is a mount or
 * a typo, not "no sales today" (an empty folder is that).
 */
export async function expandGlob(source: string, pattern: string): Promise<string[]> {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?]/.test(base)) {
    try {
      const st = await fs.promises.stat(pattern);
      if (!st.isFile()) throw new SourceError(source, `${pattern} is not a file`);
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw fileError(source, pattern, err, 'a file');
    }
    return [pattern];
  }
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceError(source, `folder not found: ${dir} (for "${pattern}")`, { cause: err });
    throw fileError(source, dir, err, 'a folder');
  }
  const matches = fileNameMatcher(base);
  const files: string[] = [];
  for (const e of entries) {
    if (!matches(e.name)) continue;
    const file = path.join(dir, e.name);
    if (e.isFile() || (e.isSymbolicLink() && (await fs.promises.stat(file).catch(() => undefined))?.isFile())) files.push(file);
  }
  return files.sort();
}

/** sha256 of a whole file, streamed (to tell an unchanged file without parsing it). */
export async function fileSha256(source: string, file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  } catch (err) {
    throw fileError(source, file, err, 'a file');
  }
  return hash.digest('base64');
}

/** Open an input and stream its rows. Throws SourceError / HttpError as the csv and json sources do. */
export async function openInput(spec: ReadSpec, signal?: AbortSignal): Promise<OpenedInput> {
  const where = 'file' in spec.location ? spec.location.file : safeUrl(spec.location.url);
  const remote = !('file' in spec.location);
  let input: Readable;
  if ('file' in spec.location) {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(spec.location.file, 'r');
    } catch (err) {
      throw fileError(spec.source, spec.location.file, err, `a ${spec.format.toUpperCase()} file`);
    }
    input = handle.createReadStream({ highWaterMark: 64 * 1024 });
  } else {
    input = await spec.location.http.stream({ url: spec.location.url, signal });
  }
  const hash = crypto.createHash('sha256');
  const fail = (err: unknown, line?: number): unknown => {
    if (signal?.aborted) return signal.reason ?? err;
    if (err instanceof InvsyncError) return err;
    if (err instanceof CsvError) {
      const what = err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'unclosed quote: the quoted field never ends before the end of the file'
        : err.code === 'CSV_MAX_RECORD_SIZE' ? `the record is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB (unclosed quote?)` : err.message;
      return new SourceError(spec.source, `malformed CSV in ${where} at line ${line ?? '?'}: ${what}`, { cause: err });
    }
    if (err instanceof JsonScanError) return new SourceError(spec.source, `${where}: ${err.message}`, { cause: err });
    if (!remote) return fileError(spec.source, where, err, 'a file');
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    return new HttpError(`GET ${where}: download interrupted (${code}: ${redact(err instanceof Error ? err.message : String(err))})`, { url: where, retryable: true }, { cause: err });
  };
  return spec.format === 'csv' ? openCsv(spec, where, input, hash, fail, signal) : openJson(spec, where, input, hash, fail, signal);
}

function openCsv(spec: ReadSpec, where: string, input: Readable, hash: crypto.Hash, fail: (err: unknown, line?: number) => unknown, signal?: AbortSignal): OpenedInput {
  const parser = new LineParser({ ...PARSE_OPTIONS, delimiter: spec.delimiter });
  // NOTE: a second 'data' listener sees the same chunks the pipe hands to the parser.
  input.on('data', (chunk: Buffer) => hash.update(chunk));
  pipeline(input, parser, () => {});
  let withAt = false;
  async function* rows(): AsyncGenerator<RawRow> {
    let cols: { id: number; sku: number; qty: number; at: number } | undefined;
    try {
      for await (const record of parser as AsyncIterable<LineRecord>) {
        signal?.throwIfAborted();
        if (isBlank(record.fields)) continue;
        if (cols === undefined) {
          cols = headerColumns(spec, where, record.fields);
          withAt = cols.at >= 0;
          continue;
        }
        const f = record.fields;
        const needed = Math.max(cols.id, cols.sku, cols.qty) + 1;
        yield {
          row: record.line,
          id: cols.id >= 0 ? f[cols.id] : undefined,
          sku: f[cols.sku],
          qty: f[cols.qty],
          at: cols.at >= 0 ? (f[cols.at] ?? '') : undefined,
          ...(f.length < needed ? { short: `row has ${f.length} field${f.length === 1 ? '' : 's'}, expected at least ${needed}` } : {}),
        };
      }
      if (cols === undefined) throw new SourceError(spec.source, `${where} is empty: expected a header row naming the columns`);
    } catch (err) {
      throw fail(err, parser.nextLine);
    } finally {
      if (!input.destroyed) input.destroy();
      if (!parser.destroyed) parser.destroy();
    }
  }
  return { rows: rows(), hasAt: () => withAt, sha256: () => hash.copy().digest('base64') };
}

function headerColumns(spec: ReadSpec, where: string, header: string[]): { id: number; sku: number; qty: number; at: number } {
  const names = header.map((h) => h.trim());
  const find = (wanted: string): number => {
    const exact = names.indexOf(wanted.trim());
    if (exact >= 0) return exact;
    const lower = wanted.trim().toLowerCase();
    return names.findIndex((n) => n.toLowerCase() === lower);
  };
  const need = (key: 'id' | 'sku' | 'qty', wanted: string): number => {
    const i = find(wanted);
    if (i < 0) {
      const shown = names.length > 30 ? [...names.slice(0, 30), `… ${names.length - 30} more`] : names;
      throw new SourceError(spec.source, `column "${wanted}" (columns.${key}) not found in the header of ${where} (found: ${shown.join(', ')})`);
    }
    return i;
  };
  const c = spec.columns;
  return {
    id: c.id === undefined ? -1 : need('id', c.id),
    sku: need('sku', c.sku),
    qty: need('qty', c.qty),
    at: find(c.at),
  };
}

function openJson(spec: ReadSpec, where: string, input: Readable, hash: crypto.Hash, fail: (err: unknown) => unknown, signal?: AbortSignal): OpenedInput {
  const j = spec.json!;
  const itemsPath = parseDotPath(j.itemsPath);
  const paths: Record<'id' | 'sku' | 'qty', DotPath> = { id: parseDotPath(j.idPath), sku: parseDotPath(j.skuPath), qty: parseDotPath(j.qtyPath) };
  const atPath = j.atPath === undefined ? undefined : parseDotPath(j.atPath);
  async function* rows(): AsyncGenerator<RawRow> {
    const scanner = new JsonArrayScanner(itemsPath);
    const decoder = new StringDecoder('utf8');
    let row = 0;
    try {
      for await (const chunk of input) {
        signal?.throwIfAborted();
        hash.update(chunk as Buffer);
        for (const item of scanner.write(decoder.write(chunk as Buffer))) {
          yield { row: ++row, id: getAt(item, paths.id), sku: getAt(item, paths.sku), qty: getAt(item, paths.qty), at: atPath ? getAt(item, atPath) ?? null : undefined };
        }
      }
      for (const item of scanner.write(decoder.end())) {
        yield { row: ++row, id: getAt(item, paths.id), sku: getAt(item, paths.sku), qty: getAt(item, paths.qty), at: atPath ? getAt(item, atPath) ?? null : undefined };
      }
      scanner.end();
    } catch (err) {
      if (err instanceof JsonScanError && /no array|not an array/.test(err.message)) {
        throw new SourceError(spec.source, `no array at ${j.itemsPath === undefined ? 'the top level (no itemsPath)' : `itemsPath "${j.itemsPath}"`} in ${where}`, { cause: err });
      }
      throw fail(err);
    } finally {
      input.destroy();
    }
  }
  return { rows: rows(), hasAt: () => atPath !== undefined, sha256: () => hash.copy().digest('base64') };
}
