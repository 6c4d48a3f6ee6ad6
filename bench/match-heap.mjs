#!/usr/bin/env node
/**
 * What the CLI's heap tuning (src/cli/heap.ts) costs where the heap is large by nature: `invsync
 * match` of N feed rows × N store SKUs holds both sides in memory. Every rep runs match as built,
 * then with INVSYNC_HEAP_TUNING=0 (V8's own sizing), each from a copy of the same fetched state.
 * Run `npm run build` first.
 *
 *   node bench/match-heap.mjs [--size 1000000] [--reps 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freezeBuild } from './lib/build.mjs';
import { expectExit, preflight, workspace } from './lib/cli.mjs';
import { changedCount, writeFeedCsv } from './lib/dataset.mjs';
import { loadAverage } from './lib/report.mjs';
import { fmt, max, mbFromMiB, median, seconds } from './lib/stats.mjs';
import { startWoo } from './lib/woo.mjs';

const { values: args } = parseArgs({ options: { size: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '3' } } });
const size = Number(args.size);
const reps = Number(args.reps);
if (!Number.isInteger(size) || size < 1 || !Number.isInteger(reps) || reps < 1) throw new Error('--size and --reps: positive integers');

async function main() {
  preflight();
  const build = freezeBuild();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-match-heap-'));
  const loadStart = loadAverage();
  const variants = [{ label: 'tuned', env: {} }, { label: 'V8 defaults', env: { INVSYNC_HEAP_TUNING: '0' } }];
  const runs = variants.map(() => []);
  try {
    const csv = path.join(tmp, 'feed.csv');
    await writeFeedCsv(size, csv);
    const woo = await startWoo({ seed: { count: size, changeEvery: 10 } });
    const ws = workspace(tmp, 'match', { sources: [{ name: 'feed', type: 'csv', path: csv }], store: { url: woo.url, keys: woo.keys } });
    try {
      expectExit(await ws.run(['fetch', '--json']), `setup: fetch ${size} × ${size}`);
    } finally {
      await woo.close();
    }
    const template = path.join(tmp, 'template');
    fs.cpSync(ws.stateDir, template, { recursive: true });
    for (let rep = 0; rep < reps; rep++) {
      for (const [v, variant] of variants.entries()) {
        fs.rmSync(ws.stateDir, { recursive: true, force: true });
        fs.cpSync(template, ws.stateDir, { recursive: true });
        const run = expectExit(await ws.run(['match', '--json'], { env: { ...ws.env, ...variant.env } }), `match ${size} × ${size}`);
        if (run.summary?.counts?.changed !== changedCount(size, 10)) throw new Error(`match: expected ${changedCount(size, 10)} changes, got ${run.summary?.counts?.changed}`);
        runs[v].push(run);
        console.error(`match ${variant.label} #${rep + 1}: ${seconds(run.wallMs)} s (CPU ${seconds(run.cpuMs)} s), ${fmt(mbFromMiB(run.peakRssMiB), 1)} MB (load ${os.loadavg()[0].toFixed(2)})`);
      }
    }
  } finally {
    build.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`load average (1/5/15 min) at start ${loadStart}, at end ${loadAverage()}; build ${build.fingerprint}\n`);
  console.log('| match | runs | wall s (median) | CPU s (median) | peak RSS MB (max) |');
  console.log('|---|---|---|---|---|');
  for (const [v, variant] of variants.entries()) {
    const r = runs[v];
    console.log(`| ${fmt(size)} × ${fmt(size)} (${variant.label}) | ${reps} | ${seconds(median(r.map((x) => x.wallMs)))} | ${seconds(median(r.map((x) => x.cpuMs)))} | ${fmt(mbFromMiB(max(r.map((x) => x.peakRssMiB))), 1)} |`);
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : err}`);
  process.exit(1);
});
