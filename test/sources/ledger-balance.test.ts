import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { balances, offered } from '../../src/sources/ledger/balance.js';
import { fileNameMatcher, movementDelta, movementDigest, parseAt, parseSignedQty } from '../../src/sources/ledger/rows.js';
import { openDb, type Db } from '../../src/state/db.js';
import { computeBalances, readBalances } from '../../src/state/ledger.js';

describe('ledger rows', () => {
  it('reads whole signed quantities and refuses fractions, exponents and out-of-range values', () => {
    expect(parseSignedQty('-3')).toEqual({ ok: true, value: -3 });
    expect(parseSignedQty(' +4 ')).toEqual({ ok: true, value: 4 });
    expect(parseSignedQty('5.00')).toEqual({ ok: true, value: 5 });
    expect(parseSignedQty(-0)).toEqual({ ok: true, value: 0 });
    expect(parseSignedQty('2147483647')).toEqual({ ok: true, value: 2147483647 });
    expect(parseSignedQty('-2147483648')).toEqual({ ok: false, reason: 'quantity "-2147483648" is out of range (at most 2147483647 either way)' });
    expect(parseSignedQty('1.5')).toEqual({ ok: false, reason: 'quantity "1.5" is not a whole number' });
    expect(parseSignedQty('1e3')).toEqual({ ok: false, reason: 'non-numeric quantity "1e3"' });
    expect(parseSignedQty('9'.repeat(40))).toEqual({ ok: false, reason: expect.stringContaining('out of range') });
    expect(parseSignedQty('')).toEqual({ ok: false, reason: 'no quantity' });
    expect(parseSignedQty(Number.NaN)).toEqual({ ok: false, reason: 'quantity NaN is out of range (at most 2147483647 either way)' });
  });

  it('reads ISO dates: with an offset exactly, without one in local time, and refuses impossible ones', () => {
    expect(parseAt('2026-03-01T10:00:00Z')).toEqual({ ok: true, value: Date.UTC(2026, 2, 1, 10) });
    expect(parseAt('2026-03-01 10:00+02:00')).toEqual({ ok: true, value: Date.UTC(2026, 2, 1, 8) });
    expect(parseAt('2026-03-01T10:00:00.250-0130')).toEqual({ ok: true, value: Date.UTC(2026, 2, 1, 11, 30, 0, 250) });
    expect(parseAt('2026-03-01')).toEqual({ ok: true, value: new Date(2026, 2, 1).getTime() });
    expect(parseAt('2026-02-29')).toEqual({ ok: false, reason: 'impossible date "2026-02-29"' });
    expect(parseAt('2026-03-01T24:00')).toEqual({ ok: false, reason: 'impossible date "2026-03-01T24:00"' });
    expect(parseAt('01/03/2026')).toEqual({ ok: false, reason: 'unreadable date "01/03/2026" (expected YYYY-MM-DD or an ISO 8601 date-time)' });
    expect(parseAt('')).toEqual({ ok: false, reason: 'no date' });
  });

  it('a sale subtracts, a purchase adds, an adjustment adds its sign', () => {
    expect([movementDelta('sale', 2), movementDelta('sale', -2), movementDelta('purchase', 3), movementDelta('adjustment', -4)]).toEqual([-2, 2, 3, -4]);
  });

  it('the digest covers SKU, effect and the row\'s own date, nothing else', () => {
    const d = movementDigest('A', -2, 1000);
    expect(movementDigest('A', -2, 1000)).toBe(d);
    expect(new Set([d, movementDigest('B', -2, 1000), movementDigest('A', -3, 1000), movementDigest('A', -2, 1001), movementDigest('A', -2, undefined)]).size).toBe(5);
  });

  it('matches wildcards in file names only, never hidden files', () => {
    const m = fileNameMatcher('sales-*.csv');
    expect(['sales-0301.csv', 'sales-.csv', 'sales-0301.csv.bak', 'xsales-1.csv', '.sales-1.csv'].map(m)).toEqual([true, true, false, false, false]);
    expect(['a1.csv', 'ab.csv', 'a12.csv'].map(fileNameMatcher('a?.csv'))).toEqual([true, true, false]);
    expect(fileNameMatcher('a+(b).csv')('a+(b).csv')).toBe(true);
  });

  it('offers 0 for a balance below 0 and says so', () => {
    expect([offered(-3), offered(0), offered(7)]).toEqual([{ qty: 0, negative: true }, { qty: 0, negative: false }, { qty: 7, negative: false }]);
  });
});

describe('balances in SQL follow the same rules as the pure model', () => {
  let dir: string;
  let db: Db;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-ledger-sql-'));
    db = openDb(dir);
  });
  afterAll(() => { db.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  const sku = fc.constantFrom('A', 'B', 'C', 'D');
  const at = fc.integer({ min: 0, max: 20 });
  const count = fc.record({ sku, at, qty: fc.integer({ min: 0, max: 50 }), staged: fc.boolean() });
  const movement = fc.record({ sku, at, delta: fc.integer({ min: -20, max: 20 }), staged: fc.boolean() });

  it('latest count + later movements, counts reset only their SKUs, applied and staged rows alike', () => {
    let run = 0;
    fc.assert(fc.property(fc.array(count, { maxLength: 8 }), fc.array(movement, { maxLength: 25 }), (counts, movements) => {
      const source = `s${++run}`;
      const fetch = `f${run}`;
      // One count per SKU and time, as the stager guarantees.
      const seen = new Set<string>();
      const uniqueCounts = counts.filter((c) => !seen.has(`${c.sku}@${c.at}`) && seen.add(`${c.sku}@${c.at}`));
      db.transaction(() => {
        for (const c of uniqueCounts) {
          if (c.staged) db.prepare('INSERT INTO ledger_staged_counts (fetch_id, source, sku, at, qty) VALUES (?, ?, ?, ?, ?)').run(fetch, source, c.sku, c.at, c.qty);
          else db.prepare('INSERT INTO ledger_counts (source, sku, at, qty, fetch_id, applied_at) VALUES (?, ?, ?, ?, ?, ?)').run(source, c.sku, c.at, c.qty, 'old', 'x');
        }
        movements.forEach((m, i) => {
          if (m.staged) db.prepare('INSERT INTO ledger_staged (fetch_id, source, input, id, digest, sku, delta, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(fetch, source, 'in', String(i), 'd', m.sku, m.delta, m.at);
          else db.prepare('INSERT INTO ledger_movements (source, input, id, digest, sku, delta, at, fetch_id, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(source, 'in', String(i), 'd', m.sku, m.delta, m.at, 'old', 'x');
        });
      })();
      computeBalances(db, source, fetch);
      const fromSql = [...readBalances(db, source, fetch, 3)];
      const model = balances(uniqueCounts, movements).map((b) => ({ sku: b.sku, balance: b.balance }));
      expect(fromSql).toEqual(model);
    }), { numRuns: 200 });
  });
});
