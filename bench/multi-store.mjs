/**
 * Bench "multi-store" (SPEC §9): S stores × N SKUs each, fed from ONE feed of S × N rows, on the
 * bundled WooCommerce emulators (one process each, no rate limit or latency), every 10th item
 * changed. Measures:
 *   - `invsync full` over all stores: wall time and the CLI's peak RSS;
 *   - each store alone (a one-store config reading the same feed): its wall time, so the run is
 *     compared with the slowest single store (the sum is what N separate configs would cost);
 *   - requests per store in the multi-store run against the same store's single run (the
 *     single-store minimum: list pages, write batches, read-back reads);
 *   - feed reads: the feed is served over HTTP from this process, which counts the requests.
 *
 *   npm run build && node bench/multi-store.mjs [--stores 20] [--skus 10000] [--concurrency 4]
 * Needs GNU time (/usr/bin/time) for the peak RSS.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { expectExit, preflight, runInvsync } from './lib/cli.mjs';
import { changedCount, writeFeedCsv } from './lib/dataset.mjs';
import { fmt, max, mbFromMiB, min, seconds } from './lib/stats.mjs';
import { startWoo } from './lib/woo.mjs';

const { values } = parseArgs({ options: {
  stores: { type: 'string', default: '20' }, skus: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '4' },
} });
const STORES = Number(values.stores);
const SKUS = Number(values.skus);
const CONCURRENCY = Number(values.concurrency);
const CHANGE_EVERY = 10;
preflight();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-multistore-'));
const feed = path.join(tmp, 'feed.csv');
const log = (m) => process.stderr.write(`[multi-store] ${m}\n`);
await writeFeedCsv(STORES * SKUS, feed);
log(`feed: ${fmt(STORES * SKUS)} rows`);

// The feed over HTTP, so the bench counts how often a run reads it (one fetch for every store: once).
let feedReads = 0;
const feedServer = http.createServer((_req, res) => {
  feedReads++;
  res.writeHead(200, { 'content-type': 'text/csv' });
  fs.createReadStream(feed).pipe(res);
});
await new Promise((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
const feedUrl = `http://127.0.0.1:${feedServer.address().port}/feed.csv`;

/** Store k holds SKUs k·N+1 … (k+1)·N (the feed lists them all, and every other store's). */
async function shops() {
  return Promise.all(Array.from({ length: STORES }, (_, k) => startWoo({ seed: { count: SKUS, start: k * SKUS + 1, changeEvery: CHANGE_EVERY } })));
}

function entry(name, woo) {
  return { name, type: 'woocommerce', url: woo.url, consumerKey: woo.keys.consumerKey, consumerSecret: woo.keys.consumerSecret };
}

function writeConfig(dir, body) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'invsync.config.json');
  fs.writeFileSync(file, JSON.stringify({ stateDir: path.join(dir, 'state'), sources: [{ name: 'feed', type: 'csv', url: feedUrl }], ...body }, null, 2));
  return file;
}

const expected = changedCount(SKUS, CHANGE_EVERY);

// Each store alone, on a fresh emulator.
const single = [];
for (let k = 0; k < STORES; k++) {
  const [woo] = await Promise.all([startWoo({ seed: { count: SKUS, start: k * SKUS + 1, changeEvery: CHANGE_EVERY } })]);
  try {
    const { name: _n, ...store } = entry('store', woo);
    const config = writeConfig(path.join(tmp, `single-${k}`), { store });
    const run = expectExit(await runInvsync(['-c', config, 'full', '--json']), `single store ${k}`);
    if (run.summary.counts.applied !== expected) throw new Error(`single ${k}: applied ${run.summary.counts.applied}, expected ${expected}`);
    const stats = await woo.stats();
    single.push({ wallMs: run.wallMs, rssMiB: run.peakRssMiB, requests: stats.total, writes: stats.writes });
    log(`single store ${k}: ${seconds(run.wallMs)} s, ${stats.total} requests`);
  } finally {
    await woo.close();
  }
}

const singleFeedReads = feedReads;

// All stores from one fetch.
feedReads = 0;
const emus = await shops();
let multi;
try {
  const config = writeConfig(path.join(tmp, 'multi'), { stores: emus.map((w, k) => entry(`shop-${String(k + 1).padStart(2, '0')}`, w)), storeConcurrency: CONCURRENCY });
  const run = expectExit(await runInvsync(['-c', config, 'full', '--json']), 'multi-store full');
  const stats = await Promise.all(emus.map((w) => w.stats()));
  const applied = run.summary.stores.map((s) => s.counts.applied);
  if (applied.some((a) => a !== expected)) throw new Error(`multi: applied ${applied.join(',')}, expected ${expected} each`);
  multi = { wallMs: run.wallMs, rssMiB: run.peakRssMiB, requests: stats.map((s) => s.total), feedReads };
} finally {
  await Promise.all(emus.map((w) => w.close()));
  feedServer.close();
}
fs.rmSync(tmp, { recursive: true, force: true });

const slowest = single.reduce((m, s) => Math.max(m, s.wallMs), 0);
const sum = single.reduce((n, s) => n + s.wallMs, 0);
const sameRequests = multi.requests.every((r, k) => r === single[k].requests);
const rows = [
  ['stores × SKUs', `${STORES} × ${fmt(SKUS)} (feed ${fmt(STORES * SKUS)} rows, ${fmt(expected)} changes per store)`],
  ['multi-store `full` wall time', `${seconds(multi.wallMs)} s (storeConcurrency ${CONCURRENCY})`],
  ['slowest single store', `${seconds(slowest)} s`],
  ['sum of the single stores (N separate configs)', `${seconds(sum)} s`],
  ['multi ÷ slowest single', `×${fmt(multi.wallMs / slowest, 2)}`],
  ['peak RSS, multi-store run', `${fmt(mbFromMiB(multi.rssMiB))} MB (single store: ${fmt(mbFromMiB(max(single.map((s) => s.rssMiB))))} MB max)`],
  ['requests per store, multi-store run', `${min(multi.requests)}–${max(multi.requests)}`],
  ['requests per store, single run (the minimum)', `${min(single.map((s) => s.requests))}–${max(single.map((s) => s.requests))}`],
  ['requests equal per store', sameRequests ? 'yes' : 'NO'],
  ['feed reads (counted by the feed server)', `${multi.feedReads} for all ${STORES} stores (separate configs: ${singleFeedReads})`],
];
process.stdout.write(`| measure | value |\n|---|---|\n${rows.map((r) => `| ${r[0]} | ${r[1]} |`).join('\n')}\n`);
process.stdout.write(`\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}\n`);
if (!sameRequests) process.exitCode = 1;
