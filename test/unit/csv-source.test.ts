import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CsvSourceConfig } from '../../src/config/schema.js';
import { HttpError, SourceError } from '../../src/domain/errors.js';
import type { SourceRecord } from '../../src/domain/types.js';
import { createCsvSource } from '../../src/sources/csv/index.js';
import { failure } from '../helpers/failure.js';

// Retries in the HTTP client wait ~20 ms instead of ~500 ms.
process.env.INVSYNC_RETRY_BASE_MS = '20';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-csv-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function writeCsv(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function csvSource(options: Record<string, unknown>) {
  return createCsvSource(CsvSourceConfig.parse({ name: 'feed', type: 'csv', ...options }));
}

async function collect(source: { stream(signal?: AbortSignal): AsyncIterable<SourceRecord> }, signal?: AbortSignal): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of source.stream(signal)) out.push(record);
  return out;
}

describe('csv source: reading a file', () => {
  it('reports items and rejected rows with the physical line numbers a user can open the file at', async () => {
    const content = [
      '\ufeffsku,qty\r\n', //             1 (BOM, CRLF)
      'A-1,5\r\n', //                     2
      '\r\n', //                          3 empty
      '"B,2","3"\n', //                   4 quoted delimiter, LF
      '"C ""quoted""",7\r', //            5 escaped quotes, lone CR
      '"D\r\nmulti",4\n', //              6-7 CRLF inside quotes
      'E,abc\n', //                       8 non-numeric
      ',9\n', //                          9 no SKU
      'F,\n', //                          10 no quantity
      'G\n', //                           11 too short
      '  H  , -2.5 \n', //                12 trimmed, a negative counts as 0
      'I,1.5,extra\n', //                 13 extra field is fine, fraction floored
      ',,\n', //                          14 blank row: skipped
      '\n', //                            15 empty
      'K,"1,5"\n', //                     16 decimal comma
      'L,12abc\n', //                     17
      'M,NaN\n', //                       18
      'N,Infinity\n', //                  19
      'O,+3\n', //                        20
      'P,1e3\n', //                       21
      'Q,10', //                          22 no final newline
    ].join('');
    const records = await collect(csvSource({ path: writeCsv('mixed.csv', content) }));
    expect(records).toEqual([
      { kind: 'item', sku: 'A-1', qty: 5, row: 2 },
      { kind: 'item', sku: 'B,2', qty: 3, row: 4 },
      { kind: 'item', sku: 'C "quoted"', qty: 7, row: 5 },
      { kind: 'item', sku: 'D\r\nmulti', qty: 4, row: 6 },
      { kind: 'rejected', row: 8, reason: 'non-numeric quantity "abc"', sku: 'E' },
      { kind: 'rejected', row: 9, reason: 'no SKU' },
      { kind: 'rejected', row: 10, reason: 'no quantity', sku: 'F' },
      { kind: 'rejected', row: 11, reason: 'row has 1 field, expected at least 2', sku: 'G' },
      { kind: 'item', sku: 'H', qty: 0, row: 12 },
      { kind: 'item', sku: 'I', qty: 1, row: 13 },
      { kind: 'rejected', row: 16, reason: 'non-numeric quantity "1,5"', sku: 'K' },
      { kind: 'rejected', row: 17, reason: 'non-numeric quantity "12abc"', sku: 'L' },
      { kind: 'rejected', row: 18, reason: 'non-numeric quantity "NaN"', sku: 'M' },
      { kind: 'rejected', row: 19, reason: 'non-numeric quantity "Infinity"', sku: 'N' },
      { kind: 'item', sku: 'O', qty: 3, row: 20 },
      { kind: 'rejected', row: 21, reason: 'non-numeric quantity "1e3"', sku: 'P' },
      { kind: 'item', sku: 'Q', qty: 10, row: 22 },
    ]);
  });

  it('rejects quantities beyond 2^31-1 (2^32+1, 11 digits, 400 digits) as rows naming the value, and reads on', async () => {
    const huge = '9'.repeat(400);
    const file = writeCsv('huge.csv', `sku,qty\nA,2147483647\nB,2147483648\nC,4294967297\nD,99999999999\nE,${huge}\nF,-0\nG,3\n`);
    expect(await collect(csvSource({ path: file }))).toEqual([
      { kind: 'item', sku: 'A', qty: 2147483647, row: 2 },
      { kind: 'rejected', row: 3, reason: 'quantity "2147483648" is out of range (0 … 2147483647)', sku: 'B' },
      { kind: 'rejected', row: 4, reason: 'quantity "4294967297" is out of range (0 … 2147483647)', sku: 'C' },
      { kind: 'rejected', row: 5, reason: 'quantity "99999999999" is out of range (0 … 2147483647)', sku: 'D' },
      { kind: 'rejected', row: 6, reason: `quantity "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647)`, sku: 'E' },
      { kind: 'item', sku: 'F', qty: 0, row: 7 },
      { kind: 'item', sku: 'G', qty: 3, row: 8 },
    ]);
  });

  it('keeps line numbers right after multi-line fields with LF and lone CR inside', async () => {
    const file = writeCsv('multiline.csv', 'sku,qty\n"A\n\nB",1\n"C\rD",2\n\n\nE,3\n');
    expect(await collect(csvSource({ path: file }))).toEqual([
      { kind: 'item', sku: 'A\n\nB', qty: 1, row: 2 },
      { kind: 'item', sku: 'C\rD', qty: 2, row: 5 },
      { kind: 'item', sku: 'E', qty: 3, row: 9 },
    ]);
  });

  it('keeps a stray quote inside an unquoted field literally instead of failing the file', async () => {
    const file = writeCsv('inch.csv', 'sku,qty\nTAB-10",4\nX,1\n');
    expect(await collect(csvSource({ path: file }))).toEqual([
      { kind: 'item', sku: 'TAB-10"', qty: 4, row: 2 },
      { kind: 'item', sku: 'X', qty: 1, row: 3 },
    ]);
  });

  it('reads a ";"-delimited file whose columns have other names', async () => {
    const file = writeCsv('semi.csv', 'Preis;Artikelnummer;Bestand\n9,99;A-1;12\n1,00;B-2;1,5\n');
    const source = csvSource({ path: file, delimiter: ';', columns: { sku: 'Artikelnummer', qty: 'Bestand' } });
    expect(await collect(source)).toEqual([
      { kind: 'item', sku: 'A-1', qty: 12, row: 2 },
      { kind: 'rejected', row: 3, reason: 'non-numeric quantity "1,5"', sku: 'B-2' },
    ]);
    await expect(source.check!()).resolves.toBe('header ok: Artikelnummer, Bestand');
  });

  it('matches header names after trimming, and case-insensitively when no exact match exists', async () => {
    const file = writeCsv('case.csv', ' SKU , Qty ,qty\nA,1,2\n');
    expect(await collect(csvSource({ path: file }))).toEqual([{ kind: 'item', sku: 'A', qty: 2, row: 2 }]);
  });

  it('names the missing column and the columns it found', async () => {
    const file = writeCsv('nocol.csv', 'sku,b,c\nA,1,2\n');
    const err = await failure(collect(csvSource({ path: file })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toBe('source "feed": column "qty" not found in the header (found: sku, b, c)');
    await expect(csvSource({ path: file }).check!()).rejects.toThrow('column "qty" not found in the header (found: sku, b, c)');

    const mapped = await failure(collect(csvSource({ path: file, columns: { sku: 'sku', qty: 'Stock' } })));
    expect(mapped.message).toContain('column "Stock" (columns.qty) not found in the header (found: sku, b, c)');
  });

  it('refuses a missing file, naming its path', async () => {
    const file = path.join(dir, 'does-not-exist.csv');
    const err = await failure(collect(csvSource({ path: file })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toContain(`file not found: ${file}`);
    await expect(csvSource({ path: file }).check!()).rejects.toThrow(SourceError);
  });

  it('refuses an empty file: there is no header', async () => {
    const file = writeCsv('empty.csv', '\ufeff\r\n\r\n');
    await expect(collect(csvSource({ path: file }))).rejects.toThrow(/is empty: expected a header row/);
  });

  it('fails on an unclosed quote, naming the line where the broken record starts', async () => {
    const file = writeCsv('unclosed.csv', 'sku,qty\r\nA,1\r\n\r\n"B,2\r\nC,3\r\n');
    const err = await failure(collect(csvSource({ path: file })));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/malformed CSV in .*unclosed\.csv at line 4: unclosed quote/);
  });

  it('check() reads only the header', async () => {
    const file = writeCsv('check.csv', 'sku,qty\nA,1\n"broken\n');
    await expect(csvSource({ path: file }).check!()).resolves.toBe('header ok: sku, qty');
  });

  it('stops when the signal aborts', async () => {
    const file = writeCsv('abort.csv', 'sku,qty\nA,1\nB,2\nC,3\n');
    const controller = new AbortController();
    const seen: SourceRecord[] = [];
    const err = await failure((async () => {
      for await (const record of csvSource({ path: file }).stream(controller.signal)) {
        seen.push(record);
        controller.abort();
      }
    })());
    expect(err.name).toBe('AbortError');
    expect(seen).toHaveLength(1);
  });

  it('streams a large file in order', async () => {
    const rows = 50_000;
    const lines = ['sku,qty'];
    for (let i = 1; i <= rows; i++) lines.push(`SKU-${i},${i % 100}`);
    const file = writeCsv('large.csv', `${lines.join('\r\n')}\r\n`);
    let count = 0;
    let last: SourceRecord | undefined;
    for await (const record of csvSource({ path: file }).stream()) { count++; last = record; }
    expect(count).toBe(rows);
    expect(last).toEqual({ kind: 'item', sku: `SKU-${rows}`, qty: rows % 100, row: rows + 1 });
  });
});

describe('csv source: reading over http', () => {
  let server: http.Server;
  let base: string;
  const hits: Record<string, number> = {};
  const body = 'sku,qty\r\nA,1\r\n"B;x",2\r\nC,oops\r\n';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      hits[url] = (hits[url] ?? 0) + 1;
      if (url === '/feed.csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        // Dribble the body out in small pieces: records straddle chunk boundaries.
        const pieces = body.match(/[\s\S]{1,5}/g) ?? [];
        let i = 0;
        const next = () => { if (i < pieces.length) { res.write(pieces[i++]); setTimeout(next, 1); } else res.end(); };
        next();
      } else if (url === '/cut.csv') {
        // The connection drops mid-body, with a record half sent.
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.write('sku,qty\nA,1\nB,');
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (url === '/flaky.csv') {
        if (hits[url] === 1) { res.writeHead(503, { 'content-type': 'text/plain' }); res.end('busy'); return; }
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(body);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"no such feed"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

  const expected: SourceRecord[] = [
    { kind: 'item', sku: 'A', qty: 1, row: 2 },
    { kind: 'item', sku: 'B;x', qty: 2, row: 3 },
    { kind: 'rejected', row: 4, reason: 'non-numeric quantity "oops"', sku: 'C' },
  ];

  it('streams a CSV from a URL', async () => {
    const source = csvSource({ url: `${base}/feed.csv` });
    expect(await collect(source)).toEqual(expected);
    await expect(source.check!()).resolves.toBe('header ok: sku, qty');
  });

  it('retries a 503 and then reads the feed', async () => {
    expect(await collect(csvSource({ url: `${base}/flaky.csv`, retries: 3 }))).toEqual(expected);
    expect(hits['/flaky.csv']).toBe(2);
  });

  it('fails with HttpError when the connection drops mid-body, not as a short feed', async () => {
    const seen: SourceRecord[] = [];
    const err = await failure((async () => { for await (const r of csvSource({ url: `${base}/cut.csv`, retries: 0 }).stream()) seen.push(r); })());
    expect(err).toBeInstanceOf(HttpError);
    expect(err.message).toMatch(/download interrupted/);
    expect(seen.filter((r) => r.row === 3)).toEqual([]);
  });

  it('lets an HTTP failure propagate as HttpError', async () => {
    const err = await failure(collect(csvSource({ url: `${base}/missing.csv` })));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).details.status).toBe(404);
  });
});
