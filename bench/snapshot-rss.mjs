#!/usr/bin/env node
// Usage: node bench/snapshot-rss.mjs <csv-file> [snapshot-file] [--dist]
//
// Streams <csv-file> through the CSV source into a snapshot (the `fetch` data path, without the
// store), then reads the snapshot back (the `match` input path). Prints, per phase, the time,
// records/s and peak RSS (process.resourceUsage().maxRSS, cumulative over the process).
//
// By default the two modules are bundled from src/ with esbuild (dependencies stay external), so
// the figures do not depend on a fresh `npm run build`; `--dist` imports the built dist/ instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const useDist = args.includes('--dist');
const [csvFile, snapshotArg] = args.filter((a) => !a.startsWith('--'));
if (!csvFile) {
  console.error('usage: node bench/snapshot-rss.mjs <csv-file> [snapshot-file] [--dist]');
  process.exit(2);
}
const snapshotFile = path.resolve(snapshotArg ?? path.join(os.tmpdir(), `invsync-bench-${process.pid}`, 'snapshot.json'));

async function load() {
  if (useDist) {
    return {
      ...(await import(pathToFileURL(path.join(root, 'dist/sources/csv/index.js')).href)),
      ...(await import(pathToFileURL(path.join(root, 'dist/pipeline/snapshot.js')).href)),
    };
  }
  const { build } = await import('esbuild');
  // NOTE: inside node_modules/.cache so that the external packages resolve from the project.
  const outdir = path.join(root, 'node_modules/.cache/invsync-bench');
  await build({
    entryPoints: { csv: path.join(root, 'src/sources/csv/index.ts'), snapshot: path.join(root, 'src/pipeline/snapshot.ts') },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
    outdir, outExtension: { '.js': '.mjs' }, logLevel: 'warning',
  });
  return {
    ...(await import(pathToFileURL(path.join(outdir, 'csv.mjs')).href)),
    ...(await import(pathToFileURL(path.join(outdir, 'snapshot.mjs')).href)),
  };
}

const mib = (kib) => Math.round((kib / 1024) * 10) / 10;
const { createCsvSource, writeSnapshot, openSnapshot } = await load();
const baseline = process.resourceUsage().maxRSS;

const source = createCsvSource({
  name: 'bench', type: 'csv', enabled: true, path: path.resolve(csvFile),
  columns: { sku: 'sku', qty: 'qty' }, delimiter: ',',
});
async function* tagged() {
  for await (const record of source.stream()) yield { ...record, source: 'bench' };
}

let started = process.hrtime.bigint();
const info = await writeSnapshot(snapshotFile, { sources: ['bench'] }, tagged());
let seconds = Number(process.hrtime.bigint() - started) / 1e9;
const write = {
  phase: 'csv → snapshot',
  records: info.items + info.rejected,
  seconds: Math.round(seconds * 100) / 100,
  recordsPerSecond: Math.round((info.items + info.rejected) / seconds),
  snapshotBytes: info.bytes,
  peakRssMiB: mib(process.resourceUsage().maxRSS),
};

started = process.hrtime.bigint();
const reader = await openSnapshot(snapshotFile);
let count = 0;
for await (const _record of reader.records()) count++;
seconds = Number(process.hrtime.bigint() - started) / 1e9;
const read = {
  phase: 'snapshot → records (open + checksum + iterate)',
  records: count,
  seconds: Math.round(seconds * 100) / 100,
  recordsPerSecond: Math.round(count / seconds),
  peakRssMiB: mib(process.resourceUsage().maxRSS),
};

console.log(JSON.stringify({ csv: csvFile, node: process.version, baselineRssMiB: mib(baseline), write, read }, null, 2));
if (!snapshotArg) fs.rmSync(path.dirname(snapshotFile), { recursive: true, force: true });
