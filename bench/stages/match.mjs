/**
 * Stage "match": `invsync match` on a state populated by `invsync fetch` (feed N rows × store
 * N SKUs, every 10th SKU differs). Only the match process is timed; each run starts from a
 * copy of the same fetched state so plans do not pile up between runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expectExit, workspace } from '../lib/cli.mjs';
import { changedCount } from '../lib/dataset.mjs';
import { fmt, max, mbFromMiB, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

export async function matchStage(ctx) {
  const size = ctx.smoke ? 1_000 : 1_000_000;
  const changeEvery = 10;
  const csv = await ctx.feed(size);
  const woo = await startWoo({ seed: { count: size, changeEvery } });
  const ws = workspace(ctx.tmp, 'match', { sources: [{ name: 'feed', type: 'csv', path: csv }], store: { url: woo.url, keys: woo.keys } });
  let setup;
  try {
    setup = expectExit(await ws.run(['fetch', '--json']), `match setup: fetch ${size} × ${size}`);
  } finally {
    await woo.close();
  }
  ctx.log(`match setup: fetch ${size} × ${size} in ${seconds(setup.wallMs)} s, ${fmt(mbFromMiB(setup.peakRssMiB), 1)} MB`);
  const template = path.join(ctx.tmp, 'match-state-template');
  fs.rmSync(template, { recursive: true, force: true });
  fs.cpSync(ws.stateDir, template, { recursive: true });

  const expected = changedCount(size, changeEvery);
  const runs = await repeat(ctx.reps, async () => {
    fs.rmSync(ws.stateDir, { recursive: true, force: true });
    fs.cpSync(template, ws.stateDir, { recursive: true });
    const run = expectExit(await ws.run(['match', '--json'], ctx.measured('match')), `match ${size} × ${size}`);
    if (run.summary?.counts?.changed !== expected) throw new Error(`match: expected ${expected} changes, got ${run.summary?.counts?.changed}`);
    return run;
  });
  fs.rmSync(template, { recursive: true, force: true });
  const wallMs = median(runs.map((r) => r.wallMs));
  const peak = mbFromMiB(max(runs.map((r) => r.peakRssMiB)));
  ctx.log(`match ${size}: ${seconds(wallMs)} s, ${fmt(peak, 1)} MB`);
  return {
    id: 'match',
    title: `match — ${fmt(size)} feed items × ${fmt(size)} store SKUs`,
    workload: `\`invsync match --json\` after one \`invsync fetch\` (not timed: ${seconds(setup.wallMs)} s, ${fmt(mbFromMiB(setup.peakRssMiB), 1)} MB peak). Every 10th SKU differs: ${fmt(expected)} planned changes, all printed in the --json summary and stored in the plan.`,
    table: {
      columns: ['feed × store', 'changes', 'runs', 'wall s (median)', 'wall s (min–max)', 'peak RSS MB (median)', 'peak RSS MB (max)'],
      rows: [[`${fmt(size)} × ${fmt(size)}`, fmt(expected), String(runs.length), seconds(wallMs),
        `${seconds(Math.min(...runs.map((r) => r.wallMs)))}–${seconds(Math.max(...runs.map((r) => r.wallMs)))}`,
        fmt(mbFromMiB(median(runs.map((r) => r.peakRssMiB))), 1), fmt(peak, 1)]],
    },
    targets: [
      { what: `match ${fmt(size)} × ${fmt(size)}: wall time`, target: '≤ 10 s', measured: `${seconds(wallMs)} s`, ok: wallMs <= 10_000 },
      { what: `match ${fmt(size)} × ${fmt(size)}: peak RSS`, target: '≤ 400 MB', measured: `${fmt(peak, 1)} MB`, ok: peak <= 400 },
    ],
  };
}
