/**
 * Stage "fetch (JSON API)": `invsync fetch` reading a paged JSON API on loopback (the `json`
 * source, `page` paging, 100 items per page) into the snapshot; small store, as for the CSV.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildRoot, ROOT } from '../lib/build.mjs';
import { expectExit, workspace } from '../lib/cli.mjs';
import { startHost } from '../lib/host.mjs';
import { fmt, max, mbFromMiB, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

const HOST = path.join(path.dirname(new URL(import.meta.url).pathname), '../lib/json-host.mjs');

export async function fetchJsonStage(ctx) {
  const missing = [path.join(buildRoot(), 'dist/sources/json/index.js'), path.join(ROOT, 'test/fakes/json-api.ts')]
    .filter((f) => !fs.existsSync(f)).map((f) => path.relative(ROOT, f));
  if (missing.length) return { skipped: `${missing.join(' and ')} not available yet` };
  // Smoke: one size (the ratio needs two; it is reported as n/a).
  const sizes = ctx.smoke ? [1_000] : [100_000, 1_000_000];
  const storeSize = ctx.smoke ? 100 : 1_000;
  const perPage = 100;
  const woo = await startWoo({ seed: { count: storeSize } });
  const rows = [];
  const peaks = new Map();
  try {
    for (const size of sizes) {
      const api = startHost(HOST);
      try {
        const { url } = await api.call('start', { count: size });
        const runs = await repeat(ctx.reps, async (rep) => {
          const ws = workspace(ctx.tmp, `fetch-json-${size}-${rep}`, {
            sources: [{
              name: 'api', type: 'json', url: `${url}/page`, itemsPath: 'data', skuPath: 'sku', qtyPath: 'qty', pageSize: perPage,
              paging: { type: 'page', pageParam: 'page', sizeParam: 'per_page', totalPath: 'total' },
            }],
            store: { url: woo.url, keys: woo.keys },
          });
          const before = await api.call('stats');
          const run = expectExit(await ws.run(['fetch', '--json'], ctx.measured(`fetch-json-${size}`)), `fetch ${size} JSON API items`);
          if (run.summary?.counts?.sourceItems !== size) throw new Error(`fetch json: expected ${size} source items, got ${run.summary?.counts?.sourceItems}`);
          const after = await api.call('stats');
          return { ...run, requests: after.requests - before.requests };
        });
        const wallMs = median(runs.map((r) => r.wallMs));
        const peak = mbFromMiB(max(runs.map((r) => r.peakRssMiB)));
        peaks.set(size, peak);
        ctx.log(`fetch json ${size}: ${seconds(wallMs)} s, ${fmt(peak, 1)} MB`);
        rows.push([fmt(size), String(runs.length), fmt(runs[0].requests), seconds(wallMs), fmt(size / (wallMs / 1000)), fmt(mbFromMiB(median(runs.map((r) => r.peakRssMiB))), 1), fmt(peak, 1)]);
      } finally {
        await api.close();
      }
    }
  } finally {
    await woo.close();
  }
  const [small, large = small] = sizes;
  const ratio = peaks.get(large) / peaks.get(small);
  const worst = Math.max(...peaks.values());
  return {
    id: 'fetch-json',
    title: `fetch — paged JSON API (${fmt(large)} items)`,
    workload: `\`invsync fetch\` with the \`json\` source reading test/fakes/json-api.ts (own process, loopback, no latency) at \`/page\`: \`{ data: [...], total }\`, ${perPage} items per page, one page at a time; ${fmt(storeSize)}-product store. items/s = items ÷ process wall time (start-up included).`,
    table: { columns: ['items', 'runs', 'requests', 'wall s (median)', 'items/s', 'peak RSS MB (median)', 'peak RSS MB (max)'], rows },
    targets: [
      { what: `fetch JSON API: peak RSS at ${fmt(large)} items`, target: '≤ 150 MB', measured: `${fmt(worst, 1)} MB`, ok: worst <= 150 },
      { what: `fetch JSON API: RSS at ${fmt(large)} ÷ RSS at ${fmt(small)}`, target: '≤ 1.3', measured: sizes.length > 1 ? fmt(ratio, 2) : 'n/a (one size)', ok: sizes.length > 1 ? ratio <= 1.3 : null },
    ],
  };
}
