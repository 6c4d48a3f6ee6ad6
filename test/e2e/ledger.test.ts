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

/** The error messages of a CLI run (stderr holds JSON log lines when it is not a terminal). */
const errorsOf = (stderr: string): string => stderr.split('\n').filter((l) => l.startsWith('{'))
  .map((l) => (JSON.parse(l) as { level: number; msg: string })).filter((l) => l.level >= 50).map((l) => l.msg).join('\n');
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
  /** `invsync ledger <sku>` for a SKU nothing was applied for: exit 2, naming the SKU. */
  const unknown = async (sku: string) => {
    const r = await run(['ledger', sku, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(errorsOf(r.stderr)).toContain(`SKU "${sku}": no count and no movement applied in ledger "warehouse"`);
  };
  const stock = () => Object.fromEntries(emu.stockBySku());
  // Day 1: a count, a purchase, sales (L-3 sells more than it has: -2).
  file('counts/2026-03-01.csv', ['sku,qty,date', 'L-1,10,2026-03-01T00:00:00Z', 'L-2,4,2026-03-01T00:00:00Z', 'L-3,1,2026-03-01T00:00:00Z']);
  file('purchases/2026-03-02.csv', ['id,sku,qty,date', 'PO-1,L-1,6,2026-03-02T09:00:00Z', 'PO-2,L-4,8,2026-03-02T09:00:00Z']);
  file('sales/2026-03-02.csv', ['id,sku,qty,date', 'INV-1,L-1,2,2026-03-02T10:00:00Z', 'INV-2,L-2,1,2026-03-02T11:00:00Z', 'INV-3,L-3,3,2026-03-02T12:00:00Z']);
  // Ledger: L-1 14, L-2 3, L-3 -2 (→ 0), L-4 8. Feed adds L-1 5, F-1 7, F-2 3.
  const day1 = { 'L-1': 19, 'L-2': 3, 'L-3': 0, 'L-4': 8, 'F-1': 7, 'F-2': 3 };
  return { emu, dir, file, run, ledger, unknown, stock, day1 };
}

describe('ledger + supplier feed (aggregate sum) through the CLI', () => {
  it('lands the exact sums, applies each movement once across overlapping days, and reports conflicts and negatives', async () => {
    const t = await setup();
    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    const s1 = JSON.parse(first.stdout) as RunSummary;
    expect(s1.sources?.warehouse).toEqual({ items: 4, rejected: 1, matched: 4 });
    // The balance is no line of a file: no "row N:" label (it used to say the SKU's place among the balances).
    expect(s1.errors).toEqual([expect.objectContaining({ sku: null, source: 'warehouse', message: expect.stringMatching(/^SKU "L-3": ledger balance -2 is below 0: offered as 0/) })]);
    expect(s1.errors[0]).not.toHaveProperty('row');

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

  it('refuses bad requests with exit 2 and a message naming what is wrong', async () => {
    const t = await setup();
    expect((await t.run(['full'])).code).toBe(0);
    const cases: Array<[string[], string]> = [
      [['ledger', 'L-9'], 'SKU "L-9": no count and no movement applied in ledger "warehouse"'],
      [['ledger', 'l-1'], 'SKU "l-1": no count and no movement applied in ledger "warehouse" (SKUs match exactly, case included'],
      [['ledger', '--since', '2026-02-30'], '--since: impossible date "2026-02-30"'],
      [['ledger', '--since', 'yesterday'], '--since: unreadable date "yesterday"'],
      [['ledger', 'L-1', '--since', '2026-03-01'], 'give a SKU or --since, not both'],
      [['ledger'], 'give a SKU (`invsync ledger ABC-1`) or --since <date>'],
      [['ledger', 'L-1', '--source', 'feed'], '--source: "feed" is not a ledger source (ledger sources: warehouse)'],
    ];
    for (const [args, message] of cases) {
      const r = await t.run(args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(errorsOf(r.stderr)).toContain(message);
    }
    // A configuration without a ledger source.
    const plain = writeJson(path.join(t.dir, 'plain.json'), { stateDir: 'state', sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }],
      store: { type: 'woocommerce', url: t.emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' } });
    const none = await runCli(['-c', plain, 'ledger', 'L-1'], { env });
    expect(none.code).toBe(2);
    expect(errorsOf(none.stderr)).toContain('no source of type "ledger" in the configuration');
    // A ledger source does not take store keys: a config error naming the path.
    const stray = writeJson(path.join(t.dir, 'stray.json'), { stateDir: 'state',
      sources: [{ name: 'warehouse', type: 'ledger', counts: 'counts/*.csv', stores: ['web'] }],
      stores: [{ name: 'web', type: 'woocommerce', url: t.emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' }] });
    const strayRun = await runCli(['-c', stray, 'ledger', 'L-1'], { env });
    expect(strayRun.code).toBe(2);
    expect(errorsOf(strayRun.stderr)).toContain('sources.0: unknown key(s) "stores"');
  });

  it('works with `stores: [...]`: the ledger applies with the fetch and `invsync ledger` reads it', async () => {
    const t = await setup();
    const multi = writeJson(path.join(t.dir, 'multi.json'), { ...JSON.parse(fs.readFileSync(path.join(t.dir, 'invsync.config.json'), 'utf8')) as Record<string, unknown>,
      store: undefined, stores: [{ name: 'web', type: 'woocommerce', url: t.emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' }] });
    expect((await runCli(['-c', multi, 'full'], { env })).code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    const r = await runCli(['-c', multi, 'ledger', 'L-1', '--json'], { env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as LedgerJson).ledgers[0]).toMatchObject({ balance: 14, movementsSince: 2 });
  });

  it('deleting and renaming applied files changes nothing', async () => {
    const t = await setup();
    expect((await t.run(['full'])).code).toBe(0);
    fs.rmSync(path.join(t.dir, 'sales/2026-03-02.csv'));
    fs.renameSync(path.join(t.dir, 'purchases/2026-03-02.csv'), path.join(t.dir, 'purchases/old-2026-03-02.csv'));
    expect((await t.run(['full'])).code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    expect(await t.ledger('L-1')).toMatchObject({ balance: 14, movementsSince: 2 });
  });

  it('a failed fetch in the middle applies nothing; the next run applies each movement once', async () => {
    const t = await setup();
    // The supplier feed (read after the ledger staged its movements) is missing: exit 5.
    fs.renameSync(path.join(t.dir, 'feed.csv'), path.join(t.dir, 'feed.away'));
    const failed = await t.run(['full', '--json']);
    expect(failed.code).toBe(5);
    expect(Object.values(t.stock())).toEqual(SKUS.map(() => 99));
    await t.unknown('L-1');
    fs.renameSync(path.join(t.dir, 'feed.away'), path.join(t.dir, 'feed.csv'));
    expect((await t.run(['full'])).code).toBe(0);
    expect(t.stock()).toEqual(t.day1);
    expect(await t.ledger('L-1')).toMatchObject({ balance: 14, movementsSince: 2 });
  });

  it.each([
    ['while the ledger offers its balances', 'fetch:item:1'],
    ['while the supplier feed is read, after the ledger staged everything', 'fetch:item:6'],
    ['after the new snapshot replaced the old one, before the commit', 'fetch:before-index-commit'],
  ])('kill -9 %s: nothing applied, then exactly once after the next run', async (_name, point) => {
    const t = await setup();
    const crashed = await t.run(['full'], { INVSYNC_FAULT_KILL_AT: point });
    expect(crashed.signal).toBe('SIGKILL');
    await t.unknown('L-1');
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
