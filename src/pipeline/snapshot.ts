import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { SnapshotError } from '../domain/errors.js';
import { parseQuantity } from '../domain/quantity.js';
import { AMOUNT_FIELDS, MAX_CENTS, type Amounts } from '../domain/price.js';
import type { SnapshotRecord } from '../domain/types.js';
import { logger } from '../lib/log.js';
import { processAlive } from '../lib/process-alive.js';

/**
 * The snapshot file (SPEC §7): what every source listed at the last successful fetch.
 *
 * One valid JSON document (a JSON array) written one entry per line, so it can be read as a
 * stream and still be checked with any JSON tool:
 *
 * ```
 * [
 * {"type":"header","version":1,"createdAt":"…","sources":["feed","dsz"],"fetchId":"…"},
 * {"type":"item","source":"feed","sku":"A-1","qty":5,"row":2},
 * {"type":"item","source":"feed","sku":"A-2","qty":10,"row":3,"text":"In stock"},
 * {"type":"rejected","source":"feed","row":7,"reason":"non-numeric quantity \"x\"","sku":"B"},
 * {"type":"trailer","items":1,"rejected":1,"perSource":{"feed":{"items":1,"rejected":1},"dsz":{"items":0,"rejected":0}}}
 * ]
 * ```
 *
 * Every entry line but the trailer ends with ",". The trailer is written last, so a file without
 * it (or without the closing "]") was cut short and is refused. Records are `SnapshotRecord`s;
 * on disk `kind` is spelled `type`. `text` (optional) is the stock text a source's qtyMap read;
 * `amounts` (optional, SPEC §14 `prices`) the supplier's price, cost, MAP and MSRP in integer cents
 * (`"amounts":{"cost":950,"msrp":1999}`). Both are optional fields, so version 1 stays: a snapshot
 * written before them reads as one without them.
 */

export const SNAPSHOT_VERSION = 1;

export interface SnapshotHeader {
  version: typeof SNAPSHOT_VERSION;
  createdAt: string;
  /** Source names in config order, including sources that listed nothing. */
  sources: string[];
  /**
   * The fetch that wrote this snapshot; the store index it was fetched with carries the same id
   * (SPEC §8 "Fetch is one unit"). Absent in snapshots written before fetch ids existed.
   */
  fetchId?: string;
}

export interface SourceCounts {
  items: number;
  rejected: number;
}

export interface SnapshotTrailer {
  items: number;
  rejected: number;
  /** One entry per header source (zeros included). */
  perSource: Record<string, SourceCounts>;
}

/** What `writeSnapshot` wrote. `checksum` is the sha256 (hex) of the file's bytes, as `openSnapshot` reports it. */
export interface SnapshotInfo extends SnapshotTrailer {
  checksum: string;
  bytes: number;
  createdAt: string;
  fetchId?: string;
}

export interface SnapshotReader {
  readonly path: string;
  readonly header: SnapshotHeader;
  readonly trailer: SnapshotTrailer;
  /** sha256 (hex) of the file's bytes, computed at open. Same value `writeSnapshot` returned. */
  readonly checksum: string;
  readonly bytes: number;
  /**
   * Stream every record in file order; may be called more than once (each call re-reads the file).
   * Throws SnapshotError naming the line for a malformed entry, and — after the last record —
   * when the records do not add up to the trailer's counts or the file changed since open.
   */
  records(): AsyncIterable<SnapshotRecord>;
}

const WRITE_CHUNK = 64 * 1024;
const READ_CHUNK = 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 64 * 1024;
const MAX_EDGE_BYTES = 16 * 1024 * 1024;
/** No entry the writer produces comes near this; a longer line means a corrupt file. */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Write a new snapshot atomically: stream `records` into a temporary file next to `filePath`
 * (`.<name>.<pid>.<random>.tmp`), flush it to disk, rename it over `filePath`, then flush the
 * directory. Memory stays flat: lines are written in 64 KiB chunks, each awaited before more
 * records are pulled.
 *
 * If `records` throws or any write fails (ENOSPC, EFBIG…), the temporary file is removed and the
 * error rethrown: the previous snapshot is untouched. Creates the directory if needed. Temporary
 * files left by a writer that died (kill -9) are removed first.
 * Throws a plain Error for a record that names a source absent from `header.sources` (a
 * programming error upstream, never written to disk). One bad record never fails the fetch
 * (SPEC §8): an item whose SKU, row or quantity is unusable (a quantity parseQuantity refuses:
 * Infinity, 1e20…) is written as a rejected row saying why (see `writableRecord`).
 *
 * `beforeRename` runs once the complete file is on disk, just before it replaces the previous
 * snapshot: fetch waits there for the store listing, so a failed listing keeps the old snapshot too.
 * If it throws, the temporary file is removed and its error rethrown.
 */
