/**
 * The built `invsync full` against a REAL Vendure 3.7 server (e2e/vendure: @vendure/core on
 * sql.js, installed by `node e2e/ensure.mjs vendure`, which `npm test` runs first). The store is
 * seeded through its own Admin API, synced from a CSV feed, and read back through that API.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';
import { ROOT, startRealServer, type RealServer } from './servers.js';

const PASSWORD = 'e2e-Vendure-Pass-7f3a';
const VARIANTS = 1000;

interface SeedVariant { sku: string; stock: number; trackInventory?: 'FALSE'; late?: boolean }
interface Catalog { products: Array<{ name: string; variants: SeedVariant[] }> }

/**
 * 1,000 variants: every third product has 3 variants (with an option group), the others one;
 * every 50th variant is not tracked; the last variant of product 3 is created after all the
 * others. The feed changes exactly 30% of them (every untracked one among those), lists a SKU
 * the store does not have, and leaves the last store SKU out.
 */
function catalog(): { catalog: Catalog; skus: string[]; feed: Array<[string, number]>; target: Map<string, number>; untracked: Set<string>; changed: number } {
  const products: Catalog['products'] = [];
  const feed: Array<[string, number]> = [];
  const target = new Map<string, number>();
  const untracked = new Set<string>();
  let changed = 0;
  let n = 0;
  for (let p = 1; n < VARIANTS; p++) {
    const size = p % 3 === 0 ? Math.min(3, VARIANTS - n) : 1;
    const variants: SeedVariant[] = [];
    for (let k = 0; k < size; k++, n++) {
      const sku = `VE-${String(n + 1).padStart(4, '0')}`;
      const stock = n % 17;
      const track = n % 50 === 0;
      // The last variant of product 3 is created after all others: its id is the highest.
      variants.push({ sku, stock, ...(track ? { trackInventory: 'FALSE' as const } : {}), ...(p === 3 && k === size - 1 ? { late: true } : {}) });
      if (track) untracked.add(sku);
      const to = n % 10 < 3 ? stock + 5 : stock;
      if (to !== stock) changed++;
      if (n < VARIANTS - 1) {
        feed.push([sku, to]);
        target.set(sku, to);
      }
    }
    products.push({ name: `Product ${p}`, variants });
  }
  feed.push(['NOT-IN-STORE', 4]);
  return { catalog: { products }, skus: products.flatMap((p) => p.variants.map((v) => v.sku)), feed, target, untracked, changed };
}

/** A minimal Admin API client (bearer token from the vendure-auth-token header). */
function adminApi(url: string) {
  let token: string | null = null;
  async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    token = res.headers.get('vendure-auth-token') ?? token;
    const body = await res.json() as { data: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }
  return {
    async login() {
      await gql('mutation($p: String!) { login(username: "superadmin", password: $p) { ... on CurrentUser { id } } }', { p: PASSWORD });
    },
    /** Every variant with its stock, tracking and last update, read the way an admin would. */
    async variants(): Promise<Map<string, { stockOnHand: number; trackInventory: string; updatedAt: string }>> {
      const out = new Map<string, { stockOnHand: number; trackInventory: string; updatedAt: string }>();
      for (let skip = 0; ; skip += 1000) {
        const data = await gql<{ productVariants: { totalItems: number; items: Array<{ sku: string; stockOnHand: number; trackInventory: string; updatedAt: string }> } }>(
          'query($skip: Int!) { productVariants(options: { skip: $skip, take: 1000 }) { totalItems items { sku stockOnHand trackInventory updatedAt } } }', { skip });
        for (const v of data.productVariants.items) out.set(v.sku, v);
        if (skip + 1000 >= data.productVariants.totalItems) return out;
      }
    },
  };
}

describe('invsync full against a real Vendure 3.7 server', () => {
  const dirs: string[] = [];
  const scratch = (dir: string) => { dirs.push(dir); return dir; };
  let server: RealServer<{ adminApi: string }> | undefined;
  const data = catalog();

  beforeAll(async () => {
    server = await startRealServer<{ adminApi: string }>('vendure', { VENDURE_SUPERADMIN_PASSWORD: PASSWORD });
    const dir = scratch(tempDir('invsync-vendure-seed-'));
    const file = writeJson(path.join(dir, 'catalog.json'), data.catalog);
    const seeded = Date.now();
    execFileSync(process.execPath, [path.join(ROOT, 'e2e', 'vendure', 'seed.mjs'), server.info.adminApi, file], {
      env: { ...process.env, VENDURE_SUPERADMIN_PASSWORD: PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    console.info(`real Vendure: ready in ${server.startMs} ms, ${VARIANTS} variants seeded in ${Date.now() - seeded} ms`);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sets exactly the feed\'s stock on 1,000 variants (30% changed, untracked ones start being tracked); a second run writes nothing', async () => {
    const admin = adminApi(server!.info.adminApi);
    await admin.login();
    const before = await admin.variants();
    expect(before.size).toBe(VARIANTS);

    const dir = scratch(tempDir('invsync-vendure-'));
    writeCsv(path.join(dir, 'supplier.csv'), data.feed);
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      // pageSize 300: the listing spans several pages (products straddle page boundaries).
      store: { type: 'vendure', url: server!.info.adminApi, username: 'superadmin', password: '${VENDURE_PASSWORD}', pageSize: 300 },
    });
    const run = () => runCli(['-c', config, 'full', '--json'], { env: { VENDURE_PASSWORD: PASSWORD } });

    const first = await run();
    expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(first.stdout) as RunSummary;
    expect(summary).toMatchObject({ command: 'full', status: 'ok', exitCode: 0 });
    expect(summary.counts).toMatchObject({ storeItems: VARIANTS, matched: VARIANTS - 1, missing: 1, changed: data.changed, applied: data.changed, failed: 0, pending: 0 });
    expect(data.changed).toBe(300);
    expect(first.stderr).not.toContain(PASSWORD);
    console.info(`real Vendure: invsync full, ${VARIANTS} variants with ${data.changed} changed: ${first.ms} ms wall time`);

    const after = await admin.variants();
    for (const [sku, to] of data.target) {
      expect({ sku, stock: after.get(sku)?.stockOnHand }).toEqual({ sku, stock: to });
    }
    for (const sku of data.untracked) expect({ sku, track: after.get(sku)?.trackInventory }).toEqual({ sku, track: 'TRUE' });
    const left = `VE-${String(VARIANTS).padStart(4, '0')}`;
    expect(after.get(left)?.stockOnHand).toBe(before.get(left)?.stockOnHand);
    // Products with one variant are simple items; with several, variations (ids from Vendure itself).
    expect(summary.changes.find((c) => c.sku === 'VE-0001')).toMatchObject({ variationId: null, status: 'applied' });
    expect(summary.changes.find((c) => c.sku === 'VE-0003')?.variationId).toEqual(expect.any(String));

    // Store order (what --limit/--offset windows follow) is product id, then variant id.
    const db = new Database(path.join(dir, 'state', 'invsync.db'), { readonly: true });
    const order = (db.prepare('SELECT sku FROM store_items ORDER BY ord').all() as Array<{ sku: string }>).map((r) => r.sku);
    db.close();
    expect(order).toEqual(data.skus);

    const second = await run();
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as RunSummary).counts).toMatchObject({ changed: 0, applied: 0, failed: 0 });
    const untouched = await admin.variants();
    expect([...untouched].filter(([sku, v]) => v.updatedAt !== after.get(sku)?.updatedAt)).toEqual([]);
  }, 240_000);
});
