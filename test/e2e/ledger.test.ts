/**
 * The ledger source through the built CLI, as the daily cron job runs it: a warehouse ledger
 * (counts/, purchases/, sales/) plus a supplier's CSV feed, `aggregate: "sum"`, into the
 * WooCommerce emulator — exact store state, exactly-once movements across failures and kill -9.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret, TZ: 'UTC' };
const SKUS = ['L-1', 'L-2', 'L-3', 'L-4', 'F-1', 'F-2'];

interface LedgerJson {
  sku: string;
  ledgers: Array<{ source: string; known: boolean; balance: number | null; offered: number | null; lastCount: { qty: number; at: string } | null; movementsSince: number; movements: Array<{ input: string; id: string; qty: number }> }>;
}

async function setup() {
  const emu = await startWooEmulator({ products: SKUS.map((sku) => ({ type: 'simple' as const, sku, name: sku, manage_stock: true, stock_quantity: 99 })) });
  running.push(emu);
  const dir = tempDir();
  const file = (rel: string, lines: string[]) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), `${lines.join('\n')}\n`);
  };
  for (const folder of ['counts', 'purchases', 'sales']) fs.mkdirSync(path.join(dir, folder));
  file('feed.csv', ['sku,qty', 'L-1,5', 'F-1,7', 'F-2,3']);
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [
      { name: 'warehouse', type: 'ledger', counts: 'counts/*.csv',
        movements: [{ name: 'purchases', path: 'purchases/*.csv', kind: 'purchase' }, { name: 'sales', path: 'sales/*.csv', kind: 'sale' }],
        columns: { id: 'id', sku: 'sku', qty: 'qty', at: 'date' } },
      { name: 'feed', type: 'csv', path: 'feed.csv' },
    ],
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    rules: { aggregate: 'sum' },
    safety: { maxZeroRatio: 1, maxStockDropRatio: 1, maxMissingRatio: 1 },
  });
  const run = (args: string[], extra: Record<string, string> = {}) => runCli(['-c', config, ...args], { env: { ...env, ...extra } });
  const ledger = async (sku: string): Promise<LedgerJson['ledgers'][0]> => {
    const r = await run(['ledger', sku, '--json']);
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as LedgerJson).ledgers[0]!;
  };
  const stock = () => Object.fromEntries(emu.stockBySku());
  // Day 1: a count, a purchase, sales (L-3 sells more than it has: -2).
  file('counts/2026-03-01.csv', ['sku,qty,date', 'L-1,10,2026-03-01T00:00:00Z', 'L-2,4,2026-03-01T00:00:00Z', 'L-3,1,2026-03-01T00:00:00Z']);
  file('purchases/2026-03-02.csv', ['id,sku,qty,date', 'PO-1,L-1,6,2026-03-02T09:00:00Z', 'PO-2,L-4,8,2026-03-02T09:00:00Z']);
  file('sales/2026-03-02.csv', ['id,sku,qty,date', 'INV-1,L-1,2,2026-03-02T10:00:00Z', 'INV-2,L-2,1,2026-03-02T11:00:00Z', 'INV-3,L-3,3,2026-03-02T12:00:00Z']);
  // Ledger: L-1 14, L-2 3, L-3 -2 (→ 0), L-4 8. Feed adds L-1 5, F-1 7, F-2 3.
  const day1 = { 'L-1': 19, 'L-2': 3, 'L-3': 0, 'L-4': 8, 'F-1': 7, 'F-2': 3 };
  return { emu, dir, file, run, ledger, stock, day1 };
}

describe('ledger + supplier feed (aggregate sum) through the CLI', () => {
  it('lands the exact sums, applies each movement once across overlapping days, and reports conflicts and negatives', async () => {
    const t = await setup();
    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    const s1 = JSON.parse(first.stdout) as RunSummary;
    expect(s1.sources?.warehouse).toEqual({ items: 4, rejected: 1, matched: 4 });
    expect(s1.errors).toEqual([expect.objectContaining({ sku: null, source: 'warehouse', message: expect.stringContaining('SKU "L-3": ledger balance -2 is below 0: offered as 0') })]);

    // Day 2: the sales export overlaps day 1 (INV-3 again), re-uses INV-2 with other content
    // (a conflict), and a purchase brings L-3 back above 0.
    t.file('sales/2026-03-03.csv', ['id,sku,qty,date', 'INV-3,L-3,3,2026-03-02T12:00:00Z', 'INV-2,L-2,4,2026-03-02T11:00:00Z', 'INV-4,L-1,1,2026-03-03T10:00:00Z']);
    t.file('purchases/2026-03-03.csv', ['id,sku,qty,date', 'PO-3,L-3,5,2026-03-03T09:00:00Z']);
    const second = await t.run(['full', '--json']);
    expect(second.code).toBe(0);
    expect(t.stock()).toEqual({ ...t.day1, 'L-1': 18, 'L-3': 3 });
    const s2 = JSON.parse(second.stdout) as RunSummary;
    expect(s2.errors).toHaveLength(1);
    expect(s2.errors[0]!.message).toContain('conflict: movement id "INV-2" of input "sales" was applied first');

    // The same files again: nothing moves, nothing is written.
    const third = await t.run(['full', '--json']);
    expect(third.code).toBe(0);
    expect((JSON.parse(third.stdout) as RunSummary).counts.changed).toBe(0);
    expect(t.stock()).toEqual({ ...t.day1, 'L-1': 18, 'L-3': 3 });

    // A new count resets L-1 only; the late sale dated before it no longer counts.
    t.file('counts/2026-03-04.csv', ['sku,qty,date', 'L-1,30,2026-03-04T00:00:00Z']);
    t.file('sales/late.csv', ['id,sku,qty,date', 'INV-5,L-1,4,2026-03-03T15:00:00Z', 'INV-6,L-2,1,2026-03-03T15:00:00Z']);
    expect((await t.run(['full'])).code).toBe(0);
    expect(t.stock()).toEqual({ ...t.day1, 'L-1': 35, 'L-2': 2, 'L-3': 3 });

    const l1 = await t.ledger('L-1');
    expect(l1).toMatchObject({ source: 'warehouse', known: true, balance: 30, offered: 30, lastCount: { qty: 30, at: '2026-03-04T00:00:00.000Z' }, movementsSince: 0 });
    const l3 = await t.ledger('L-3');
    expect(l3).toMatchObject({ balance: 3, movementsSince: 2 });
    expect(l3.movements.map((m) => [m.input, m.id, m.qty])).toEqual([['sales', 'INV-3', -3], ['purchases', 'PO-3', 5]]);
    const text = await t.run(['ledger', 'L-3']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ledger "warehouse" · SKU L-3\n  balance     3\n  last count  1 at 2026-03-01T00:00:00.000Z');
    expect(text.stdout).toMatch(/\n {2}2026-03-02T12:00:00\.000Z +sales +INV-3 +-3 +\S+sales\/2026-03-02\.csv:4\n/);
    const since = await t.run(['ledger', '--since', '2000-01-01', '--json']);
    expect(since.code).toBe(0);
    const perInput = (JSON.parse(since.stdout) as { inputs: Array<{ input: string; count: number; net: number }> }).inputs.map((i) => [i.input, i.count, i.net]);
    expect(perInput).toEqual([['purchases', 3, 19], ['sales', 6, -12]]);
    expect((await t.run(['ledger', 'L-9', '--source', 'feed'])).code).toBe(2);
  });

  it('a failed fetch in the middle applies nothing; the next run applies each movement once', async () => {
    const t = await setup();
    // The supplier feed (read after the ledger staged its movements) is missing: exit 5.
    fs.renameSync(path.join(t.dir, 'feed.csv'), path.join(t.dir, 'feed.away'));
    const failed = await t.run(['full', '--json']);
    expect(failed.code).toBe(5);
    expect(Object.values(t.stock())).toEqual(SKUS.map(() => 99));
    expect(await t.ledger('L-1')).toMatchObject({ known: false, balance: null });
    fs.renameSync(path.join(t.dir, 'feed.away'), path.join(t.dir, 'feed.csv'));
    expect((await t.run(['full'])).code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    expect(await t.ledger('L-1')).toMatchObject({ balance: 14, movementsSince: 2 });
  });

  it.each([
    ['while the ledger offers its balances', 'fetch:item:1'],
    ['while the supplier feed is read, after the ledger staged everything', 'fetch:item:6'],
  ])('kill -9 %s: nothing applied, then exactly once after the next run', async (_name, point) => {
    const t = await setup();
    const crashed = await t.run(['full'], { INVSYNC_FAULT_KILL_AT: point });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await t.ledger('L-1')).toMatchObject({ known: false });
    expect(Object.values(t.stock())).toEqual(SKUS.map(() => 99));
    expect((await t.run(['full'])).code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    const l1 = await t.ledger('L-1');
    expect(l1).toMatchObject({ balance: 14, movementsSince: 2 });
    expect((await t.run(['full'])).code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    expect(await t.ledger('L-1')).toMatchObject({ balance: 14, movementsSince: 2 });
  });
});
