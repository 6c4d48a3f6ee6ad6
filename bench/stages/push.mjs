/**
 * Stage "push": N changes against the WooCommerce emulator with 20 ms latency and a server-side
 * rate limit of 10 req/s (429 above it); invsync is configured with the same limit. Each run
 * starts from a freshly seeded store and state: fetch and match (not timed), then push (timed).
 */
import { expectExit, workspace } from '../lib/cli.mjs';
import { fmt, max, mbFromMiB, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

const LIMIT = 10;
const LATENCY_MS = 20;
const MAX_BATCH = 100;

export async function pushStage(ctx) {
  const changes = ctx.smoke ? 200 : 10_000;
  const csv = await ctx.feed(changes);
  const minimum = Math.ceil(changes / MAX_BATCH);
  const runs = await repeat(ctx.reps, async (rep) => {
    const woo = await startWoo({ seed: { count: changes, changeEvery: 1 }, faults: { latencyMs: LATENCY_MS, rateLimitPerSecond: LIMIT } });
    try {
      const ws = workspace(ctx.tmp, `push-${rep}`, {
        sources: [{ name: 'feed', type: 'csv', path: csv }],
        store: { url: woo.url, keys: woo.keys, rateLimit: { perSecond: LIMIT } },
      });
      const fetched = expectExit(await ws.run(['fetch', '--json']), 'push setup: fetch');
      const fetchStats = await woo.stats();
      const matched = expectExit(await ws.run(['match', '--json']), 'push setup: match');
      if (matched.summary?.counts?.changed !== changes) throw new Error(`push setup: expected ${changes} changes, got ${matched.summary?.counts?.changed}`);
      await woo.clearLog();
      const push = expectExit(await ws.run(['push', '--json'], ctx.measured('push')), `push ${changes} changes`);
      const stats = await woo.stats();
      const verified = await woo.verify({ count: changes });
      const slot = 1000 / LIMIT;
      return {
        push, stats, verified, fetch429: fetchStats.status429, fetchWallMs: fetched.wallMs,
        // n requests paced at the limit occupy n slots: (last − first) + one slot.
        writeRate: stats.writes / ((stats.lastWriteAt - stats.firstWriteAt + slot) / 1000),
        requestRate: stats.total / ((stats.lastAt - stats.firstAt + slot) / 1000),
        wallRate: stats.writes / (push.wallMs / 1000),
        applied: push.summary?.counts?.applied,
      };
    } finally {
      await woo.close();
    }
  });
  const wallMs = median(runs.map((r) => r.push.wallMs));
  const writes = max(runs.map((r) => r.stats.writes));
  const writeRate = median(runs.map((r) => r.writeRate));
  const requestRate = median(runs.map((r) => r.requestRate));
  const wallRate = median(runs.map((r) => r.wallRate));
  const throttled = max(runs.map((r) => r.stats.status429 + r.fetch429));
  const throttledSplit = `${max(runs.map((r) => r.fetch429))} + ${max(runs.map((r) => r.stats.status429))} (${max(runs.map((r) => r.stats.writes429))} on writes)`;
  const reads = median(runs.map((r) => r.stats.total - r.stats.writes));
  const minGap = Math.min(...runs.map((r) => r.stats.minGapMs));
  const allApplied = runs.every((r) => r.verified.equal === changes && r.applied === changes);
  ctx.log(`push ${changes}: ${seconds(wallMs)} s, ${writes} writes, ${fmt(writeRate, 2)} writes/s, ${fmt(requestRate, 2)} req/s (log), ${throttled} × 429`);
  return {
    id: 'push',
    title: `push — ${fmt(changes)} changes at ${LIMIT} req/s, ${LATENCY_MS} ms latency`,
    workload: `\`invsync push --json\` of a plan with ${fmt(changes)} simple-product changes; emulator: ${LATENCY_MS} ms latency, \`rateLimitPerSecond: ${LIMIT}\` (429 above it); invsync store config \`rateLimit: { perSecond: ${LIMIT} }\`. From the emulator's request log (arrival times): write rate = write requests ÷ (last − first write + one ${1000 / LIMIT} ms slot); request rate = every request of the push (writes, read-back reads, retries) ÷ (last − first request + one slot) — the rate limit counts them all; writes/s (wall) = write requests ÷ push process wall time (start-up, read-back and summary included).`,
    table: {
      columns: ['changes', 'runs', 'push wall s (median)', 'write requests', 'minimum', 'other requests (read-back, retries)', '429 responses (fetch + push)', 'smallest arrival gap ms', 'write rate /s (log)', 'request rate /s (log)', 'writes/s (wall)', 'store = feed after push', 'peak RSS MB (max)'],
      rows: [[fmt(changes), String(runs.length), seconds(wallMs), fmt(writes), fmt(minimum), fmt(reads), throttledSplit, fmt(minGap), fmt(writeRate, 2), fmt(requestRate, 2), fmt(wallRate, 2), allApplied ? 'yes' : 'NO', fmt(mbFromMiB(max(runs.map((r) => r.push.peakRssMiB))), 1)]],
    },
    targets: [
      { what: `push ${fmt(changes)}: write requests`, target: `= minimum (${fmt(minimum)})`, measured: fmt(writes), ok: writes === minimum },
      { what: `push ${fmt(changes)}: achieved write rate (request log, first to last write)`, target: `≥ ${fmt(0.9 * LIMIT, 1)} req/s (90 % of ${LIMIT})`, measured: `${fmt(writeRate, 2)} req/s`, ok: writeRate >= 0.9 * LIMIT },
      { what: `push ${fmt(changes)}: achieved request rate, all requests of the push (request log)`, target: `≥ ${fmt(0.9 * LIMIT, 1)} req/s (90 % of ${LIMIT})`, measured: `${fmt(requestRate, 2)} req/s`, ok: requestRate >= 0.9 * LIMIT },
      { what: `push ${fmt(changes)}: 429 responses from a correctly paced client`, target: '0', measured: fmt(throttled), ok: throttled === 0 },
    ],
  };
}
