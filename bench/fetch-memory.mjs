#!/usr/bin/env node
/**
 * Peak RSS of `invsync fetch` per source type and size (issue 19 point 1: ≤ 120 MB at 1,000,000
 * items, RSS at 1M ÷ RSS at 100k ≤ 1.2, no NODE_OPTIONS). Run `npm run build` first.
 *
 *   node bench/fetch-memory.mjs [--sources csv,json,dsz] [--sizes 100000,1000000] [--reps 3]
 *                               [--node-args="--trace-gc"] [--env KEY=VALUE] [--ab] [--keep]
 *
 * csv: a local `sku,qty` file; json: the `json` source on test/fakes/json-api.ts (100 per page);
 * dsz: the Dropshipzone source on test/fakes/dropshipzone.ts (200 per page, throttle lifted).
 * The store is a 1,000-product WooCommerce emulator (its listing is part of every fetch). Each
 * run is the built CLI in its own process under GNU time, as cron would run it; every size's
 * runs are printed, then a markdown table (median wall time, highest peak RSS, ratio).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freezeBuild } from './lib/build.mjs';
import { expectExit, preflight, workspace } from './lib/cli.mjs';
import { writeFeedCsv } from './lib/dataset.mjs';
import { startHost } from './lib/host.mjs';
import { loadAverage } from './lib/report.mjs';
import { fmt, max, mbFromMiB, median, min, seconds } from './lib/stats.mjs';
import { startWoo } from './lib/woo.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const { values: args } = parseArgs({
  options: {
    sources: { type: 'string', default: 'csv,json,dsz' },
    sizes: { type: 'string', default: '100000,1000000' },
    reps: { type: 'string', default: '3' },
    'node-args': { type: 'string', default: '' },
    env: { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    ab: { type: 'boolean', default: false },
  },
});
const sources = args.sources.split(',').filter(Boolean);
const sizes = args.sizes.split(',').map(Number);
const reps = Number(args.reps);
const nodeArgs = args['node-args'].split(' ').filter(Boolean);
/**
 * --ab: every rep runs the CLI as built, then with INVSYNC_HEAP_TUNING=0 (V8's own heap sizing,
 * i.e. before the tuning). --env KEY=VALUE (repeatable): added to the CLI's environment, e.g. --env INVSYNC_HEAP_TUNING=0 for V8's own sizing. */
const extraEnv = Object.fromEntries(args.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const variants = args.ab
  ? [{ label: 'tuned', env: extraEnv }, { label: 'V8 defaults', env: { ...extraEnv, INVSYNC_HEAP_TUNING: '0' } }]
  : [{ label: '', env: extraEnv }];
for (const s of sources) if (!['csv', 'json', 'dsz'].includes(s)) throw new Error(`--sources: unknown source "${s}" (csv, json, dsz)`);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes: expected positive integers, got "${args.sizes}"`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got "${args.reps}"`);

/** Start the supplier side for `size` items; returns { config, close() }. */
async function supplier(kind, size, tmp) {
  if (kind === 'csv') {
    const file = path.join(tmp, `feed-${size}.csv`);
    if (!fs.existsSync(file)) await writeFeedCsv(size, file);
    return { config: { name: 'feed', type: 'csv', path: file }, close: async () => {} };
  }
  if (kind === 'json') {
    const host = startHost(path.join(here, 'lib/json-host.mjs'));
    const { url } = await host.call('start', { count: size });
    return {
      config: {
        name: 'api', type: 'json', url: `${url}/page`, itemsPath: 'data', skuPath: 'sku', qtyPath: 'qty', pageSize: 100,
        paging: { type: 'page', pageParam: 'page', sizeParam: 'per_page', totalPath: 'total' },
      },
      close: host.close,
    };
  }
  const host = startHost(path.join(here, 'lib/dsz-host.mjs'));
  const { url, email, password } = await host.call('start', { count: size });
  return {
    config: { name: 'dsz', type: 'dropshipzone', url, email, password, pageSize: 200, rateLimit: { perSecond: 100_000 }, maxPerHour: 1_000_000 },
    close: host.close,
  };
}

async function main() {
  preflight();
  const build = freezeBuild();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-fetch-memory-'));
  const woo = await startWoo({ seed: { count: 1_000 } });
  const loadStart = loadAverage();
  const table = [];
  try {
    for (const kind of sources) {
      const peaks = new Map();
      for (const size of sizes) {
        const sup = await supplier(kind, size, tmp);
        try {
          const runs = variants.map(() => []);
          // Variants alternate within each rep, so a change in the machine's load hits both alike.
          for (let rep = 0; rep < reps; rep++) {
            for (const [v, variant] of variants.entries()) {
              const ws = workspace(tmp, `${kind}-${size}-${rep}-${v}`, { sources: [sup.config], store: { url: woo.url, keys: woo.keys } });
              const run = expectExit(await ws.run(['fetch', '--json'], { nodeArgs, env: { ...ws.env, ...variant.env } }), `fetch ${kind} ${size}`);
              // --trace-gc and the like print on stdout, where the summary is: not checked then.
              if (!(nodeArgs.length && run.summary === null) && run.summary?.counts?.sourceItems !== size) throw new Error(`fetch ${kind}: expected ${size} source items, got ${run.summary?.counts?.sourceItems}`);
              if (nodeArgs.length) fs.writeFileSync(path.join(tmp, `${kind}-${size}-${rep}-${v}.out`), `${run.stdout}\n${run.stderr}`);
              runs[v].push(run);
              console.error(`${kind} ${size}${variant.label ? ` ${variant.label}` : ''} #${rep + 1}: ${seconds(run.wallMs)} s (CPU ${seconds(run.cpuMs)} s), ${fmt(mbFromMiB(run.peakRssMiB), 1)} MB (load ${os.loadavg()[0].toFixed(2)})`);
            }
          }
          for (const [v, variant] of variants.entries()) {
            const r = runs[v];
            const peak = mbFromMiB(max(r.map((x) => x.peakRssMiB)));
            const key = `${v}`;
            if (!peaks.has(key)) peaks.set(key, peak);
            table.push([kind + (variant.label ? ` (${variant.label})` : ''), fmt(size), String(reps), seconds(median(r.map((x) => x.wallMs))), seconds(median(r.map((x) => x.cpuMs))),
              fmt(mbFromMiB(min(r.map((x) => x.peakRssMiB))), 1), fmt(mbFromMiB(median(r.map((x) => x.peakRssMiB))), 1), fmt(peak, 1),
              size === sizes.at(-1) && sizes.length > 1 ? fmt(peak / peaks.get(key), 2) : '']);
          }
        } finally {
          await sup.close();
        }
      }
    }
  } finally {
    await woo.close();
    build.remove();
    if (!args.keep) fs.rmSync(tmp, { recursive: true, force: true });
    else console.error(`kept ${tmp}`);
  }
  console.log(`load average (1/5/15 min) at start ${loadStart}, at end ${loadAverage()}; build ${build.fingerprint}${nodeArgs.length ? `; node ${nodeArgs.join(' ')}` : ''}${args.env.length ? `; env ${args.env.join(' ')}` : ''}\n`);
  console.log('| source | items | runs | wall s (median) | CPU s (median) | peak RSS MB (min) | (median) | (max) | ratio max ÷ max at smallest size |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of table) console.log(`| ${row.join(' | ')} |`);
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : err}`);
  process.exit(1);
});
