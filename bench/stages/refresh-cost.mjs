/**
 * Stage "refresh cost": what a full store-index refresh costs on a 1,000,000-product shop
 * limited to 5 req/s. The listing's request count is fixed by the API (100 per page), so the
 * time is requests ÷ rate; a short listing at 5 req/s (20 ms latency, server enforcing 5/s)
 * checks that invsync really reaches that pace, and the projection uses the rate achieved.
 * Incremental refresh costs (`modified_after`) are computed for comparison; see the notes.
 */
import { expectExit, workspace } from '../lib/cli.mjs';
import { fmt, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

const RATE = 5;
const SHOP = 1_000_000;
const PER_PAGE = 100;

export async function refreshCostStage(ctx) {
  const size = ctx.smoke ? 300 : 10_000;
  const csv = await ctx.feed(ctx.smoke ? 50 : 100);
  const runs = await repeat(ctx.reps, async (rep) => {
    const woo = await startWoo({ seed: { count: size }, faults: { latencyMs: 20, rateLimitPerSecond: RATE } });
    try {
      const ws = workspace(ctx.tmp, `refresh-${rep}`, {
        sources: [{ name: 'feed', type: 'csv', path: csv }], store: { url: woo.url, keys: woo.keys, rateLimit: { perSecond: RATE } },
      });
      const run = expectExit(await ws.run(['fetch', '--json']), `refresh cost: fetch ${size}`);
      const stats = await woo.stats();
      return { run, stats, rate: (stats.listPages - 1) / ((stats.lastListAt - stats.firstListAt) / 1000) };
    } finally {
      await woo.close();
    }
  });
  const rate = median(runs.map((r) => r.rate));
  const throttled = Math.max(...runs.map((r) => r.stats.status429));
  // The adapter stops at X-WP-TotalPages: no extra empty page.
  const requests = Math.ceil(SHOP / PER_PAGE);
  const ideal = (requests / RATE) * 1000;
  const projected = (requests / rate) * 1000;
  ctx.log(`refresh cost: ${fmt(rate, 2)} pages/s at ${RATE} req/s → ${seconds(projected, 0)} s for ${SHOP}`);
  const incremental = [0.001, 0.01, 0.1].map((share) => {
    const changed = SHOP * share;
    // One count probe (per_page=1, X-WP-Total) + the modified products, 100 per page.
    const req = 1 + Math.ceil(changed / PER_PAGE);
    return [`incremental, ${fmt(share * 100, 1)} % modified since the last refresh`, fmt(req), `${seconds((req / RATE) * 1000, 0)} s`, 'computed'];
  });
  return {
    id: 'refresh-cost',
    title: `store index refresh cost — ${fmt(SHOP)} products at ${RATE} req/s`,
    workload: `Measured: \`invsync fetch\` listing a ${fmt(size)}-product emulator (${fmt(size / PER_PAGE)} pages) with invsync \`rateLimit: { perSecond: ${RATE} }\`, the emulator enforcing ${RATE} req/s and adding 20 ms latency; the achieved page rate is projected to ${fmt(SHOP)} products (${fmt(requests)} list requests of 100; the adapter stops at \`X-WP-TotalPages\`).`,
    table: {
      columns: ['refresh', 'requests', 'time', 'source'],
      rows: [
        [`full (measured on ${fmt(size)}: ${fmt(rate, 2)} pages/s, ${throttled} × 429)`, fmt(requests), `${seconds(projected, 0)} s (${fmt(projected / 60000, 1)} min)`, `projected from ${runs.length} run(s)`],
        ['full, ideal', fmt(requests), `${seconds(ideal, 0)} s (${fmt(ideal / 60000, 1)} min)`, 'computed: requests ÷ 5'],
        ...incremental,
      ],
    },
    targets: [
      { what: `store index refresh, ${fmt(SHOP)} products at ${RATE} req/s`, target: 'report', measured: `${fmt(requests)} requests, ${fmt(projected / 60000, 1)} min (achieved ${fmt(rate, 2)} of ${RATE} req/s)`, ok: null },
    ],
  };
}
