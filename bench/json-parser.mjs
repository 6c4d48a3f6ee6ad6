/**
 * Which streaming JSON reader should the `json` source use? (REVIEW-2026-12, "hand-written code")
 *
 * Reads the elements of `data.items` from one document of N items (default 1,000,000) with:
 * - scanner:           invsync's own JsonArrayScanner (dist/sources/json/scanner.js; run `npm run build` first)
 * - stream-json:       stream-json 1.9, parser() → pick({ filter: 'data.items' }) → streamArray(), as its README shows
 * - stream-json-fast:  the same with parser({ streamValues: false }) (packed values only: its fastest setting)
 * - @streamparser/json: JSONParser({ paths: ['$.data.items.*'], keepStack: false })
 *
 * stream-json and @streamparser/json are not dependencies of invsync (this benchmark is why): a
 * reader whose package is not installed is skipped with a note. To run them all:
 *   npm install --no-save stream-json@1.9.1 @streamparser/json@0.0.22
 *
 * Each run is a fresh child process (so peak RSS is that reader's own), reading the file in
 * 64 KiB UTF-8 chunks as the source does, and checking it saw every item and the right qty total.
 * Reported: median wall time, median CPU time (user + system: steadier than wall time on a busy
 * machine) and median peak RSS (process.resourceUsage().maxRSS) of `--runs` runs.
 *
 *   node bench/json-parser.mjs [--items 1000000] [--runs 3] [--only scanner,stream-json]
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const READERS = ['scanner', 'stream-json', 'stream-json-fast', '@streamparser/json'];

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Child: read `file` with `reader`; print { items, total, ms, cpuMs, maxRssKiB } as JSON. */
async function child(reader, file) {
  const input = () => fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let items = 0;
  let total = 0;
  const take = (v) => { items++; total += v.qty; };
  const started = process.hrtime.bigint();
  if (reader === 'scanner') {
    const { JsonArrayScanner } = await import(pathToFileURL(path.join(ROOT, 'dist/sources/json/scanner.js')).href);
    const scanner = new JsonArrayScanner(['data', 'items']);
    for await (const chunk of input()) for (const v of scanner.write(chunk)) take(v);
    scanner.end();
  } else if (reader === 'stream-json' || reader === 'stream-json-fast') {
    const { parser } = (await import('stream-json')).default;
    const { pick } = (await import('stream-json/filters/Pick.js')).default;
    const { streamArray } = (await import('stream-json/streamers/StreamArray.js')).default;
    const opts = reader === 'stream-json-fast' ? { streamValues: false } : {};
    const { pipeline } = await import('node:stream/promises');
    const { Writable } = await import('node:stream');
    await pipeline(input(), parser(opts), pick({ filter: 'data.items' }), streamArray(), new Writable({
      objectMode: true,
      write(data, _enc, done) { take(data.value); done(); },
    }));
  } else if (reader === '@streamparser/json') {
    const { JSONParser } = await import('@streamparser/json');
    const p = new JSONParser({ paths: ['$.data.items.*'], keepStack: false });
    p.onValue = ({ value }) => take(value);
    for await (const chunk of input()) p.write(chunk);
    // NOTE: the parser ends itself after the root value; end() is only for a document cut short.
    if (!p.isEnded) p.end();
  } else {
    throw new Error(`unknown reader ${reader}`);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = process.resourceUsage();
  process.stdout.write(JSON.stringify({ items, total, ms, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKiB: usage.maxRSS }));
}

function writeDocument(file, n) {
  const fd = fs.openSync(file, 'w');
  let total = 0;
  try {
    fs.writeSync(fd, '{"meta":{"generated":"bench","note":"brackets ] } [ { in a string"},"data":{"items":[\n');
    let buf = '';
    for (let i = 0; i < n; i++) {
      const qty = (i * 7919) % 500;
      total += qty;
      buf += `${i ? ',\n' : ''}{"sku":"SKU-${String(i).padStart(7, '0')}","qty":${qty},"name":"Item ${i} \\"quoted\\" é","tags":["a","b"],"price":${(i % 1000) / 10}}`;
      if (buf.length > 1 << 20) { fs.writeSync(fd, buf); buf = ''; }
    }
    fs.writeSync(fd, `${buf}\n]},"total":${n}}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

/** The package a reader needs, when it is not invsync's own. */
const PACKAGE = { 'stream-json': 'stream-json', 'stream-json-fast': 'stream-json', '@streamparser/json': '@streamparser/json' };

function installed(pkg) {
  try {
    createRequire(path.join(ROOT, 'package.json')).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  const n = Number(arg('items', '1000000'));
  const runs = Number(arg('runs', '3'));
  const only = arg('only', READERS.join(',')).split(',');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-json-bench-'));
  const file = path.join(dir, 'feed.json');
  try {
    const expectedTotal = writeDocument(file, n);
    const mib = fs.statSync(file).size / 1024 / 1024;
    console.log(`${n.toLocaleString('en')} items, ${mib.toFixed(1)} MiB, ${runs} run(s) each, node ${process.version}, ${os.cpus().length} CPU(s)`);
    console.log('reader               median s   median CPU s   median peak RSS MiB   (each run: s / MiB)');
    for (const reader of only) {
      if (PACKAGE[reader] && !installed(PACKAGE[reader])) {
        console.log(`${reader.padEnd(20)} skipped: ${PACKAGE[reader]} is not installed`);
        continue;
      }
      const samples = [];
      for (let r = 0; r < runs; r++) {
        const res = spawnSync(process.execPath, [SELF, '--child', reader, file], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
        if (res.status !== 0) throw new Error(`${reader} failed (exit ${res.status}): ${res.stderr}`);
        const out = JSON.parse(res.stdout);
        if (out.items !== n || out.total !== expectedTotal) throw new Error(`${reader} read ${out.items} items (qty ${out.total}), expected ${n} (${expectedTotal})`);
        samples.push(out);
      }
      const s = median(samples.map((x) => x.ms)) / 1000;
      const cpu = median(samples.map((x) => x.cpuMs)) / 1000;
      const rss = median(samples.map((x) => x.maxRssKiB)) / 1024;
      const each = samples.map((x) => `${(x.ms / 1000).toFixed(2)}/${(x.maxRssKiB / 1024).toFixed(0)}`).join('  ');
      console.log(`${reader.padEnd(20)} ${s.toFixed(2).padStart(8)}   ${cpu.toFixed(2).padStart(12)}   ${rss.toFixed(0).padStart(19)}   (${each})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
