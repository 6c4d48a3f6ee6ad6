/**
 * The contract every store adapter passes against its faithful fake [rclone fstests].
 *
 * A store's test file calls `runStoreContract(name, setup)`; `setup` starts a fresh fake and an
 * adapter for it before every test. Configure the adapter with a small page size and batch size
 * (≤ 10 each) so listing spans several pages and writes span several batches, and set
 * INVSYNC_RETRY_BASE_MS low so retries are quick.
 *
 * Read-back: `readRequests(changes)` states, from the API's documented per-request maximum
 * (ids per filter, page size), how many requests `read(changes)` may send — ceil(N / max) for
 * N items (or products) per kind of request; the contract asserts the adapter sends exactly that.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { HttpError } from '../../src/domain/errors.js';
import type { Change, StatusAction, StoreItem } from '../../src/domain/types.js';
import type { StoreAdapter } from '../../src/stores/types.js';

/** What the contract needs from a store's fake, in store-neutral terms. */
export interface StoreFake {
  /** Add exactly `count` stock-carrying items (mixing the store's kinds: simple, variants…); returns their SKUs in store order. */
  seed(count: number): Promise<string[]>;
  /** Current stock of an item (null: not managed; undefined: no such SKU). */
  stockOf(sku: string): Promise<number | null | undefined>;
  /** Write requests received so far. */
  writeRequests(): number;
  /** Requests of any kind received so far. */
  requests(): number;
  /** The next `n` requests get 429 with a Retry-After header. */
  inject429(n: number): void;
  /** The next `n` requests get 503. */
  inject503(n: number): void;
  /** Writes to these SKUs fail per item (the rest of the request succeeds). */
  rejectSkus(skus: string[]): void;
  /** An adapter for the same store with wrong credentials. */
  badCredentialsAdapter(): StoreAdapter;
  /** Delete the item holding this SKU from the store (a product, or one variation of a product with several). */
  deleteItem(sku: string): Promise<void>;
}

export interface StoreContractContext {
  adapter: StoreAdapter;
  fake: StoreFake;
  /** Requests `adapter.read(changes)` needs: ceil(N / the API's max per request), per kind of request. */
  readRequests(changes: Change[]): number;
  /** Items to seed for the read-back test, enough for reads to span several requests (default 45). */
  readSeed?: number;
  /** False for a store without variations (Amazon: one listing per SKU): every item is simple. */
  variations?: false;
  close(): Promise<void>;
}

export async function collect<T = StoreItem>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export function changeFor(item: StoreItem, seq: number, to: number): Change {
  return {
    seq, sku: item.sku, productId: item.productId, variationId: item.variationId, from: item.qty, to,
    ...(item.ref ? { ref: item.ref } : {}),
  };
}

/** A change hiding `item` (SPEC §14 rules.status): `set` written over `from`, with the stock to `to`. */
export function hideChange(item: StoreItem, seq: number, to: number, set: StatusAction['set'], from: StatusAction['from']): Change {
  return { ...changeFor(item, seq, to), statusAction: { to: 'hide', set, from } };
}

/** A change putting back what a hide replaced: `set` written alone (its stock `to` is not written). */
export function restoreChange(item: StoreItem, seq: number, to: number, set: StatusAction['set'], from: StatusAction['from']): Change {
  return { ...changeFor(item, seq, to), statusAction: { to: 'restore', of: 'hide', set, from, alone: true } };
}

/** Changes grouped by batch key, then cut into chunks of at most `maxBatch` (what push does). */
export function toBatches(adapter: StoreAdapter, changes: Change[]): Change[][] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const key = adapter.batchKey(c);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const batches: Change[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += adapter.limits.maxBatch) batches.push(group.slice(i, i + adapter.limits.maxBatch));
  }
  return batches;
}

/** A target different from the current stock, deterministic per position. */
function targetFor(i: number, current: number | null): number {
  const t = (i * 7) % 23 + 1;
  return t === current ? t + 1 : t;
}