export async function writeSnapshot(
  filePath: string,
  header: { sources: string[]; createdAt?: string; fetchId?: string },
  records: AsyncIterable<SnapshotRecord>,
  options: { beforeRename?: () => Promise<void> } = {},
): Promise<SnapshotInfo> {
  const dir = path.dirname(filePath);
  const base = path.basename(filePath);
  await fs.promises.mkdir(dir, { recursive: true });
  await removeStaleTemps(dir, base);

  const createdAt = header.createdAt ?? new Date().toISOString();
  // NOTE: Maps, not objects: a source may be named "__proto__" (the config allows it).
  const counted = new Map<string, SourceCounts>();
  const sourceJson = new Map<string, string>();
  for (const name of header.sources) {
    counted.set(name, { items: 0, rejected: 0 });
    sourceJson.set(name, JSON.stringify(name));
  }
  let items = 0;
  let rejected = 0;
  let perSource: Record<string, SourceCounts> = {};

  const tmp = path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.promises.open(tmp, 'wx', 0o644);
  const out = new ChunkWriter(handle);
  let closed = false;
  try {
    const head: { type: 'header' } & SnapshotHeader = {
      type: 'header', version: SNAPSHOT_VERSION, createdAt, sources: header.sources,
      ...(header.fetchId === undefined ? {} : { fetchId: header.fetchId }),
    };
    await out.write(`[\n${JSON.stringify(head)},\n`);
    for await (const original of records) {
      const source = sourceJson.get(original.source);
      if (source === undefined) throw new Error(`snapshot: record from source "${original.source}", which is not in the header (${header.sources.join(', ')})`);
      const counts = counted.get(original.source) as SourceCounts;
      const record = writableRecord(original);
      if (record.kind === 'item') {
        items++;
        counts.items++;
        const text = typeof record.text === 'string' ? `,"text":${JSON.stringify(record.text)}` : '';
        const amounts = record.amounts ? `,"amounts":${JSON.stringify(record.amounts)}` : '';
        if (out.add(`{"type":"item","source":${source},"sku":${JSON.stringify(record.sku)},"qty":${String(record.qty)},"row":${record.row}${text}${amounts}},\n`)) await out.flush();
      } else {
        rejected++;
        counts.rejected++;
        const sku = record.sku === undefined ? '' : `,"sku":${JSON.stringify(record.sku)}`;
        if (out.add(`{"type":"rejected","source":${source},"row":${record.row},"reason":${JSON.stringify(record.reason)}${sku}},\n`)) await out.flush();
      }
    }
    perSource = Object.fromEntries(counted);
    const trailer = { type: 'trailer', items, rejected, perSource };
    await out.write(`${JSON.stringify(trailer)}\n]\n`);
    await out.flush();
    await handle.sync();
    closed = true;
    await handle.close();
    await options.beforeRename?.();
    await fs.promises.rename(tmp, filePath);
  } catch (err) {
    if (!closed) await handle.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await syncDirectory(dir);
  return { items, rejected, perSource, checksum: out.checksum(), bytes: out.bytes, createdAt, fetchId: header.fetchId };
}

/**
 * Open a snapshot for reading. Cheap checks first (header and format version from the head, the
 * trailer and closing "]" from the tail), then one streaming pass over the file (memory-flat) that
 * computes `checksum` and checks the number of lines against the trailer's counts.
 *
 * Throws SnapshotError naming the file when it is missing ("no snapshot yet"), incomplete (no
 * trailer or no closing "]": an interrupted writer, a truncated copy), of an unknown format
 * version, or inconsistent. Entry-level problems surface from `records()`.
 */
export async function openSnapshot(filePath: string): Promise<SnapshotReader> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(filePath, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SnapshotError(`no snapshot yet: run \`invsync fetch\` first (${filePath} does not exist)`);
    throw new SnapshotError(`cannot read the snapshot ${filePath}: ${(err as Error).message}`);
  }
  let header: SnapshotHeader;
  let trailer: SnapshotTrailer;
  let scan: { checksum: string; lines: number; bytes: number };
  try {
    const size = (await handle.stat()).size;
    header = await readHead(handle, filePath, size);
    trailer = await readTail(handle, filePath, size, header);
    scan = await scanFile(handle, filePath);
  } finally {
    await handle.close();
  }
  const expectedLines = trailer.items + trailer.rejected + 4;
  if (scan.lines !== expectedLines) {
    throw new SnapshotError(`${filePath} is corrupt: its trailer counts ${trailer.items + trailer.rejected} record(s) but the file holds ${Math.max(0, scan.lines - 4)}: run \`invsync fetch\` again`);
  }
  const checksum = scan.checksum;
  return {
    path: filePath,
    header,
    trailer,
    checksum,
    bytes: scan.bytes,
    records: () => readRecords(filePath, header, trailer, checksum),
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * `record` as it can be written: returned as is when valid; an unusable item becomes a rejected
 * row naming the problem (keeping its SKU when it has one), and a rejected row without a usable
 * row number or reason gets row 0 / a placeholder reason. Pure; never throws.
 */
export function writableRecord(record: SnapshotRecord): SnapshotRecord {
  const rowOk = Number.isSafeInteger(record.row);
  const row = rowOk ? record.row : 0;
  const skuOk = typeof record.sku === 'string' && record.sku !== '';
  if (record.kind === 'item') {
    const q = typeof record.qty === 'number' ? parseQuantity(record.qty) : undefined;
    if (skuOk && rowOk && q?.ok) return record;
    const problem = !skuOk ? 'no SKU'
      : !rowOk ? `no valid row number (${String(record.row).slice(0, 40)})`
        : q === undefined ? `non-numeric quantity of type ${typeof record.qty}`
          : (q as { reason: string }).reason;
    const rejected: SnapshotRecord = { kind: 'rejected', source: record.source, row, reason: `invalid item: ${problem}` };
    if (skuOk) rejected.sku = record.sku;
    return rejected;
  }
  if (rowOk && typeof record.reason === 'string' && (record.sku === undefined || typeof record.sku === 'string')) return record;
  const fixed: SnapshotRecord = { kind: 'rejected', source: record.source, row, reason: typeof record.reason === 'string' ? record.reason : 'rejected (no reason given)' };
  if (skuOk) fixed.sku = record.sku;
  return fixed;
}

/** Buffers lines into ~64 KiB chunks; each chunk is hashed and fully written before the next. */
class ChunkWriter {
  bytes = 0;
  private pending = '';
  private readonly hash = createHash('sha256');

  constructor(private readonly handle: fs.promises.FileHandle) {}

  /** Buffer `text`; true when a chunk is due and the caller must `await flush()` (backpressure). */
  add(text: string): boolean {
    this.pending += text;
    return this.pending.length >= WRITE_CHUNK;
  }

  async write(text: string): Promise<void> {
    if (this.add(text)) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === '') return;
    const buf = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.hash.update(buf);
    for (let offset = 0; offset < buf.length;) {
      const { bytesWritten } = await this.handle.write(buf, offset, buf.length - offset);
      offset += bytesWritten;
    }
    this.bytes += buf.length;
  }

  checksum(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Remove `.<base>.<pid>.<random>.tmp` files whose writer process is gone (killed mid-write).
 * NOTE: a temp file of a live process is left alone; fetch holds the lock, so that is only ever
 * an unrelated process that reused the pid, and its file is removed on a later run.
 */
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return;
  }
  const prefix = `.${base}.`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    await fs.promises.rm(path.join(dir, name), { force: true }).catch(() => {});
  }
}

