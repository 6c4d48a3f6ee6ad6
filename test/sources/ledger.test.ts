import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LedgerSourceConfig } from '../../src/config/schema.js';
import { SourceError } from '../../src/domain/errors.js';
import { configureLogging } from '../../src/lib/log.js';
import type { SourceRecord } from '../../src/domain/types.js';
import { createLedgerSource } from '../../src/sources/ledger/index.js';
import { openDb, type Db } from '../../src/state/db.js';
import { applyStagedLedger, lastCount, movementTotals } from '../../src/state/ledger.js';

// The ledger logs a line per fetch at info: keep the test output readable.
configureLogging({ level: 'warn', stderrLevel: 'silent' });

process.env.INVSYNC_RETRY_BASE_MS = '20';

let dir: string;
let db: Db;
let fetches = 0;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-ledger-'));
  db = openDb(path.join(dir, 'state'));
  for (const folder of ['counts', 'purchases', 'sales']) fs.mkdirSync(path.join(dir, folder));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, lines: string[], mtime?: string): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  if (mtime) fs.utimesSync(file, new Date(mtime), new Date(mtime));
  return file;
}

const abs = (rel: string) => path.join(dir, rel);

/** The usual warehouse: counts/, purchases/, sales/ (all paths under the test dir). */
function warehouse(extra: Record<string, unknown> = {}) {
  return LedgerSourceConfig.parse({
    name: 'warehouse', type: 'ledger',
    counts: abs('counts/*.csv'),
    movements: [
      { name: 'purchases', path: abs('purchases/*.csv'), kind: 'purchase' },
      { name: 'sales', path: abs('sales/*.csv'), kind: 'sale' },
    ],
    ...extra,
  });
}

interface Fetched { records: SourceRecord[]; items: Map<string, number>; rejected: Array<{ row: number; reason: string; sku?: string }> }

/** One fetch of the ledger: stream it, then commit it (as fetchAll does) unless `commit` is false. */
async function fetchLedger(config = warehouse(), options: { commit?: boolean } = {}): Promise<Fetched> {
  const fetchId = `fetch-${++fetches}`;
  const source = createLedgerSource(config, { stateDir: path.join(dir, 'state'), db, fetchId });
  const records: SourceRecord[] = [];
  for await (const r of source.stream()) records.push(r);
  if (options.commit !== false) db.transaction(() => applyStagedLedger(db, fetchId))();
  const items = new Map<string, number>();
  for (const r of records) if (r.kind === 'item') items.set(r.sku, r.qty);
  const rejected = records.flatMap((r) => (r.kind === 'rejected' ? [{ row: r.row, reason: r.reason, ...(r.sku ? { sku: r.sku } : {}) }] : []));
  return { records, items, rejected };
}

const appliedMovements = () => (db.prepare('SELECT COUNT(*) AS n FROM ledger_movements').get() as { n: number }).n;

async function failure(promise: Promise<unknown>): Promise<Error> {
  try { await promise; } catch (err) { return err as Error; }
  throw new Error('expected a failure');
}