export function runStoreContract(name: string, setup: () => Promise<StoreContractContext>): void {
  describe(`store contract: ${name}`, () => {
    let ctx: StoreContractContext;

    beforeEach(async () => { ctx = await setup(); });
    afterEach(async () => { await ctx.close(); });

    async function expectStock(items: StoreItem[], changes: Change[]): Promise<void> {
      for (const c of changes) expect({ sku: c.sku, stock: await ctx.fake.stockOf(c.sku) }).toEqual({ sku: c.sku, stock: c.to });
      expect(items.length).toBeGreaterThan(0);
    }

    it('lists every stock-carrying item once, with its ids and stock, across several pages in store order', async () => {
      const skus = await ctx.fake.seed(45);
      const items = await collect(ctx.adapter.list());
      expect(items.map((i) => i.sku)).toEqual(skus);
      for (const item of items) {
        expect(item.productId).toBeDefined();
        expect(item.variationId === null || item.variationId !== undefined).toBe(true);
        const stock = await ctx.fake.stockOf(item.sku);
        expect({ sku: item.sku, qty: item.qty }).toEqual({ sku: item.sku, qty: item.managed ? stock : null });
      }
      if (ctx.variations !== false) expect(items.some((i) => i.variationId !== null)).toBe(true);
      expect(items.some((i) => i.variationId === null)).toBe(true);
    });

    it('applies N changes in the minimal number of write requests and the store reaches the targets', async () => {
      await ctx.fake.seed(45);
      const items = await collect(ctx.adapter.list());
      const changes = items.map((item, i) => changeFor(item, i + 1, targetFor(i, item.qty)));
      const batches = toBatches(ctx.adapter, changes);
      const perKey = new Map<string, number>();
      for (const c of changes) perKey.set(ctx.adapter.batchKey(c), (perKey.get(ctx.adapter.batchKey(c)) ?? 0) + 1);
      const minimal = [...perKey.values()].reduce((sum, n) => sum + Math.ceil(n / ctx.adapter.limits.maxBatch), 0);

      const before = ctx.fake.writeRequests();
      for (const batch of batches) expect(await ctx.adapter.apply(batch)).toEqual({ failed: [] });

      expect(ctx.fake.writeRequests() - before).toBe(minimal);
      await expectStock(items, changes);
      const relisted = await collect(ctx.adapter.list());
      expect(relisted.map((i) => [i.sku, i.qty, i.managed])).toEqual(changes.map((c) => [c.sku, c.to, true]));
    });

    it('reports per-item failures without failing the others', async () => {
      await ctx.fake.seed(12);
      const items = await collect(ctx.adapter.list());
      const changes = items.map((item, i) => changeFor(item, i + 1, targetFor(i, item.qty)));
      const batch = toBatches(ctx.adapter, changes).sort((a, b) => b.length - a.length)[0] as Change[];
      expect(batch.length).toBeGreaterThanOrEqual(3);
      const rejected = [batch[0] as Change, batch[2] as Change];
      const stockBefore = new Map<string, number | null | undefined>();
      for (const c of rejected) stockBefore.set(c.sku, await ctx.fake.stockOf(c.sku));
      ctx.fake.rejectSkus(rejected.map((c) => c.sku));

      const result = await ctx.adapter.apply(batch);

      expect(result.failed.map((f) => f.seq).sort((a, b) => a - b)).toEqual(rejected.map((c) => c.seq).sort((a, b) => a - b));
      for (const f of result.failed) expect(f.message.length).toBeGreaterThan(0);
      const applied = batch.filter((c) => !rejected.includes(c));
      await expectStock(items, applied);
      for (const c of rejected) expect(await ctx.fake.stockOf(c.sku)).toBe(stockBefore.get(c.sku));
    });

    it('survives 429 with Retry-After while listing and writing, ending in the exact state', async () => {
      const skus = await ctx.fake.seed(8);
      ctx.fake.inject429(1);
      const items = await collect(ctx.adapter.list());
      expect(items.map((i) => i.sku)).toEqual(skus);

      const changes = items.map((item, i) => changeFor(item, i + 1, targetFor(i, item.qty)));
      const [first, ...rest] = toBatches(ctx.adapter, changes);
      ctx.fake.inject429(1);
      expect(await ctx.adapter.apply(first as Change[])).toEqual({ failed: [] });
      for (const batch of rest) await ctx.adapter.apply(batch);
      await expectStock(items, changes);
    });

    it('survives 503 while listing and writing, ending in the exact state', async () => {
      const skus = await ctx.fake.seed(8);
      ctx.fake.inject503(2);
      const items = await collect(ctx.adapter.list());
      expect(items.map((i) => i.sku)).toEqual(skus);

      const changes = items.map((item, i) => changeFor(item, i + 1, targetFor(i, item.qty)));
      ctx.fake.inject503(2);
      for (const batch of toBatches(ctx.adapter, changes)) expect(await ctx.adapter.apply(batch)).toEqual({ failed: [] });
      await expectStock(items, changes);
    });

    it('reads back the written level of every applied item in ceil(N / max per request) requests', async () => {
      await ctx.fake.seed(ctx.readSeed ?? 45);
      const items = await collect(ctx.adapter.list());
      const changes = items.map((item, i) => changeFor(item, i + 1, targetFor(i, item.qty)));
      for (const batch of toBatches(ctx.adapter, changes)) expect(await ctx.adapter.apply(batch)).toEqual({ failed: [] });
      const expected = ctx.readRequests(changes);
      // The read must span several requests, or chunking goes untested.
      expect(expected).toBeGreaterThanOrEqual(2);

      const before = ctx.fake.requests();
      const writesBefore = ctx.fake.writeRequests();
      const seen = await ctx.adapter.read(changes);

      expect(ctx.fake.requests() - before).toBe(expected);
      expect(ctx.fake.writeRequests()).toBe(writesBefore);
      // Stores that sync prices or change a listing's status (SPEC §14) report those too; the stock is what this checks.
      expect(changes.map((c) => [c.sku, stockOnly(seen.get(c.seq))])).toEqual(changes.map((c) => [c.sku, { qty: c.to, managed: true }]));
      expect(seen.size).toBe(changes.length);
    });

    it('reads what the store holds now, leaves an item deleted from the store out, and reads nothing for no items', async () => {
      await ctx.fake.seed(12);
      const items = await collect(ctx.adapter.list());
      const changes = items.map((item, i) => changeFor(item, i + 1, targetFor(i, item.qty)));
      const simple = items.find((i) => i.variationId === null) as StoreItem;
      const variation = (ctx.variations === false
        ? items.filter((i) => i.variationId === null)[3]
        : items.find((i) => i.variationId !== null && items.filter((o) => o.productId === i.productId).length > 1)) as StoreItem;
      for (const gone of [simple, variation]) await ctx.fake.deleteItem(gone.sku);

      let before = ctx.fake.requests();
      expect((await ctx.adapter.read([])).size).toBe(0);
      expect(ctx.fake.requests() - before).toBe(0);
      before = ctx.fake.writeRequests();
      const seen = await ctx.adapter.read(changes);

      expect(ctx.fake.writeRequests()).toBe(before);
      const expected = changes.flatMap((c, i) => {
        const item = items[i] as StoreItem;
        return item === simple || item === variation ? [] : [[c.seq, { qty: item.managed ? item.qty : null, managed: item.managed }] as const];
      });
      expect([...seen].map(([seq, r]) => [seq, stockOnly(r)] as const).sort(([a], [b]) => a - b)).toEqual(expected);
    });

    it('stops on bad credentials with an auth HttpError after at most 2 requests', async () => {
      await ctx.fake.seed(3);
      const bad = ctx.fake.badCredentialsAdapter();

      let before = ctx.fake.requests();
      const listError = await collect(bad.list()).then(() => null, (err: unknown) => err);
      expect(listError).toBeInstanceOf(HttpError);
      expect((listError as HttpError).details.auth).toBe(true);
      expect(ctx.fake.requests() - before).toBeLessThanOrEqual(2);

      const items = await collect(ctx.adapter.list());
      before = ctx.fake.requests();
      const applyError = await bad.apply([changeFor(items[0] as StoreItem, 1, 5)]).then(() => null, (err: unknown) => err);
      expect(applyError).toBeInstanceOf(HttpError);
      expect((applyError as HttpError).details.auth).toBe(true);
      expect(ctx.fake.requests() - before).toBeLessThanOrEqual(2);

      before = ctx.fake.requests();
      const readError = await bad.read([changeFor(items[0] as StoreItem, 1, 5)]).then(() => null, (err: unknown) => err);
      expect(readError).toBeInstanceOf(HttpError);
      expect((readError as HttpError).details.auth).toBe(true);
      expect(ctx.fake.requests() - before).toBeLessThanOrEqual(2);
    });
  });
}

/** A reading without the price and visibility stores add for SPEC §14. */
function stockOnly(r: { qty: number | null; managed: boolean } | undefined): { qty: number | null; managed: boolean } | undefined {
  return r && { qty: r.qty, managed: r.managed };
}
