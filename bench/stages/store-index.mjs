/**
 * Stage "store index": `invsync fetch` against a large WooCommerce catalog with a tiny feed,
 * so the figures belong to the store listing (pages/s, the CLI's memory). Run over http
 * (OAuth 1.0a, no `_fields`: see the NOTE in src/stores/woocommerce/index.ts) and over https
 * (Basic auth, `_fields`).
 */
import { expectExit, workspace } from '../lib/cli.mjs';
import { fmt, max, mbFromMiB, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

export async function storeIndexStage(ctx) {
  // Smoke: one size (the ratio needs two; it is reported as n/a).
  const sizes = ctx.smoke ? [1_000] : [100_000, 1_000_000];
  const large = sizes[sizes.length - 1];
  const feedRows = ctx.smoke ? 100 : 1_000;
  const csv = await ctx.feed(feedRows);
  const rows = [];
  const peaks = new Map();
  const targets = [];
  let pageChecks = true;
  let fieldsOverHttps = true;
  for (const transport of ['http', 'https']) {
    for (const size of sizes) {
      const woo = await startWoo({ tls: transport === 'https', seed: { count: size } });
      ctx.log(`store index ${transport} ${size}: emulator seeded in ${seconds(woo.seeded.ms)} s`);
      try {
        const runs = await repeat(ctx.reps, async (rep) => {
          const ws = workspace(ctx.tmp, `store-index-${transport}-${size}-${rep}`, {
            sources: [{ name: 'feed', type: 'csv', path: csv }],
            store: { url: woo.url, keys: woo.keys, ...(transport === 'https' ? { insecureTls: true } : {}) },
          });
          await woo.clearLog();
          const run = expectExit(await ws.run(['fetch', '--json'], ctx.measured(`store-index-${transport}-${size}`)), `store index ${transport} ${size}`);
          if (run.summary?.counts?.storeItems !== size) throw new Error(`store index: expected ${size} store items, got ${run.summary?.counts?.storeItems}`);
          return { ...run, stats: await woo.stats() };
        });
        for (const r of runs) {
          if (r.stats.listPerPage.length !== 1 || r.stats.listPerPage[0] !== '100') pageChecks = false;
          if (transport === 'https' && r.stats.listWithFields !== r.stats.listPages) fieldsOverHttps = false;
        }
        const wallMs = median(runs.map((r) => r.wallMs));
        const pagesPerS = median(runs.map((r) => (r.stats.listPages - 1) / ((r.stats.lastListAt - r.stats.firstListAt) / 1000)));
        const peak = mbFromMiB(max(runs.map((r) => r.peakRssMiB)));
        peaks.set(`${transport}:${size}`, peak);
        ctx.log(`store index ${transport} ${size}: ${seconds(wallMs)} s, ${fmt(pagesPerS)} pages/s, ${fmt(peak, 1)} MB`);
        rows.push([
          transport, fmt(size), String(runs.length), fmt(runs[0].stats.listPages), seconds(wallMs), fmt(pagesPerS), fmt(size / (wallMs / 1000)),
          fmt(mbFromMiB(median(runs.map((r) => r.peakRssMiB))), 1), fmt(peak, 1),
        ]);
      } finally {
        await woo.close();
      }
    }
    const ratio = peaks.get(`${transport}:${large}`) / peaks.get(`${transport}:${sizes[0]}`);
    targets.push({
      what: `store index (${transport}): RSS at ${fmt(large)} ÷ RSS at ${fmt(sizes[0])} SKUs`, target: 'flat (≤ 1.3)',
      measured: sizes.length > 1 ? fmt(ratio, 2) : 'n/a (one size)', ok: sizes.length > 1 ? ratio <= 1.3 : null,
    });
  }
  targets.push({ what: 'store index: largest pages (per_page=100 on every list request)', target: 'yes', measured: pageChecks ? 'yes' : 'no', ok: pageChecks });
  targets.push({ what: 'store index: `_fields` on every list request over https', target: 'yes', measured: fieldsOverHttps ? 'yes' : 'no', ok: fieldsOverHttps });
  return {
    id: 'store-index',
    title: `store index — ${fmt(large)} WooCommerce SKUs`,
    workload: `\`invsync fetch\` with a ${fmt(feedRows)}-row CSV against the WooCommerce emulator holding N simple products; pages/s from the emulator's request log (first to last list request), items/s = store items ÷ process wall time.`,
    table: { columns: ['transport', 'store SKUs', 'runs', 'list requests', 'wall s (median)', 'pages/s', 'items/s', 'peak RSS MB (median)', 'peak RSS MB (max)'], rows },
    targets,
  };
}
