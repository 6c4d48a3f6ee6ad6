/**
 * Child process hosting one WooCommerce emulator for the benchmark (forked by lib/woo.mjs),
 * so the emulator's CPU and memory never count against the measured CLI or the orchestrator.
 * Seeding happens in here, without HTTP: 1,000,000 products take a few seconds.
 *
 * Commands: see `commands` (IPC protocol in host.mjs).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildRoot } from './build.mjs';
import { serveHost } from './host.mjs';
import { loadEmulator } from './load-emulator.mjs';
import { skuOf, storeQty, feedQty } from './dataset.mjs';

const { module: emulatorModule } = await loadEmulator();
let emu = null;

const commands = {
  async start({ tls, faults, batchLimit }) {
    emu = await emulatorModule.startWooEmulator({ tls, faults, batchLimit });
    return { url: emu.url, keys: emu.keys[0] };
  },

  /** Simple managed products start…start+count-1 (see dataset.mjs for SKU and stock). */
  seed({ count, start = 1, width = 7, changeEvery = 0 }) {
    const t = process.hrtime.bigint();
    const CHUNK = 10_000;
    for (let from = start; from < start + count; from += CHUNK) {
      const chunk = [];
      for (let i = from; i < Math.min(from + CHUNK, start + count); i++) {
        chunk.push({ type: 'simple', name: `Product ${i}`, sku: skuOf(i, width), manage_stock: true, stock_quantity: storeQty(i, changeEvery) });
      }
      emu.seed(chunk);
    }
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, rssMiB: process.memoryUsage().rss / 1048576 };
  },

  /** `count` variable products with `variations` managed variations each (SKU VAR-<i>-<k>). */
  seedVariable({ count, variations = 3 }) {
    for (let i = 1; i <= count; i++) {
      emu.seed({
        type: 'variable', name: `Variable ${i}`, sku: `VAR-${i}`,
        variations: Array.from({ length: variations }, (_, k) => ({ sku: `VAR-${i}-${k + 1}`, name: `Variable ${i} - ${k + 1}`, stock_quantity: (i + k) % 13 })),
      });
    }
    return null;
  },

  /**
   * Random edits through the REST API (so every one moves date_modified as WooCommerce's saves do):
   * `stock` stock changes on simple products, `creates` new products, `deletes` deleted products,
   * `variationEdits` variation stock changes, picked by a seeded PRNG. Batches of 100, like a shop's
   * own tools would send. Returns what was done.
   */
  async randomEdits({ seed = 1, stock = 0, creates = 0, deletes = 0, variationEdits = 0, createFrom = 9_000_000 }) {
    const { signUrl } = await import(pathToFileURL(path.join(buildRoot(), 'dist/lib/oauth1.js')).href);
    const key = emu.keys[0];
    let state = seed >>> 0 || 1;
    const rand = (n) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
    async function post(route, body) {
      const url = new URL(`${emu.apiUrl}/${route}`);
      signUrl('POST', url, { consumerKey: key.consumerKey, consumerSecret: key.consumerSecret });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`randomEdits: POST ${route} → ${res.status} ${await res.text()}`);
      const out = await res.json();
      for (const list of Object.values(out)) for (const r of list) if (r.error) throw new Error(`randomEdits: ${route}: ${r.error.message}`);
    }
    const all = emu.items();
    const simple = all.filter((r) => r.type === 'simple').map((r) => r.id);
    const variations = all.filter((r) => r.type === 'variation').map((r) => [r.parent_id, r.id]);
    const pick = (list, n) => {
      const chosen = new Set();
      while (chosen.size < Math.min(n, list.length)) chosen.add(list[rand(list.length)]);
      return [...chosen];
    };
    const edited = pick(simple, stock + deletes);
    const toDelete = edited.slice(0, deletes);
    const toEdit = edited.slice(deletes);
    for (let i = 0; i < toEdit.length; i += 100) {
      await post('products/batch', { update: toEdit.slice(i, i + 100).map((id) => ({ id, manage_stock: true, stock_quantity: rand(500) })) });
    }
    for (let i = 0; i < toDelete.length; i += 100) await post('products/batch', { delete: toDelete.slice(i, i + 100) });
    for (let i = 0; i < creates; i += 100) {
      const n = Math.min(100, creates - i);
      await post('products/batch', { create: Array.from({ length: n }, (_, k) => ({ sku: `NEW-${seed}-${createFrom + i + k}`, name: `New ${i + k}`, manage_stock: true, stock_quantity: rand(50) })) });
    }
    const byParent = new Map();
    for (const [parent, id] of pick(variations, variationEdits)) byParent.set(parent, [...(byParent.get(parent) ?? []), id]);
    for (const [parent, ids] of byParent) {
      await post(`products/${parent}/variations/batch`, { update: ids.map((id) => ({ id, manage_stock: true, stock_quantity: rand(40) })) });
    }
    return { stock: toEdit.length, deletes: toDelete.length, creates, variationEdits: [...byParent.values()].reduce((n, l) => n + l.length, 0) };
  },

  faults(faults) {
    Object.assign(emu.faults, faults);
    return null;
  },

  clearLog() {
    emu.requests.length = 0;
    return null;
  },

  /** Request-log summary: counts by kind and the time span of list reads and writes. */
  stats() {
    const out = {
      total: emu.requests.length, listPages: 0, skuSearches: 0, otherReads: 0, writes: 0, writeItems: 0,
      status429: 0, errors: 0, firstListAt: null, lastListAt: null, firstWriteAt: null, lastWriteAt: null,
      listWithFields: 0, listPerPage: [], firstAt: emu.requests[0]?.at ?? null, lastAt: emu.requests.at(-1)?.at ?? null,
      writes429: 0, reads429: 0, minGapMs: null,
    };
    const perPage = new Set();
    for (let k = 0; k < emu.requests.length; k++) {
      const r = emu.requests[k];
      if (k > 0) out.minGapMs = Math.min(out.minGapMs ?? Infinity, r.at - emu.requests[k - 1].at);
      const reading = r.method === 'GET' || r.method === 'HEAD';
      if (r.status === 429) { out.status429++; if (reading) out.reads429++; else out.writes429++; }
      else if (r.status === 0 || r.status >= 400) out.errors++;
      if (r.method === 'GET' && /\/products$/.test(r.path) && r.query.sku === undefined && r.query.include === undefined) {
        out.listPages++;
        if (r.query._fields) out.listWithFields++;
        perPage.add(r.query.per_page ?? '(default 10)');
        out.firstListAt ??= r.at;
        out.lastListAt = r.at;
      } else if (r.method === 'GET' && r.query.sku !== undefined) {
        out.skuSearches++;
      } else if (r.method === 'GET' || r.method === 'HEAD') {
        out.otherReads++;
      } else {
        out.writes++;
        out.writeItems += r.items ?? 0;
        out.firstWriteAt ??= r.at;
        out.lastWriteAt = r.at;
      }
    }
    out.listPerPage = [...perPage];
    return out;
  },

  /** The request log, compact: [arrival ms, method, status, path] (for diagnosing pacing). */
  log() {
    return emu.requests.map((r) => [r.at, r.method, r.status, r.path.replace('/wp-json/wc/v3/', '')]);
  },

  /** How many of products start…start+count-1 hold the feed's quantity now. */
  verify({ count, start = 1, width = 7 }) {
    const stock = emu.stockBySku();
    let equal = 0;
    for (let i = start; i < start + count; i++) if (stock.get(skuOf(i, width)) === feedQty(i)) equal++;
    return { equal, count };
  },

  async close() {
    await emu?.close();
    emu = null;
    return null;
  },
};

serveHost(commands);