/** Make the rename durable. NOTE: some platforms (Windows) cannot fsync a directory; that is not an error. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (process.platform !== 'win32' && code !== 'EISDIR' && code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EPERM') {
      logger('snapshot').warn({ dir, code }, `could not flush directory ${dir} after replacing the snapshot`);
    }
  } finally {
    await handle?.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

const HeaderEntry = z.object({
  type: z.literal('header'),
  version: z.literal(SNAPSHOT_VERSION),
  createdAt: z.string(),
  sources: z.array(z.string()),
  fetchId: z.string().min(1).optional(),
});

const Counts = z.object({ items: z.number().int().min(0), rejected: z.number().int().min(0) });

const TrailerEntry = z.object({
  type: z.literal('trailer'),
  items: z.number().int().min(0),
  rejected: z.number().int().min(0),
  perSource: z.record(z.string(), Counts),
});

function rerun(filePath: string, problem: string): SnapshotError {
  return new SnapshotError(`${filePath} ${problem}: run \`invsync fetch\` again`);
}

function incomplete(filePath: string, detail: string): SnapshotError {
  return rerun(filePath, `is incomplete (${detail}; the fetch that wrote it was interrupted, or the file was truncated)`);
}

async function readAt(handle: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Lines 1 ("[") and 2 (the header), read from the start of the file. */
async function readHead(handle: fs.promises.FileHandle, filePath: string, size: number): Promise<SnapshotHeader> {
  if (size === 0) throw incomplete(filePath, 'the file is empty');
  for (let want = HEAD_BYTES; ; want *= 2) {
    const text = (await readAt(handle, 0, Math.min(size, want))).toString('utf8');
    const first = text.indexOf('\n');
    const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
    if (second < 0) {
      if (want < size && want < MAX_EDGE_BYTES) continue;
      throw incomplete(filePath, 'no header line');
    }
    if (text.slice(0, first).trim() !== '[') throw rerun(filePath, 'is not a snapshot (line 1 is not "[")');
    const line = stripComma(text.slice(first + 1, second).trim());
    const value = parseLine(filePath, 2, line.text);
    const v = value as { type?: unknown; version?: unknown };
    if (v?.type === 'header' && v.version !== SNAPSHOT_VERSION) {
      throw rerun(filePath, `has snapshot format version ${JSON.stringify(v.version)}, which this invsync cannot read (it reads version ${SNAPSHOT_VERSION})`);
    }
    const parsed = HeaderEntry.safeParse(value);
    if (!parsed.success || !line.comma) throw rerun(filePath, 'is corrupt: line 2 is not a valid snapshot header');
    const { createdAt, sources, fetchId } = parsed.data;
    return fetchId === undefined ? { version: SNAPSHOT_VERSION, createdAt, sources } : { version: SNAPSHOT_VERSION, createdAt, sources, fetchId };
  }
}