describe('ledger source: exactly once', () => {
  it('counts a movement once when two files overlap, and identical rows under two ids twice', async () => {
    write('counts/c.csv', ['sku,qty,at', 'A,10,2026-03-01T00:00:00Z', 'B,5,2026-03-01T00:00:00Z']);
    write('sales/day1.csv', ['id,sku,qty,at', 'S1,A,1,2026-03-02T10:00:00Z', 'S2,A,2,2026-03-02T11:00:00Z']);
    // The next export repeats S2 (overlap) and has two identical sales under different ids.
    write('sales/day2.csv', ['id,sku,qty,at', 'S2,A,2,2026-03-02T11:00:00Z', 'S3,B,1,2026-03-03T10:00:00Z', 'S4,B,1,2026-03-03T10:00:00Z']);
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,A,4,2026-03-03T09:00:00Z']);
    const { items, rejected } = await fetchLedger();
    expect(rejected).toEqual([]);
    expect(Object.fromEntries(items)).toEqual({ A: 10 - 1 - 2 + 4, B: 5 - 1 - 1 });
    expect(appliedMovements()).toBe(5);
  });

  it('re-reading the same files (skipped, then touched and re-read) changes nothing', async () => {
    write('counts/c.csv', ['sku,qty,at', 'A,10,2026-03-01T00:00:00Z']);
    write('sales/day1.csv', ['id,sku,qty,at', 'S1,A,3,2026-03-02T10:00:00Z']);
    expect((await fetchLedger()).items.get('A')).toBe(7);
    // Unchanged files are skipped, yet their applied movements still count.
    const again = await fetchLedger();
    expect(again.items.get('A')).toBe(7);
    // A copy tool touches the file: it is read again, and the movement is recognised.
    fs.utimesSync(abs('sales/day1.csv'), new Date('2026-03-05'), new Date('2026-03-05'));
    expect((await fetchLedger()).items.get('A')).toBe(7);
    // A re-import under another file name too.
    fs.copyFileSync(abs('sales/day1.csv'), abs('sales/day1-copy.csv'));
    expect((await fetchLedger()).items.get('A')).toBe(7);
    expect(appliedMovements()).toBe(1);
  });

  it('a conflicting id is reported and not applied; the first stands and the rest of the file is applied', async () => {
    write('sales/day1.csv', ['id,sku,qty,at', 'S1,A,2,2026-03-02T10:00:00Z']);
    await fetchLedger();
    write('sales/day2.csv', ['id,sku,qty,at', 'S1,A,5,2026-03-02T10:00:00Z', 'S2,A,1,2026-03-03T10:00:00Z']);
    const { items, rejected } = await fetchLedger();
    expect(items.get('A')).toBe(0);
    expect(rejected.some((r) => r.reason.includes('SKU "A": ledger balance -3 is below 0'))).toBe(true);
    const conflict = rejected.find((r) => r.reason.includes('conflict'))!;
    expect(conflict.row).toBe(2);
    expect(conflict.sku).toBeUndefined(); // the SKU keeps a well-defined balance: not frozen
    expect(conflict.reason).toContain('movement id "S1" of input "sales" was applied first');
    expect(conflict.reason).toContain('day2.csv');
    expect(movementTotals(db, 'warehouse', 'A', undefined)).toEqual({ n: 2, sum: -3 });
    // The file with the conflict is read again next time, so the conflict stays reported.
    expect((await fetchLedger()).rejected.filter((r) => r.reason.includes('conflict'))).toHaveLength(1);
    expect(movementTotals(db, 'warehouse', 'A', undefined)).toEqual({ n: 2, sum: -3 });
  });

  it('a conflict inside one fetch keeps the row read first', async () => {
    write('sales/a.csv', ['id,sku,qty,at', 'S1,A,2,2026-03-02T10:00:00Z']);
    write('sales/b.csv', ['id,sku,qty,at', 'S1,B,2,2026-03-02T10:00:00Z']);
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,A,10,2026-03-01T10:00:00Z']);
    const { items, rejected } = await fetchLedger();
    expect(Object.fromEntries(items)).toEqual({ A: 8 });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toContain('was read first from');
  });

  it('a fetch that does not commit applies nothing; the next one applies each movement once', async () => {
    write('counts/c.csv', ['sku,qty,at', 'A,10,2026-03-01T00:00:00Z']);
    write('sales/day1.csv', ['id,sku,qty,at', 'S1,A,3,2026-03-02T10:00:00Z']);
    // Staged and offered, but the fetch failed before its commit.
    expect((await fetchLedger(warehouse(), { commit: false })).items.get('A')).toBe(7);
    expect(appliedMovements()).toBe(0);
    expect(lastCount(db, 'warehouse', 'A')).toBeUndefined();
    // A fetch that fails half-way through the inputs (a broken purchases file).
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,A,"4,2026-03-02T10:00:00Z']);
    const err = await failure(fetchLedger());
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toContain('unclosed quote');
    expect(appliedMovements()).toBe(0);
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,A,4,2026-03-02T10:00:00Z']);
    expect((await fetchLedger()).items.get('A')).toBe(11);
    expect(appliedMovements()).toBe(2);
    expect((await fetchLedger()).items.get('A')).toBe(11);
    expect((db.prepare('SELECT COUNT(*) AS n FROM ledger_staged').get() as { n: number }).n).toBe(0);
  });
});

