/**
 * The built `invsync full` against a REAL Medusa 2.21 server on a private PostgreSQL cluster
 * (e2e/medusa). Not part of `npm test` (installing Medusa and PostgreSQL costs minutes): run it
 * with `npm run e2e:medusa`, which installs what it needs first.
 *
 * The store is seeded through its own Admin API, synced from a CSV feed, and read back through
 * that API: items stocked at the location are updated, items not stocked there yet get their
 * level created, and a variant that did not manage inventory starts managing it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';
import { ROOT, startRealServer, type RealServer } from './servers.js';

const VARIANTS = 300;

interface MedusaInfo { url: string; email: string; password: string; timings: Record<string, number> }
interface SeedVariant { sku: string; stock: number | null; manageInventory?: boolean }
interface Seeded { locationId: string; variants: Array<{ sku: string; id: string; productId: string; inventoryItemId: string | null }> }

/**
 * 300 variants: every third product has 3 variants, the others one; every 7th item is not
 * stocked at the location yet, every 40th does not manage inventory. The feed changes 30% of
 * the stocked ones plus every unstocked and unmanaged one.
 */
function catalog() {
  const products: Array<{ name: string; variants: SeedVariant[] }> = [];
  const feed: Array<[string, number]> = [];
  const target = new Map<string, number>();
  const unmanaged = new Set<string>();
  const unstocked = new Set<string>();
  let changed = 0;
  let n = 0;
  for (let p = 1; n < VARIANTS; p++) {
    const size = p % 3 === 0 ? Math.min(3, VARIANTS - n) : 1;
    const variants: SeedVariant[] = [];
    for (let k = 0; k < size; k++, n++) {
      const sku = `ME-${String(n + 1).padStart(4, '0')}`;
      const manage = n % 40 !== 5;
      const stocked = n % 7 !== 3;
      const stock = n % 13;
      variants.push({ sku, stock: stocked ? stock : null, ...(manage ? {} : { manageInventory: false }) });
      if (!manage) unmanaged.add(sku);
      else if (!stocked) unstocked.add(sku);
      // Unmanaged (qty null) and unstocked (qty 0) items always differ from stock + 2.
      const to = !manage || !stocked || n % 10 < 3 ? stock + 2 : stock;
      if (to !== stock) changed++;
      feed.push([sku, to]);
      target.set(sku, to);
    }
    products.push({ name: `Product ${p}`, variants });
  }
  return { catalog: { products }, feed, target, unmanaged, unstocked, changed };
}

function adminApi(info: MedusaInfo) {
  let token: string | null = null;
  async function call<T>(method: string, p: string, body?: unknown): Promise<T> {
    token ??= ((await (await fetch(`${info.url}/auth/user/emailpass`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: info.email, password: info.password }),
    })).json()) as { token: string }).token;
    const res = await fetch(`${info.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return await res.json() as T;
  }
  return {
    /** Per SKU: manage_inventory and the level at the location (stocked quantity, last update), as an admin reads them. */
    async stock(locationId: string) {
      type Product = { variants: Array<{ sku: string; manage_inventory: boolean; inventory_items: Array<{ inventory: { location_levels: Array<{ location_id: string; stocked_quantity: number; updated_at: string }> } }> }> };
      const out = new Map<string, { managed: boolean; qty: number | null; updatedAt: string | null }>();
      const fields = 'id,variants.sku,variants.manage_inventory,variants.inventory_items.inventory.location_levels.location_id,variants.inventory_items.inventory.location_levels.stocked_quantity,variants.inventory_items.inventory.location_levels.updated_at';
      for (let offset = 0; ; offset += 100) {
        const page = await call<{ products: Product[]; count: number }>('GET', `/admin/products?limit=100&offset=${offset}&fields=${fields}`);
        for (const product of page.products) {
          for (const v of product.variants) {
            const level = v.inventory_items[0]?.inventory.location_levels.find((l) => l.location_id === locationId);
            out.set(v.sku, { managed: v.manage_inventory, qty: level?.stocked_quantity ?? null, updatedAt: level?.updated_at ?? null });
          }
        }
        if (offset + 100 >= page.count) return out;
      }
    },
  };
}

describe('invsync full against a real Medusa 2.21 server', () => {
  const dirs: string[] = [];
  const scratch = (dir: string) => { dirs.push(dir); return dir; };
  let server: RealServer<MedusaInfo> | undefined;
  let seeded: Seeded;
  const data = catalog();

  beforeAll(async () => {
    server = await startRealServer<MedusaInfo>('medusa', {}, 300_000);
    const dir = scratch(tempDir('invsync-medusa-seed-'));
    const file = writeJson(path.join(dir, 'catalog.json'), data.catalog);
    const started = Date.now();
    const out = execFileSync(process.execPath, [path.join(ROOT, 'e2e', 'medusa', 'seed.mjs'), server.info.url, server.info.email, server.info.password, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    seeded = JSON.parse(out.toString()) as Seeded;
    console.info(`real Medusa: ready in ${server.startMs} ms (${JSON.stringify(server.info.timings)}), ${VARIANTS} variants seeded in ${Date.now() - started} ms`);
  }, 360_000);

  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sets exactly the feed\'s stock at the location: updates levels, creates missing ones, starts managing inventory; a second run writes nothing', async () => {
    const admin = adminApi(server!.info);
    const before = await admin.stock(seeded.locationId);
    expect(before.size).toBe(VARIANTS);
    for (const sku of data.unstocked) expect(before.get(sku)?.qty).toBeNull();
    for (const sku of data.unmanaged) expect(before.get(sku)?.managed).toBe(false);

    const dir = scratch(tempDir('invsync-medusa-'));
    writeCsv(path.join(dir, 'supplier.csv'), data.feed);
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      // pageSize 40 products and batchSize 50 levels: several pages and several batches.
      store: { type: 'medusa', url: server!.info.url, email: server!.info.email, password: '${MEDUSA_PASSWORD}', locationId: seeded.locationId, pageSize: 40, batchSize: 50 },
    });
    const run = () => runCli(['-c', config, 'full', '--json'], { env: { MEDUSA_PASSWORD: server!.info.password } });

    const first = await run();
    expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(first.stdout) as RunSummary;
    expect(summary).toMatchObject({ command: 'full', status: 'ok', exitCode: 0 });
    expect(summary.counts).toMatchObject({ storeItems: VARIANTS, matched: VARIANTS, missing: 0, changed: data.changed, applied: data.changed, failed: 0, pending: 0 });
    expect(first.stderr).not.toContain(server!.info.password);
    console.info(`real Medusa: invsync full, ${VARIANTS} variants with ${data.changed} changed: ${first.ms} ms wall time`);

    const after = await admin.stock(seeded.locationId);
    for (const [sku, to] of data.target) expect({ sku, ...after.get(sku) }).toMatchObject({ sku, managed: true, qty: to });

    const second = await run();
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as RunSummary).counts).toMatchObject({ changed: 0, applied: 0, failed: 0 });
    const untouched = await admin.stock(seeded.locationId);
    expect([...untouched].filter(([sku, v]) => v.updatedAt !== after.get(sku)?.updatedAt)).toEqual([]);
  }, 300_000);
});
