/**
 * SPEC §8 "Fetch is one unit", with the built CLI as cron runs it (REVIEW-2026-12 #6): a fetch
 * that fails after the store listing ended changes neither the snapshot nor the store index, and
 * `match` refuses a snapshot and an index that do not come from one fetch (exit 4).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, startCli, stderrOf, tempDir, waitCli, waitFor, writeCsv, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;
const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };

async function setup(count: number) {
  const emu: WooEmulator = await startWooEmulator({ products: simpleProducts(count, { stock: () => 0 }) });
  running.push(emu);
  const dir = tempDir();
  writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: count }, (_, k) => [sku(k + 1), 5]));
  const raw = {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
  };
  const config = writeJson(path.join(dir, 'invsync.config.json'), raw);
  const run = (args: string[], extraEnv: Record<string, string> = {}) => runCli(['-c', config, ...args], { env: { ...env, ...extraEnv } });
  const stateFile = (name: string) => path.join(dir, 'state', name);
  const indexMeta = () => {
    const db = new Database(stateFile('invsync.db'), { readonly: true });
    try {
      return {
        meta: db.prepare('SELECT generation, refreshed_at, item_count, fetch_id FROM index_meta WHERE id = 1').get() as
          { generation: number; refreshed_at: string; item_count: number; fetch_id: string | null },
        rows: (db.prepare('SELECT COUNT(*) AS n FROM store_items').get() as { n: number }).n,
      };
    } finally {
      db.close();
    }
  };
  const snapshotFetchId = () => (JSON.parse(fs.readFileSync(stateFile('snapshot.json'), 'utf8')) as Array<{ fetchId?: string }>)[0]!.fetchId;
  return { emu, dir, raw, config, run, stateFile, indexMeta, snapshotFetchId };
}

function summary(stdout: string): RunSummary {
  return JSON.parse(stdout) as RunSummary;
}

describe('fetch is one unit (built CLI)', () => {
  it('REVIEW #6: a feed failing at its end (unclosed quote) after the listing ended exits 5 and keeps the index generation and the snapshot; match then builds from the old pair', async () => {
    const t = await setup(20);
    expect((await t.run(['fetch'])).code).toBe(0);
    const before = t.indexMeta();
    expect(before).toMatchObject({ meta: { generation: 1, item_count: 20 }, rows: 20 });
    const snapshotBefore = fs.readFileSync(t.stateFile('snapshot.json'));
    expect(t.snapshotFetchId()).toBe(before.meta.fetch_id);

    // Since: the store gained a product, and the supplier now serves a feed whose last line
    // opens a quote it never closes, sent only once invsync has finished listing the store.
    t.emu.seed(simpleProducts(1, { start: 21, stock: () => 0 }));
    let release!: () => void;
    const listed = new Promise<void>((r) => { release = r; });
    const feed = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write(`sku,qty\n${Array.from({ length: 3000 }, (_, k) => `X-${k},1`).join('\n')}\n`);
      void listed.then(() => res.end(`"${sku(1)},9\n`));
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', () => r()));
    running.push({ close: () => new Promise<void>((r) => { feed.closeAllConnections(); feed.close(() => r()); }) });
    writeJson(t.config, { ...t.raw, sources: [{ name: 'feed', type: 'csv', url: `http://127.0.0.1:${(feed.address() as AddressInfo).port}/feed.csv` }] });

    const child = startCli(['-c', t.config, '--log-level', 'info', 'fetch', '--json'], { env });
    await waitFor(() => stderrOf(child).includes('store listing staged: 21 item(s)'));
    release();
    const failed = await waitCli(child);

    expect(failed.code).toBe(5);
    const s = summary(failed.stdout);
    expect(s).toMatchObject({ command: 'fetch', status: 'failed', exitCode: 5 });
    expect(s.message).toMatch(/^source "feed": malformed CSV .* at line 3002: unclosed quote/);
    expect(t.indexMeta()).toEqual(before);
    expect(fs.readFileSync(t.stateFile('snapshot.json')).equals(snapshotBefore)).toBe(true);

    const match = await t.run(['match', '--json']);
    expect(match.code).toBe(0);
    expect(summary(match.stdout).counts).toMatchObject({ storeItems: 20, matched: 20, changed: 20 });
  });

  it('killed between the snapshot rename and the index commit: match refuses the pair with exit 4 and says to fetch; a fetch repairs it', async () => {
    const t = await setup(10);
    expect((await t.run(['fetch'])).code).toBe(0);
    const before = t.indexMeta();

    const crashed = await t.run(['fetch'], { INVSYNC_FAULT_KILL_AT: 'fetch:before-index-commit' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(t.indexMeta()).toEqual(before);
    expect(t.snapshotFetchId()).not.toBe(before.meta.fetch_id);

    const refused = await t.run(['match', '--json']);
    expect(refused.code).toBe(4);
    const s = summary(refused.stdout);
    expect(s).toMatchObject({ status: 'blocked', exitCode: 4, planId: null });
    expect(s.message).toMatch(/do not come from the same fetch .*: run `invsync fetch`$/);
    expect(await t.run(['push'])).toMatchObject({ code: 0 }); // nothing was armed
    expect(t.emu.writeRequests()).toBe(0);

    expect((await t.run(['fetch'])).code).toBe(0);
    const again = await t.run(['match', '--json']);
    expect(again.code).toBe(0);
    expect(summary(again.stdout).counts.changed).toBe(10);
  });

  it('state from an invsync without fetch ids (schema 4, no id in the snapshot header): match exits 4 with "run `invsync fetch`", not a crash', async () => {
    const t = await setup(3);
    fs.mkdirSync(t.stateFile(''), { recursive: true });
    const old = new Database(t.stateFile('invsync.db'));
    for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql as string);
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO store_items (ord, sku, product_id, variation_id, qty, managed, name, ref) VALUES (0, 'SKU-0001', '1', NULL, 0, 1, NULL, NULL)").run();
    old.prepare("INSERT INTO index_meta (id, generation, refreshed_at, item_count, store) VALUES (1, 4, '2026-11-30T10:00:00.000Z', 1, 'woocommerce')").run();
    old.close();
    fs.writeFileSync(t.stateFile('snapshot.json'), [
      '[',
      '{"type":"header","version":1,"createdAt":"2026-11-30T09:59:00.000Z","sources":["feed"]},',
      '{"type":"item","source":"feed","sku":"SKU-0001","qty":5,"row":2},',
      '{"type":"trailer","items":1,"rejected":0,"perSource":{"feed":{"items":1,"rejected":0}}}',
      ']',
      '',
    ].join('\n'));

    const refused = await t.run(['match', '--json']);
    expect(refused.code).toBe(4);
    expect(summary(refused.stdout).message).toMatch(/the snapshot and the store index predate fetch ids \(written by an older invsync\): run `invsync fetch`$/);

    expect((await t.run(['fetch'])).code).toBe(0);
    expect(t.indexMeta().meta).toMatchObject({ generation: 5, item_count: 3 });
    expect((await t.run(['match'])).code).toBe(0);
  });
});
