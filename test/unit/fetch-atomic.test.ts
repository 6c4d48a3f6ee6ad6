/**
 * SPEC §8 "Fetch is one unit": the snapshot and the store index of one fetch are committed
 * together or not at all, and `match` refuses a snapshot and an index from different fetches.
 * In process, with the real CSV source and the real WooCommerce adapter against the emulator;
 * only the ORDER of events is steered (a source that starts after the listing ended, a listing
 * that starts after the sources ended), never what the adapters return.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Config } from '../../src/config/schema.js';
import { HttpError, LockedError, SourceError, UnpairedFetchError } from '../../src/domain/errors.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { configureLogging } from '../../src/lib/log.js';
import { fetchAll, fetchPairProblem, snapshotPath } from '../../src/pipeline/fetch.js';
import { buildPlan } from '../../src/pipeline/plan.js';
import { openSnapshot, writeSnapshot } from '../../src/pipeline/snapshot.js';
import { createSources, loadSourceAdapters } from '../../src/sources/registry.js';
import type { SourceAdapter } from '../../src/sources/types.js';
import { openDb, type Db } from '../../src/state/db.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { getIndexMeta, iterateStoreItems, STORE_ITEMS_COLUMNS } from '../../src/state/store-index.js';
import { createStore, loadStoreAdapters } from '../../src/stores/registry.js';
import type { StoreAdapter } from '../../src/stores/types.js';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { failure } from '../helpers/failure.js';

beforeAll(async () => {
  await loadSourceAdapters(['csv']);
  await loadStoreAdapters(['woocommerce']);
});

process.env.INVSYNC_RETRY_BASE_MS = '20';
configureLogging({ level: 'warn', stderrLevel: 'silent' });

const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;

let emu: WooEmulator;
let dir: string;
let db: Db | undefined;

beforeEach(async () => {
  emu = await startWooEmulator({ products: simpleProducts(10, { stock: () => 0 }) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-fetch-'));
});
afterEach(async () => {
  db?.close();
  db = undefined;
  await emu.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const feedFile = path.join(dir, 'supplier.csv');
  fs.writeFileSync(feedFile, `sku,qty\n${Array.from({ length: 10 }, (_, k) => `${sku(k + 1)},5`).join('\n')}\n`);
  const config = Config.parse({
    stateDir: path.join(dir, 'state'),
    sources: [{ name: 'feed', type: 'csv', path: feedFile }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret },
  });
  db = openDb(config.stateDir);
  const theDb = db;
  const sources = () => createSources(config.sources, { stateDir: config.stateDir });
  const store = () => createStore(config.store!);
  const fetch = (over: { sources?: SourceAdapter[]; store?: StoreAdapter } = {}) =>
    fetchAll({ stateDir: config.stateDir, db: theDb, sources: over.sources ?? sources(), store: over.store ?? store() });
  const match = () => buildPlan({ db: theDb, config, configChecksum: 'c', runId: `r-${Math.random()}`, window: {}, force: false });
  return { feedFile, config, db: theDb, sources, store, fetch, match, snapshotFile: snapshotPath(config.stateDir) };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/** The real store adapter; `ended` resolves once its listing has delivered its last item. */
function observedStore(inner: StoreAdapter, before?: Promise<void>): StoreAdapter & { ended: Promise<void>; listed: number } {
  const end = deferred();
  const wrapped = Object.create(inner) as StoreAdapter & { ended: Promise<void>; listed: number };
  wrapped.ended = end.promise;
  wrapped.listed = 0;
  wrapped.list = async function* (signal?: AbortSignal) {
    await before;
    for await (const item of inner.list(signal)) { wrapped.listed++; yield item; }
    end.resolve();
  };
  return wrapped;
}

/** The real source, started only once `after` resolves; `ended` resolves when it has streamed everything. */
function delayedSource(inner: SourceAdapter, after?: Promise<void>): SourceAdapter & { ended: Promise<void> } {
  const end = deferred();
  return {
    name: inner.name,
    type: inner.type,
    ended: end.promise,
    async *stream(signal?: AbortSignal) {
      await after;
      yield* inner.stream(signal);
      end.resolve();
    },
  };
}

function indexRows(theDb: Db) {
  return [...iterateStoreItems(theDb)];
}

