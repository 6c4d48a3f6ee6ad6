#!/usr/bin/env node
/**
 * invsync benchmarks: `npm run bench` (builds first), or `node bench/run.mjs [options]`.
 *
 *   --reps N            runs per measurement (default 3; median of times, highest peak RSS)
 *   --baseline-reps N   runs of the sequential old-way baseline (default 1: ≈ 8 min at 10,000 SKUs)
 *   --stages a,b        only these stages (fetch-csv, fetch-json, store-index, match, push, full, baseline, refresh-cost, incremental)
 *   --out FILE          where to write the report (default BENCHMARKS.md; with --smoke: no file)
 *                       the report is always printed on stdout too
 *   --smoke             tiny sizes, one run each: checks that the bench still works (npm test runs it)
 *   --keep              keep the temp directory with the generated data
 *   --profile DIR       run every measured CLI process with --cpu-prof into DIR/<stage>/ (slower:
 *                       for finding where the time goes, not for the figures)
 *
 * Measures the BUILT CLI (dist/, copied once at the start so a rebuild meanwhile does not mix
 * builds): run `npm run build` first when calling this file directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freezeBuild } from './lib/build.mjs';
import { preflight, ROOT } from './lib/cli.mjs';
import { writeFeedCsv } from './lib/dataset.mjs';
import { loadAverage, machineInfo, renderReport } from './lib/report.mjs';
import { baselineStage } from './stages/baseline.mjs';
import { fetchCsvStage } from './stages/fetch-csv.mjs';
import { fetchJsonStage } from './stages/fetch-json.mjs';
import { fullStage } from './stages/full.mjs';
import { incrementalStage } from './stages/incremental.mjs';
import { matchStage } from './stages/match.mjs';
import { pushStage } from './stages/push.mjs';
import { refreshCostStage } from './stages/refresh-cost.mjs';
import { storeIndexStage } from './stages/store-index.mjs';

const STAGES = {
  'fetch-csv': fetchCsvStage,
  'fetch-json': fetchJsonStage,
  'store-index': storeIndexStage,
  match: matchStage,
  push: pushStage,
  full: fullStage,
  baseline: baselineStage,
  'refresh-cost': refreshCostStage,
  incremental: incrementalStage,
};

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string' },
    'baseline-reps': { type: 'string' },
    stages: { type: 'string' },
    out: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});

function positiveInt(value, name, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got "${value}"`);
  return n;
}

async function main() {
  const smoke = args.smoke;
  const options = {
    smoke,
    reps: positiveInt(args.reps, 'reps', smoke ? 1 : 3),
    baselineReps: positiveInt(args['baseline-reps'], 'baseline-reps', 1),
    profile: args.profile ? path.resolve(args.profile) : null,
  };
  const selected = args.stages ? args.stages.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(STAGES);
  const unknown = selected.filter((s) => !(s in STAGES));
  if (unknown.length) throw new Error(`--stages: unknown stage(s) ${unknown.join(', ')} (known: ${Object.keys(STAGES).join(', ')})`);
  preflight();

  const build = freezeBuild();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-bench-'));
  const cleanup = () => {
    build.remove();
    if (!args.keep) fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { cleanup(); process.exit(130); });
  const outFile = args.out ? path.resolve(args.out) : smoke ? null : path.join(ROOT, 'BENCHMARKS.md');
  const feeds = new Map();
  const started = Date.now();
  const load = { start: loadAverage(), end: '' };
  const ctx = {
    ...options,
    tmp,
    log: (msg) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`),
    /** Options for a measured CLI run: with --profile, a CPU profile into <profile>/<label>/. */
    measured(label) {
      return options.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.join(options.profile, label)}`] } : {};
    },
    /** The feed CSV of `rows` rows (generated once per bench run). */
    feed(rows) {
      if (!feeds.has(rows)) {
        const file = path.join(tmp, `feed-${rows}.csv`);
        feeds.set(rows, writeFeedCsv(rows, file).then(() => file));
      }
      return feeds.get(rows);
    },
  };

  const results = [];
  const skipped = [];
  try {
    for (const id of selected) {
      ctx.log(`stage ${id}…`);
      const result = await STAGES[id](ctx);
      if (result.skipped) {
        skipped.push({ id, reason: result.skipped });
        ctx.log(`stage ${id} skipped: ${result.skipped}`);
      } else {
        results.push(result);
      }
    }
    load.end = loadAverage();
    const report = renderReport({ machine: machineInfo(), options, results, skipped, durationMs: Date.now() - started, load, build });
    console.log(report);
    if (outFile) {
      fs.writeFileSync(outFile, report);
      ctx.log(`wrote ${outFile}`);
    }
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : err}`);
  process.exit(1);
});