describe('ledger source: balances', () => {
  it('a new count resets only the SKUs it lists, and movements dated before it stop counting whenever they arrive', async () => {
    write('counts/0301.csv', ['sku,qty,at', 'A,10,2026-03-01T00:00:00Z', 'B,20,2026-03-01T00:00:00Z']);
    write('sales/0302.csv', ['id,sku,qty,at', 'S1,A,1,2026-03-02T10:00:00Z', 'S2,B,1,2026-03-02T10:00:00Z']);
    expect(Object.fromEntries((await fetchLedger()).items)).toEqual({ A: 9, B: 19 });
    write('counts/0305.csv', ['sku,qty,at', 'A,50,2026-03-05T00:00:00Z']);
    // A late export of sales dated before and after the new count.
    write('sales/late.csv', ['id,sku,qty,at', 'S3,A,2,2026-03-04T10:00:00Z', 'S4,A,3,2026-03-06T10:00:00Z', 'S5,B,2,2026-03-04T10:00:00Z',
      'S6,A,7,2026-03-05T00:00:00Z']);
    // S6 is dated exactly at the count: not after it.
    expect(Object.fromEntries((await fetchLedger()).items)).toEqual({ A: 47, B: 17 });
  });

  it('reports a balance below 0 and offers 0; the ledger keeps the signed balance', async () => {
    write('counts/c.csv', ['sku,qty,at', 'A,2,2026-03-01T00:00:00Z']);
    write('sales/s.csv', ['id,sku,qty,at', 'S1,A,5,2026-03-02T10:00:00Z']);
    const first = await fetchLedger();
    expect(first.items.get('A')).toBe(0);
    expect(first.rejected).toEqual([{ row: 0, reason: expect.stringContaining('SKU "A": ledger balance -3 is below 0: offered as 0') }]);
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,A,4,2026-03-03T10:00:00Z']);
    const second = await fetchLedger();
    expect(second.items.get('A')).toBe(1);
    expect(second.rejected).toEqual([]);
  });

  it('a movement for a SKU with no count starts from 0; an adjustment adds its signed quantity', async () => {
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,NEW,6,2026-03-02T10:00:00Z']);
    write('adjust/a.csv', ['id,sku,qty,at', 'A1,NEW,-2,2026-03-03T10:00:00Z', 'A2,NEW,+1,2026-03-03T11:00:00Z']);
    const config = warehouse({ movements: [
      { name: 'purchases', path: abs('purchases/*.csv'), kind: 'purchase' },
      { name: 'corrections', path: abs('adjust/*.csv'), kind: 'adjustment' },
    ] });
    expect(Object.fromEntries((await fetchLedger(config)).items)).toEqual({ NEW: 5 });
  });

  it('dates a count file without an "at" column by its modification time', async () => {
    write('counts/c.csv', ['sku,qty', 'A,10'], '2026-03-05T00:00:00Z');
    write('sales/s.csv', ['id,sku,qty,at', 'S1,A,1,2026-03-04T10:00:00Z', 'S2,A,2,2026-03-06T10:00:00Z']);
    expect((await fetchLedger()).items.get('A')).toBe(8);
    expect(lastCount(db, 'warehouse', 'A')!.at).toBe(Date.parse('2026-03-05T00:00:00Z'));
  });

  it('a renamed date column is optional too: files without it (counts and movements) are dated by their modification time', async () => {
    write('counts/c.csv', ['sku,qty', 'A,10'], '2026-03-05T00:00:00Z');
    write('counts/d.csv', ['sku,qty,date', 'B,4,2026-03-01T00:00:00Z']);
    write('sales/s.csv', ['id,sku,qty,date', 'S1,A,1,2026-03-04T10:00:00Z', 'S2,A,2,2026-03-06T10:00:00Z']);
    write('purchases/p.csv', ['id,sku,qty', 'P1,A,5', 'P2,B,1'], '2026-03-07T00:00:00Z');
    const { items, rejected } = await fetchLedger(warehouse({ columns: { at: 'date' } }));
    expect(rejected).toEqual([]);
    expect(Object.fromEntries(items)).toEqual({ A: 10 - 2 + 5, B: 4 + 1 });
    expect(lastCount(db, 'warehouse', 'A')!.at).toBe(Date.parse('2026-03-05T00:00:00Z'));
    expect(lastCount(db, 'warehouse', 'B')!.at).toBe(Date.parse('2026-03-01T00:00:00Z'));
  });

  it('reads custom column names, a JSON input with the json source\'s keys, and a CSV URL', async () => {
    write('counts/c.csv', ['Article;Stock;Date', 'A;10;2026-03-01']);
    write('web/orders.json', [JSON.stringify({ data: { orders: [
      { ref: 'W-1', item: { code: 'A' }, n: 2, when: '2026-03-02T10:00:00Z' },
      { ref: 7, item: { code: 'A' }, n: '1', when: '2026-03-02T11:00:00Z' },
    ] } })]);
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end('Ref;Article;Stock;Date\nR-1;A;3;2026-03-03\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const config = LedgerSourceConfig.parse({
        name: 'warehouse', type: 'ledger', counts: abs('counts/*.csv'), delimiter: ';',
        columns: { id: 'Ref', sku: 'Article', qty: 'Stock', at: 'Date' },
        movements: [
          { name: 'web', path: abs('web/*.json'), kind: 'sale', itemsPath: 'data.orders', idPath: 'ref', skuPath: 'item.code', qtyPath: 'n', atPath: 'when' },
          { name: 'returns', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/returns.csv`, kind: 'adjustment' },
        ],
      });
      const { items, rejected } = await fetchLedger(config);
      expect(rejected).toEqual([]);
      expect(items.get('A')).toBe(10 - 2 - 1 + 3);
    } finally {
      server.close();
    }
  });

  it('rejects unreadable rows naming the file, line and SKU, and applies the rest', async () => {
    write('sales/s.csv', ['id,sku,qty,at', ',A,1,2026-03-02', 'S2,,1,2026-03-02', 'S3,B,1.5,2026-03-02', 'S4,C,2,2026-02-30', 'S5,D,1e3,2026-03-02', 'S6,E,2,2026-03-02']);
    const { items, rejected } = await fetchLedger();
    expect(Object.fromEntries(items)).toEqual({ E: 0 });
    expect(rejected.map((r) => [r.row, r.sku ?? null, r.reason.replace(`${abs('sales/s.csv')}: `, '')])).toEqual([
      [2, 'A', 'no movement id'],
      [3, null, 'no SKU'],
      [4, 'B', 'quantity "1.5" is not a whole number'],
      [5, 'C', 'impossible date "2026-02-30"'],
      [6, 'D', 'non-numeric quantity "1e3"'],
      [0, null, expect.stringContaining('SKU "E": ledger balance -2 is below 0')],
    ]);
  });

  it('a missing folder fails the source; an empty one is simply nothing to read', async () => {
    fs.rmdirSync(abs('counts'));
    write('purchases/p.csv', ['id,sku,qty,at', 'P1,A,1,2026-03-02']);
    const err = await failure(fetchLedger());
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toBe(`source "warehouse": folder not found: ${abs('counts')} (for "${abs('counts/*.csv')}")`);
    expect((await fetchLedger(warehouse({ counts: undefined }))).items.get('A')).toBe(1);
  });
});