/** The columns of each index on store_items (lookups by SKU and by product/variation id need them). */
function indexedColumns(theDb: Db): string[][] {
  const names = theDb.prepare("SELECT name FROM pragma_index_list('store_items') WHERE origin = 'c'").pluck().all() as string[];
  return names.map((name) => theDb.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').pluck().all(name) as string[])
    .sort((a, b) => a.join().localeCompare(b.join()));
}

function tables(theDb: Db): string[] {
  return (theDb.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

describe('fetch commits the snapshot and the store index together', () => {
  it('writes one fetch id into the snapshot header and the store index, moves the generation by one per fetch, and keeps the SKU and id indexes', async () => {
    const t = setup();
    const first = await t.fetch();
    const second = await t.fetch();
    expect(second.fetchId).not.toBe(first.fetchId);
    expect(indexedColumns(t.db)).toEqual([['product_id', 'variation_id'], ['sku']]);
    await t.fetch();
    expect(indexedColumns(t.db)).toEqual([['product_id', 'variation_id'], ['sku']]);
    const third = getIndexMeta(t.db)!;
    expect(third).toMatchObject({ generation: 3, itemCount: 10 });
    expect(third.fetchId).not.toBe(second.fetchId);
    expect((await openSnapshot(t.snapshotFile)).header.fetchId).toBe(third.fetchId);
    expect(tables(t.db)).not.toContain('store_items_new');
    const plan = await t.match();
    expect(plan.changeCount).toBe(10);
  });

  it('a source failing at its end AFTER the store listing finished keeps the previous snapshot, index rows and generation; match builds from that pair', async () => {
    const t = setup();
    await t.fetch();
    const metaBefore = getIndexMeta(t.db);
    const rowsBefore = indexRows(t.db);
    const snapshotBefore = fs.readFileSync(t.snapshotFile);

    // The store changed since (one more product, other levels), and the feed's last line has an unclosed quote.
    emu.seed(simpleProducts(1, { start: 11, stock: () => 0 }));
    fs.writeFileSync(t.feedFile, `sku,qty\n${Array.from({ length: 9 }, (_, k) => `${sku(k + 1)},7`).join('\n')}\n"${sku(10)},7\n`);
    const store = observedStore(t.store());
    const [source] = t.sources();
    const err = await failure(t.fetch({ store, sources: [delayedSource(source!, store.ended)] }));

    expect(err).toBeInstanceOf(SourceError);
    expect(exitCodeFor(err)).toBe(5);
    expect(store.listed).toBe(11); // the listing really had finished when the source failed
    expect(getIndexMeta(t.db)).toEqual(metaBefore);
    expect(indexRows(t.db)).toEqual(rowsBefore);
    expect(fs.readFileSync(t.snapshotFile).equals(snapshotBefore)).toBe(true);
    expect(tables(t.db)).not.toContain('store_items_new');

    const plan = await t.match();
    expect(plan.counts).toMatchObject({ storeItems: 10, changed: 10 });
  });

  it('the store listing failing AFTER every source finished keeps the previous snapshot (no rename) and index', async () => {
    const t = setup();
    await t.fetch();
    const metaBefore = getIndexMeta(t.db);
    const snapshotBefore = fs.readFileSync(t.snapshotFile);

    fs.writeFileSync(t.feedFile, `sku,qty\n${sku(1)},42\n`);
    const [source] = t.sources();
    const sourceDone = delayedSource(source!);
    // Give the snapshot writer time to finish its file before the store answers 401.
    const store = observedStore(t.store(), sourceDone.ended.then(() => new Promise((r) => setTimeout(r, 150))));
    emu.faults.failAuth = true;
    const err = await failure(t.fetch({ store, sources: [sourceDone] }));

    expect(err).toBeInstanceOf(HttpError);
    expect(exitCodeFor(err)).toBe(5);
    expect(fs.readFileSync(t.snapshotFile).equals(snapshotBefore)).toBe(true);
    expect(fs.readdirSync(path.dirname(t.snapshotFile)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(getIndexMeta(t.db)).toEqual(metaBefore);
    expect(tables(t.db)).not.toContain('store_items_new');
  });

  it('the staging table has exactly the columns of the migrated store_items table', () => {
    const fresh = new Database(':memory:');
    try {
      for (const m of MIGRATIONS) {
        if (typeof m === 'string') fresh.exec(m);
        else m(fresh);
      }
      fresh.exec(`CREATE TABLE staged_copy ${STORE_ITEMS_COLUMNS}`);
      const columns = (table: string) => fresh.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info('${table}') ORDER BY cid`).all();
      expect(columns('staged_copy')).toEqual(columns('store_items'));
    } finally {
      fresh.close();
    }
  });
});

describe('match refuses a snapshot and a store index that are not from one fetch (exit 4)', () => {
  it('a snapshot from fetch X with an index from fetch Y (as after a crash between the two commits) is refused, and no plan is recorded', async () => {
    const t = setup();
    const x = await t.fetch();
    const snapshotX = fs.readFileSync(t.snapshotFile);
    const y = await t.fetch();
    fs.writeFileSync(t.snapshotFile, snapshotX);

    const err = await failure(t.match());
    expect(err).toBeInstanceOf(UnpairedFetchError);
    expect(exitCodeFor(err)).toBe(4);
    expect(err.message).toContain(`snapshot fetch ${x.fetchId}, index fetch ${y.fetchId}`);
    expect(err.message).toContain('run `invsync fetch`');
    expect((t.db.prepare('SELECT COUNT(*) AS n FROM plans').get() as { n: number }).n).toBe(0);

    await t.fetch();
    expect((await t.match()).changeCount).toBe(10);
  });

  it('state written by an invsync without fetch ids (schema 4, header without an id) migrates and is refused with "run `invsync fetch`", not a crash', async () => {
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir, { recursive: true });
    const old = new Database(path.join(stateDir, 'invsync.db'));
    for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql as string);
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO store_items (ord, sku, product_id, variation_id, qty, managed, name, ref) VALUES (0, 'SKU-0001', '1', NULL, 0, 1, NULL, NULL)").run();
    old.prepare("INSERT INTO index_meta (id, generation, refreshed_at, item_count, store) VALUES (1, 7, '2026-11-30T10:00:00.000Z', 1, 'woocommerce')").run();
    old.close();
    await writeSnapshot(path.join(stateDir, 'snapshot.json'), { sources: ['feed'] },
      (async function* () { yield { kind: 'item' as const, source: 'feed', sku: 'SKU-0001', qty: 3, row: 2 }; })());

    const t = setup();
    expect(getIndexMeta(t.db)).toMatchObject({ generation: 7, fetchId: null });
    const err = await failure(t.match());
    expect(err).toBeInstanceOf(UnpairedFetchError);
    expect(exitCodeFor(err)).toBe(4);
    expect(err.message).toMatch(/the snapshot and the store index predate fetch ids \(written by an older invsync\): run `invsync fetch`$/);

    await t.fetch();
    expect(getIndexMeta(t.db)).toMatchObject({ generation: 8, itemCount: 10 });
    expect((await t.match()).changeCount).toBe(10);
  });
});

describe('a run that lost its lock', () => {
  it('records no plan: match stops before recording (another run may be matching now)', async () => {
    const t = setup();
    await t.fetch();
    const lost = new AbortController();
    lost.abort(new LockedError('the lock was lost while this run held it'));
    const err = await failure(buildPlan({ db: t.db, config: t.config, configChecksum: 'c', runId: 'r-lost', window: {}, force: false, signal: lost.signal }));
    expect(err).toBeInstanceOf(LockedError);
    expect(exitCodeFor(err)).toBe(3);
    expect((t.db.prepare('SELECT COUNT(*) AS n FROM plans').get() as { n: number }).n).toBe(0);
  });

  it('a fetch whose lock is lost after the store listing ended (the source still reading) replaces neither snapshot nor index', async () => {
    const t = setup();
    const first = await t.fetch();
    const before = fs.readFileSync(t.snapshotFile);
    const lost = new AbortController();
    const store = observedStore(t.store());
    // The lock goes once the listing has ended; the source starts only then.
    const listed = store.ended.then(() => lost.abort(new LockedError('the lock was lost while this run held it')));
    // A source that does not watch the signal (a local file read to its end) finishes its part regardless.
    const deaf = (inner: SourceAdapter): SourceAdapter => ({ name: inner.name, type: inner.type, stream: () => inner.stream() });
    const err = await failure(fetchAll({ stateDir: t.config.stateDir, db: t.db, sources: t.sources().map((s) => delayedSource(deaf(s), listed)), store, signal: lost.signal }));
    expect(err).toBeInstanceOf(LockedError);
    expect(store.listed).toBe(10);
    expect(fs.readFileSync(t.snapshotFile).equals(before)).toBe(true);
    expect(getIndexMeta(t.db)!.generation).toBe(first.index.generation);
  });
});

describe('fetchPairProblem', () => {
  const at = { createdAt: '2026-12-01T01:44:42.000Z' };
  const index = (fetchId: string | null) => ({ fetchId, refreshedAt: '2026-12-01T01:45:34.000Z' });

  it('accepts a pair from one fetch', () => {
    expect(fetchPairProblem({ ...at, fetchId: 'f1' }, index('f1'))).toBeNull();
  });

  it('names both fetches and both times for a mismatched pair', () => {
    expect(fetchPairProblem({ ...at, fetchId: 'f1' }, index('f2'))).toBe(
      'the snapshot (written 2026-12-01T01:44:42.000Z) and the store index (refreshed 2026-12-01T01:45:34.000Z) do not come from the same fetch (snapshot fetch f1, index fetch f2; a later `fetch --store` left this store out, a fetch was interrupted between committing them, or one of them was replaced by hand): run `invsync fetch`',
    );
  });

  it('names which side predates fetch ids', () => {
    expect(fetchPairProblem(at, index('f1'))).toMatch(/: the snapshot predates fetch ids .*run `invsync fetch`$/);
    expect(fetchPairProblem({ ...at, fetchId: 'f1' }, index(null))).toMatch(/: the store index predates fetch ids /);
    expect(fetchPairProblem(at, index(null))).toMatch(/: the snapshot and the store index predate fetch ids /);
  });
});
