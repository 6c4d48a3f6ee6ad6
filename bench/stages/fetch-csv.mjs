/**
 * Stage "fetch": `invsync fetch` streaming a large CSV into the snapshot. The store is kept
 * small (its index is refreshed by the same command) so the figures belong to the source side.
 */
import { expectExit, workspace } from '../lib/cli.mjs';
import { fmt, max, mbFromMiB, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

export async function fetchCsvStage(ctx) {
  // Smoke: one size (the ratio needs two; it is reported as n/a).
  const sizes = ctx.smoke ? [1_000] : [100_000, 1_000_000];
  const storeSize = ctx.smoke ? 100 : 1_000;
  const woo = await startWoo({ seed: { count: storeSize } });
  const rows = [];
  const bySize = new Map();
  try {
    for (const size of sizes) {
      const csv = await ctx.feed(size);
      const runs = await repeat(ctx.reps, async (rep) => {
        const ws = workspace(ctx.tmp, `fetch-csv-${size}-${rep}`, {
          sources: [{ name: 'feed', type: 'csv', path: csv }], store: { url: woo.url, keys: woo.keys },
        });
        const run = expectExit(await ws.run(['fetch', '--json'], ctx.measured(`fetch-csv-${size}`)), `fetch ${size} CSV rows`);
        if (run.summary?.counts?.sourceItems !== size) throw new Error(`fetch: expected ${size} source items, got ${run.summary?.counts?.sourceItems}`);
        return run;
      });
      const wallMs = median(runs.map((r) => r.wallMs));
      const peak = mbFromMiB(max(runs.map((r) => r.peakRssMiB)));
      bySize.set(size, peak);
      ctx.log(`fetch csv ${size}: ${seconds(wallMs)} s, ${fmt(peak, 1)} MB`);
      rows.push([fmt(size), String(runs.length), seconds(wallMs), fmt(size / (wallMs / 1000)), fmt(mbFromMiB(median(runs.map((r) => r.peakRssMiB))), 1), fmt(peak, 1)]);
    }
  } finally {
    await woo.close();
  }
  const [small, large = small] = sizes;
  const ratio = bySize.get(large) / bySize.get(small);
  const worst = Math.max(...bySize.values());
  return {
    id: 'fetch-csv',
    title: `fetch — CSV file (${fmt(large)} rows)`,
    workload: `\`invsync fetch\` of a local CSV (\`sku,qty\`), ${fmt(storeSize)}-product store (its index refresh is part of the same command). items/s = rows ÷ process wall time (start-up included).`,
    table: { columns: ['rows', 'runs', 'wall s (median)', 'items/s', 'peak RSS MB (median)', 'peak RSS MB (max)'], rows },
    targets: [
      { what: `fetch CSV: peak RSS at ${fmt(large)} rows`, target: '≤ 150 MB', measured: `${fmt(worst, 1)} MB`, ok: worst <= 150 },
      { what: `fetch CSV: RSS at ${fmt(large)} ÷ RSS at ${fmt(small)}`, target: '≤ 1.3', measured: sizes.length > 1 ? fmt(ratio, 2) : 'n/a (one size)', ok: sizes.length > 1 ? ratio <= 1.3 : null },
    ],
  };
}