/** The trailer line and the closing "]", read from the end of the file. */
async function readTail(handle: fs.promises.FileHandle, filePath: string, size: number, header: SnapshotHeader): Promise<SnapshotTrailer> {
  for (let want = TAIL_BYTES; ; want *= 2) {
    const length = Math.min(size, want);
    const text = (await readAt(handle, size - length, length)).toString('utf8').trimEnd();
    if (!text.endsWith(']')) throw incomplete(filePath, 'no closing "]"');
    const beforeBracket = text.slice(0, -1);
    if (!beforeBracket.endsWith('\n')) throw incomplete(filePath, 'no closing "]" on a line of its own');
    const body = beforeBracket.slice(0, -1).replace(/\r$/, '');
    const start = body.lastIndexOf('\n');
    if (start < 0 && length < size) {
      if (want < MAX_EDGE_BYTES) continue;
      throw rerun(filePath, 'is corrupt: its trailer line is too long');
    }
    const line = body.slice(start + 1).trim();
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw incomplete(filePath, 'no trailer');
    }
    const parsed = TrailerEntry.safeParse(value);
    if (!parsed.success) throw incomplete(filePath, 'no trailer');
    const trailer: SnapshotTrailer = { items: parsed.data.items, rejected: parsed.data.rejected, perSource: parsed.data.perSource };
    let items = 0;
    let rejected = 0;
    for (const [name, counts] of Object.entries(trailer.perSource)) {
      if (!header.sources.includes(name)) throw rerun(filePath, `is corrupt: its trailer counts source "${name}", which its header does not list`);
      items += counts.items;
      rejected += counts.rejected;
    }
    if (items !== trailer.items || rejected !== trailer.rejected) throw rerun(filePath, 'is corrupt: its trailer totals do not match its per-source counts');
    return trailer;
  }
}

