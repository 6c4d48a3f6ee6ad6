/**
 * Stage "baseline": invsync `full` against the old way (search each SKU, then update it, one
 * request each, sequentially: lib/old-tool.mjs), on the same emulator set-up: N products,
 * every 10th changed, 20 ms latency per request, no rate limit. Both leave the store equal
 * to the feed; the comparison is requests and wall time.
 */
import { expectExit, workspace } from '../lib/cli.mjs';
import { changedCount } from '../lib/dataset.mjs';
import { oldToolSync } from '../lib/old-tool.mjs';
import { fmt, max, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

const LATENCY_MS = 20;

export async function baselineStage(ctx) {
  const sizes = ctx.smoke ? [50] : [1_000, 10_000];
  const changeEvery = 10;
  const rows = [];
  const targets = [];
  for (const size of sizes) {
    const csv = await ctx.feed(size);
    const seed = { count: size, changeEvery };
    const invsync = await repeat(ctx.reps, async (rep) => {
      const woo = await startWoo({ seed, faults: { latencyMs: LATENCY_MS } });
      try {
        const ws = workspace(ctx.tmp, `baseline-invsync-${size}-${rep}`, { sources: [{ name: 'feed', type: 'csv', path: csv }], store: { url: woo.url, keys: woo.keys } });
        const run = expectExit(await ws.run(['full', '--json']), `baseline: invsync full ${size}`);
        const verified = await woo.verify({ count: size });
        return { wallMs: run.wallMs, stats: await woo.stats(), synced: verified.equal === size };
      } finally {
        await woo.close();
      }
    });
    const old = await repeat(ctx.baselineReps, async () => {
      const woo = await startWoo({ seed, faults: { latencyMs: LATENCY_MS } });
      try {
        const result = await oldToolSync({ siteUrl: woo.url, keys: woo.keys, feedFile: csv });
        if (result.errors.length) throw new Error(`baseline: ${result.errors.length} error(s), first: ${result.errors[0]}`);
        const verified = await woo.verify({ count: size });
        return { wallMs: result.wallMs, stats: await woo.stats(), synced: verified.equal === size };
      } finally {
        await woo.close();
      }
    });
    const inv = { wallMs: median(invsync.map((r) => r.wallMs)), requests: max(invsync.map((r) => r.stats.total)), writes: max(invsync.map((r) => r.stats.writes)) };
    const base = { wallMs: median(old.map((r) => r.wallMs)), requests: max(old.map((r) => r.stats.total)), writes: max(old.map((r) => r.stats.writes)) };
    const synced = [...invsync, ...old].every((r) => r.synced);
    ctx.log(`baseline ${size}: invsync ${seconds(inv.wallMs)} s / ${inv.requests} req; old way ${seconds(base.wallMs)} s / ${base.requests} req`);
    rows.push([
      fmt(size), fmt(changedCount(size, changeEvery)), `${invsync.length} / ${old.length}`,
      `${fmt(inv.requests)} (${fmt(inv.writes)} writes)`, `${fmt(base.requests)} (${fmt(base.writes)} writes)`, `${fmt(base.requests / inv.requests, 1)} ×`,
      seconds(inv.wallMs), seconds(base.wallMs), `${fmt(base.wallMs / inv.wallMs, 1)} ×`, synced ? 'yes' : 'NO',
    ]);
    targets.push({ what: `baseline ${fmt(size)} SKUs: old way ÷ invsync`, target: 'report', measured: `${fmt(base.requests / inv.requests, 1)} × requests, ${fmt(base.wallMs / inv.wallMs, 1)} × wall time`, ok: null });
  }
  return {
    id: 'baseline',
    title: 'invsync vs the old way (search each SKU, then update it)',
    workload: `Same emulator set-up for both: N simple products, every 10th differs from the feed, ${LATENCY_MS} ms latency per request, no rate limit, http + OAuth. invsync: \`invsync full\` as a process (start-up, listing, match, batched writes, read-back). Old way: \`GET /products?sku=X\` then \`PUT /products/{id}\` per feed row, sequential, in the bench process (no process start-up counted). Both leave the store equal to the feed.`,
    table: { columns: ['SKUs', 'changed', 'runs (invsync / old)', 'invsync requests', 'old-way requests', 'requests ratio', 'invsync wall s', 'old-way wall s', 'wall-time ratio', 'store = feed (both)'], rows },
    targets,
  };
}
