/**
 * Child process hosting one WooCommerce emulator for the benchmark (forked by lib/woo.mjs),
 * so the emulator's CPU and memory never count against the measured CLI or the orchestrator.
 * Seeding happens in here, without HTTP: 1,000,000 products take a few seconds.
 *
 * Commands: see `commands` (IPC protocol in host.mjs).
 */
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