/**
 * One pass over the whole file: sha256, size, and the number of lines up to the last one with
 * content (the "]"; trailing blank lines are not counted). Memory-flat.
 */
async function scanFile(handle: fs.promises.FileHandle, filePath: string): Promise<{ checksum: string; lines: number; bytes: number }> {
  const hash = createHash('sha256');
  let newlines = 0;
  let newlinesBeforeContent = 0;
  let bytes = 0;
  try {
    const stream = handle.createReadStream({ start: 0, autoClose: false, highWaterMark: READ_CHUNK });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      let last = chunk.length - 1;
      while (last >= 0 && isSpace(chunk[last] as number)) last--;
      let before = 0;
      let all = 0;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
        if (i < last) before++;
        all++;
      }
      if (last >= 0) newlinesBeforeContent = newlines + before;
      newlines += all;
    }
  } catch (err) {
    throw new SnapshotError(`cannot read the snapshot ${filePath}: ${(err as Error).message}`);
  }
  return { checksum: hash.digest('hex'), lines: newlinesBeforeContent + 1, bytes };
}

function isSpace(byte: number): boolean {
  return byte === 10 || byte === 13 || byte === 32 || byte === 9;
}

function stripComma(line: string): { text: string; comma: boolean } {
  return line.endsWith(',') ? { text: line.slice(0, -1), comma: true } : { text: line, comma: false };
}

function parseLine(filePath: string, lineNo: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw rerun(filePath, `is corrupt: line ${lineNo} is not valid JSON (${(err as Error).message})`);
  }
}

async function* readRecords(filePath: string, header: SnapshotHeader, trailer: SnapshotTrailer, checksum: string): AsyncGenerator<SnapshotRecord> {
  const sources = new Set(header.sources);
  const counted = new Map<string, SourceCounts>(header.sources.map((name) => [name, { items: 0, rejected: 0 }]));
  const hash = createHash('sha256');
  const decoder = new StringDecoder('utf8');
  let lineNo = 0;
  let carry = '';
  /** 0: expect "[", 1: expect header, 2: records until the trailer, 3: expect "]", 4: done. */
  let state = 0;

  const bad = (problem: string) => rerun(filePath, `is corrupt: line ${lineNo} ${problem}`);

  function handle(raw: string): SnapshotRecord | undefined {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    switch (state) {
      case 0:
        if (line.trim() !== '[') throw bad('is not "["');
        state = 1;
        return;
      case 1:
        // Validated at open; the checksum comparison at the end proves it is the same file.
        if (!line.endsWith(',')) throw bad('is not a header entry');
        state = 2;
        return;
      case 2: {
        if (!line.endsWith(',')) {
          const value = parseLine(filePath, lineNo, line);
          if ((value as { type?: unknown })?.type !== 'trailer') throw bad('is neither a record (missing ",") nor the trailer');
          state = 3;
          return;
        }
        const record = toRecord(parseLine(filePath, lineNo, line.slice(0, -1)), sources, bad);
        const counts = counted.get(record.source) as SourceCounts;
        if (record.kind === 'item') counts.items++; else counts.rejected++;
        return record;
      }
      case 3:
        if (line.trim() !== ']') throw bad('follows the trailer but is not "]"');
        state = 4;
        return;
      default:
        if (line.trim() !== '') throw bad('follows the closing "]"');
    }
  }

  try {
    for await (const chunk of fs.createReadStream(filePath, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      const text = carry + decoder.write(chunk);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const record = handle(text.slice(start, nl));
        start = nl + 1;
        if (record) yield record;
      }
      carry = text.slice(start);
      if (carry.length > MAX_LINE_CHARS) throw rerun(filePath, `is corrupt: line ${lineNo + 1} is longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB`);
    }
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    throw new SnapshotError(`cannot read the snapshot ${filePath}: ${(err as Error).message}`);
  }
  const rest = carry + decoder.end();
  if (rest !== '') {
    const record = handle(rest);
    if (record) yield record;
  }
  if (state < 4) throw incomplete(filePath, state < 3 ? 'no trailer' : 'no closing "]"');

  let items = 0;
  let rejected = 0;
  const mismatched: string[] = [];
  for (const name of header.sources) {
    const have = counted.get(name) as SourceCounts;
    const want = Object.hasOwn(trailer.perSource, name) ? trailer.perSource[name] as SourceCounts : { items: 0, rejected: 0 };
    items += have.items;
    rejected += have.rejected;
    if (have.items !== want.items || have.rejected !== want.rejected) {
      mismatched.push(`"${name}": ${have.items} item(s) and ${have.rejected} rejected row(s), the trailer says ${want.items} and ${want.rejected}`);
    }
  }
  if (mismatched.length > 0 || items !== trailer.items || rejected !== trailer.rejected) {
    throw rerun(filePath, `is corrupt: its records do not match its trailer (${mismatched.join('; ') || 'totals differ'})`);
  }
  if (hash.digest('hex') !== checksum) {
    throw new SnapshotError(`${filePath} changed while it was being read (another fetch replaced it?): run the command again`);
  }
}

/** An item's `amounts`: an object of whole, non-negative cents by field (price, cost, map, msrp). */
function checkAmounts(value: unknown, bad: (problem: string) => SnapshotError): Amounts {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('has a non-object "amounts"');
  const out: Amounts = {};
  for (const [field, cents] of Object.entries(value)) {
    if (!(AMOUNT_FIELDS as readonly string[]).includes(field)) throw bad(`has an unknown amount "${field.slice(0, 20)}"`);
    if (typeof cents !== 'number' || !Number.isSafeInteger(cents) || cents < 0 || cents > MAX_CENTS) throw bad(`has an invalid amount "${field}"`);
    out[field as keyof Amounts] = cents;
  }
  return out;
}

/**
 * Check one record entry and turn it into a SnapshotRecord.
 * NOTE: hand-written rather than a zod schema: it runs once per record (millions per match)
 * and the file is our own output, so a cheap shape check is enough to catch corruption.
 */
function toRecord(value: unknown, sources: Set<string>, bad: (problem: string) => SnapshotError): SnapshotRecord {
  if (typeof value !== 'object' || value === null) throw bad('is not a record object');
  const v = value as Record<string, unknown>;
  if (typeof v.source !== 'string' || !sources.has(v.source)) throw bad(`names source ${JSON.stringify(v.source)}, which the header does not list`);
  if (typeof v.row !== 'number' || !Number.isInteger(v.row)) throw bad('has no valid "row"');
  if (v.type === 'item') {
    if (typeof v.sku !== 'string' || v.sku === '') throw bad('is an item without a SKU');
    if (typeof v.qty !== 'number' || !Number.isFinite(v.qty)) throw bad('is an item without a numeric "qty"');
    if (v.text !== undefined && typeof v.text !== 'string') throw bad('has a non-string "text"');
    const item: SnapshotRecord = v.text === undefined
      ? { kind: 'item', source: v.source, sku: v.sku, qty: v.qty, row: v.row }
      : { kind: 'item', source: v.source, sku: v.sku, qty: v.qty, row: v.row, text: v.text };
    if (v.amounts !== undefined) item.amounts = checkAmounts(v.amounts, bad);
    return item;
  }
  if (v.type === 'rejected') {
    if (typeof v.reason !== 'string') throw bad('is a rejected row without a "reason"');
    if (v.sku !== undefined && typeof v.sku !== 'string') throw bad('has a non-string "sku"');
    return v.sku === undefined
      ? { kind: 'rejected', source: v.source, row: v.row, reason: v.reason }
      : { kind: 'rejected', source: v.source, row: v.row, reason: v.reason, sku: v.sku };
  }
  if (v.type === 'trailer') throw bad('is a trailer followed by more entries (missing ",")');
  throw bad(`has unknown entry type ${JSON.stringify(v.type)}`);
}
